"""Opening the pieces the engine needs (decks, store) from settings, for every adapter's entry point."""

from __future__ import annotations

import gc
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


# Allocations between cyclic-GC passes of the youngest generation (Python's default: 700). A burst keeps tens
# of thousands of short-lived objects per second in flight (requests, payload dicts, tasks); at 700 the
# collector ran every few clicks and its older-generation passes walked everything alive.
GC_THRESHOLD = (50_000, 20, 20)


def tune_gc() -> None:
    """Fewer, cheaper cycle collections for a serving process: what start-up imported is frozen out of them,
    and the youngest generation is collected every GC_THRESHOLD[0] allocations. About a third more clicks a
    second in bench.slack_burst; memory stays flat (reference counting frees almost everything anyway)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
