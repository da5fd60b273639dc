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
    """
    -- Points per person and period ('all', 'week:<monday>', 'month:<yyyy-mm>'), kept up to date in the
    -- answer's own transaction, so boards read a few index rows instead of scanning answers.
    CREATE TABLE score_totals (
        person_id INTEGER NOT NULL REFERENCES people (person_id),
        period    TEXT NOT NULL,
        platform  TEXT NOT NULL,
        space_id  TEXT NOT NULL,
        points    INTEGER NOT NULL,
        answers   INTEGER NOT NULL,
        PRIMARY KEY (person_id, period)
    ) WITHOUT ROWID;
    CREATE INDEX score_totals_board ON score_totals (platform, space_id, period, points DESC, person_id);
    CREATE TABLE teams (
        team_id    INTEGER PRIMARY KEY,
        platform   TEXT NOT NULL,
        space_id   TEXT NOT NULL,
        name       TEXT NOT NULL,
        name_key   TEXT NOT NULL,  -- casefolded: names are unique per space ignoring case
        created_by INTEGER NOT NULL REFERENCES people (person_id),
        created_at INTEGER NOT NULL,
        UNIQUE (platform, space_id, name_key)
    );
    -- A person is one (platform, space, user), so one row per person means one team per person per space.
    CREATE TABLE team_members (
        person_id INTEGER PRIMARY KEY REFERENCES people (person_id),
        team_id   INTEGER NOT NULL REFERENCES teams (team_id),
        joined_at INTEGER NOT NULL
    );
    CREATE INDEX team_members_by_team ON team_members (team_id);
    -- Points a member earned for a team in a period (earned while a member; they stay when the member leaves).
    CREATE TABLE team_member_periods (
        team_id   INTEGER NOT NULL REFERENCES teams (team_id),
        period    TEXT NOT NULL,
        person_id INTEGER NOT NULL REFERENCES people (person_id),
        points    INTEGER NOT NULL,
        PRIMARY KEY (team_id, period, person_id)
    ) WITHOUT ROWID;
    CREATE TABLE team_totals (
        team_id        INTEGER NOT NULL REFERENCES teams (team_id),
        period         TEXT NOT NULL,
        points         INTEGER NOT NULL,
        active_members INTEGER NOT NULL,  -- members who scored in the period
        PRIMARY KEY (team_id, period)
    ) WITHOUT ROWID;
    -- Answers recorded before this version count too; their weeks and months are taken in UTC.
    INSERT INTO score_totals (person_id, period, platform, space_id, points, answers)
        SELECT a.person_id, k.period, p.platform, p.space_id, SUM(a.points), COUNT(*)
        FROM answers AS a
        JOIN people AS p ON p.person_id = a.person_id
        JOIN (SELECT answer_id, 'all' AS period FROM answers
              UNION ALL SELECT answer_id, 'week:' || date(answered_at, 'unixepoch', '-6 days', 'weekday 1') FROM answers
              UNION ALL SELECT answer_id, 'month:' || strftime('%Y-%m', answered_at, 'unixepoch') FROM answers) AS k
          ON k.answer_id = a.answer_id
        GROUP BY a.person_id, k.period;
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


class TeamRow(_Record):
    team_id: int
    name: str
    members: int
    points: int  # in the period asked for
    active_members: int


class TeamMember(_Record):
    person_id: int
    user_id: str
    display_name: str
    points: int  # earned for this team in the period asked for


class TeamChange(_Record):
    """What a team command did: `ok`, or why not, with the team concerned."""

    status: Literal["ok", "name_taken", "already_in_team", "no_such_team", "not_in_team"]
    team: str | None = None


class OptionTally(_Record):
    deck_id: str
    question_id: str
    option_key: str
    picks: int


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

    async def record_answer(
        self, run: Run, position: int, option_key: str, correct: bool, at: int, periods: Sequence[str]
    ) -> AnswerOutcome:
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
            await self._credit(db, run.person_id, points, periods)
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

    @staticmethod
    async def _credit(db: aiosqlite.Connection, person_id: int, points: int, periods: Sequence[str]) -> None:
        """Add one answer and its points to the person's (and their team's) totals, inside the caller's transaction."""
        for period in periods:
            await db.execute(
                """INSERT INTO score_totals (person_id, period, platform, space_id, points, answers)
                   SELECT person_id, ?, platform, space_id, ?, 1 FROM people WHERE person_id = ?
                   ON CONFLICT (person_id, period) DO UPDATE
                   SET points = points + excluded.points, answers = answers + 1""",
                (period, points, person_id),
            )
        if not points:
            return
        async with db.execute("SELECT team_id FROM team_members WHERE person_id = ?", (person_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return
        team_id = int(row[0])
        for period in periods:
            first = await db.execute(
                "INSERT OR IGNORE INTO team_member_periods (team_id, period, person_id, points) VALUES (?, ?, ?, ?)",
                (team_id, period, person_id, points),
            )
            new_member = first.rowcount == 1
            if not new_member:
                await db.execute(
                    "UPDATE team_member_periods SET points = points + ? WHERE team_id = ? AND period = ? AND person_id = ?",
                    (points, team_id, period, person_id),
                )
            await db.execute(
                """INSERT INTO team_totals (team_id, period, points, active_members) VALUES (?, ?, ?, 1)
                   ON CONFLICT (team_id, period) DO UPDATE
                   SET points = points + excluded.points, active_members = active_members + ?""",
                (team_id, period, points, int(new_member)),
            )

    async def people_page(self, platform: str, space_id: str, period: str, limit: int, offset: int) -> list[BoardRow]:
        """One page of a people board, best first; ties share a rank (1, 2, 2, 4)."""
        async with self._reader.execute(
            """SELECT t.person_id, p.user_id, p.display_name, t.points
               FROM score_totals AS t JOIN people AS p ON p.person_id = t.person_id
               WHERE t.platform = ? AND t.space_id = ? AND t.period = ?
               ORDER BY t.points DESC, t.person_id LIMIT ? OFFSET ?""",
            (platform, space_id, period, limit, offset),
        ) as cursor:
            rows = await cursor.fetchall()
        if not rows:
            return []
        # A row's rank is 1 + the number of rows with more points; the first row's tie group may start on an earlier page.
        rank = await self._rank_of_points(platform, space_id, period, rows[0]["points"])
        page: list[BoardRow] = []
        for index, row in enumerate(rows):
            if index and row["points"] != rows[index - 1]["points"]:
                rank = offset + index + 1
            page.append(BoardRow(rank=rank, **dict(row)))
        return page

    async def _rank_of_points(self, platform: str, space_id: str, period: str, points: int) -> int:
        async with self._reader.execute(
            "SELECT COUNT(*) FROM score_totals WHERE platform = ? AND space_id = ? AND period = ? AND points > ?",
            (platform, space_id, period, points),
        ) as cursor:
            row = await cursor.fetchone()
        return 1 + (int(row[0]) if row else 0)

    async def people_count(self, platform: str, space_id: str, period: str) -> int:
        async with self._reader.execute(
            "SELECT COUNT(*) FROM score_totals WHERE platform = ? AND space_id = ? AND period = ?", (platform, space_id, period)
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def person_rank(self, person_id: int, period: str) -> tuple[int, int] | None:
        """(rank, points) of one person on their space's board for the period, or None if not on it."""
        async with self._reader.execute(
            "SELECT platform, space_id, points FROM score_totals WHERE person_id = ? AND period = ?", (person_id, period)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return await self._rank_of_points(row["platform"], row["space_id"], period, row["points"]), int(row["points"])

    async def person_points(self, person_id: int, periods: Sequence[str]) -> dict[str, int]:
        marks = ", ".join("?" * len(periods))
        async with self._reader.execute(
            f"SELECT period, points FROM score_totals WHERE person_id = ? AND period IN ({marks})", (person_id, *periods)
        ) as cursor:
            rows = await cursor.fetchall()
        return {row["period"]: int(row["points"]) for row in rows}

    # Teams --------------------------------------------------------------------------------------

    async def create_team(self, person_id: int, platform: str, space_id: str, name: str, name_key: str, at: int) -> TeamChange:
        """Create a team and make its creator its first member."""
        async with self._transaction() as db:
            current = await self._team_name_of(db, person_id)
            if current is not None:
                return TeamChange(status="already_in_team", team=current)
            async with db.execute(
                """INSERT INTO teams (platform, space_id, name, name_key, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (platform, space_id, name_key) DO NOTHING RETURNING team_id""",
                (platform, space_id, name, name_key, person_id, at),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return TeamChange(status="name_taken", team=await self._team_name(db, platform, space_id, name_key))
            await db.execute("INSERT INTO team_members (person_id, team_id, joined_at) VALUES (?, ?, ?)", (person_id, row[0], at))
        return TeamChange(status="ok", team=name)

    async def join_team(self, person_id: int, platform: str, space_id: str, name_key: str, at: int) -> TeamChange:
        async with self._transaction() as db:
            current = await self._team_name_of(db, person_id)
            if current is not None:
                return TeamChange(status="already_in_team", team=current)
            async with db.execute(
                "SELECT team_id, name FROM teams WHERE platform = ? AND space_id = ? AND name_key = ?", (platform, space_id, name_key)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return TeamChange(status="no_such_team")
            await db.execute("INSERT INTO team_members (person_id, team_id, joined_at) VALUES (?, ?, ?)", (person_id, row[0], at))
        return TeamChange(status="ok", team=row["name"])

    async def leave_team(self, person_id: int) -> TeamChange:
        async with self._transaction() as db:
            current = await self._team_name_of(db, person_id)
            if current is None:
                return TeamChange(status="not_in_team")
            await db.execute("DELETE FROM team_members WHERE person_id = ?", (person_id,))
        return TeamChange(status="ok", team=current)

    async def team_of(self, person_id: int) -> str | None:
        return await self._team_name_of(self._reader, person_id)

    @staticmethod
    async def _team_name_of(db: aiosqlite.Connection, person_id: int) -> str | None:
        async with db.execute(
            "SELECT t.name FROM team_members AS m JOIN teams AS t ON t.team_id = m.team_id WHERE m.person_id = ?", (person_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    @staticmethod
    async def _team_name(db: aiosqlite.Connection, platform: str, space_id: str, name_key: str) -> str | None:
        async with db.execute(
            "SELECT name FROM teams WHERE platform = ? AND space_id = ? AND name_key = ?", (platform, space_id, name_key)
        ) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def teams(self, platform: str, space_id: str, period: str) -> list[TeamRow]:
        """Every team of a space with its member count and its points and active members in the period."""
        async with self._reader.execute(
            """SELECT t.team_id, t.name,
                      (SELECT COUNT(*) FROM team_members AS m WHERE m.team_id = t.team_id) AS members,
                      COALESCE(tt.points, 0) AS points, COALESCE(tt.active_members, 0) AS active_members
               FROM teams AS t LEFT JOIN team_totals AS tt ON tt.team_id = t.team_id AND tt.period = ?
               WHERE t.platform = ? AND t.space_id = ?
               ORDER BY t.name_key""",
            (period, platform, space_id),
        ) as cursor:
            rows = await cursor.fetchall()
        return [TeamRow(**dict(row)) for row in rows]

    async def team_members(self, platform: str, space_id: str, name_key: str, period: str) -> tuple[str, list[TeamMember]] | None:
        """(team name, current members with the points they earned for it in the period), or None."""
        async with self._reader.execute(
            "SELECT team_id, name FROM teams WHERE platform = ? AND space_id = ? AND name_key = ?", (platform, space_id, name_key)
        ) as cursor:
            team = await cursor.fetchone()
        if team is None:
            return None
        async with self._reader.execute(
            """SELECT p.person_id, p.user_id, p.display_name, COALESCE(mp.points, 0) AS points
               FROM team_members AS m JOIN people AS p ON p.person_id = m.person_id
               LEFT JOIN team_member_periods AS mp ON mp.team_id = m.team_id AND mp.person_id = m.person_id AND mp.period = ?
               WHERE m.team_id = ? ORDER BY points DESC, p.display_name COLLATE NOCASE""",
            (period, team["team_id"]),
        ) as cursor:
            rows = await cursor.fetchall()
        return str(team["name"]), [TeamMember(**dict(row)) for row in rows]

    async def question_tallies(self, person_id: int) -> list[QuestionTally]:
        async with self._reader.execute(
            """SELECT deck_id, question_id, COUNT(*) AS answered, SUM(correct) AS correct
               FROM answers WHERE person_id = ? GROUP BY deck_id, question_id""",
            (person_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [QuestionTally(**dict(row)) for row in rows]

    async def first_answer_tallies(self, platform: str, space_id: str) -> list[OptionTally]:
        """How often each option was picked as a person's first answer to a question, in one space."""
        async with self._reader.execute(
            """SELECT a.deck_id, a.question_id, a.option_key, COUNT(*) AS picks
               FROM first_answers AS f
               JOIN answers AS a ON a.answer_id = f.answer_id
               JOIN people AS p ON p.person_id = f.person_id
               WHERE p.platform = ? AND p.space_id = ?
               GROUP BY a.deck_id, a.question_id, a.option_key""",
            (platform, space_id),
        ) as cursor:
            rows = await cursor.fetchall()
        return [OptionTally(**dict(row)) for row in rows]

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
