"""Opening the pieces the engine needs (decks, store) from settings, and the process's GC settings, for every entry point."""

from __future__ import annotations

import gc
from asyncio import AbstractEventLoop
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import CoreSettings, Database
    from bot.engine import QuizEngine
    from bot.store import Store


async def open_store(database: Database) -> Store:
    """Open (and migrate) the store the setting names: SQLite by default, PostgreSQL for a postgresql:// URL.

    asyncpg is imported only here and only for PostgreSQL, so a SQLite user never pays for loading it.
    """
    if database.kind == "postgresql":
        from bot.store.postgres import PostgresStore

        assert database.url is not None
        return await PostgresStore.open(database.url)
    from bot.store import SQLiteStore

    assert database.path is not None
    return await SQLiteStore.open(database.path)


@asynccontextmanager
async def open_engine(settings: CoreSettings) -> AsyncIterator[QuizEngine]:
    """Load the decks (ContentError if any is broken), open the database, and yield an engine over them."""
    # Imported here, not at the top, so that the command line can pause the collector with this module before
    # it has paid for importing the core.
    from bot.content import load_decks
    from bot.engine import QuizEngine

    decks = load_decks(settings.content)
    store = await open_store(settings.database)
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


def server_loop_factory() -> Callable[[], AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (Linux and macOS), else None: asyncio's own.

    For the Slack server, which spends much of a click's CPU in the loop's sockets and aiohttp's server and
    client: on uvloop it acknowledged and answered 15-30% more clicks a second (bench.slack_burst). The
    Discord process showed no gain beyond the run-to-run noise and the engine alone none (its work is Python
    and SQLite), so they and the terminal keep asyncio's loop (and `play` the import cost).
    """
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


@contextmanager
def collector_paused_for_start_up() -> Iterator[Callable[[], None]]:
    """No cyclic collections until the yielded `ready()` is called; then what start-up built is frozen out of them.

    Start-up builds tens of thousands of objects that live as long as the process (modules, classes, pydantic
    schemas, the decks) and frees few: at Python's default thresholds the collector ran about 90 times during
    `recsys-quiz play`'s start and walked them again each time, some 25 ms of its half-second budget. Frozen
    at `ready()`, later collections skip them, as tune_gc() does for the servers; unlike tune_gc() there is no
    full collection first (tens of ms on a 2-core machine), so the few hundred objects of start-up garbage stay.
    Leaving the block without `ready()` (an error during start-up) just turns the collector back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    frozen = False

    def ready() -> None:
        nonlocal frozen
        if not frozen:
            frozen = True
            gc.freeze()
            if was_enabled:
                gc.enable()

    try:
        yield ready
    finally:
        if was_enabled:
            gc.enable()
