"""Personal runs and their answers, recorded once."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.store.records import (
    Answer,
    AnswerOutcome,
    PlanStep,
    Run,
    _answer_from_row,
    _run_from_row,
)
from bot.store.scores import ScoreStore


class RunStore(ScoreStore):
    """Runs of a deck and the answers given in them."""

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
