"""A person's data on SQLite: everything held about them (export), and forgetting them in one transaction."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from typing import Any

from bot.store.base import StoreBase
from bot.store.person_data import PERSON_TABLES, PersonTable
from bot.store.records import ForgetOutcome
from bot.store.rules import forget_changes

Person = tuple[int, str, str, str]  # (person id, platform, space id, user id)


def people_named(db: sqlite3.Connection, platform: str, user_id: str, space_id: str | None) -> list[Person]:
    """The people a platform user is: one per space they used the bot in (or the one of `space_id`)."""
    if space_id is None:
        rows = db.execute(
            "SELECT person_id, platform, space_id, user_id FROM people WHERE platform = ? AND user_id = ? ORDER BY person_id",
            (platform, user_id),
        )
    else:
        rows = db.execute(
            "SELECT person_id, platform, space_id, user_id FROM people WHERE platform = ? AND space_id = ? AND user_id = ?",
            (platform, space_id, user_id),
        )
    return [(int(row[0]), row[1], row[2], row[3]) for row in rows]


def parameters(person: Person) -> dict[str, Any]:
    """The named parameters of bot.store.person_data's statements, for one person."""
    return {"person": person[0], "platform": person[1], "space": person[2], "user": person[3]}


def exported(table: PersonTable, row: sqlite3.Row) -> dict[str, Any]:
    data = dict(row)
    for column in table.json_columns:
        if isinstance(data.get(column), str):
            data[column] = json.loads(data[column])
    return data


def read_person_data(db: sqlite3.Connection, people: list[Person]) -> dict[str, list[dict[str, Any]]]:
    sections: dict[str, list[dict[str, Any]]] = {table.section: [] for table in PERSON_TABLES}
    for person in people:
        for table in PERSON_TABLES:
            sections[table.section].extend(exported(table, row) for row in db.execute(table.export, parameters(person)))
    return sections


def _in_list(ids: list[int]) -> str:
    return json.dumps(sorted(ids))


def unaccount(db: sqlite3.Connection, person_ids: list[int]) -> None:
    """Take the people's answers out of the shared totals (boards, team totals, member counts), and keep their daily
    answers as anonymous counts; the reverse of what recording the answers added, in the caller's transaction."""
    ids = _in_list(person_ids)
    totals = db.execute(
        "SELECT platform, space_id, period, points FROM score_totals WHERE person_id IN (SELECT value FROM json_each(?))", (ids,)
    ).fetchall()
    earned = db.execute(
        "SELECT team_id, period, points FROM team_member_periods WHERE person_id IN (SELECT value FROM json_each(?))", (ids,)
    ).fetchall()
    memberships = db.execute("SELECT team_id FROM team_members WHERE person_id IN (SELECT value FROM json_each(?))", (ids,)).fetchall()
    changes = forget_changes([tuple(r) for r in totals], [tuple(r) for r in earned], [r[0] for r in memberships])
    db.executemany(
        "UPDATE points_histogram SET people = people + ? WHERE platform = ? AND space_id = ? AND period = ? AND points = ?",
        changes.histogram,
    )
    db.executemany(
        "DELETE FROM points_histogram WHERE people <= 0 AND platform = ? AND space_id = ? AND period = ? AND points = ?",
        [change[1:] for change in changes.histogram],
    )
    # The average as credit_many keeps it: rounded to hundredths, over at least one member.
    db.executemany(
        """UPDATE team_totals SET points = points - ?1, active_members = active_members - ?2,
               average = ROUND(CAST(points - ?1 AS REAL) / MAX(active_members - ?2, 1), 2)
           WHERE team_id = ?3 AND period = ?4""",
        changes.teams,
    )
    db.executemany("DELETE FROM team_totals WHERE active_members <= 0 AND team_id = ? AND period = ?", [c[2:] for c in changes.teams])
    db.executemany("UPDATE teams SET members = members - ? WHERE team_id = ?", changes.members)
    db.execute(
        """INSERT INTO daily_anonymous_answers (post_id, option_key, answers)
           SELECT post_id, option_key, COUNT(*) FROM daily_answers WHERE person_id IN (SELECT value FROM json_each(?))
           GROUP BY post_id, option_key
           ON CONFLICT (post_id, option_key) DO UPDATE SET answers = daily_anonymous_answers.answers + excluded.answers""",
        (ids,),
    )


class PrivacyStore(StoreBase):
    """Export and forget: both walk bot.store.person_data.PERSON_TABLES."""

    async def person_data(self, platform: str, user_id: str) -> dict[str, list[dict[str, Any]]]:
        """Every row held about a platform user, in every space they used the bot in, per section of the export document."""

        def read(db: sqlite3.Connection) -> dict[str, list[dict[str, Any]]]:
            db.execute("BEGIN")  # one snapshot for every section: an answer committed meanwhile is in all of them or none
            try:
                return read_person_data(db, people_named(db, platform, user_id, None))
            finally:
                db.execute("COMMIT")

        return await self._read(read)

    async def forget_person(self, platform: str, user_id: str, space_id: str | None, notice: str | None, at: int) -> ForgetOutcome:
        """Delete everything held about a platform user (in every space, or in `space_id`) in one transaction.

        Their points leave the boards and team totals as if never earned; their daily answers stay as anonymous
        counts on the posts. With `notice` (a hash of who they were) they are told on their next command.
        """

        def write(db: sqlite3.Connection) -> ForgetOutcome:
            people = people_named(db, platform, user_id, space_id)
            counts = Counter({section: len(rows) for section, rows in read_person_data(db, people).items()})
            if people:
                unaccount(db, [person[0] for person in people])
            for person in people:
                for table in reversed(PERSON_TABLES):
                    for statement in table.forget:
                        db.execute(statement, parameters(person))
            if notice is not None and people:
                db.execute(
                    """INSERT INTO forget_notices (identity_hash, forgotten_at) VALUES (?, ?)
                       ON CONFLICT (identity_hash) DO UPDATE SET forgotten_at = excluded.forgotten_at""",
                    (notice, at),
                )
            return ForgetOutcome(people=len(people), rows={section: n for section, n in counts.items() if n})

        return await self._write(write)

    async def take_forget_notice(self, identity_hash: str) -> int | None:
        """When an admin forgot this identity (seconds since the epoch), once: the notice is gone after it is taken."""
        if await self._fetchone("SELECT 1 FROM forget_notices WHERE identity_hash = ?", (identity_hash,)) is None:
            return None  # the usual case costs one read, no write

        def write(db: sqlite3.Connection) -> int | None:
            row = db.execute("DELETE FROM forget_notices WHERE identity_hash = ? RETURNING forgotten_at", (identity_hash,)).fetchone()
            return int(row[0]) if row else None

        return await self._write(write)
