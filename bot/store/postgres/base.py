"""The PostgreSQL store's base: a pool with timeouts, migrations under an advisory lock, a group-commit writer, people."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Self, TypeVar

import asyncpg

from bot.config import shown_url
from bot.origin import Origin
from bot.store.errors import DatabaseUnavailableError, ForeignDatabaseError, SchemaTooNewError
from bot.store.postgres.migrations import MIGRATIONS, SCHEMA_VERSION, VERSION_TABLE

log = logging.getLogger(__name__)

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - the item of a grouped write
Connection = asyncpg.Connection
WriteFunction = Callable[[Connection], Awaitable[T]]
GroupFunction = Callable[[Connection, list[I]], Awaitable[list[T]]]

CONNECT_TIMEOUT = 10.0  # seconds to open a connection: an unreachable server fails the start, not hangs it
COMMAND_TIMEOUT = 30.0  # seconds a statement may run before asyncpg cancels it
POOL_MIN, POOL_MAX = 1, 8  # per process: many processes share one server's max_connections (100 by default)
SERVER_SETTINGS = {
    "application_name": "recsys-quiz",
    "lock_timeout": "10s",  # as SQLite's busy timeout: a row held too long fails the write instead of hanging it
    "idle_in_transaction_session_timeout": "60s",  # a process that died mid-transaction gives its locks back
}
MAX_BATCH = 1024  # writes per transaction, as SQLite's writer takes (grouped items count one each)
RETRIES = 5  # a batch that lost a deadlock to another process's batch is run again from the start
MIGRATION_LOCK = 0x72_65_63_73_71_75_69_7A  # pg_advisory_xact_lock key ("recsquiz"): one process migrates at a time
RETRYABLE = (asyncpg.exceptions.DeadlockDetectedError, asyncpg.exceptions.SerializationError)


def numbered(sql: str) -> str:
    """SQLite's `?` placeholders as PostgreSQL's $1, $2, ...: for the SQL both stores share."""
    parts = sql.split("?")
    return "".join(part + (f"${i}" if i < len(parts) else "") for i, part in enumerate(parts, start=1))


def status_count(status: str) -> int:
    """Rows a command touched, from asyncpg's status string ('UPDATE 1' -> 1)."""
    return int(status.rsplit(" ", 1)[-1])


async def _migrate(connection: Connection, where: str) -> None:
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        known = await connection.fetchval("SELECT to_regclass($1) IS NOT NULL", VERSION_TABLE)
        if not known:
            tables = [
                row[0]
                for row in await connection.fetch(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name"
                )
            ]
            if tables:
                shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
                raise ForeignDatabaseError(
                    f"{where} is not a recsys-quiz database: it holds other tables ({shown}) and no recsys-quiz schema, so it was "
                    "left unchanged. Point RECSYS_QUIZ_DB at a recsys-quiz database or an empty one"
                )
            await connection.execute(f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)")
            await connection.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (0)")
        version = int(await connection.fetchval(f"SELECT version FROM {VERSION_TABLE}"))
        if version > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"database schema version {version} is newer than this recsys-quiz knows ({SCHEMA_VERSION}): upgrade recsys-quiz"
            )
        for number in range(version, SCHEMA_VERSION):
            step = MIGRATIONS[number]
            if isinstance(step, str):
                await connection.execute(step)  # one simple-query call runs the whole script
            else:
                await step(connection)
            await connection.execute(f"UPDATE {VERSION_TABLE} SET version = $1", number + 1)


async def connect_pool(url: str, *, min_size: int = POOL_MIN, max_size: int = POOL_MAX) -> asyncpg.Pool:
    """A pool on the database at `url`; DatabaseUnavailableError, saying why in one line, when it cannot be had."""
    where = shown_url(url)
    try:
        return await asyncpg.create_pool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=CONNECT_TIMEOUT,
            command_timeout=COMMAND_TIMEOUT,
            server_settings=SERVER_SETTINGS,
        )
    except asyncpg.exceptions.InvalidPasswordError:
        reason = "the server refused the password (or the user needs one)"
    except asyncpg.exceptions.InvalidAuthorizationSpecificationError as error:
        reason = f"the server refused the user: {error}"
    except asyncpg.exceptions.InvalidCatalogNameError:
        reason = "the database does not exist (create it first, e.g. `createdb`)"
    except (TimeoutError, OSError) as error:
        reason = f"cannot connect to the server ({error or 'timed out'})"
    except (asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as error:
        reason = f"{type(error).__name__}: {error}"
    raise DatabaseUnavailableError(f"cannot use the PostgreSQL database {where}: {reason}. Check RECSYS_QUIZ_DB")


class _Writer:
    """Runs queued writes in shared transactions, one batch at a time, each in a savepoint of its own.

    As SQLite's writer does: what queues up while a batch commits goes into the next batch, so a burst of
    answers commits a few times a second instead of once per answer, and the hot rows every answer touches
    (a board's histogram) are locked once per batch. A batch that loses a deadlock to another process's
    batch is rolled back whole and run again; only then is any caller's future resolved.
    """

    def __init__(self, pool: asyncpg.Pool, loop: asyncio.AbstractEventLoop) -> None:
        self._pool = pool
        self._loop = loop
        self._pending: list[tuple[Any, Any, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    def submit(self, function: WriteFunction[T]) -> asyncio.Future[T]:
        return self._queue(None, function)

    def submit_grouped(self, group: GroupFunction[I, T], item: I) -> asyncio.Future[T]:
        return self._queue(group, item)

    def _queue(self, group: Any, payload: Any) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = self._loop.create_future()
        self._pending.append((group, payload, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = self._loop.create_task(self._flush())
        return future

    async def aclose(self) -> None:
        if self._flusher is not None:
            await asyncio.shield(self._flusher)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]]
            for attempt in range(RETRIES):
                try:
                    async with self._pool.acquire() as connection, connection.transaction():
                        outcomes = await self._run(connection, batch)
                    break
                except RETRYABLE as error:
                    if attempt == RETRIES - 1:
                        outcomes = [(future, None, error) for _, _, future in batch]
                    else:
                        log.info("write batch lost a deadlock to another process; running it again")
                        await asyncio.sleep(random.uniform(0.001, 0.01) * (attempt + 1))
                except Exception as error:  # never leave callers waiting
                    log.error("write batch failed, none recorded: %s", error)
                    outcomes = [(future, None, error) for _, _, future in batch]
                    break
            for future, result, failure in outcomes:
                if future.cancelled():
                    continue
                if failure is not None:
                    future.set_exception(failure)
                else:
                    future.set_result(result)

    async def _run(self, connection: Connection, batch: list[tuple[Any, Any, asyncio.Future[Any]]]) -> list[Any]:
        outcomes: list[Any] = []
        start = 0
        while start < len(batch):
            group = batch[start][0]
            end = start + 1
            if group is not None:
                while end < len(batch) and batch[end][0] is group:
                    end += 1
            outcomes.extend(await self._run_chunk(connection, batch[start:end]))
            start = end
        return outcomes

    async def _run_chunk(self, connection: Connection, chunk: list[tuple[Any, Any, asyncio.Future[Any]]]) -> list[Any]:
        """One plain write, or consecutive items of one group, in a savepoint: a failing one is undone alone."""
        group = chunk[0][0]
        try:
            async with connection.transaction():  # nested: a savepoint
                if group is None:
                    results = [await chunk[0][1](connection)]
                else:
                    results = await group(connection, [payload for _, payload, _ in chunk])
                    if len(results) != len(chunk):
                        raise RuntimeError(f"a grouped write returned {len(results)} results for {len(chunk)} items")
        except RETRYABLE:
            raise  # the whole batch runs again
        except (asyncpg.InterfaceError, OSError):
            raise  # the connection is gone: nothing of the batch can commit
        except Exception as error:
            if len(chunk) > 1:  # find the item that failed: each runs again alone
                return [outcome for item in chunk for outcome in await self._run_chunk(connection, [item])]
            return [(chunk[0][2], None, error)]
        return [(future, result, None) for (_, _, future), result in zip(chunk, results, strict=True)]


class PostgresBase:
    """A pool of connections to one PostgreSQL database, a group-commit writer over it, and the people in it."""

    def __init__(self, url: str, pool: asyncpg.Pool, writer: _Writer) -> None:
        self.path = shown_url(url)  # what messages name, as SQLiteStore.path
        self._pool = pool
        self._writer = writer

    @classmethod
    async def open(cls, url: str) -> Self:
        """Connect and migrate; DatabaseUnavailableError, ForeignDatabaseError or SchemaTooNewError when it cannot be used."""
        pool = await connect_pool(url)
        try:
            async with pool.acquire() as connection:
                await _migrate(connection, shown_url(url))
        except BaseException:
            await pool.close()
            raise
        return cls(url, pool, _Writer(pool, asyncio.get_running_loop()))

    async def close(self) -> None:
        await self._writer.aclose()
        await self._pool.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def _write(self, function: WriteFunction[T]) -> T:
        """Run a write function in the writer's next transaction; returns once it has committed."""
        return await self._writer.submit(function)

    async def _write_grouped(self, group: GroupFunction[I, T], item: I) -> T:
        return await self._writer.submit_grouped(group, item)

    async def _read(self, function: Callable[[Connection], Awaitable[T]]) -> T:
        """Run a read function (any number of queries) on one pooled connection."""
        async with self._pool.acquire() as connection:
            return await function(connection)

    async def _fetchone(self, sql: str, *parameters: Any) -> asyncpg.Record | None:
        return await self._pool.fetchrow(sql, *parameters)

    async def _fetchall(self, sql: str, *parameters: Any) -> list[asyncpg.Record]:
        return await self._pool.fetch(sql, *parameters)

    async def schema_version(self) -> int:
        return int(await self._pool.fetchval(f"SELECT version FROM {VERSION_TABLE}"))

    # People -------------------------------------------------------------------------------------

    async def person_id(self, origin: Origin) -> int | None:
        """The person's id, without creating one (a foreign click must change nothing)."""
        value = await self._pool.fetchval(
            "SELECT person_id FROM people WHERE platform = $1 AND space_id = $2 AND user_id = $3",
            origin.platform,
            origin.space_id,
            origin.user_id,
        )
        return int(value) if value is not None else None

    async def ensure_person(self, origin: Origin, at: int) -> int:
        """The person's id, creating the person or refreshing their display name (grouped with others queued)."""
        return await self._write_grouped(upsert_people, (origin.platform, origin.space_id, origin.user_id, origin.name, at))


Person = tuple[str, str, str, str, int]  # (platform, space id, user id, display name, at)


async def upsert_people(db: Connection, people: list[Person]) -> list[int]:
    """Upsert people, their ids in order: the known ones with the same name are read, not written.

    Only new people and changed names are written, in one statement, each identity once (its last name in
    the batch wins, as one by one).
    """
    identities = list(dict.fromkeys(person[:3] for person in people))
    known: dict[tuple[str, str, str], tuple[int, str]] = {
        (row[1], row[2], row[3]): (row[0], row[4])
        for row in await db.fetch(
            """SELECT p.person_id, p.platform, p.space_id, p.user_id, p.display_name
               FROM unnest($1::text[], $2::text[], $3::text[]) AS k (platform, space_id, user_id)
               JOIN people AS p USING (platform, space_id, user_id)""",
            *_columns(identities, 3),
        )
    }
    latest: dict[tuple[str, str, str], Person] = {person[:3]: person for person in people}
    # In order of arrival, so new people get their ids in the order they came, as on SQLite (an insert order that
    # differs from another process's can deadlock on the unique key; the writer then runs the batch again).
    changed = [latest[identity] for identity in identities if known.get(identity, (0, None))[1] != latest[identity][3]]
    if changed:
        for row in await db.fetch(
            """INSERT INTO people (platform, space_id, user_id, display_name, created_at)
               SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
               ON CONFLICT (platform, space_id, user_id) DO UPDATE SET display_name = excluded.display_name
               RETURNING person_id, platform, space_id, user_id, display_name""",
            *_columns(changed, 5),
        ):
            known[(row[1], row[2], row[3])] = (row[0], row[4])
    return [known[person[:3]][0] for person in people]


def _columns(rows: Iterable[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows as `width` column lists: the arrays unnest() turns back into rows, one parameter per column."""
    columns: list[list[Any]] = [[] for _ in range(width)]
    for row in rows:
        for column, value in zip(columns, row, strict=False):
            column.append(value)
    return columns


async def lock_people(db: Connection, person_ids: Iterable[int]) -> None:
    """Lock the people's rows until the transaction ends, in id order (so processes never wait on each other in a
    circle): everything one person's answers decide (answered once, first answers, totals) is then read and written
    by one process at a time."""
    await db.execute("SELECT 1 FROM people WHERE person_id = ANY($1::bigint[]) ORDER BY person_id FOR UPDATE", sorted(set(person_ids)))
