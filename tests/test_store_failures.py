"""A read or a write that fails reaches its caller, and the store goes on serving the next one."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.config import parse_database
from bot.runtime import open_store
from bot.store import Store
from tests.conftest import QuizDatabase, person


async def test_a_failed_read_raises_in_its_caller_and_the_next_read_is_answered(db_path: Path) -> None:
    store = await open_store(parse_database(str(db_path)))
    try:
        with sqlite3.connect(db_path) as outside:  # another program breaks the schema under the running bot
            outside.execute("DROP TABLE digest_channels")
        # Bounded wait: a read whose error were lost would leave its caller waiting for ever.
        with pytest.raises(sqlite3.OperationalError, match="no such table: digest_channels"):
            await asyncio.wait_for(store.digest_channels("slack"), timeout=30)
        assert await asyncio.wait_for(store.person_id(person("nobody")), timeout=30) is None
    finally:
        await store.close()


async def test_a_failed_write_raises_in_its_caller_and_the_next_write_is_recorded(store: Store, database: QuizDatabase) -> None:
    await database.execute("ALTER TABLE digest_channels RENAME TO moved_away")  # broken under the running bot
    try:
        with pytest.raises(Exception, match="digest_channels") as failed:
            await asyncio.wait_for(store.set_digest_channel("slack", "T1", "C1", True, "U1", 1), timeout=30)
        assert "no such table" in str(failed.value) or "does not exist" in str(failed.value)
        person_id = await asyncio.wait_for(store.ensure_person(person("after"), 2), timeout=30)
        assert await store.person_id(person("after")) == person_id
    finally:
        await database.execute("ALTER TABLE moved_away RENAME TO digest_channels")
