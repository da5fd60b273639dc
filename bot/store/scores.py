"""Points: running totals per person and period, boards, ranks and tallies."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Sequence

from bot.store.base import StoreBase
from bot.store.records import BoardRow, OptionTally, PeopleBoard, Standing
from bot.store.rules import Credit, earned_by_team, page_window, rank_in, ranked_page, team_changes, total_changes


def credit_many(db: sqlite3.Connection, credits: Sequence[Credit]) -> None:
    """Add answers to their people's totals, the points histogram and team totals, inside the caller's transaction.

    Reads what it changes in one statement per table, works the changes out in order, then writes
    each table with one executemany: a batch of answers costs a few statements, not a few per answer.
    Many answers of a burst move people between the same few totals, so their histogram rows merge.
    """
    if not credits:
        return
    people = json.dumps(sorted({c.person_id for c in credits}))
    periods = json.dumps(sorted({p for c in credits for p in c.periods}))
    points_of: dict[tuple[int, str], int] = {
        (row[0], row[1]): row[2]
        for row in db.execute(
            """SELECT person_id, period, points FROM score_totals
               WHERE person_id IN (SELECT value FROM json_each(?1)) AND period IN (SELECT value FROM json_each(?2))""",
            (people, periods),
        )
    }
    changes = total_changes(credits, points_of)
    db.executemany(
        """INSERT INTO score_totals (person_id, period, platform, space_id, points, answers) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (person_id, period) DO UPDATE
           SET points = points + excluded.points, answers = answers + excluded.answers""",
        changes.totals,
    )
    db.executemany(
        """INSERT INTO points_histogram (platform, space_id, period, points, people) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (platform, space_id, period, points) DO UPDATE SET people = people + excluded.people""",
        changes.histogram,
    )
    _credit_teams(db, [c for c in credits if c.points])


def _credit_teams(db: sqlite3.Connection, scorers: Sequence[Credit]) -> None:
    """Points earned by members count for their team; the first a member earns in a period makes them active in it."""
    if not scorers:
        return
    team_of: dict[int, int] = dict(
        db.execute(
            "SELECT person_id, team_id FROM team_members WHERE person_id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted({c.person_id for c in scorers})),),
        ).fetchall()
    )
    earned, board_of = earned_by_team(scorers, team_of)
    if not earned:
        return
    active = {
        (row[0], row[1], row[2])
        for row in db.execute(
            """SELECT m.team_id, m.period, m.person_id FROM json_each(?) AS j
               JOIN team_member_periods AS m
                 ON m.team_id = j.value ->> 0 AND m.period = j.value ->> 1 AND m.person_id = j.value ->> 2""",
            (json.dumps(list(earned)),),
        )
    }
    changes = team_changes(earned, board_of, active)
    db.executemany(
        """INSERT INTO team_member_periods (team_id, period, person_id, points) VALUES (?, ?, ?, ?)
           ON CONFLICT (team_id, period, person_id) DO UPDATE SET points = points + excluded.points""",
        changes.members,
    )
    # A new row always has an active member (it is made by a member's first points in the period); when the
    # row exists the inserted values only feed `excluded`, and ?4 may be 0 there, hence MAX.
    db.executemany(
        """INSERT INTO team_totals (team_id, period, points, active_members, platform, space_id, average)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ROUND(CAST(?3 AS REAL) / MAX(?4, 1), 2))
           ON CONFLICT (team_id, period) DO UPDATE
           SET points = points + excluded.points, active_members = active_members + excluded.active_members,
               average = ROUND(CAST(points + excluded.points AS REAL) / (active_members + excluded.active_members), 2)""",
        changes.teams,
    )


def _histogram(db: sqlite3.Connection, platform: str, space_id: str, period: str) -> list[tuple[int, int]]:
    """(points total, people with it) of a board, highest first."""
    return [
        (int(row[0]), int(row[1]))
        for row in db.execute(
            """SELECT points, people FROM points_histogram
               WHERE platform = ? AND space_id = ? AND period = ? AND people > 0 ORDER BY points DESC""",
            (platform, space_id, period),
        )
    ]


def _page(db: sqlite3.Connection, board: tuple[str, str, str], totals: list[tuple[int, int]], limit: int, offset: int) -> list[BoardRow]:
    """One page of a people board, best first; ties share a rank (1, 2, 2, 4). `totals` is the board's histogram."""
    window = page_window(totals, limit, offset)
    if window is None:
        return []
    # The page is cut from the covering board index alone; only its rows are joined to people.
    order = "points, person_id DESC" if window.from_end else "points DESC, person_id"
    rows = db.execute(
        f"""SELECT t.person_id, p.user_id, p.display_name, t.points
           FROM (SELECT person_id, points FROM score_totals
                 WHERE platform = ? AND space_id = ? AND period = ? AND points <= ?
                 ORDER BY {order} LIMIT ? OFFSET ?) AS t
           JOIN people AS p ON p.person_id = t.person_id
           ORDER BY t.points DESC, t.person_id""",
        (*board, window.start, window.limit, window.offset),
    ).fetchall()
    return ranked_page(rows, window.above, offset)


def _totals(db: sqlite3.Connection, person_id: int) -> tuple[int, int]:
    row = db.execute("SELECT points, answers FROM score_totals WHERE person_id = ? AND period = 'all'", (person_id,)).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


class ScoreStore(StoreBase):
    """Totals kept in the answer's transaction, and everything read from them."""

    async def people_board(
        self, platform: str, space_id: str, period: str, page_size: int, page: int, user_id: str | None = None
    ) -> PeopleBoard:
        """A page of a people board (clamped to the last page) with the board's size and the asker's standing.

        One hop to the reader: the histogram read once gives the size, where the page starts and any rank.
        """

        def read(db: sqlite3.Connection) -> PeopleBoard:
            totals = _histogram(db, platform, space_id, period)
            size = sum(people for _, people in totals)
            shown = min(max(page, 1), max(1, math.ceil(size / page_size)))
            rows = _page(db, (platform, space_id, period), totals, page_size, (shown - 1) * page_size)
            me = None
            if user_id is not None:
                row = db.execute(
                    """SELECT p.person_id, t.points FROM people AS p
                       LEFT JOIN score_totals AS t ON t.person_id = p.person_id AND t.period = ?
                       WHERE p.platform = ? AND p.space_id = ? AND p.user_id = ?""",
                    (period, platform, space_id, user_id),
                ).fetchone()
                if row is not None:
                    points = row[1]
                    rank = None if points is None else rank_in(totals, points)
                    me = Standing(person_id=int(row[0]), rank=rank, points=points or 0)
            return PeopleBoard(size=size, page=shown, rows=tuple(rows), me=me)

        return await self._read(read)

    async def people_page(self, platform: str, space_id: str, period: str, limit: int, offset: int) -> list[BoardRow]:
        """One page of a people board, best first; ties share a rank (1, 2, 2, 4)."""

        def read(db: sqlite3.Connection) -> list[BoardRow]:
            return _page(db, (platform, space_id, period), _histogram(db, platform, space_id, period), limit, offset)

        return await self._read(read)

    async def first_answer_tallies(self, platform: str, space_id: str) -> list[OptionTally]:
        """How often each option was picked as a person's first answer to a question, in one space."""
        rows = await self._fetchall(
            """SELECT a.deck_id, a.question_id, a.option_key, COUNT(*) AS picks
               FROM first_answers AS f
               JOIN answers AS a ON a.answer_id = f.answer_id
               JOIN people AS p ON p.person_id = f.person_id
               WHERE p.platform = ? AND p.space_id = ?
               GROUP BY a.deck_id, a.question_id, a.option_key""",
            (platform, space_id),
        )
        return [OptionTally(**dict(row)) for row in rows]

    async def person_totals(self, person_id: int) -> tuple[int, int]:
        """(points, answers) of one person over all time, personal runs and daily posts together."""
        return await self._read(lambda db: _totals(db, person_id))
