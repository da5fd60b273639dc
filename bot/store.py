"""The SQLite store: the only module that knows SQL (aiosqlite, WAL, migrations by PRAGMA user_version)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

import aiosqlite
from pydantic import BaseModel, ConfigDict

from bot.origin import Origin

# Each entry moves the schema from version N to N+1; never edit a shipped one, append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE people (
        person_id    INTEGER PRIMARY KEY,
        platform     TEXT NOT NULL,
        space_id     TEXT NOT NULL,
        user_id      TEXT NOT NULL,
        display_name TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        UNIQUE (platform, space_id, user_id)
    );
    CREATE TABLE runs (
        run_id       INTEGER PRIMARY KEY,
        person_id    INTEGER NOT NULL REFERENCES people (person_id),
        deck_id      TEXT NOT NULL,
        deck_version INTEGER NOT NULL,
        plan         TEXT NOT NULL,  -- JSON list of {"question": id, "order": [option keys as shown]}
        started_at   INTEGER NOT NULL,
        finished_at  INTEGER
    );
    -- At most one unfinished run per person and deck, so two racing starts resume the same run.
    CREATE UNIQUE INDEX runs_one_open_per_deck ON runs (person_id, deck_id) WHERE finished_at IS NULL;
    CREATE TABLE answers (
        answer_id    INTEGER PRIMARY KEY,
        run_id       INTEGER NOT NULL REFERENCES runs (run_id),
        position     INTEGER NOT NULL,
        person_id    INTEGER NOT NULL REFERENCES people (person_id),
        deck_id      TEXT NOT NULL,
        question_id  TEXT NOT NULL,
        option_key   TEXT NOT NULL,
        correct      INTEGER NOT NULL,
        points       INTEGER NOT NULL,
        answered_at  INTEGER NOT NULL,
        UNIQUE (run_id, position)  -- an answer is recorded once, whatever clicks or retries arrive
    );
    CREATE INDEX answers_by_person ON answers (person_id, deck_id, question_id);
    -- The first answer a person ever gives to a question: the only one that can score.
    CREATE TABLE first_answers (
        person_id   INTEGER NOT NULL,
        deck_id     TEXT NOT NULL,
        question_id TEXT NOT NULL,
        answer_id   INTEGER NOT NULL REFERENCES answers (answer_id),
        PRIMARY KEY (person_id, deck_id, question_id)
    ) WITHOUT ROWID;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class PlanStep(_Record):
    """One question of a run and the order its options are shown in."""

    question: str
    order: tuple[str, ...]


class Run(_Record):
    run_id: int
    person_id: int
    deck_id: str
    deck_version: int
    plan: tuple[PlanStep, ...]
    started_at: int
    finished_at: int | None


class Answer(_Record):
    run_id: int
    position: int
    question_id: str
    option_key: str
    correct: bool
    points: int
    answered_at: int


class AnswerOutcome(_Record):
    """What recording an answer did: `recorded`, or why not (the existing answer when there is one)."""

    status: Literal["recorded", "already_answered", "not_current"]
    answer: Answer | None


class BoardRow(_Record):
    rank: int
    person_id: int
    user_id: str
    display_name: str
    points: int


class QuestionTally(_Record):
    deck_id: str
    question_id: str
    answered: int
    correct: int


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer version of recsys-quiz."""


def _run_from_row(row: sqlite3.Row) -> Run:
    plan = tuple(PlanStep.model_validate(step) for step in json.loads(row["plan"]))
    return Run(
        run_id=row["run_id"],
        person_id=row["person_id"],
        deck_id=row["deck_id"],
        deck_version=row["deck_version"],
        plan=plan,
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


def _answer_from_row(row: sqlite3.Row) -> Answer:
    return Answer(
        run_id=row["run_id"],
        position=row["position"],
        question_id=row["question_id"],
        option_key=row["option_key"],
        correct=bool(row["correct"]),
        points=row["points"],
        answered_at=row["answered_at"],
    )


async def _connect(path: Path) -> aiosqlite.Connection:
    # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), never opened behind our back.
    connection = await aiosqlite.connect(path, isolation_level=None)
    connection.row_factory = sqlite3.Row
    await connection.execute("PRAGMA busy_timeout = 10000")  # another process may hold the write lock
    await connection.execute("PRAGMA foreign_keys = ON")
    return connection


class SQLiteStore:
    """Runs, answers and people in one SQLite file: one writer connection, one reader connection."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        # One connection cannot hold two transactions: write transactions of concurrent tasks take turns.
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> SQLiteStore:
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

    async def __aenter__(self) -> SQLiteStore:
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

    # Runs ---------------------------------------------------------------------------------------

    async def open_run(self, person_id: int, deck_id: str) -> Run | None:
        async with self._reader.execute(
            "SELECT * FROM runs WHERE person_id = ? AND deck_id = ? AND finished_at IS NULL", (person_id, deck_id)
        ) as cursor:
            row = await cursor.fetchone()
        return _run_from_row(row) if row else None

    async def start_run(self, person_id: int, deck_id: str, deck_version: int, plan: Sequence[PlanStep], at: int) -> tuple[Run, bool]:
        """The person's open run of the deck if there is one (False), else a new run with this plan (True)."""
        plan_json = json.dumps([step.model_dump(mode="json") for step in plan])
        async with self._transaction() as db:
            async with db.execute(
                "SELECT * FROM runs WHERE person_id = ? AND deck_id = ? AND finished_at IS NULL", (person_id, deck_id)
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None:
                return _run_from_row(row), False
            async with db.execute(
                """INSERT INTO runs (person_id, deck_id, deck_version, plan, started_at)
                   VALUES (?, ?, ?, ?, ?) RETURNING *""",
                (person_id, deck_id, deck_version, plan_json, at),
            ) as cursor:
                row = await cursor.fetchone()
        assert row is not None
        return _run_from_row(row), True

    async def finish_run(self, run_id: int, at: int) -> None:
        """Close a run that can no longer go on (its deck changed), keeping its answers."""
        async with self._transaction() as db:
            await db.execute("UPDATE runs SET finished_at = ? WHERE run_id = ? AND finished_at IS NULL", (at, run_id))

    async def run(self, run_id: int) -> Run | None:
        async with self._reader.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)) as cursor:
            row = await cursor.fetchone()
        return _run_from_row(row) if row else None

    async def run_answers(self, run_id: int) -> list[Answer]:
        async with self._reader.execute("SELECT * FROM answers WHERE run_id = ? ORDER BY position", (run_id,)) as cursor:
            rows = await cursor.fetchall()
        return [_answer_from_row(row) for row in rows]

    # Answers ------------------------------------------------------------------------------------

    async def record_answer(self, run: Run, position: int, option_key: str, correct: bool, at: int) -> AnswerOutcome:
        """Record the answer to the run's current question, once; committed before this returns.

        Scoring rule: a correct answer scores 1 point only if it is the first answer the person has
        ever given to that question of that deck; every later answer (replays) is practice.
        """
        question_id = run.plan[position].question
        async with self._transaction() as db:
            async with db.execute("SELECT * FROM answers WHERE run_id = ? AND position = ?", (run.run_id, position)) as cursor:
                existing = await cursor.fetchone()
            if existing is not None:
                return AnswerOutcome(status="already_answered", answer=_answer_from_row(existing))
            async with db.execute("SELECT COUNT(*) FROM answers WHERE run_id = ?", (run.run_id,)) as cursor:
                row = await cursor.fetchone()
            if row is None or int(row[0]) != position:
                return AnswerOutcome(status="not_current", answer=None)
            async with db.execute(
                """INSERT INTO answers (run_id, position, person_id, deck_id, question_id, option_key, correct, points, answered_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?) RETURNING answer_id""",
                (run.run_id, position, run.person_id, run.deck_id, question_id, option_key, int(correct), at),
            ) as cursor:
                row = await cursor.fetchone()
            assert row is not None
            answer_id = int(row[0])
            first = await db.execute(
                "INSERT OR IGNORE INTO first_answers (person_id, deck_id, question_id, answer_id) VALUES (?, ?, ?, ?)",
                (run.person_id, run.deck_id, question_id, answer_id),
            )
            points = 1 if (correct and first.rowcount == 1) else 0
            if points:
                await db.execute("UPDATE answers SET points = ? WHERE answer_id = ?", (points, answer_id))
            if position == len(run.plan) - 1:
                await db.execute("UPDATE runs SET finished_at = ? WHERE run_id = ?", (at, run.run_id))
        answer = Answer(
            run_id=run.run_id,
            position=position,
            question_id=question_id,
            option_key=option_key,
            correct=correct,
            points=points,
            answered_at=at,
        )
        return AnswerOutcome(status="recorded", answer=answer)

    # Boards and stats ---------------------------------------------------------------------------

    async def people_board(self, platform: str, space_id: str, limit: int, offset: int = 0) -> list[BoardRow]:
        """People of one space who have answered, by all-time points; ties share a rank (1, 2, 2, 4)."""
        async with self._reader.execute(
            """SELECT RANK() OVER (ORDER BY SUM(a.points) DESC) AS rank, p.person_id, p.user_id, p.display_name,
                      SUM(a.points) AS points
               FROM answers AS a JOIN people AS p ON p.person_id = a.person_id
               WHERE p.platform = ? AND p.space_id = ?
               GROUP BY p.person_id
               ORDER BY points DESC, p.display_name COLLATE NOCASE, p.person_id
               LIMIT ? OFFSET ?""",
            (platform, space_id, limit, offset),
        ) as cursor:
            rows = await cursor.fetchall()
        return [BoardRow(**dict(row)) for row in rows]

    async def question_tallies(self, person_id: int) -> list[QuestionTally]:
        async with self._reader.execute(
            """SELECT deck_id, question_id, COUNT(*) AS answered, SUM(correct) AS correct
               FROM answers WHERE person_id = ? GROUP BY deck_id, question_id""",
            (person_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [QuestionTally(**dict(row)) for row in rows]

    async def person_totals(self, person_id: int) -> tuple[int, int]:
        """(points, answers) of one person."""
        async with self._reader.execute(
            "SELECT COALESCE(SUM(points), 0), COUNT(*) FROM answers WHERE person_id = ?", (person_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def finished_runs(self, person_id: int) -> dict[str, int]:
        async with self._reader.execute(
            "SELECT deck_id, COUNT(*) FROM runs WHERE person_id = ? AND finished_at IS NOT NULL GROUP BY deck_id",
            (person_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return {row[0]: int(row[1]) for row in rows}


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (sqlite3.complete_statement knows where one ends)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
