"""A read or a write that fails reaches its caller and the store goes on; another program's database is refused."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.config import parse_database, shown_url
from bot.runtime import open_store
from bot.store import Store
from bot.store.errors import DatabaseUnavailableError, ForeignDatabaseError
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


@pytest.mark.parametrize("tables", [5, 6])
async def test_a_database_of_another_program_is_refused_naming_five_of_its_tables(
    database: QuizDatabase, new_database: Callable[[], Awaitable[QuizDatabase]], tables: int
) -> None:
    # In the test's own process (tests/test_database_setting.py checks the command), so that mutation testing maps it.
    other = await new_database()
    await other.execute(*(f"CREATE TABLE ledger_{letter} (id INTEGER PRIMARY KEY)" for letter in "abcdef"[:tables]))
    with pytest.raises(ForeignDatabaseError) as refused:
        await open_store(parse_database(other.url))
    shown = "ledger_a, ledger_b, ledger_c, ledger_d, ledger_e" + (", ..." if tables == 6 else "")
    if other.url.startswith("postgresql"):
        where, point = shown_url(other.url), "Point RECSYS_QUIZ_DB at a recsys-quiz database or an empty one"
    else:
        where, point = other.url, "Point RECSYS_QUIZ_DB (or --db) at a recsys-quiz database or a new file"
    assert str(refused.value) == (
        f"{where} is not a recsys-quiz database: it holds other tables ({shown}) and no recsys-quiz schema, so it was left "
        f"unchanged. {point}"
    )


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_a_postgresql_server_that_does_not_answer_is_named_in_the_refusal(database: QuizDatabase) -> None:
    url = "postgresql://postgres@127.0.0.1:1/quiz"  # nothing listens on port 1
    with pytest.raises(DatabaseUnavailableError) as refused:
        await open_store(parse_database(url))
    assert str(refused.value).startswith(f"cannot use the PostgreSQL database {url}: cannot connect to the server (")
    assert "Connect call failed ('127.0.0.1', 1)" in str(refused.value)  # the reason, not a guess at one
    assert str(refused.value).endswith("). Check RECSYS_QUIZ_DB")


async def test_a_caller_that_gives_up_does_not_keep_the_other_writes_of_its_batch_from_their_results(store: Store) -> None:
    gave_up = asyncio.ensure_future(store.ensure_person(person("gives-up"), 1))
    waits = asyncio.ensure_future(store.ensure_person(person("waits"), 1))
    await asyncio.sleep(0)  # both are queued for the same batch
    gave_up.cancel()
    person_id = await asyncio.wait_for(waits, timeout=30)  # bounded: a result that never came would wait for ever
    assert await store.person_id(person("waits")) == person_id
