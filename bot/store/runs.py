"""Personal runs and their answers, recorded once."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from bot.store.records import Answer, ClickOutcome, PlanStep, Run, _answer_from_row, _run_from_row, plan_json
from bot.store.scores import ScoreStore, credit


class RunStore(ScoreStore):
    """Runs of a deck and the answers given in them."""

    async def start_run(self, person_id: int, deck_id: str, deck_version: int, plan: Sequence[PlanStep], at: int) -> tuple[Run, bool]:
        """The person's open run of the deck if there is one (False), else a new run with this plan (True)."""
        plan_text = plan_json(plan)

        def write(db: sqlite3.Connection) -> tuple[Run, bool]:
            row = db.execute(
                "SELECT * FROM runs WHERE person_id = ? AND deck_id = ? AND finished_at IS NULL", (person_id, deck_id)
            ).fetchone()
            if row is not None:
                return _run_from_row(row), False
            row = db.execute(
                "INSERT INTO runs (person_id, deck_id, deck_version, plan, started_at) VALUES (?, ?, ?, ?, ?) RETURNING *",
                (person_id, deck_id, deck_version, plan_text, at),
            ).fetchone()
            return _run_from_row(row), True

        return await self._write(write)

    async def finish_run(self, run_id: int, at: int) -> None:
        """Close a run that can no longer go on (its deck changed), keeping its answers."""
        await self._write(lambda db: db.execute("UPDATE runs SET finished_at = ? WHERE run_id = ? AND finished_at IS NULL", (at, run_id)))

    async def run(self, run_id: int) -> Run | None:
        row = await self._fetchone("SELECT * FROM runs WHERE run_id = ?", (run_id,))
        return _run_from_row(row) if row else None

    async def owned_run(self, run_id: int, platform: str, space_id: str, user_id: str) -> tuple[Run | None, bool]:
        """(the run, whether this identity owns it) in one read: the hot path of every click."""
        row = await self._fetchone(
            """SELECT r.*, p.platform = ? AND p.space_id = ? AND p.user_id = ? AS owned
               FROM runs AS r JOIN people AS p ON p.person_id = r.person_id WHERE r.run_id = ?""",
            (platform, space_id, user_id, run_id),
        )
        return (_run_from_row(row), bool(row["owned"])) if row else (None, False)

    async def run_answers(self, run_id: int) -> list[Answer]:
        rows = await self._fetchall("SELECT * FROM answers WHERE run_id = ? ORDER BY position", (run_id,))
        return [_answer_from_row(row) for row in rows]

    async def answer_click(
        self,
        run_id: int,
        identity: tuple[str, str, str],
        position: int,
        option_key: str,
        judge: Callable[[Run], bool | None],
        at: int,
        periods: Sequence[str],
    ) -> ClickOutcome:
        """Check and record a click on an answer button in one write: committed before this returns.

        `identity` is (platform, space id, user id); `judge` says whether the option is correct for
        this run, or None when the click does not fit the run. Scoring rule: a correct answer scores
        1 point only if it is the first answer the person has ever given to that question of that
        deck; every later answer (replays) is practice.
        """

        def write(db: sqlite3.Connection) -> ClickOutcome:
            row = db.execute(
                """SELECT r.*, p.platform, p.space_id, p.platform = ? AND p.space_id = ? AND p.user_id = ? AS owned
                   FROM runs AS r JOIN people AS p ON p.person_id = r.person_id WHERE r.run_id = ?""",
                (*identity, run_id),
            ).fetchone()
            if row is None:
                return ClickOutcome(status="no_run")
            run = _run_from_row(row)
            if not row["owned"]:
                return ClickOutcome(status="not_owner", run=run)
            correct = judge(run)
            if correct is None:
                return ClickOutcome(status="invalid", run=run)
            answers = db.execute("SELECT * FROM answers WHERE run_id = ? ORDER BY position", (run_id,)).fetchall()
            existing = next((a for a in answers if a["position"] == position), None)
            if existing is not None:
                return ClickOutcome(status="already_answered", run=run, answer=_answer_from_row(existing))
            if len(answers) != position:
                return ClickOutcome(status="not_current", run=run)
            question_id = run.plan[position].question
            # Only a person's first answer to a question can score: one statement decides and records it.
            answer_id, points = db.execute(
                """INSERT INTO answers (run_id, position, person_id, deck_id, question_id, option_key, correct, points, answered_at)
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,
                           ?7 AND NOT EXISTS (SELECT 1 FROM first_answers WHERE person_id = ?3 AND deck_id = ?4 AND question_id = ?5),
                           ?8)
                   RETURNING answer_id, points""",
                (run_id, position, run.person_id, run.deck_id, question_id, option_key, int(correct), at),
            ).fetchone()
            db.execute(
                "INSERT OR IGNORE INTO first_answers (person_id, deck_id, question_id, answer_id) VALUES (?, ?, ?, ?)",
                (run.person_id, run.deck_id, question_id, answer_id),
            )
            credit(db, (run.person_id, row["platform"], row["space_id"]), points, periods)
            if position == len(run.plan) - 1:
                db.execute("UPDATE runs SET finished_at = ? WHERE run_id = ?", (at, run_id))
            answer = Answer(
                run_id=run_id,
                position=position,
                question_id=question_id,
                option_key=option_key,
                correct=correct,
                points=points,
                answered_at=at,
            )
            return ClickOutcome(status="recorded", run=run, answer=answer)

        return await self._write(write)
