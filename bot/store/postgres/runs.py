"""Personal runs and their answers on PostgreSQL, recorded once even when several processes get the same click."""

from __future__ import annotations

from collections.abc import Sequence

from bot.store.postgres.base import Connection, lock_people
from bot.store.postgres.scores import PostgresScores, credit_many
from bot.store.postgres.study import grade, written_places
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


class PostgresRuns(PostgresScores):
    """Runs of a deck and the answers given in them."""

    async def start_run(
        self, person_id: int, deck_id: str, deck_version: int, plan: Sequence[PlanStep], at: int, kind: str = "deck"
    ) -> tuple[Run, bool]:
        """The person's open run of the deck (of this kind) if there is one (False), else a new run with this plan (True).

        The partial unique index allows one open run per person, deck and kind: a start racing in another process
        finds its run instead of making a second one.
        """
        plan_text = plan_json(plan)

        async def write(db: Connection) -> tuple[Run, bool]:
            open_run = "SELECT * FROM runs WHERE person_id = $1 AND deck_id = $2 AND kind = $3 AND finished_at IS NULL"
            row = await db.fetchrow(open_run, person_id, deck_id, kind)
            if row is not None:
                return _run_from_row(row), False
            row = await db.fetchrow(
                """INSERT INTO runs (person_id, deck_id, deck_version, plan, started_at, kind) VALUES ($1, $2, $3, $4, $5, $6)
                   ON CONFLICT (person_id, deck_id, kind) WHERE finished_at IS NULL DO NOTHING RETURNING *""",
                person_id,
                deck_id,
                deck_version,
                plan_text,
                at,
                kind,
            )
            if row is None:
                return _run_from_row(await db.fetchrow(open_run, person_id, deck_id, kind)), False
            return _run_from_row(row), True

        return await self._write(write)

    async def finish_run(self, run_id: int, at: int) -> None:
        """Close a run that can no longer go on (its deck changed), keeping its answers."""

        async def write(db: Connection) -> None:
            await db.execute("UPDATE runs SET finished_at = $1 WHERE run_id = $2 AND finished_at IS NULL", at, run_id)

        await self._write(write)

    async def owned_run(self, run_id: int, platform: str, space_id: str | None, user_id: str) -> tuple[Run | None, bool]:
        """(the run, whether this identity owns it) in one read; `space_id` None: a click in direct messages (see SQLiteStore)."""
        row = await self._fetchone(
            """SELECT r.*, p.platform = $1 AND ($2::text IS NULL OR p.space_id = $2) AND p.user_id = $3 AS owned
               FROM runs AS r JOIN people AS p ON p.person_id = r.person_id WHERE r.run_id = $4""",
            platform,
            space_id,
            user_id,
            run_id,
        )
        return (_run_from_row(row), bool(row["owned"])) if row else (None, False)

    async def run_answers(self, run_id: int) -> list[Answer]:
        rows = await self._fetchall("SELECT * FROM answers WHERE run_id = $1 ORDER BY position", run_id)
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
        """Check and record a click on an answer button: committed before this returns (see SQLiteStore.answer_click)."""
        return await self._write_grouped(_record_clicks, Click(run_id, identity, position, option_key, key, at, periods))


async def _record_clicks(db: Connection, clicks: list[Click]) -> list[ClickOutcome]:
    """Check and record clicks in order (a grouped write). The runs' people are locked first, so a click that
    reached another process at the same time is checked after that one committed: answered once, scored once."""
    rows = await db.fetch(
        """SELECT r.*, p.platform, p.space_id, p.user_id
           FROM runs AS r JOIN people AS p ON p.person_id = r.person_id WHERE r.run_id = ANY($1::bigint[])""",
        sorted({c.run_id for c in clicks}),
    )
    runs: dict[int, tuple[Run, Owner]] = {row[0]: (_run_from_row(row), tuple(row[RUN_OWNER:])) for row in rows}  # type: ignore[misc]
    await lock_people(db, (run.person_id for run, _ in runs.values()))
    answered: dict[int, dict[int, object]] = {}
    for row in await db.fetch("SELECT * FROM answers WHERE run_id = ANY($1::bigint[])", list(runs)):
        answered.setdefault(row["run_id"], {})[row["position"]] = row
    outcomes, accepted, repeats = check_clicks(clicks, runs, answered, _answer_from_row)
    fill_answers(outcomes, await _record_answers(db, accepted), repeats)
    return outcomes


async def _record_answers(db: Connection, accepted: list[Accepted]) -> list[tuple[int, Answer]]:
    """Insert the checked answers with their points, mark first answers and finished runs, credit the totals."""
    if not accepted:
        return []
    keys = first_answer_keys(accepted)
    answered_before = {
        (row[0], row[1], row[2])
        for row in await db.fetch(
            """SELECT f.person_id, f.deck_id, f.question_id
               FROM unnest($1::bigint[], $2::text[], $3::text[]) AS k (person_id, deck_id, question_id)
               JOIN first_answers AS f USING (person_id, deck_id, question_id)""",
            [k[0] for k in keys],
            [k[1] for k in keys],
            [k[2] for k in keys],
        )
    }
    # A question the person wrote an answer to scores nothing when picked: the checklist showed what the best answer covers.
    written = await written_places(db, [(a.click.run_id, a.click.position) for a in accepted])
    scored = score_answers(accepted, answered_before, written)
    await db.executemany(
        """INSERT INTO answers (run_id, position, person_id, deck_id, question_id, option_key, correct, points, answered_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        scored.rows,
    )
    await db.executemany(
        """INSERT INTO first_answers (person_id, deck_id, question_id, answer_id)
           SELECT $1, $2, $3, answer_id FROM answers WHERE run_id = $4 AND position = $5""",
        scored.firsts,
    )
    await db.executemany("UPDATE runs SET finished_at = $1 WHERE run_id = $2", scored.finished)
    await credit_many(db, scored.credits)
    changes, cards = await grade(db, gradings_of(scored.results, accepted), written)
    return with_due(scored.results, accepted, changes.due, cards)
