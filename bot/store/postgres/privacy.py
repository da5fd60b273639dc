"""A person's data on PostgreSQL: everything held about them (export), and forgetting them in one transaction."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from typing import Any

from bot.store.person_data import PERSON_TABLES, PersonTable, to_positional
from bot.store.postgres.base import Connection, PostgresBase, lock_people
from bot.store.records import ForgetOutcome
from bot.store.rules import forget_changes

Person = tuple[int, str, str, str]  # (person id, platform, space id, user id)


async def people_named(db: Connection, platform: str, user_id: str, space_id: str | None) -> list[Person]:
    """The people a platform user is: one per space they used the bot in (or the one of `space_id`)."""
    if space_id is None:
        rows = await db.fetch(
            "SELECT person_id, platform, space_id, user_id FROM people WHERE platform = $1 AND user_id = $2 ORDER BY person_id",
            platform,
            user_id,
        )
    else:
        rows = await db.fetch(
            "SELECT person_id, platform, space_id, user_id FROM people WHERE platform = $1 AND space_id = $2 AND user_id = $3",
            platform,
            space_id,
            user_id,
        )
    return [(int(row[0]), row[1], row[2], row[3]) for row in rows]


@cache
def _positional(sql: str) -> tuple[str, tuple[str, ...]]:
    return to_positional(sql)


async def _run(db: Connection, sql: str, person: Person, *, fetch: bool = False) -> Any:
    """One of bot.store.person_data's statements for one person, its named parameters bound as $1, $2, ..."""
    statement, names = _positional(sql)
    named = {"person": person[0], "platform": person[1], "space": person[2], "user": person[3]}
    values = [named[name] for name in names]
    return await (db.fetch(statement, *values) if fetch else db.execute(statement, *values))


def _exported(table: PersonTable, row: Any) -> dict[str, Any]:
    data = dict(row)
    for column in table.json_columns:
        if isinstance(data.get(column), str):
            data[column] = json.loads(data[column])
    return data


async def read_person_data(db: Connection, people: list[Person]) -> dict[str, list[dict[str, Any]]]:
    sections: dict[str, list[dict[str, Any]]] = {table.section: [] for table in PERSON_TABLES}
    for person in people:
        for table in PERSON_TABLES:
            sections[table.section].extend(_exported(table, row) for row in await _run(db, table.export, person, fetch=True))
    return sections


async def unaccount(db: Connection, person_ids: list[int]) -> None:
    """Take the people's answers out of the shared totals, and keep their daily answers as anonymous counts (as SQLite's).

    The callers hold the people's row locks, so no answer of theirs is being counted meanwhile; the shared rows change
    by increments, in key order, as an answer's do.
    """
    totals = await db.fetch("SELECT platform, space_id, period, points FROM score_totals WHERE person_id = ANY($1::bigint[])", person_ids)
    earned = await db.fetch("SELECT team_id, period, points FROM team_member_periods WHERE person_id = ANY($1::bigint[])", person_ids)
    memberships = await db.fetch("SELECT team_id FROM team_members WHERE person_id = ANY($1::bigint[])", person_ids)
    changes = forget_changes([tuple(r) for r in totals], [tuple(r) for r in earned], [r[0] for r in memberships])
    await db.executemany(
        "UPDATE points_histogram SET people = people + $1 WHERE platform = $2 AND space_id = $3 AND period = $4 AND points = $5",
        changes.histogram,
    )
    await db.executemany(
        "DELETE FROM points_histogram WHERE people <= 0 AND platform = $1 AND space_id = $2 AND period = $3 AND points = $4",
        [change[1:] for change in changes.histogram],
    )
    # The average as credit_many keeps it: rounded to hundredths, over at least one member.
    await db.executemany(
        """UPDATE team_totals SET points = points - $1::integer, active_members = active_members - $2::integer,
               average = ROUND((points - $1::integer)::numeric / GREATEST(active_members - $2::integer, 1), 2)::double precision
           WHERE team_id = $3 AND period = $4""",
        changes.teams,
    )
    await db.executemany(
        "DELETE FROM team_totals WHERE active_members <= 0 AND team_id = $1 AND period = $2", [change[2:] for change in changes.teams]
    )
    await db.executemany("UPDATE teams SET members = members - $1 WHERE team_id = $2", changes.members)
    await db.execute(
        """INSERT INTO daily_anonymous_answers (post_id, option_key, answers)
           SELECT post_id, option_key, COUNT(*) FROM daily_answers WHERE person_id = ANY($1::bigint[])
           GROUP BY post_id, option_key ORDER BY post_id, option_key
           ON CONFLICT (post_id, option_key) DO UPDATE SET answers = daily_anonymous_answers.answers + excluded.answers""",
        person_ids,
    )


class PostgresPrivacy(PostgresBase):
    """Export and forget: both walk bot.store.person_data.PERSON_TABLES."""

    async def person_data(self, platform: str, user_id: str) -> dict[str, list[dict[str, Any]]]:
        """Every row held about a platform user, in every space they used the bot in, per section of the export document."""

        async def read(db: Connection) -> dict[str, list[dict[str, Any]]]:
            async with db.transaction(isolation="repeatable_read", readonly=True):  # one snapshot for every section
                return await read_person_data(db, await people_named(db, platform, user_id, None))

        return await self._read(read)

    async def forget_person(self, platform: str, user_id: str, space_id: str | None, notice: str | None, at: int) -> ForgetOutcome:
        """Delete everything held about a platform user (in every space, or in `space_id`) in one transaction.

        The people's rows are locked first, as an answer locks its person's: an answer of theirs being recorded by
        another process commits before, or finds them gone after (and makes a new person).
        """

        async def write(db: Connection) -> ForgetOutcome:
            people = await people_named(db, platform, user_id, space_id)
            ids = [person[0] for person in people]
            await lock_people(db, ids)
            counts = Counter({section: len(rows) for section, rows in (await read_person_data(db, people)).items()})
            if people:
                await unaccount(db, ids)
            for person in people:
                for table in reversed(PERSON_TABLES):
                    for statement in table.forget:
                        await _run(db, statement, person)
            if notice is not None and people:
                await db.execute(
                    """INSERT INTO forget_notices (identity_hash, forgotten_at) VALUES ($1, $2)
                       ON CONFLICT (identity_hash) DO UPDATE SET forgotten_at = excluded.forgotten_at""",
                    notice,
                    at,
                )
            return ForgetOutcome(people=len(people), rows={section: n for section, n in counts.items() if n})

        return await self._write(write)

    async def take_forget_notice(self, identity_hash: str) -> int | None:
        """When an admin forgot this identity (seconds since the epoch), once: the notice is gone after it is taken."""
        if await self._fetchone("SELECT 1 FROM forget_notices WHERE identity_hash = $1", identity_hash) is None:
            return None  # the usual case costs one read, no write

        async def write(db: Connection) -> int | None:
            value = await db.fetchval("DELETE FROM forget_notices WHERE identity_hash = $1 RETURNING forgotten_at", identity_hash)
            return int(value) if value is not None else None

        return await self._write(write)
