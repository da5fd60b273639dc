"""Stats' read of one person: tallies, runs, totals, points per window, team and daily posts, in one go."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from bot.store.base import StoreBase
from bot.store.daily import daily_history
from bot.store.records import PersonSummary, QuestionTally
from bot.store.scores import _totals
from bot.store.teams import _TEAM_OF


class SummaryStore(StoreBase):
    """What stats shows of a person, read across the tables in one hop."""

    async def person_summary(self, platform: str, space_id: str, user_id: str, periods: Sequence[str]) -> PersonSummary | None:
        """A person's tallies per question, finished runs, totals, points per period, team and daily-post history, or None
        if unknown: stats in one hop to the reader."""

        def read(db: sqlite3.Connection) -> PersonSummary | None:
            row = db.execute(
                "SELECT person_id FROM people WHERE platform = ? AND space_id = ? AND user_id = ?", (platform, space_id, user_id)
            ).fetchone()
            if row is None:
                return None
            person_id = int(row[0])
            tallies = db.execute(
                """SELECT deck_id, question_id, COUNT(*) AS answered, SUM(correct) AS correct
                   FROM answers WHERE person_id = ? GROUP BY deck_id, question_id""",
                (person_id,),
            ).fetchall()
            finished = db.execute(
                "SELECT deck_id, COUNT(*) FROM runs WHERE person_id = ? AND finished_at IS NOT NULL GROUP BY deck_id", (person_id,)
            ).fetchall()
            marks = ", ".join("?" * len(periods))
            by_period = dict(
                db.execute(f"SELECT period, points FROM score_totals WHERE person_id = ? AND period IN ({marks})", (person_id, *periods))
            )
            points, answers = _totals(db, person_id)
            team = db.execute(_TEAM_OF, (person_id,)).fetchone()
            history = daily_history(db, person_id, platform, space_id)
            return PersonSummary(
                person_id=person_id,
                tallies=tuple(QuestionTally(**dict(t)) for t in tallies),
                finished_runs={str(f[0]): int(f[1]) for f in finished},
                points=points,
                answers=answers,
                points_by_period=by_period,
                team=str(team[0]) if team else None,
                daily_history=tuple(history),
            )

        return await self._read(read)
