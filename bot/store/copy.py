"""Moving an install: copy a SQLite database, table by table, into an empty PostgreSQL database of the same schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import shown_url
from bot.store import SQLiteStore
from bot.store.errors import StoreError

if TYPE_CHECKING:
    from asyncpg import Connection

# In the order foreign keys need them; every table of the schema (a test checks none is missing).
TABLES = (
    "people",
    "runs",
    "answers",
    "first_answers",
    "score_totals",
    "points_histogram",
    "teams",
    "team_members",
    "team_member_periods",
    "team_totals",
    "daily_channels",
    "daily_posts",
    "daily_answers",
    "daily_anonymous_answers",
    "forget_notices",
    "digest_channels",
    "digest_posts",
    "study_cards",
    "study_reviews",
    "written_answers",
    "study_plans",
    "study_reminders",
)
# Identity columns whose sequence must go on after the copied ids.
IDENTITIES = {
    "people": "person_id",
    "runs": "run_id",
    "answers": "answer_id",
    "teams": "team_id",
    "daily_channels": "channel_key",
    "daily_posts": "post_id",
    "digest_channels": "channel_key",
    "digest_posts": "digest_id",
    "written_answers": "written_id",
}
CHUNK = 20_000  # rows per COPY: a million answers never sit in memory at once


class TargetNotEmptyError(StoreError):
    """The database a copy was to fill already holds data: nothing was copied."""


async def copy_sqlite_to_postgres(source: Path, target_url: str) -> dict[str, int]:
    """Copy every table of the SQLite database at `source` into the empty PostgreSQL database at `target_url`.

    Both are opened (and migrated to this version's schema) as the bot would open them, so a refused database
    (another program's, too new, unreachable) is refused here too. The copy runs in one transaction: it is all
    there or not at all; then the tables are vacuumed and analysed. Returns the rows copied per table.
    """
    from bot.store.postgres import PostgresStore

    await (await SQLiteStore.open(source)).close()
    target = await PostgresStore.open(target_url)
    try:
        async with target._pool.acquire() as connection, connection.transaction():
            held = {table: int(await connection.fetchval(f"SELECT COUNT(*) FROM {table}")) for table in TABLES}
            if any(held.values()):
                shown = ", ".join(f"{table} {count}" for table, count in held.items() if count)
                raise TargetNotEmptyError(
                    f"{shown_url(target_url)} already holds recsys-quiz data ({shown}); db copy only fills an empty database, "
                    "so nothing was copied"
                )
            reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            try:
                copied = {table: await _copy_table(reader, connection, table) for table in TABLES}
            finally:
                reader.close()
            for table, column in IDENTITIES.items():
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), COALESCE(MAX({column}), 0) + 1, false) FROM {table}"
                )
        # Statistics and the visibility map for the fresh rows, so the first boards read their indexes alone
        # (autovacuum would get there too, later).
        await target._pool.execute(f"VACUUM (ANALYZE) {', '.join(TABLES)}")
    finally:
        await target.close()
    return copied


async def _copy_table(reader: sqlite3.Connection, connection: Connection, table: str) -> int:
    cursor = reader.execute(f"SELECT * FROM {table}")
    columns = [description[0] for description in cursor.description]
    copied = 0
    while rows := cursor.fetchmany(CHUNK):
        await connection.copy_records_to_table(table, records=rows, columns=columns)
        copied += len(rows)
    return copied
