"""Opening the pieces the engine needs (decks, store) from settings, for every adapter's entry point."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.config import CoreSettings
from bot.content import load_decks
from bot.engine import QuizEngine
from bot.store import SQLiteStore


@asynccontextmanager
async def open_engine(settings: CoreSettings) -> AsyncIterator[QuizEngine]:
    """Load the decks (ContentError if any is broken), open the database, and yield an engine over them."""
    decks = load_decks(settings.content_dir)
    store = await SQLiteStore.open(settings.db_path)
    try:
        yield QuizEngine(store, decks, zone=settings.zone)
    finally:
        await store.close()
