"""Connections, migrations, write transactions and people: the base every part of the store builds on."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Self

import aiosqlite

from bot.origin import Origin
from bot.store.migrations import MIGRATIONS, SCHEMA_VERSION, _statements


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer version of recsys-quiz."""


async def _connect(path: Path) -> aiosqlite.Connection:
    # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), never opened behind our back.
    connection = await aiosqlite.connect(path, isolation_level=None)
    connection.row_factory = sqlite3.Row
    await connection.execute("PRAGMA busy_timeout = 10000")  # another process may hold the write lock
    await connection.execute("PRAGMA foreign_keys = ON")
    return connection


class StoreBase:
    """One SQLite file: one writer connection, one reader connection, explicit write transactions."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        # One connection cannot hold two transactions: write transactions of concurrent tasks take turns.
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Self:
        """Open (creating if needed) and migrate the database file."""
        path = Path(path)
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(path)
        try:
            await writer.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode still never corrupts; FULL also makes each commit survive power loss.
            await writer.execute("PRAGMA synchronous = FULL")
            await cls._migrate(writer)
            reader = await _connect(path)
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader)

    @staticmethod
    async def _migrate(connection: aiosqlite.Connection) -> None:
        await connection.execute("BEGIN IMMEDIATE")
        try:
            async with connection.execute("PRAGMA user_version") as cursor:
                row = await cursor.fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise SchemaTooNewError(
                    f"database schema version {version} is newer than this recsys-quiz knows ({SCHEMA_VERSION}): upgrade recsys-quiz"
                )
            for number in range(version, SCHEMA_VERSION):
                for statement in _statements(MIGRATIONS[number]):
                    await connection.execute(statement)
                await connection.execute(f"PRAGMA user_version = {number + 1}")
            await connection.execute("COMMIT")
        except BaseException:
            await connection.execute("ROLLBACK")
            raise

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")

    async def schema_version(self) -> int:
        async with self._reader.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    # People -------------------------------------------------------------------------------------

    async def person_id(self, origin: Origin) -> int | None:
        """The person's id, without creating one (a foreign click must change nothing)."""
        async with self._reader.execute(
            "SELECT person_id FROM people WHERE platform = ? AND space_id = ? AND user_id = ?",
            (origin.platform, origin.space_id, origin.user_id),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else None

    async def ensure_person(self, origin: Origin, at: int) -> int:
        """The person's id, creating the person or refreshing their display name."""
        async with self._transaction() as db:
            async with db.execute(
                """INSERT INTO people (platform, space_id, user_id, display_name, created_at)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (platform, space_id, user_id) DO UPDATE SET display_name = excluded.display_name
                   RETURNING person_id""",
                (origin.platform, origin.space_id, origin.user_id, origin.name, at),
            ) as cursor:
                row = await cursor.fetchone()
        assert row is not None
        return int(row[0])
