"""Connections, migrations, group-committed writes and people: the base every part of the store builds on."""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Self, TypeVar

import aiosqlite

from bot.origin import Origin
from bot.store.migrations import MIGRATIONS, SCHEMA_VERSION, _statements

log = logging.getLogger(__name__)

T = TypeVar("T")
WriteFunction = Callable[[sqlite3.Connection], T]
BUSY_TIMEOUT_MS = 10_000  # another process may hold the write lock for a moment
# A batch commits what has queued up while the previous batch was on disk; the cap bounds one batch's latency.
MAX_BATCH = 512


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer version of recsys-quiz."""


def _configure(connection: sqlite3.Connection) -> None:
    connection.row_factory = sqlite3.Row
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA foreign_keys = ON")


def _migrate(connection: sqlite3.Connection) -> None:
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"database schema version {version} is newer than this recsys-quiz knows ({SCHEMA_VERSION}): upgrade recsys-quiz"
            )
        for number in range(version, SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[number]):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {number + 1}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


class _GroupCommitWriter:
    """One thread owns the write connection and runs queued write functions in shared transactions.

    Each function runs inside its own SAVEPOINT (a failing one is undone alone); the batch then
    commits once, and only after that commit is each caller's future resolved, so no reply is ever
    produced before its write is on disk. While one batch is being committed the next one queues up,
    which is what turns thousands of concurrent answers into a few dozen fsyncs a second.
    """

    def __init__(self, connection: sqlite3.Connection, loop: asyncio.AbstractEventLoop) -> None:
        self._connection = connection
        self._loop = loop
        self._queue: queue.SimpleQueue[tuple[WriteFunction[Any], asyncio.Future[Any]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="recsys-quiz-writer", daemon=True)
        self._thread.start()

    def submit(self, function: WriteFunction[T]) -> asyncio.Future[T]:
        future: asyncio.Future[T] = self._loop.create_future()
        self._queue.put((function, future))
        return future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._connection.close()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            try:
                outcomes = self._commit(batch)
            except BaseException as error:  # never let the writer thread die with callers waiting
                log.exception("write batch failed")
                outcomes = [(future, None, error) for _, future in batch]
            self._loop.call_soon_threadsafe(_settle, outcomes)

    def _commit(
        self, batch: list[tuple[WriteFunction[Any], asyncio.Future[Any]]]
    ) -> list[tuple[asyncio.Future[Any], Any, BaseException | None]]:
        db = self._connection
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            log.error("cannot start a write transaction: %s", error)
            return [(future, None, error) for _, future in batch]
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        for function, future in batch:
            try:
                db.execute("SAVEPOINT write")
                result = function(db)
                db.execute("RELEASE write")
            except Exception as error:  # the caller gets it; the rest of the batch goes on
                try:
                    db.execute("ROLLBACK TO write")
                    db.execute("RELEASE write")
                except sqlite3.Error:
                    # SQLite already rolled the whole transaction back (disk full, I/O error): nothing in it survives.
                    log.error("write failed and took its transaction with it: %s", error)
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    return [(f, None, error) for _, f in batch]
                outcomes.append((future, None, error))
            else:
                outcomes.append((future, result, None))
        try:
            db.execute("COMMIT")
        except sqlite3.Error as error:
            log.error("commit of %d writes failed, none recorded: %s", len(batch), error)
            if db.in_transaction:
                db.execute("ROLLBACK")
            return [(future, None, error) for future, _, _ in outcomes]
        return outcomes


def _settle(outcomes: Iterable[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, error in outcomes:
        if future.cancelled():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


class StoreBase:
    """One SQLite file in WAL mode: a group-commit writer thread and an aiosqlite reader connection."""

    def __init__(self, path: Path, writer: _GroupCommitWriter, reader: aiosqlite.Connection) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader

    @classmethod
    async def open(cls, path: Path | str) -> Self:
        """Open (creating if needed) and migrate the database file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()

        def connect_writer() -> sqlite3.Connection:
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), never opened behind our back.
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            try:
                _configure(connection)
                connection.execute("PRAGMA journal_mode = WAL")
                # FULL: a committed answer survives a power cut as well as a crash; group commit pays for the fsync.
                connection.execute("PRAGMA synchronous = FULL")
                _migrate(connection)
            except BaseException:
                connection.close()
                raise
            return connection

        connection = await loop.run_in_executor(None, connect_writer)
        writer = _GroupCommitWriter(connection, loop)
        try:
            reader = await aiosqlite.connect(path, isolation_level=None)
            reader.row_factory = sqlite3.Row
            await reader.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        except BaseException:
            writer.close()
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        await self._reader.close()
        await asyncio.get_running_loop().run_in_executor(None, self._writer.close)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def _write(self, function: WriteFunction[T]) -> T:
        """Run a write function in the writer thread; returns once its transaction has committed."""
        return await self._writer.submit(function)

    async def _fetchone(self, sql: str, parameters: Iterable[Any] = ()) -> sqlite3.Row | None:
        rows = await self._reader.execute_fetchall(sql, tuple(parameters))
        return next(iter(rows), None)

    async def _fetchall(self, sql: str, parameters: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return list(await self._reader.execute_fetchall(sql, tuple(parameters)))

    async def schema_version(self) -> int:
        row = await self._fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    # People -------------------------------------------------------------------------------------

    async def person_id(self, origin: Origin) -> int | None:
        """The person's id, without creating one (a foreign click must change nothing)."""
        row = await self._fetchone(
            "SELECT person_id FROM people WHERE platform = ? AND space_id = ? AND user_id = ?",
            (origin.platform, origin.space_id, origin.user_id),
        )
        return int(row[0]) if row else None

    async def ensure_person(self, origin: Origin, at: int) -> int:
        """The person's id, creating the person or refreshing their display name."""

        def write(db: sqlite3.Connection) -> int:
            row = db.execute(
                """INSERT INTO people (platform, space_id, user_id, display_name, created_at)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (platform, space_id, user_id) DO UPDATE SET display_name = excluded.display_name
                   RETURNING person_id""",
                (origin.platform, origin.space_id, origin.user_id, origin.name, at),
            ).fetchone()
            return int(row[0])

        return await self._write(write)
