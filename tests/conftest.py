"""Shared fixtures: the shipped decks, a real SQLite store on a temporary file, an engine over both."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.content import DeckLibrary, default_content_dir, load_decks
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.store import SQLiteStore


class FakeClock:
    """A clock the test moves by hand (seconds since the epoch)."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def decks() -> DeckLibrary:
    return load_decks(default_content_dir())


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "quiz.db"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SQLiteStore]:
    async with await SQLiteStore.open(db_path) as opened:
        yield opened


@pytest.fixture
def engine(store: SQLiteStore, decks: DeckLibrary, clock: FakeClock) -> QuizEngine:
    return QuizEngine(store, decks, clock=clock, rng=random.Random(7))


def person(user_id: str = "u1", name: str | None = None, platform: str = "console", space: str = "local") -> Origin:
    return Origin(platform=platform, space_id=space, user_id=user_id, display_name=name or user_id)
