"""Stats' read of one person on PostgreSQL: tallies, runs, totals, points per window, team and daily posts, on one connection."""

from __future__ import annotations

from collections.abc import Sequence

from bot.store.postgres.base import Connection, PostgresBase
from bot.store.postgres.daily import daily_history
from bot.store.postgres.scores import _totals
from bot.store.postgres.teams import _team_name_of
from bot.store.records import PersonSummary, QuestionTally


class PostgresSummary(PostgresBase):
    """What stats shows of a person, read across the tables in one go."""

    async def person_summary(self, platform: str, space_id: str, user_id: str, periods: Sequence[str]) -> PersonSummary | None:
        """A person's tallies per question, finished runs, totals, points per period, team and daily-post history, or None."""

        async def read(db: Connection) -> PersonSummary | None:
            person_id = await db.fetchval(
                "SELECT person_id FROM people WHERE platform = $1 AND space_id = $2 AND user_id = $3", platform, space_id, user_id
            )
            if person_id is None:
                return None
            tallies = await db.fetch(
                """SELECT deck_id, question_id, COUNT(*) AS answered, SUM(correct) AS correct
                   FROM answers WHERE person_id = $1 GROUP BY deck_id, question_id""",
                person_id,
            )
            finished = await db.fetch(
                "SELECT deck_id, COUNT(*) FROM runs WHERE person_id = $1 AND finished_at IS NOT NULL GROUP BY deck_id", person_id
            )
            by_period = await db.fetch(
                "SELECT period, points FROM score_totals WHERE person_id = $1 AND period = ANY($2::text[])", person_id, list(periods)
            )
            points, answers = await _totals(db, person_id)
            return PersonSummary(
                person_id=person_id,
                tallies=tuple(QuestionTally(**dict(t)) for t in tallies),
                finished_runs={str(f[0]): int(f[1]) for f in finished},
                points=points,
                answers=answers,
                points_by_period={str(row[0]): int(row[1]) for row in by_period},
                team=await _team_name_of(db, person_id),
                daily_history=tuple(await daily_history(db, person_id, platform, space_id)),
            )

        return await self._read(read)
