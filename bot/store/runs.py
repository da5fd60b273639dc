"""Personal runs and their answers, recorded once."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from bot.store.protocol import AnswerKey
from bot.store.records import RUN_OWNER, Answer, ClickOutcome, PlanStep, Run, _answer_from_row, _run_from_row, plan_json
from bot.store.rules import (
    Accepted,
    Click,
    Identity,
    Owner,
    check_clicks,
    fill_answers,
    first_answer_keys,
    gradings_of,
    score_answers,
    with_due,
)
from bot.store.scores import ScoreStore, credit_many
from bot.store.study import grade, written_places


class RunStore(ScoreStore):
    """Runs of a deck and the answers given in them."""

    async def start_run(
        self, person_id: int, deck_id: str, deck_version: int, plan: Sequence[PlanStep], at: int, kind: str = "deck"
    ) -> tuple[Run, bool]:
        """The person's open run of the deck (of this kind) if there is one (False), else a new run with this plan (True)."""
        plan_text = plan_json(plan)

        def write(db: sqlite3.Connection) -> tuple[Run, bool]:
            row = db.execute(
                "SELECT * FROM runs WHERE person_id = ? AND deck_id = ? AND kind = ? AND finished_at IS NULL", (person_id, deck_id, kind)
            ).fetchone()
            if row is not None:
                return _run_from_row(row), False
            row = db.execute(
                "INSERT INTO runs (person_id, deck_id, deck_version, plan, started_at, kind) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
                (person_id, deck_id, deck_version, plan_text, at, kind),
            ).fetchone()
            return _run_from_row(row), True

        return await self._write(write)

    async def finish_run(self, run_id: int, at: int) -> None:
        """Close a run that can no longer go on (its deck changed), keeping its answers."""
        await self._write(lambda db: db.execute("UPDATE runs SET finished_at = ? WHERE run_id = ? AND finished_at IS NULL", (at, run_id)))

    async def owned_run(self, run_id: int, platform: str, space_id: str | None, user_id: str) -> tuple[Run | None, bool]:
        """(the run, whether this identity owns it) in one read: the hot path of every click.

        `space_id` None: the click came from the person's direct messages, which own their runs in any space (rules.owns).
        """
        row = await self._fetchone(
            """SELECT r.*, p.platform = ?1 AND (?2 IS NULL OR p.space_id = ?2) AND p.user_id = ?3 AS owned
               FROM runs AS r JOIN people AS p ON p.person_id = r.person_id WHERE r.run_id = ?4""",
            (platform, space_id, user_id, run_id),
        )
        return (_run_from_row(row), bool(row["owned"])) if row else (None, False)

    async def run_answers(self, run_id: int) -> list[Answer]:
        rows = await self._fetchall("SELECT * FROM answers WHERE run_id = ? ORDER BY position", (run_id,))
        return [_answer_from_row(row) for row in rows]

    async def answer_click(
        self,
        run_id: int,
        identity: Identity,
        position: int,
        option_key: str,
        key: AnswerKey,
        at: int,
        periods: Sequence[str],
    ) -> ClickOutcome:
        """Check and record a click on an answer button: committed before this returns.

        `identity` is (platform, space id or None in direct messages, user id); `key` is the answer key the click is checked against
        (bot.store.rules.judge). Scoring rule: a correct answer scores 1 point only if it is the first answer
        the person has ever given to that question of that deck; every later answer (replays) is practice.
        Clicks that queue up together are checked and recorded together (`_record_clicks`), exactly as if one
        after the other.
        """
        return await self._write_grouped(_record_clicks, Click(run_id, identity, position, option_key, key, at, periods))


def _record_clicks(db: sqlite3.Connection, clicks: list[Click]) -> list[ClickOutcome]:
    """Check and record clicks in order, with a few statements for all of them (a grouped write of the writer)."""
    run_ids = json.dumps(sorted({c.run_id for c in clicks}))
    # Plain tuples, read by position (sqlite3.Row looks each name up): the run's columns, then its owner.
    read = db.cursor()
    read.row_factory = None
    runs: dict[int, tuple[Run, Owner]] = {
        row[0]: (_run_from_row(row), row[RUN_OWNER:])
        for row in read.execute(
            """SELECT r.*, p.platform, p.space_id, p.user_id
               FROM runs AS r JOIN people AS p ON p.person_id = r.person_id
               WHERE r.run_id IN (SELECT value FROM json_each(?))""",
            (run_ids,),
        )
    }
    # run -> position -> its stored answer, or the index (in outcomes) of the click of this batch that answered it
    answered: dict[int, dict[int, sqlite3.Row | int]] = {}
    for row in db.execute("SELECT * FROM answers WHERE run_id IN (SELECT value FROM json_each(?))", (run_ids,)):
        answered.setdefault(row["run_id"], {})[row["position"]] = row
    outcomes, accepted, repeats = check_clicks(clicks, runs, answered, _answer_from_row)
    fill_answers(outcomes, _record_answers(db, accepted), repeats)
    return outcomes


def _record_answers(db: sqlite3.Connection, accepted: list[Accepted]) -> list[tuple[int, Answer]]:
    """Insert the checked answers with their points, mark first answers and finished runs, credit the totals."""
    if not accepted:
        return []
    # Only a person's first answer to a question can score: which firsts exist is read once for the batch.
    answered_before = {
        (row[0], row[1], row[2])
        for row in db.execute(
            """SELECT f.person_id, f.deck_id, f.question_id FROM json_each(?) AS j
               JOIN first_answers AS f
                 ON f.person_id = j.value ->> 0 AND f.deck_id = j.value ->> 1 AND f.question_id = j.value ->> 2""",
            (json.dumps(first_answer_keys(accepted)),),
        )
    }
    # A question the person wrote an answer to scores nothing when picked: the checklist showed what the best answer covers.
    written = written_places(db, [(a.click.run_id, a.click.position) for a in accepted])
    scored = score_answers(accepted, answered_before, written)
    db.executemany(
        """INSERT INTO answers (run_id, position, person_id, deck_id, question_id, option_key, correct, points, answered_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        scored.rows,
    )
    db.executemany(
        """INSERT INTO first_answers (person_id, deck_id, question_id, answer_id)
           VALUES (?, ?, ?, (SELECT answer_id FROM answers WHERE run_id = ? AND position = ?))""",
        scored.firsts,
    )
    db.executemany("UPDATE runs SET finished_at = ? WHERE run_id = ?", scored.finished)
    credit_many(db, scored.credits)
    changes, cards = grade(db, gradings_of(scored.results, accepted), written)
    return with_due(scored.results, accepted, changes.due, cards)
