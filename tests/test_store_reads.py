"""The SQLite store's reader thread: a read that fails reaches its caller, and the reads after it are still served."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.config import parse_database
from bot.runtime import open_store
from tests.conftest import person


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
