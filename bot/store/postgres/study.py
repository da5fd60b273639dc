"""Study mode on PostgreSQL: review cards graded in the answer's transaction, written answers, study plans and reminders."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from bot.store import study as shared
from bot.store.postgres.base import Connection, PostgresBase, lock_people, status_count
from bot.store.postgres.base import numbered as _numbered
from bot.store.records import Claim, Reminder, StudyPlan, StudyState, WrittenAnswer, WrittenGrade
from bot.store.study import REVIEW_DAYS_READ, _plan, _written, graded, retries_of, study_state, written_grading
from bot.store.study_rules import CardChanges, CardKey, Grading, PlanRead, RunPlace, StoredCard, grade_cards

CARDS_OF = _numbered(shared.CARDS_OF)
REVIEW_DAYS = _numbered(shared.REVIEW_DAYS)
UPSERT_CARDS = _numbered(shared.UPSERT_CARDS)
INSERT_REVIEWS = _numbered(shared.INSERT_REVIEWS)
CARD_DUE = _numbered(shared.CARD_DUE)
SET_INTERVIEW = _numbered(shared.SET_INTERVIEW)
SET_REMINDER = _numbered(shared.SET_REMINDER)
INSERT_WRITTEN = _numbered(shared.INSERT_WRITTEN)
GRADE_WRITTEN = _numbered(shared.GRADE_WRITTEN)
WRITTEN_AT_PLACE = _numbered(shared.WRITTEN_AT_PLACE)
WRITTEN_BY_ID = _numbered(shared.WRITTEN_BY_ID)
REMINDERS_DUE = _numbered(shared.REMINDERS_DUE)
MOVE_REMINDER = _numbered(shared.MOVE_REMINDER)
CLAIM_REMINDER = _numbered(shared.CLAIM_REMINDER)
FINISH_REMINDER = _numbered(shared.FINISH_REMINDER)
FAIL_ABANDONED_REMINDERS = _numbered(shared.FAIL_ABANDONED_REMINDERS)
RETRY_ABANDONED_REMINDER = _numbered(shared.RETRY_ABANDONED_REMINDER)
RETRY_REMINDER = _numbered(shared.RETRY_REMINDER)
REFUSE_REMINDERS = _numbered(shared.REFUSE_REMINDERS)
PENDING_NOTICE = _numbered(shared.PENDING_NOTICE)
CLEAR_NOTICE = _numbered(shared.CLEAR_NOTICE)


async def written_places(db: Connection, places: Sequence[RunPlace]) -> set[RunPlace]:
    """Which of these questions of runs the person has written an answer to (a pick there then scores no points)."""
    if not places:
        return set()
    unique = sorted(set(places))
    rows = await db.fetch(
        """SELECT w.run_id, w.position FROM unnest($1::bigint[], $2::int[]) AS k (run_id, position)
           JOIN written_answers AS w USING (run_id, position)""",
        [p[0] for p in unique],
        [p[1] for p in unique],
    )
    return {(row[0], row[1]) for row in rows}


async def grade(
    db: Connection, gradings: Sequence[Grading], written: Collection[RunPlace]
) -> tuple[CardChanges, dict[CardKey, StoredCard]]:
    """Grade cards with these answers inside the caller's transaction (the people's rows are locked by the caller);
    `written` as on SQLite (bot.store.study.grade)."""
    if not gradings:
        return CardChanges([], [], {}), {}
    keys = sorted({g.key for g in gradings})
    cards = {
        (row[0], row[1], row[2]): StoredCard(row[3], row[4], row[5], row[6], row[7])
        for row in await db.fetch(
            """SELECT c.person_id, c.deck_id, c.question_id, c.card, c.last_rating, c.reviews, c.first_review_at, c.due_at
               FROM unnest($1::bigint[], $2::text[], $3::text[]) AS k (person_id, deck_id, question_id)
               JOIN study_cards AS c USING (person_id, deck_id, question_id)""",
            [k[0] for k in keys],
            [k[1] for k in keys],
            [k[2] for k in keys],
        )
    }
    plans = {
        row[0]: PlanRead(row[1], row[2])
        for row in await db.fetch(
            "SELECT person_id, zone, interview_day FROM study_plans WHERE person_id = ANY($1::bigint[])",
            sorted({g.key[0] for g in gradings}),
        )
    }
    places = sorted(set(written))
    done = (
        {
            (row[0], row[1])
            for row in await db.fetch(
                """SELECT r.run_id, r.position FROM unnest($1::bigint[], $2::int[]) AS k (run_id, position)
               JOIN study_reviews AS r USING (run_id, position)""",
                [p[0] for p in places],
                [p[1] for p in places],
            )
        }
        if places
        else set()
    )
    changes = grade_cards(gradings, cards, plans, done)
    await db.executemany(UPSERT_CARDS, changes.cards)
    await db.executemany(INSERT_REVIEWS, changes.reviews)
    return changes, cards


class PostgresStudy(PostgresBase):
    """Review cards, written answers, study plans and reminders."""

    # Planning ---------------------------------------------------------------------------------------

    async def study_state(self, person_id: int) -> StudyState:
        """The person's plan, cards and latest review days, read on one connection."""

        async def read(db: Connection) -> StudyState:
            plan = await db.fetchrow("SELECT * FROM study_plans WHERE person_id = $1", person_id)
            return study_state(
                person_id, plan, await db.fetch(CARDS_OF, person_id), await db.fetch(REVIEW_DAYS, person_id, REVIEW_DAYS_READ)
            )

        return await self._read(read)

    async def set_interview(self, person_id: int, day: str | None, zone: str, at: int, *, replace_zone: bool = False) -> StudyPlan:
        """Set (or with None clear) the person's interview day; the zone as on SQLite."""

        async def write(db: Connection) -> StudyPlan:
            return _plan(await db.fetchrow(SET_INTERVIEW, person_id, zone, day, at, int(replace_zone)))

        return await self._write(write)

    async def set_reminder(self, person_id: int, remind_time: str | None, zone: str, next_at: int | None, at: int) -> StudyPlan:
        """Set the person's daily reminder (time, zone, first due instant), or with None switch it off; clears an old refusal."""

        async def write(db: Connection) -> StudyPlan:
            return _plan(await db.fetchrow(SET_REMINDER, person_id, zone, remind_time, next_at, at))

        return await self._write(write)

    # Written answers ----------------------------------------------------------------------------------

    async def record_written(
        self, run_id: int, position: int, person_id: int, deck_id: str, question_id: str, text: str, at: int
    ) -> tuple[WrittenAnswer, bool]:
        """Store an answer written to a question of a run: (it, True); the one stored before for that question, False."""

        async def write(db: Connection) -> tuple[WrittenAnswer, bool]:
            created = await db.fetchval(INSERT_WRITTEN, run_id, position, person_id, deck_id, question_id, text, at)
            return _written(await db.fetchrow(WRITTEN_AT_PLACE, run_id, position)), created is not None

        return await self._write(write)

    async def written_answer(self, written_id: int) -> WrittenAnswer | None:
        row = await self._fetchone(WRITTEN_BY_ID, written_id)
        return _written(row) if row else None

    async def written_for(self, run_id: int, position: int) -> WrittenAnswer | None:
        row = await self._fetchone(WRITTEN_AT_PLACE, run_id, position)
        return _written(row) if row else None

    async def grade_written(self, written_id: int, ticked: int, rating: int, at: int) -> WrittenGrade:
        """Grade a written answer once with the key points ticked, and its card with `rating` unless a pick graded it first."""

        async def write(db: Connection) -> WrittenGrade:
            person_id = await db.fetchval("SELECT person_id FROM written_answers WHERE written_id = $1", written_id)
            if person_id is None:
                return WrittenGrade("no_answer")
            # The person's row first, as an answer click takes it: the two then grade the card one after the other.
            await lock_people(db, [person_id])
            row = await db.fetchrow("SELECT * FROM written_answers WHERE written_id = $1", written_id)
            if row["graded_at"] is not None:
                due = await db.fetchval(CARD_DUE, row["person_id"], row["deck_id"], row["question_id"])
                return WrittenGrade("already", row["ticked"], False, due)
            await db.execute(GRADE_WRITTEN, ticked, at, written_id)
            grading = written_grading(row, rating, at)
            return graded(row, ticked, *await grade(db, [grading], [grading.place]))

        return await self._write(write)

    # Reminders ---------------------------------------------------------------------------------------

    async def reminders_due(self, platform: str, now: int) -> list[Reminder]:
        return [Reminder(**dict(row)) for row in await self._fetchall(REMINDERS_DUE, now, platform)]

    async def claim_reminder(self, reminder: Reminder, local_date: str | None, next_at: int, instance: str, at: int) -> int:
        """Move the reminder on to `next_at` and claim the person's reminder of `local_date` (see the SQLite store): the
        attempt this is, or 0. The compare-and-set on the plan's row makes a second process find it moved on."""

        async def write(db: Connection) -> int:
            moved = await db.execute(MOVE_REMINDER, next_at, reminder.person_id, reminder.remind_next_at, reminder.remind_time)
            if not status_count(moved) or local_date is None:
                return 0
            return int(await db.fetchval(CLAIM_REMINDER, reminder.person_id, local_date, instance, at) or 0)

        return await self._write(write)

    async def finish_reminder(
        self,
        person_id: int,
        local_date: str,
        claim: Claim,
        status: str,
        error: str | None = None,
        retry: tuple[int, int] | None = None,
    ) -> bool:
        """Record how a claimed reminder went (see the SQLite store); False, writing nothing, when `claim` was lost."""

        async def write(db: Connection) -> bool:
            if status_count(await db.execute(FINISH_REMINDER, status, error, person_id, local_date, *claim)) != 1:
                return False
            if retry is not None:
                await db.execute(RETRY_REMINDER, retry[1], person_id, retry[0])
            return True

        return await self._write(write)

    async def refuse_reminders(self, person_id: int, local_date: str, claim: Claim, reason: str, at: int) -> bool:
        """The platform refused the person's reminder for good: it is switched off, and their next command says why.
        False, writing nothing, when the caller no longer holds `claim`."""

        async def write(db: Connection) -> bool:
            if status_count(await db.execute(FINISH_REMINDER, "refused", reason, person_id, local_date, *claim)) != 1:
                return False
            await db.execute(REFUSE_REMINDERS, reason, at, person_id)
            return True

        return await self._write(write)

    async def fail_abandoned_reminders(self, platform: str, claimed_before: int, reason: str, retry_at: int, max_attempts: int) -> int:
        """Reminders still being sent claimed at or before `claimed_before` are marked failed and, with attempts left,
        retried from `retry_at` (see the SQLite store); how many there were."""

        async def write(db: Connection) -> int:
            abandoned = await db.fetch(FAIL_ABANDONED_REMINDERS, reason[:500], claimed_before, platform)
            retries = retries_of(abandoned, retry_at, max_attempts)
            if retries:
                await db.executemany(RETRY_ABANDONED_REMINDER, retries)
            return len(abandoned)

        return await self._write(write)

    async def take_study_notice(self, platform: str, space_id: str, user_id: str) -> str | None:
        """Why the person's reminders were switched off, once: the first command after it gets it, no later one."""
        row = await self._fetchone(PENDING_NOTICE, platform, space_id, user_id)
        if row is None:
            return None

        async def write(db: Connection) -> int:
            return status_count(await db.execute(CLEAR_NOTICE, row[0]))

        return str(row[1] or "") if await self._write(write) == 1 else None
