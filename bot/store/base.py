"""Connections, migrations, group-committed writes and people: the base every part of the store builds on."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Self, TypeVar

from bot.origin import Origin
from bot.store.errors import ForeignDatabaseError, SchemaTooNewError
from bot.store.migrations import MIGRATIONS, SCHEMA_VERSION, _statements, register_functions

log = logging.getLogger(__name__)

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - the item of a grouped write
WriteFunction = Callable[[sqlite3.Connection], T]
# A write done for many queued items at once: gets them in order, returns one result per item.
GroupFunction = Callable[[sqlite3.Connection, list[I]], list[T]]
BUSY_TIMEOUT_MS = 10_000  # another process may hold the write lock for a moment
# A batch commits what has queued up while the previous batch was on disk. Its statements run on the event
# loop (about 0.1 ms a plain write), so the cap also bounds how long one batch holds the loop: about 25 ms.
MAX_BATCH = 256
# An item of a grouped write (an answer click) costs about a quarter of a plain write, so a batch holds
# four times as many: fewer commits in a burst for the same time on the loop.
GROUPED_ITEMS_PER_WRITE = 4


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
        _refuse_foreign(connection, version)
        if version < SCHEMA_VERSION:
            register_functions(connection)
        for number in range(version, SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[number]):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {number + 1}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _refuse_foreign(connection: sqlite3.Connection, version: int) -> None:
    """Refuse a file that holds another program's tables: migrating it would add ours beside them."""
    tables = sorted(
        row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    )
    if (version == 0 and tables) or (version > 0 and "people" not in tables):
        path = connection.execute("PRAGMA database_list").fetchone()[2]
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise ForeignDatabaseError(
            f"{path} is not a recsys-quiz database: it holds other tables ({shown}) and no recsys-quiz schema, so it was left "
            "unchanged. Point RECSYS_QUIZ_DB (or --db) at a recsys-quiz database or a new file"
        )


class _TransactionLost(Exception):
    """SQLite rolled the whole transaction back (disk full, I/O error): nothing in the batch survives."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class _GroupCommitWriter:
    """Runs queued writes in shared transactions on the event loop, committing in a helper thread.

    Each write runs inside its own SAVEPOINT (a failing one is undone alone); the batch then
    commits once, and only after that commit is each caller's future resolved, so no reply is ever
    produced before its write is on disk. While one batch's COMMIT (the fsync) runs in the helper
    thread, the next batch queues up: thousands of concurrent answers become a few dozen fsyncs a
    second. The statements themselves run on the loop's thread because they take microseconds, and
    handing the interpreter lock back and forth between threads for each of them cost more than
    the statements did. BEGIN also runs in the helper thread: it may wait for another process.

    A grouped write (`submit_grouped`) is one item of a kind that is cheaper done many at a time:
    consecutive items of the same group run in one call with one savepoint, and if that call fails
    each of them runs again alone, so one bad item still fails by itself.
    """

    def __init__(self, connection: sqlite3.Connection, loop: asyncio.AbstractEventLoop) -> None:
        self._connection = connection
        self._loop = loop
        self._pending: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recsys-quiz-commit")

    def submit(self, function: WriteFunction[T]) -> asyncio.Future[T]:
        return self._queue(None, function)

    def submit_grouped(self, group: GroupFunction[I, T], item: I) -> asyncio.Future[T]:
        """Queue one item for `group`, which gets every consecutive item of its kind as a list and returns one result each."""
        return self._queue(group, item)

    def _queue(self, group: GroupFunction[Any, Any] | None, payload: Any) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = self._loop.create_future()
        self._pending.append((group, payload, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = self._loop.create_task(self._flush())
        return future

    async def aclose(self) -> None:
        if self._flusher is not None:
            await asyncio.shield(self._flusher)
        await self._loop.run_in_executor(self._io, self._connection.close)
        self._io.shutdown(wait=True)

    async def _flush(self) -> None:
        while self._pending:
            size = _batch_size(self._pending)
            batch, self._pending = self._pending[:size], self._pending[size:]
            try:
                await self._loop.run_in_executor(self._io, self._connection.execute, "BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                log.error("cannot start a write transaction: %s", error)
                _settle([(future, None, error) for _, _, future in batch])
                continue
            try:
                outcomes = self._run(batch)
                outcomes = await self._loop.run_in_executor(self._io, self._commit, outcomes)
            except BaseException as error:  # never leave callers waiting
                if isinstance(error, _TransactionLost):
                    log.error("a write failed and took its transaction with it: %s", error)
                    error = error.error
                else:
                    log.exception("write batch failed")
                outcomes = [(future, None, error) for _, _, future in batch]
                with contextlib.suppress(sqlite3.Error):
                    if self._connection.in_transaction:
                        await self._loop.run_in_executor(self._io, self._connection.execute, "ROLLBACK")
            _settle(outcomes)

    def _run(self, batch: list[_Pending]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        start = 0
        while start < len(batch):
            group = batch[start][0]
            end = start + 1
            if group is not None:
                while end < len(batch) and batch[end][0] is group:
                    end += 1
            outcomes.extend(self._run_chunk(batch[start:end]))
            start = end
        return outcomes

    def _run_chunk(self, chunk: list[_Pending]) -> list[Outcome]:
        """One plain write, or consecutive items of one group, in a savepoint of their own."""
        db = self._connection
        group = chunk[0][0]
        try:
            db.execute("SAVEPOINT write")
            if group is None:
                results = [chunk[0][1](db)]
            else:
                results = group(db, [payload for _, payload, _ in chunk])
                if len(results) != len(chunk):
                    raise RuntimeError(f"a grouped write returned {len(results)} results for {len(chunk)} items")
            db.execute("RELEASE write")
        except Exception as error:  # the caller gets it; the rest of the batch goes on
            try:
                db.execute("ROLLBACK TO write")
                db.execute("RELEASE write")
            except sqlite3.Error:
                raise _TransactionLost(error) from error
            if len(chunk) > 1:  # find the item that failed: each runs again alone
                return [outcome for item in chunk for outcome in self._run_chunk([item])]
            return [(chunk[0][2], None, error)]
        return [(future, result, None) for (_, _, future), result in zip(chunk, results, strict=True)]

    def _commit(self, outcomes: list[Outcome]) -> list[Outcome]:
        db = self._connection
        if not db.in_transaction:  # rolled back by SQLite inside _run
            return outcomes
        try:
            db.execute("COMMIT")
        except sqlite3.Error as error:
            log.error("commit of %d writes failed, none recorded: %s", len(outcomes), error)
            if db.in_transaction:
                db.execute("ROLLBACK")
            return [(future, None, error) for future, _, _ in outcomes]
        return outcomes


Outcome = tuple[asyncio.Future[Any], Any, BaseException | None]
# (group or None for a plain write function, the item or the function, the caller's future)
_Pending = tuple["GroupFunction[Any, Any] | None", Any, asyncio.Future[Any]]


def _batch_size(pending: list[_Pending]) -> int:
    """How many of the queued writes the next batch takes: MAX_BATCH plain writes' worth."""
    budget = MAX_BATCH * GROUPED_ITEMS_PER_WRITE
    for index, (group, _, _) in enumerate(pending):
        budget -= GROUPED_ITEMS_PER_WRITE if group is None else 1
        if budget < 0:
            return max(index, 1)
    return len(pending)


def _settle(outcomes: Iterable[Outcome]) -> None:
    for future, result, error in outcomes:
        if future.cancelled():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


class _Reader:
    """A reader connection served by a thread of its own: in WAL mode reads never wait for the writer, and the
    queries of one call run in one hop to the thread (each hop costs ~0.15 ms, and a board or stats call that
    made one per query paid for it up to eight times, and caught the thread-scheduling spikes of each).

    A plain queue and call_soon_threadsafe: with 10,000 reads queued at once this costs ~30 us a read, where
    run_in_executor's future chaining cost ~110 us and aiosqlite's ~55 us.
    """

    def __init__(self, connection: sqlite3.Connection, loop: asyncio.AbstractEventLoop) -> None:
        self._connection = connection
        self._loop = loop
        self._requests: queue.SimpleQueue[tuple[asyncio.Future[Any], Callable[[sqlite3.Connection], Any]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="recsys-quiz-read", daemon=True)
        self._thread.start()
        self._closed = False

    def run(self, function: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        if self._closed:  # the thread is gone: a queued read would never be answered
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        future: asyncio.Future[T] = self._loop.create_future()
        self._requests.put((future, function))
        return future

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._requests.put(None)  # after the reads already queued
        await asyncio.to_thread(self._thread.join)

    def _serve(self) -> None:
        while (request := self._requests.get()) is not None:
            future, function = request
            try:
                result = function(self._connection)
            except BaseException as error:  # the caller gets it; the thread goes on
                self._loop.call_soon_threadsafe(_fail, future, error)
            else:
                self._loop.call_soon_threadsafe(_succeed, future, result)
        self._connection.close()


def _succeed(future: asyncio.Future[T], result: T) -> None:
    if not future.cancelled():
        future.set_result(result)


def _fail(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.cancelled():
        future.set_exception(error)


class StoreBase:
    """One SQLite file in WAL mode: a group-commit writer connection and a reader connection, each with its thread."""

    def __init__(self, path: Path, writer: _GroupCommitWriter, reader: _Reader) -> None:
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
                # FULL: a committed answer survives a power cut as well as a crash; group commit pays for the fsync.
                connection.execute("PRAGMA synchronous = FULL")
                _migrate(connection)  # first: a file it refuses keeps its journal mode too
                connection.execute("PRAGMA journal_mode = WAL")
            except BaseException:
                connection.close()
                raise
            return connection

        connection = await loop.run_in_executor(None, connect_writer)
        writer = _GroupCommitWriter(connection, loop)
        try:
            reader = _Reader(sqlite3.connect(path, isolation_level=None, check_same_thread=False), loop)
            await reader.run(_configure)
        except BaseException:
            await writer.aclose()
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        await self._reader.aclose()
        await self._writer.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def _write(self, function: WriteFunction[T]) -> T:
        """Run a write function in the writer thread; returns once its transaction has committed."""
        return await self._writer.submit(function)

    async def _write_grouped(self, group: GroupFunction[I, T], item: I) -> T:
        """Queue an item of a grouped write; returns its result once the batch holding it has committed."""
        return await self._writer.submit_grouped(group, item)

    async def _read(self, function: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read function (any number of queries) in the reader's thread, in one hop."""
        return await self._reader.run(function)

    async def _changed(self, sql: str, parameters: Iterable[Any] = ()) -> int:
        """Run one statement in the writer; the rows it changed."""
        values = tuple(parameters)
        return await self._write(lambda db: db.execute(sql, values).rowcount)

    async def _fetchone(self, sql: str, parameters: Iterable[Any] = ()) -> sqlite3.Row | None:
        values = tuple(parameters)
        return await self._read(lambda db: db.execute(sql, values).fetchone())

    async def _fetchall(self, sql: str, parameters: Iterable[Any] = ()) -> list[sqlite3.Row]:
        values = tuple(parameters)
        return await self._read(lambda db: db.execute(sql, values).fetchall())

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
        """The person's id, creating the person or refreshing their display name (grouped with others queued)."""
        return await self._write_grouped(upsert_people, (origin.platform, origin.space_id, origin.user_id, origin.name, at))


def upsert_people(db: sqlite3.Connection, people: list[tuple[str, str, str, str, int]]) -> list[int]:
    """Upsert people (platform, space, user, name, at), without a savepoint each; their ids in order.

    Most are known with the same name (a channel answering its daily post): they are read in one query and
    not written. The others are upserted one by one, their text bound as parameters: SQLite's JSON functions
    cut a string at a NUL, so the lookup's matches are checked against the stored values, and a key that
    JSON mangled finds no match and is upserted like a new person.
    """
    keys = json.dumps([person[:3] for person in people])
    known: dict[tuple[str, str, str], tuple[int, str]] = {
        (row[1], row[2], row[3]): (row[0], row[4])
        for row in db.execute(
            """SELECT p.person_id, p.platform, p.space_id, p.user_id, p.display_name FROM json_each(?) AS j
               JOIN people AS p ON p.platform = j.value ->> 0 AND p.space_id = j.value ->> 1 AND p.user_id = j.value ->> 2""",
            (keys,),
        )
    }
    ids: list[int] = []
    for person in people:
        identity = person[:3]
        found = known.get(identity)
        if found is None or found[1] != person[3]:
            person_id = int(
                db.execute(
                    """INSERT INTO people (platform, space_id, user_id, display_name, created_at) VALUES (?, ?, ?, ?, ?)
                       ON CONFLICT (platform, space_id, user_id) DO UPDATE SET display_name = excluded.display_name
                       RETURNING person_id""",
                    person,
                ).fetchone()[0]
            )
            found = known[identity] = (person_id, person[3])
        ids.append(found[0])
    return ids
