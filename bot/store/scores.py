"""Points: running totals per person and period, boards, ranks and tallies."""

from __future__ import annotations

import json
import math
import sqlite3
from collections import Counter
from collections.abc import Sequence
from typing import Any, NamedTuple

from bot.store.base import StoreBase
from bot.store.records import BoardRow, OptionTally, PeopleBoard, Standing


class Credit(NamedTuple):  # built per click: a tuple is cheaper than a frozen dataclass
    """One answer to add to its person's totals: who, on which board (platform and space), its points and periods."""

    person_id: int
    platform: str
    space_id: str
    points: int
    periods: Sequence[str]


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
    added: dict[tuple[int, str], list[Any]] = {}  # (person, period) -> [platform, space, points, answers]
    histogram: Counter[tuple[str, str, str, int]] = Counter()  # (platform, space, period, points) -> people
    for c in credits:
        for period in c.periods:
            key = (c.person_id, period)
            before = points_of.get(key)
            after = (before or 0) + c.points
            if before is None:  # a new person on this board
                histogram[(c.platform, c.space_id, period, after)] += 1
            elif c.points:  # moved up from one total to another
                histogram[(c.platform, c.space_id, period, before)] -= 1
                histogram[(c.platform, c.space_id, period, after)] += 1
            points_of[key] = after
            change = added.setdefault(key, [c.platform, c.space_id, 0, 0])
            change[2] += c.points
            change[3] += 1
    db.executemany(
        """INSERT INTO score_totals (person_id, period, platform, space_id, points, answers) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (person_id, period) DO UPDATE
           SET points = points + excluded.points, answers = answers + excluded.answers""",
        [(person_id, period, *change) for (person_id, period), change in added.items()],
    )
    db.executemany(
        """INSERT INTO points_histogram (platform, space_id, period, points, people) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (platform, space_id, period, points) DO UPDATE SET people = people + excluded.people""",
        [(*board, people) for board, people in histogram.items() if people],
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
    earned: dict[tuple[int, str, int], int] = {}  # (team, period, person) -> points
    board_of: dict[int, tuple[str, str]] = {}  # team -> (platform, space): a team is in its members' space
    for c in scorers:
        team_id = team_of.get(c.person_id)
        if team_id is not None:
            board_of[team_id] = (c.platform, c.space_id)
            for period in c.periods:
                key = (team_id, period, c.person_id)
                earned[key] = earned.get(key, 0) + c.points
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
    team_added: dict[tuple[int, str], list[int]] = {}  # (team, period) -> [points, newly active members]
    for (team_id, period, person_id), points in earned.items():
        change = team_added.setdefault((team_id, period), [0, 0])
        change[0] += points
        change[1] += (team_id, period, person_id) not in active
    db.executemany(
        """INSERT INTO team_member_periods (team_id, period, person_id, points) VALUES (?, ?, ?, ?)
           ON CONFLICT (team_id, period, person_id) DO UPDATE SET points = points + excluded.points""",
        [(*key, points) for key, points in earned.items()],
    )
    # A new row always has an active member (it is made by a member's first points in the period); when the
    # row exists the inserted values only feed `excluded`, and ?4 may be 0 there, hence MAX.
    db.executemany(
        """INSERT INTO team_totals (team_id, period, points, active_members, platform, space_id, average)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ROUND(CAST(?3 AS REAL) / MAX(?4, 1), 2))
           ON CONFLICT (team_id, period) DO UPDATE
           SET points = points + excluded.points, active_members = active_members + excluded.active_members,
               average = ROUND(CAST(points + excluded.points AS REAL) / (active_members + excluded.active_members), 2)""",
        [(team_id, period, *change, *board_of[team_id]) for (team_id, period), change in team_added.items()],
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
    # The histogram says which points total the page starts in and how many people have more, so the
    # index is entered at that total and only walked within its tie group, however deep the page.
    above = 0
    start: int | None = None  # the points total of the page's first row
    for total, people in totals:
        if above + people > offset:
            start = total
            break
        above += people
    if start is None:
        return []
    # The page is cut from the covering board index alone; only its rows are joined to people. Within a
    # tie group the index is walked row by row, so a page nearer the board's end is read from the end.
    skip = offset - above  # rows with `start` points or fewer that come before the page
    remaining = sum(people for _, people in totals) - above  # rows with `start` points or fewer
    from_end = remaining - skip - limit  # rows after the page (negative: the page runs past the end)
    if from_end < skip:
        order, cut = "points, person_id DESC", (limit + min(from_end, 0), max(from_end, 0))
    else:
        order, cut = "points DESC, person_id", (limit, skip)
    rows = db.execute(
        f"""SELECT t.person_id, p.user_id, p.display_name, t.points
           FROM (SELECT person_id, points FROM score_totals
                 WHERE platform = ? AND space_id = ? AND period = ? AND points <= ?
                 ORDER BY {order} LIMIT ? OFFSET ?) AS t
           JOIN people AS p ON p.person_id = t.person_id
           ORDER BY t.points DESC, t.person_id""",
        (*board, start, *cut),
    ).fetchall()
    # A row's rank is 1 + the number of people with more points.
    page: list[BoardRow] = []
    rank = above + 1
    for index, row in enumerate(rows):
        if index and row["points"] != rows[index - 1]["points"]:
            rank = offset + index + 1
        page.append(BoardRow(rank=rank, **dict(row)))
    return page


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
                    rank = None if points is None else 1 + sum(people for total, people in totals if total > points)
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
