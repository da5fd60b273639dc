"""Study mode on SQLite: review cards graded in the answer's transaction, written answers, study plans and reminders."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Sequence
from typing import Any

from bot.store.base import StoreBase
from bot.store.records import Claim, Reminder, StudyCard, StudyPlan, StudyState, WrittenAnswer, WrittenGrade
from bot.store.study_rules import CardChanges, CardKey, Grading, PlanRead, RunPlace, StoredCard, grade_cards

REVIEW_DAYS_READ = 400  # a study streak is counted over at most this many of the latest days with a review

# The SQL both stores run alike, with SQLite's `?` placeholders (the PostgreSQL store numbers them: bot.store.postgres.study).
CARDS_OF = """SELECT deck_id, question_id, due_at, last_rating, reviews, first_review_at, last_review_at
    FROM study_cards WHERE person_id = ?"""
REVIEW_DAYS = "SELECT DISTINCT local_day FROM study_reviews WHERE person_id = ? ORDER BY local_day DESC LIMIT ?"
UPSERT_CARDS = """INSERT INTO study_cards
        (person_id, deck_id, question_id, card, due_at, last_rating, reviews, first_review_at, last_review_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (person_id, deck_id, question_id) DO UPDATE SET card = excluded.card, due_at = excluded.due_at,
        last_rating = excluded.last_rating, reviews = excluded.reviews, last_review_at = excluded.last_review_at"""
INSERT_REVIEWS = """INSERT INTO study_reviews
        (person_id, deck_id, question_id, run_id, position, source, rating, reviewed_at, local_day, due_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
CARD_DUE = "SELECT due_at FROM study_cards WHERE person_id = ? AND deck_id = ? AND question_id = ?"
SET_INTERVIEW = """INSERT INTO study_plans (person_id, zone, interview_day, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (person_id) DO UPDATE SET interview_day = excluded.interview_day, updated_at = excluded.updated_at,
        zone = CASE WHEN ? = 1 THEN excluded.zone ELSE study_plans.zone END
    RETURNING *"""
SET_REMINDER = """INSERT INTO study_plans (person_id, zone, remind_time, remind_next_at, updated_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (person_id) DO UPDATE SET zone = excluded.zone, remind_time = excluded.remind_time,
        remind_next_at = excluded.remind_next_at, remind_off_reason = NULL, notice_pending = 0, updated_at = excluded.updated_at
    RETURNING *"""
INSERT_WRITTEN = """INSERT INTO written_answers (run_id, position, person_id, deck_id, question_id, text, written_at)
    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, position) DO NOTHING RETURNING written_id"""
GRADE_WRITTEN = "UPDATE written_answers SET ticked = ?, graded_at = ? WHERE written_id = ?"
REMINDERS_DUE = """SELECT s.person_id, p.platform, p.space_id, p.user_id, s.zone, s.remind_time, s.remind_next_at
    FROM study_plans AS s JOIN people AS p ON p.person_id = s.person_id
    WHERE s.remind_next_at <= ? AND s.remind_time IS NOT NULL AND p.platform = ? ORDER BY s.remind_next_at"""
# Compare-and-set: a reminder moved on by another process (or changed by its person) since it was read is not moved again.
MOVE_REMINDER = "UPDATE study_plans SET remind_next_at = ? WHERE person_id = ? AND remind_next_at = ? AND remind_time = ?"
# A day's reminder is claimed once; only a failed one is claimed again (its retry).
CLAIM_REMINDER = """INSERT INTO study_reminders (person_id, local_date, status, attempts, claimed_by, claimed_at)
    VALUES (?, ?, 'sending', 1, ?, ?)
    ON CONFLICT (person_id, local_date) DO UPDATE SET status = 'sending', attempts = study_reminders.attempts + 1,
        claimed_by = excluded.claimed_by, claimed_at = excluded.claimed_at
    WHERE study_reminders.status = 'failed'
    RETURNING attempts"""
# The day's last error stays when a retry went through. Written only while the caller still holds its claim (instance,
# attempt): once the lease has passed (bot.daily.SEND_LEASE) another process may have taken the reminder over.
FINISH_REMINDER = """UPDATE study_reminders SET status = ?, last_error = COALESCE(?, last_error)
    WHERE person_id = ? AND local_date = ? AND status = 'sending' AND claimed_by = ? AND attempts = ?"""
# Reminders still being sent long after their claim were abandoned by a process that stopped midway: marked failed (one
# statement, so of several processes each row is marked by one) ...
FAIL_ABANDONED_REMINDERS = """UPDATE study_reminders SET status = 'failed', last_error = ?
    WHERE status = 'sending' AND claimed_at <= ? AND person_id IN (SELECT person_id FROM people WHERE platform = ?)
    RETURNING person_id, attempts"""
# ... and, unless that was the day's last attempt, the person's next reminder brought forward to the retry, which sends it
# if that is still its day (bot.reminders).
RETRY_ABANDONED_REMINDER = "UPDATE study_plans SET remind_next_at = ? WHERE person_id = ? AND remind_next_at > ?"
RETRY_REMINDER = "UPDATE study_plans SET remind_next_at = ? WHERE person_id = ? AND remind_next_at = ?"
REFUSE_REMINDERS = """UPDATE study_plans SET remind_time = NULL, remind_next_at = NULL, remind_off_reason = ?, notice_pending = 1,
    updated_at = ? WHERE person_id = ?"""
PENDING_NOTICE = """SELECT s.person_id, s.remind_off_reason FROM study_plans AS s JOIN people AS p ON p.person_id = s.person_id
    WHERE p.platform = ? AND p.space_id = ? AND p.user_id = ? AND s.notice_pending = 1"""
CLEAR_NOTICE = "UPDATE study_plans SET notice_pending = 0 WHERE person_id = ? AND notice_pending = 1"

_WRITTEN = """SELECT w.written_id, w.run_id, w.position, w.person_id, w.deck_id, w.question_id, w.text, w.written_at, w.ticked,
    w.graded_at, p.platform, p.space_id, p.user_id FROM written_answers AS w JOIN people AS p ON p.person_id = w.person_id"""


WRITTEN_AT_PLACE = f"{_WRITTEN} WHERE w.run_id = ? AND w.position = ?"
WRITTEN_BY_ID = f"{_WRITTEN} WHERE w.written_id = ?"


def _plan(row: sqlite3.Row) -> StudyPlan:
    return StudyPlan(
        person_id=row["person_id"],
        zone=row["zone"],
        interview_day=row["interview_day"],
        remind_time=row["remind_time"],
        remind_next_at=row["remind_next_at"],
        remind_off_reason=row["remind_off_reason"],
        notice_pending=bool(row["notice_pending"]),
    )


def _written(row: sqlite3.Row) -> WrittenAnswer:
    owner = ("platform", "space_id", "user_id")
    return WrittenAnswer(**{k: row[k] for k in row.keys() if k not in owner}, owner=tuple(row[k] for k in owner))


def study_state(person_id: int, plan: Any, cards: Sequence[Any], days: Sequence[Any]) -> StudyState:
    """A StudyState from the rows read (a plan row or None, card rows as CARDS_OF reads them, review days)."""
    return StudyState(
        person_id=person_id,
        plan=_plan(plan) if plan else None,
        cards=tuple(StudyCard(**dict(row)) for row in cards),
        review_days=tuple(str(row[0]) for row in days),
    )


def retries_of(abandoned: Sequence[Any], retry_at: int, max_attempts: int) -> list[tuple[int, int, int]]:
    """RETRY_ABANDONED_REMINDER's parameters for the abandoned reminders (person, attempts) that have attempts left."""
    return [(retry_at, row[0], retry_at) for row in abandoned if row[1] < max_attempts]


def written_grading(row: Any, rating: int, at: int) -> Grading:
    """The grading of a card by a written answer (a row of written_answers)."""
    return Grading((row["person_id"], row["deck_id"], row["question_id"]), (row["run_id"], row["position"]), at, rating=rating)


def graded(row: Any, ticked: int, changes: CardChanges, cards: dict[CardKey, StoredCard]) -> WrittenGrade:
    """What grading a written answer (a row of written_answers) did: whether it graded its card, and when that is due."""
    place, key = (row["run_id"], row["position"]), (row["person_id"], row["deck_id"], row["question_id"])
    due = changes.due.get(place, cards[key].due_at if key in cards else None)
    return WrittenGrade("graded", ticked, place in changes.due, due)


def written_places(db: sqlite3.Connection, places: Sequence[RunPlace]) -> set[RunPlace]:
    """Which of these questions of runs the person has written an answer to (a pick there then scores no points)."""
    if not places:
        return set()
    return {
        (row[0], row[1])
        for row in db.execute(
            """SELECT w.run_id, w.position FROM json_each(?) AS j
               JOIN written_answers AS w ON w.run_id = j.value ->> 0 AND w.position = j.value ->> 1""",
            (json.dumps(sorted(set(places))),),
        )
    }


def grade(
    db: sqlite3.Connection, gradings: Sequence[Grading], written: Collection[RunPlace]
) -> tuple[CardChanges, dict[CardKey, StoredCard]]:
    """Grade cards with these answers inside the caller's transaction; returns what was written and the cards as read.
    `written`: the places among them with a written answer, the only ones that may have been graded already."""
    if not gradings:
        return CardChanges([], [], {}), {}
    keys = json.dumps(sorted({g.key for g in gradings}))
    cards = {
        (row[0], row[1], row[2]): StoredCard(row[3], row[4], row[5], row[6], row[7])
        for row in db.execute(
            """SELECT c.person_id, c.deck_id, c.question_id, c.card, c.last_rating, c.reviews, c.first_review_at, c.due_at
               FROM json_each(?) AS j
               JOIN study_cards AS c ON c.person_id = j.value ->> 0 AND c.deck_id = j.value ->> 1 AND c.question_id = j.value ->> 2""",
            (keys,),
        )
    }
    plans = {
        row[0]: PlanRead(row[1], row[2])
        for row in db.execute(
            "SELECT person_id, zone, interview_day FROM study_plans WHERE person_id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted({g.key[0] for g in gradings})),),
        )
    }
    done = (
        {
            (row[0], row[1])
            for row in db.execute(
                """SELECT r.run_id, r.position FROM json_each(?) AS j
               JOIN study_reviews AS r ON r.run_id = j.value ->> 0 AND r.position = j.value ->> 1""",
                (json.dumps(sorted(set(written))),),
            )
        }
        if written
        else set()
    )
    changes = grade_cards(gradings, cards, plans, done)
    db.executemany(UPSERT_CARDS, changes.cards)
    db.executemany(INSERT_REVIEWS, changes.reviews)
    return changes, cards


class StudyStore(StoreBase):
    """Review cards, written answers, study plans and reminders."""

    # Planning ---------------------------------------------------------------------------------------

    async def study_state(self, person_id: int) -> StudyState:
        """The person's plan, cards and latest review days, read in one hop."""

        def read(db: sqlite3.Connection) -> StudyState:
            plan = db.execute("SELECT * FROM study_plans WHERE person_id = ?", (person_id,)).fetchone()
            return study_state(
                person_id,
                plan,
                db.execute(CARDS_OF, (person_id,)).fetchall(),
                db.execute(REVIEW_DAYS, (person_id, REVIEW_DAYS_READ)).fetchall(),
            )

        return await self._read(read)

    async def set_interview(self, person_id: int, day: str | None, zone: str, at: int, *, replace_zone: bool = False) -> StudyPlan:
        """Set (or with None clear) the person's interview day. A plan made now takes `zone`; an existing one keeps its own
        unless `replace_zone` (the person named their timezone with the date)."""
        values = (person_id, zone, day, at, int(replace_zone))
        return await self._write(lambda db: _plan(db.execute(SET_INTERVIEW, values).fetchone()))

    async def set_reminder(self, person_id: int, remind_time: str | None, zone: str, next_at: int | None, at: int) -> StudyPlan:
        """Set the person's daily reminder (time, zone, first due instant), or with None switch it off; clears an old refusal."""
        return await self._write(lambda db: _plan(db.execute(SET_REMINDER, (person_id, zone, remind_time, next_at, at)).fetchone()))

    # Written answers ----------------------------------------------------------------------------------

    async def record_written(
        self, run_id: int, position: int, person_id: int, deck_id: str, question_id: str, text: str, at: int
    ) -> tuple[WrittenAnswer, bool]:
        """Store an answer written to a question of a run: (it, True); the one stored before for that question, False."""

        def write(db: sqlite3.Connection) -> tuple[WrittenAnswer, bool]:
            created = db.execute(INSERT_WRITTEN, (run_id, position, person_id, deck_id, question_id, text, at)).fetchone()
            return _written(db.execute(WRITTEN_AT_PLACE, (run_id, position)).fetchone()), created is not None

        return await self._write(write)

    async def written_answer(self, written_id: int) -> WrittenAnswer | None:
        row = await self._fetchone(WRITTEN_BY_ID, (written_id,))
        return _written(row) if row else None

    async def written_for(self, run_id: int, position: int) -> WrittenAnswer | None:
        row = await self._fetchone(WRITTEN_AT_PLACE, (run_id, position))
        return _written(row) if row else None

    async def grade_written(self, written_id: int, ticked: int, rating: int, at: int) -> WrittenGrade:
        """Grade a written answer once with the key points ticked, and its card with `rating` unless a pick graded it first."""

        def write(db: sqlite3.Connection) -> WrittenGrade:
            row = db.execute("SELECT * FROM written_answers WHERE written_id = ?", (written_id,)).fetchone()
            if row is None:
                return WrittenGrade("no_answer")
            key = (row["person_id"], row["deck_id"], row["question_id"])
            if row["graded_at"] is not None:
                due = db.execute(CARD_DUE, key).fetchone()
                return WrittenGrade("already", row["ticked"], False, due[0] if due else None)
            db.execute(GRADE_WRITTEN, (ticked, at, written_id))
            grading = written_grading(row, rating, at)
            return graded(row, ticked, *grade(db, [grading], [grading.place]))

        return await self._write(write)

    # Reminders ---------------------------------------------------------------------------------------

    async def reminders_due(self, platform: str, now: int) -> list[Reminder]:
        return [Reminder(**dict(row)) for row in await self._fetchall(REMINDERS_DUE, (now, platform))]

    async def claim_reminder(self, reminder: Reminder, local_date: str | None, next_at: int, instance: str, at: int) -> int:
        """Move the reminder on to `next_at` and claim the person's reminder of `local_date`, in one transaction: the
        attempt this is (1, or more for a failed one tried again).

        0 when another process (or an earlier run of this one) moved it on first, the person changed it since it was
        read, or that day's reminder was already claimed and not failed: so it is sent once per day whatever happens.
        With `local_date` None it is only moved on (a day that passed while no process ran).
        """

        def write(db: sqlite3.Connection) -> int:
            moved = db.execute(MOVE_REMINDER, (next_at, reminder.person_id, reminder.remind_next_at, reminder.remind_time)).rowcount
            if not moved or local_date is None:
                return 0
            claimed = db.execute(CLAIM_REMINDER, (reminder.person_id, local_date, instance, at)).fetchone()
            return int(claimed[0]) if claimed else 0

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
        """Record how a claimed reminder went; `retry` (next due instant as claimed, retry instant) brings it back sooner.
        False, writing nothing, when the caller no longer holds `claim`."""

        def write(db: sqlite3.Connection) -> bool:
            if db.execute(FINISH_REMINDER, (status, error, person_id, local_date, *claim)).rowcount != 1:
                return False
            if retry is not None:
                db.execute(RETRY_REMINDER, (retry[1], person_id, retry[0]))
            return True

        return await self._write(write)

    async def refuse_reminders(self, person_id: int, local_date: str, claim: Claim, reason: str, at: int) -> bool:
        """The platform refused the person's reminder for good: it is switched off, and their next command says why.
        False, writing nothing, when the caller no longer holds `claim`."""

        def write(db: sqlite3.Connection) -> bool:
            if db.execute(FINISH_REMINDER, ("refused", reason, person_id, local_date, *claim)).rowcount != 1:
                return False
            db.execute(REFUSE_REMINDERS, (reason, at, person_id))
            return True

        return await self._write(write)

    async def fail_abandoned_reminders(self, platform: str, claimed_before: int, reason: str, retry_at: int, max_attempts: int) -> int:
        """Reminders still being sent claimed at or before `claimed_before` (the process sending them stopped midway) are
        marked failed with `reason`, and those with fewer than `max_attempts` brought forward to `retry_at`; how many."""

        def write(db: sqlite3.Connection) -> int:
            abandoned = db.execute(FAIL_ABANDONED_REMINDERS, (reason[:500], claimed_before, platform)).fetchall()
            db.executemany(RETRY_ABANDONED_REMINDER, retries_of(abandoned, retry_at, max_attempts))
            return len(abandoned)

        return await self._write(write)

    async def take_study_notice(self, platform: str, space_id: str, user_id: str) -> str | None:
        """Why the person's reminders were switched off, once: the first command after it gets it, no later one."""
        row = await self._fetchone(PENDING_NOTICE, (platform, space_id, user_id))
        if row is None:
            return None
        cleared = await self._write(lambda db: db.execute(CLEAR_NOTICE, (row[0],)).rowcount)
        return str(row[1] or "") if cleared == 1 else None
