"""Points on PostgreSQL: running totals per person and period kept in the answer's transaction, boards, ranks, tallies."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.store.postgres.base import Connection, PostgresBase
from bot.store.records import BoardRow, OptionTally, PeopleBoard, Standing
from bot.store.rules import Credit, earned_by_team, page_window, rank_in, ranked_page, team_changes, total_changes


async def credit_many(db: Connection, credits: Sequence[Credit]) -> None:
    """Add answers to their people's totals, the points histogram and team totals, inside the caller's transaction.

    The callers hold the people's row locks, so the totals read here are what the increments apply to; the
    shared rows (a board's histogram, a team's totals) are changed by increments in the database, in key order.
    """
    if not credits:
        return
    points_of: dict[tuple[int, str], int] = {
        (row[0], row[1]): row[2]
        for row in await db.fetch(
            "SELECT person_id, period, points FROM score_totals WHERE person_id = ANY($1::bigint[]) AND period = ANY($2::text[])",
            sorted({c.person_id for c in credits}),
            sorted({p for c in credits for p in c.periods}),
        )
    }
    changes = total_changes(credits, points_of)
    await db.executemany(
        """INSERT INTO score_totals (person_id, period, platform, space_id, points, answers) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (person_id, period) DO UPDATE
           SET points = score_totals.points + excluded.points, answers = score_totals.answers + excluded.answers""",
        changes.totals,
    )
    await db.executemany(
        """INSERT INTO points_histogram (platform, space_id, period, points, people) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (platform, space_id, period, points) DO UPDATE SET people = points_histogram.people + excluded.people""",
        changes.histogram,
    )
    await _credit_teams(db, [c for c in credits if c.points])


async def _credit_teams(db: Connection, scorers: Sequence[Credit]) -> None:
    """Points earned by members count for their team; the first a member earns in a period makes them active in it."""
    if not scorers:
        return
    team_of = {
        row[0]: row[1]
        for row in await db.fetch(
            "SELECT person_id, team_id FROM team_members WHERE person_id = ANY($1::bigint[])", sorted({c.person_id for c in scorers})
        )
    }
    earned, board_of = earned_by_team(scorers, team_of)
    if not earned:
        return
    keys = list(earned)
    active = {
        (row[0], row[1], row[2])
        for row in await db.fetch(
            """SELECT m.team_id, m.period, m.person_id
               FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS k (team_id, period, person_id)
               JOIN team_member_periods AS m USING (team_id, period, person_id)""",
            [k[0] for k in keys],
            [k[1] for k in keys],
            [k[2] for k in keys],
        )
    }
    changes = team_changes(earned, board_of, active)
    await db.executemany(
        """INSERT INTO team_member_periods (team_id, period, person_id, points) VALUES ($1, $2, $3, $4)
           ON CONFLICT (team_id, period, person_id) DO UPDATE SET points = team_member_periods.points + excluded.points""",
        changes.members,
    )
    # As on SQLite: the average is rounded to hundredths (as boards show it), so equal averages share a rank.
    await db.executemany(
        """INSERT INTO team_totals (team_id, period, points, active_members, platform, space_id, average)
           VALUES ($1, $2, $3::integer, $4::integer, $5, $6, ROUND($3::integer::numeric / GREATEST($4::integer, 1), 2)::double precision)
           ON CONFLICT (team_id, period) DO UPDATE
           SET points = team_totals.points + excluded.points,
               active_members = team_totals.active_members + excluded.active_members,
               average = ROUND((team_totals.points + excluded.points)::numeric
                               / (team_totals.active_members + excluded.active_members), 2)::double precision""",
        changes.teams,
    )


async def _histogram(db: Connection, platform: str, space_id: str, period: str) -> list[tuple[int, int]]:
    """(points total, people with it) of a board, highest first."""
    rows = await db.fetch(
        """SELECT points, people FROM points_histogram
           WHERE platform = $1 AND space_id = $2 AND period = $3 AND people > 0 ORDER BY points DESC""",
        platform,
        space_id,
        period,
    )
    return [(int(row[0]), int(row[1])) for row in rows]


async def _page(db: Connection, board: tuple[str, str, str], totals: list[tuple[int, int]], limit: int, offset: int) -> list[BoardRow]:
    """One page of a people board, best first; ties share a rank (1, 2, 2, 4). `totals` is the board's histogram."""
    window = page_window(totals, limit, offset)
    if window is None:
        return []
    order = "points, person_id DESC" if window.from_end else "points DESC, person_id"
    rows = await db.fetch(
        f"""SELECT t.person_id, p.user_id, p.display_name, t.points
           FROM (SELECT person_id, points FROM score_totals
                 WHERE platform = $1 AND space_id = $2 AND period = $3 AND points <= $4
                 ORDER BY {order} LIMIT $5 OFFSET $6) AS t
           JOIN people AS p ON p.person_id = t.person_id
           ORDER BY t.points DESC, t.person_id""",
        *board,
        window.start,
        window.limit,
        window.offset,
    )
    return ranked_page(rows, window.above, offset)


async def _totals(db: Connection, person_id: int) -> tuple[int, int]:
    row = await db.fetchrow("SELECT points, answers FROM score_totals WHERE person_id = $1 AND period = 'all'", person_id)
    return (int(row[0]), int(row[1])) if row else (0, 0)


class PostgresScores(PostgresBase):
    """Totals kept in the answer's transaction, and everything read from them."""

    async def people_board(
        self, platform: str, space_id: str, period: str, page_size: int, page: int, user_id: str | None = None
    ) -> PeopleBoard:
        """A page of a people board (clamped to the last page) with the board's size and the asker's standing."""

        async def read(db: Connection) -> PeopleBoard:
            totals = await _histogram(db, platform, space_id, period)
            size = sum(people for _, people in totals)
            shown = min(max(page, 1), max(1, math.ceil(size / page_size)))
            rows = await _page(db, (platform, space_id, period), totals, page_size, (shown - 1) * page_size)
            me = None
            if user_id is not None:
                row = await db.fetchrow(
                    """SELECT p.person_id, t.points FROM people AS p
                       LEFT JOIN score_totals AS t ON t.person_id = p.person_id AND t.period = $1
                       WHERE p.platform = $2 AND p.space_id = $3 AND p.user_id = $4""",
                    period,
                    platform,
                    space_id,
                    user_id,
                )
                if row is not None:
                    points = row[1]
                    me = Standing(person_id=int(row[0]), rank=None if points is None else rank_in(totals, points), points=points or 0)
            return PeopleBoard(size=size, page=shown, rows=tuple(rows), me=me)

        return await self._read(read)

    async def people_page(self, platform: str, space_id: str, period: str, limit: int, offset: int) -> list[BoardRow]:
        """One page of a people board, best first; ties share a rank (1, 2, 2, 4)."""

        async def read(db: Connection) -> list[BoardRow]:
            return await _page(db, (platform, space_id, period), await _histogram(db, platform, space_id, period), limit, offset)

        return await self._read(read)

    async def first_answer_tallies(self, platform: str, space_id: str) -> list[OptionTally]:
        """How often each option was picked as a person's first answer to a question, in one space."""
        rows = await self._fetchall(
            """SELECT a.deck_id, a.question_id, a.option_key, COUNT(*) AS picks
               FROM first_answers AS f
               JOIN answers AS a ON a.answer_id = f.answer_id
               JOIN people AS p ON p.person_id = f.person_id
               WHERE p.platform = $1 AND p.space_id = $2
               GROUP BY a.deck_id, a.question_id, a.option_key""",
            platform,
            space_id,
        )
        return [OptionTally(**dict(row)) for row in rows]

    async def person_totals(self, person_id: int) -> tuple[int, int]:
        """(points, answers) of one person over all time, personal runs and daily posts together."""
        return await self._read(lambda db: _totals(db, person_id))
