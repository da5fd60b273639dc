"""Shared fixtures: the shipped decks, a real SQLite store on a temporary file, an engine over both."""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.content import DeckLibrary, default_content_dir, load_decks
from bot.engine import QuizEngine
from bot.names import _cleaned
from bot.origin import Origin
from bot.store import SQLiteStore
from bot.teams import _letter_key, _prototypes
from bot.windows import period_keys

# Caches in front of code that mutation testing mutates (README: Mutation testing).
CACHES_OVER_MUTATED_CODE = (period_keys, _cleaned, _letter_key, _prototypes)


class FakeClock:
    """A clock the test moves by hand (seconds since the epoch)."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def empty_caches_under_mutmut() -> Iterator[None]:
    """Under mutmut (which sets MUTANT_UNDER_TEST) every test starts with these caches empty.

    Otherwise mutmut credits a cached function only to the first test that filled its cache, and runs no other test
    against that function's mutants. Outside mutmut the caches are left alone, as in production.
    """
    if "MUTANT_UNDER_TEST" in os.environ:
        for cached in CACHES_OVER_MUTATED_CODE:
            cached.cache_clear()
    yield


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
