"""Points: running totals per person and period, boards, ranks and tallies."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from bot.store.base import StoreBase
from bot.store.records import BoardRow, OptionTally, QuestionTally


def credit(db: sqlite3.Connection, person: tuple[int, str, str], points: int, periods: Sequence[str]) -> None:
    """Add one answer and its points to the person's (and their team's) totals, inside the caller's transaction.

    `person` is (person id, platform, space id): the board index is by space, so the totals carry it.
    """
    person_id, platform, space_id = person
    for period in periods:
        total, answers = db.execute(
            """INSERT INTO score_totals (person_id, period, platform, space_id, points, answers) VALUES (?, ?, ?, ?, ?, 1)
               ON CONFLICT (person_id, period) DO UPDATE SET points = points + excluded.points, answers = answers + 1
               RETURNING points, answers""",
            (person_id, period, platform, space_id, points),
        ).fetchone()
        if answers == 1:  # a new person on this board
            _count_in(db, (platform, space_id, period), total, +1)
        elif points:  # moved up from one total to another
            _count_in(db, (platform, space_id, period), total - points, -1)
            _count_in(db, (platform, space_id, period), total, +1)
    if not points:
        return
    row = db.execute("SELECT team_id FROM team_members WHERE person_id = ?", (person_id,)).fetchone()
    if row is None:
        return
    team_id = int(row[0])
    for period in periods:
        # The first points a member earns for the team in a period make them one of its active members.
        new_member = (
            db.execute(
                "INSERT OR IGNORE INTO team_member_periods (team_id, period, person_id, points) VALUES (?, ?, ?, ?)",
                (team_id, period, person_id, points),
            ).rowcount
            == 1
        )
        if not new_member:
            db.execute(
                "UPDATE team_member_periods SET points = points + ? WHERE team_id = ? AND period = ? AND person_id = ?",
                (points, team_id, period, person_id),
            )
        db.execute(
            """INSERT INTO team_totals (team_id, period, points, active_members) VALUES (?, ?, ?, 1)
               ON CONFLICT (team_id, period) DO UPDATE
               SET points = points + excluded.points, active_members = active_members + ?""",
            (team_id, period, points, int(new_member)),
        )


def _count_in(db: sqlite3.Connection, board: tuple[str, str, str], points: int, change: int) -> None:
    db.execute(
        """INSERT INTO points_histogram (platform, space_id, period, points, people) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (platform, space_id, period, points) DO UPDATE SET people = people + excluded.people""",
        (*board, points, change),
    )


class ScoreStore(StoreBase):
    """Totals kept in the answer's transaction, and everything read from them."""

    async def people_page(self, platform: str, space_id: str, period: str, limit: int, offset: int) -> list[BoardRow]:
        """One page of a people board, best first; ties share a rank (1, 2, 2, 4)."""
        # The histogram says which points total the page starts in and how many people have more, so the
        # index is entered at that total and only walked within its tie group, however deep the page.
        totals = await self._fetchall(
            """SELECT points, people FROM points_histogram
               WHERE platform = ? AND space_id = ? AND period = ? AND people > 0 ORDER BY points DESC""",
            (platform, space_id, period),
        )
        above = 0
        start: int | None = None  # the points total of the page's first row
        for total, people in totals:
            if above + people > offset:
                start = total
                break
            above += people
        if start is None:
            return []
        rows = await self._fetchall(
            # The page is cut from the covering board index alone; only its rows are joined to people.
            """SELECT t.person_id, p.user_id, p.display_name, t.points
               FROM (SELECT person_id, points FROM score_totals
                     WHERE platform = ? AND space_id = ? AND period = ? AND points <= ?
                     ORDER BY points DESC, person_id LIMIT ? OFFSET ?) AS t
               JOIN people AS p ON p.person_id = t.person_id
               ORDER BY t.points DESC, t.person_id""",
            (platform, space_id, period, start, limit, offset - above),
        )
        # A row's rank is 1 + the number of people with more points.
        page: list[BoardRow] = []
        rank = above + 1
        for index, row in enumerate(rows):
            if index and row["points"] != rows[index - 1]["points"]:
                rank = offset + index + 1
            page.append(BoardRow(rank=rank, **dict(row)))
        return page

    async def _rank_of_points(self, platform: str, space_id: str, period: str, points: int) -> int:
        row = await self._fetchone(
            "SELECT COALESCE(SUM(people), 0) FROM points_histogram WHERE platform = ? AND space_id = ? AND period = ? AND points > ?",
            (platform, space_id, period, points),
        )
        return 1 + (int(row[0]) if row else 0)

    async def people_count(self, platform: str, space_id: str, period: str) -> int:
        row = await self._fetchone(
            "SELECT COALESCE(SUM(people), 0) FROM points_histogram WHERE platform = ? AND space_id = ? AND period = ?",
            (platform, space_id, period),
        )
        return int(row[0]) if row else 0

    async def person_rank(self, person_id: int, period: str) -> tuple[int, int] | None:
        """(rank, points) of one person on their space's board for the period, or None if not on it."""
        row = await self._fetchone(
            "SELECT platform, space_id, points FROM score_totals WHERE person_id = ? AND period = ?", (person_id, period)
        )
        if row is None:
            return None
        return await self._rank_of_points(row["platform"], row["space_id"], period, row["points"]), int(row["points"])

    async def person_points(self, person_id: int, periods: Sequence[str]) -> dict[str, int]:
        marks = ", ".join("?" * len(periods))
        rows = await self._fetchall(
            f"SELECT period, points FROM score_totals WHERE person_id = ? AND period IN ({marks})", (person_id, *periods)
        )
        return {row["period"]: int(row["points"]) for row in rows}

    async def question_tallies(self, person_id: int) -> list[QuestionTally]:
        rows = await self._fetchall(
            """SELECT deck_id, question_id, COUNT(*) AS answered, SUM(correct) AS correct
               FROM answers WHERE person_id = ? GROUP BY deck_id, question_id""",
            (person_id,),
        )
        return [QuestionTally(**dict(row)) for row in rows]

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
        row = await self._fetchone("SELECT points, answers FROM score_totals WHERE person_id = ? AND period = 'all'", (person_id,))
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def finished_runs(self, person_id: int) -> dict[str, int]:
        rows = await self._fetchall(
            "SELECT deck_id, COUNT(*) FROM runs WHERE person_id = ? AND finished_at IS NOT NULL GROUP BY deck_id",
            (person_id,),
        )
        return {row[0]: int(row[1]) for row in rows}
