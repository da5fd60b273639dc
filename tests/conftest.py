"""Shared fixtures: the shipped decks, a real store on SQLite and on PostgreSQL (the same tests run on both), an engine over it.

PostgreSQL: the server at RECSYS_QUIZ_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres, as the
project's machines and CI run it). Each test session creates its own database there, migrates it once, empties it
between tests (TRUNCATE ... RESTART IDENTITY: ids start at 1 as on a new SQLite file) and drops it at the end.
Without a server the PostgreSQL half is skipped with one line saying how to run it; with
RECSYS_QUIZ_TEST_PG=required (as .ci/run sets it) a missing server fails the run instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.config import parse_database
from bot.content import DeckLibrary, default_content_dir, load_decks
from bot.engine import QuizEngine
from bot.names import _cleaned
from bot.origin import Origin
from bot.runtime import open_store
from bot.store import Store
from bot.teams import _letter_key, _prototypes
from bot.windows import period_keys

# Caches in front of code that mutation testing mutates (README: Mutation testing).
CACHES_OVER_MUTATED_CODE = (period_keys, _cleaned, _letter_key, _prototypes)

PG_ADMIN_URL = os.environ.get("RECSYS_QUIZ_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_REQUIRED = os.environ.get("RECSYS_QUIZ_TEST_PG") == "required"
PG_SKIPPED = (
    f"PostgreSQL tests skipped: no server answers at {PG_ADMIN_URL}. To run them, start PostgreSQL 15 there "
    "(trust auth for user postgres; .ci/run installs and starts one) or point RECSYS_QUIZ_TEST_PG_URL at a server; "
    "RECSYS_QUIZ_TEST_PG=required turns this skip into a failure"
)
# Every table of the schema but the version table, emptied between tests.
PG_TABLES = (
    "people, runs, answers, first_answers, score_totals, teams, team_members, team_member_periods, team_totals, "
    "daily_channels, daily_posts, daily_answers, points_histogram, daily_anonymous_answers, forget_notices, digest_channels, "
    "digest_posts, study_cards, study_reviews, written_answers, study_plans, study_reminders"
)
BACKENDS = ("sqlite", "postgresql")
# Set while mutmut maps the tests, after the variable below is taken out of the environment.
_MAPPING_FOR_MUTMUT = False


def under_mutmut() -> bool:
    """mutmut sets MUTANT_UNDER_TEST: a mutant's name, or "stats" while it maps which tests reach which function.

    Read at each use, not at import: mutmut's fork server imports this file before any mutant is chosen.
    """
    return "MUTANT_UNDER_TEST" in os.environ or _MAPPING_FOR_MUTMUT


def pytest_configure(config: pytest.Config) -> None:
    """While mutmut maps the tests, the processes a test starts run the code as written, not in mapping mode.

    In mapping mode mutmut's code loads its configuration from the working directory, and a `recsys-quiz` started in
    a test's temporary folder finds none there and exits ("Could not figure out where the code to mutate is"); what a
    child reaches cannot be mapped anyway, as the map lives in the test process. Taking the variable out of the
    environment leaves this process mapping (mutmut keeps its own copy of the mode, read when the variable is
    missing) and the children with no mutant. Under a mutant's run the variable stays, so the children load it too.
    """
    global _MAPPING_FOR_MUTMUT
    if os.environ.get("MUTANT_UNDER_TEST") == "stats":
        del os.environ["MUTANT_UNDER_TEST"]
        _MAPPING_FOR_MUTMUT = True


class FakeClock:
    """A clock the test moves by hand (seconds since the epoch)."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


async def _pg_admin(*statements: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@dataclass
class PostgresServer:
    """The test session's databases on the PostgreSQL server: made on demand, dropped when the session ends."""

    prefix: str = field(default_factory=lambda: f"recsys_quiz_test_{os.getpid()}_{uuid.uuid4().hex[:6]}")
    made: list[str] = field(default_factory=list)

    async def create(self) -> str:
        name = f"{self.prefix}_{len(self.made)}"
        self.made.append(name)
        await _pg_admin(f'CREATE DATABASE "{name}"')
        return _pg_url(name)

    def drop_all(self) -> None:
        asyncio.run(_pg_admin(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in self.made)))


def _pg_problem() -> str | None:
    """Why the test server cannot be used, or None when it answers."""
    try:
        asyncio.run(_pg_admin("SELECT 1"))
    except Exception as error:  # refused, timed out, no such user: the server is not usable here
        return f"{type(error).__name__}: {error}"
    return None


def _on_postgres(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("database") == "postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a server, leave the PostgreSQL half out and say so once (pytest_terminal_summary), unless it is required.

    Under mutmut the PostgreSQL half runs last, and each half from its fastest test up: a mutant's tests stop at the
    first failure, so a mutant that a quick SQLite test kills never pays for the slow tests or for making and
    migrating the session's PostgreSQL database.
    """
    if under_mutmut():
        seconds = _durations_under_mutmut()
        items.sort(key=lambda item: (_on_postgres(item), seconds.get(item.nodeid, 0.0)))
    postgres = [item for item in items if _on_postgres(item)]
    if not postgres or PG_REQUIRED or _pg_problem() is None:
        return
    items[:] = [item for item in items if not _on_postgres(item)]
    config.hook.pytest_deselected(items=postgres)
    config.stash[_SKIPPED_KEY] = len(postgres)


_SKIPPED_KEY = pytest.StashKey[int]()


def _durations_under_mutmut() -> dict[str, float]:
    """Each test's duration as mutmut measured it (its stats file, in the directory it runs the tests from); {} if unread."""
    try:
        with open("mutmut-stats.json", encoding="utf-8") as stats:
            durations = json.load(stats)["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return {}
    return {str(test): float(seconds) for test, seconds in durations.items()}


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    skipped = config.stash.get(_SKIPPED_KEY, 0)
    if skipped:
        terminalreporter.write_line(f"{skipped} {PG_SKIPPED}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    problem = _pg_problem()
    if problem is not None:
        pytest.fail(f"no PostgreSQL answers at {PG_ADMIN_URL} (RECSYS_QUIZ_TEST_PG_URL): {problem}", pytrace=False)
    server = PostgresServer()
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def postgres_shared(postgres_server: PostgresServer) -> str:
    """The session's main database, migrated once; each test that uses it finds it empty."""

    async def make() -> str:
        url = await postgres_server.create()
        store = await open_store(parse_database(url))
        await store.close()
        return url

    return asyncio.run(make())


@dataclass
class QuizDatabase:
    """One test's database, SQLite file or PostgreSQL database: its RECSYS_QUIZ_DB value, and raw SQL for checks.

    SQL is written with SQLite's `?` placeholders and runs on either (they become $1, $2, ... on PostgreSQL).
    """

    kind: str
    url: str  # the RECSYS_QUIZ_DB value

    async def open(self) -> Store:
        return await open_store(parse_database(self.url))

    async def rows(self, sql: str, *parameters: Any) -> list[tuple[Any, ...]]:
        if self.kind == "sqlite":
            connection = sqlite3.connect(self.url)
            try:
                return [tuple(row) for row in connection.execute(sql, parameters).fetchall()]
            finally:
                connection.close()
        import asyncpg

        numbered = iter(range(1, 1000))
        connection = await asyncpg.connect(self.url, timeout=5)
        try:
            return [tuple(row) for row in await connection.fetch(re.sub(r"\?", lambda _: f"${next(numbered)}", sql), *parameters)]
        finally:
            await connection.close()

    async def value(self, sql: str, *parameters: Any) -> Any:
        rows = await self.rows(sql, *parameters)
        return rows[0][0] if rows else None

    async def execute(self, *statements: str) -> None:
        """Run statements (no parameters) in one transaction."""
        if self.kind == "sqlite":
            connection = sqlite3.connect(self.url, isolation_level=None)
            try:
                connection.execute("BEGIN")
                for statement in statements:
                    connection.execute(statement)
                connection.execute("COMMIT")
            finally:
                connection.close()
            return
        import asyncpg

        connection = await asyncpg.connect(self.url, timeout=5)
        try:
            async with connection.transaction():
                for statement in statements:
                    await connection.execute(statement)
        finally:
            await connection.close()

    async def counts(self, tables: tuple[str, ...]) -> dict[str, int]:
        """Rows per table, read in one query."""
        (row,) = await self.rows("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {table})" for table in tables))
        return dict(zip(tables, map(int, row), strict=True))


@pytest.fixture(autouse=True)
def empty_caches_under_mutmut() -> Iterator[None]:
    """Under mutmut (which sets MUTANT_UNDER_TEST) every test starts with these caches empty.

    Otherwise mutmut credits a cached function only to the first test that filled its cache, and runs no other test
    against that function's mutants. Outside mutmut the caches are left alone, as in production.
    """
    if under_mutmut():
        for cached in CACHES_OVER_MUTATED_CODE:
            cached.cache_clear()
    yield


@pytest.fixture(scope="session")
def decks() -> DeckLibrary:
    return load_decks(default_content_dir())


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A SQLite file for the tests that are about SQLite itself (and the adapters' tests, which run on SQLite)."""
    return tmp_path / "quiz.db"


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, db_path: Path) -> QuizDatabase:
    """The test's database, once on SQLite and once on PostgreSQL: the contract every store keeps."""
    if request.param == "sqlite":
        return QuizDatabase("sqlite", str(db_path))
    url = request.getfixturevalue("postgres_shared")
    asyncio.run(_truncate(url))
    return QuizDatabase("postgresql", url)


async def _truncate(url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url, timeout=5)
    try:
        await connection.execute(f"TRUNCATE {PG_TABLES} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


@pytest.fixture
def new_database(database: QuizDatabase, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[], Awaitable[QuizDatabase]]:
    """Another empty database of the same kind as `database`, for tests that compare two or watch one being made."""
    made = iter(range(1_000))
    server: PostgresServer | None = request.getfixturevalue("postgres_server") if database.kind == "postgresql" else None

    async def make() -> QuizDatabase:
        if server is None:
            return QuizDatabase("sqlite", str(tmp_path / f"other-{next(made)}.db"))
        return QuizDatabase("postgresql", await server.create())

    return make


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(database: QuizDatabase) -> AsyncIterator[Store]:
    opened = await database.open()
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def engine(store: Store, decks: DeckLibrary, clock: FakeClock) -> QuizEngine:
    return QuizEngine(store, decks, clock=clock, rng=random.Random(7))


def person(user_id: str = "u1", name: str | None = None, platform: str = "console", space: str = "local") -> Origin:
    return Origin(platform=platform, space_id=space, user_id=user_id, display_name=name or user_id)
