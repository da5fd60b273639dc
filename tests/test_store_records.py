"""Records as the store returns them, on both stores: a run's answers, written answers, reminders and plans, and what is not there."""

from __future__ import annotations

from bot.actions import AnswerAction, decode
from bot.engine import QuizEngine
from bot.store import Store
from bot.store.records import Answer, Claim, StudyPlan, WrittenGrade
from bot.views import Notice
from tests.conftest import FakeClock, QuizDatabase, person
from tests.test_engine_edges import button_for, first_card


async def test_a_written_answer_is_found_by_its_question_and_graded_once(engine: QuizEngine, store: Store, database: QuizDatabase) -> None:
    origin = person("writer")
    card = await first_card(engine, origin)
    action = decode(card.buttons[0].action_id)
    assert isinstance(action, AnswerAction)
    deck = engine.decks.default
    question = next(q for q in deck.questions if q.prompt == card.prompt)
    person_id = await store.person_id(origin)
    assert person_id is not None
    assert await store.written_for(action.run_id, 0) is None

    written, created = await store.record_written(action.run_id, 0, person_id, deck.id, question.id, "In my own words.", 100)
    assert created and (written.text, written.ticked, written.graded_at) == ("In my own words.", None, None)
    assert await store.written_for(action.run_id, 0) == written
    assert await store.written_for(action.run_id, 1) is None

    first = await store.grade_written(written.written_id, 5, 3, 200)
    due_at = await database.value("SELECT due_at FROM study_cards")
    assert first == WrittenGrade(status="graded", ticked=5, graded_card=True, next_due=due_at)
    # Graded once: a second grade changes nothing and reports the first one's ticks and the card's due time.
    assert await store.grade_written(written.written_id, 1, 1, 300) == WrittenGrade(
        status="already", ticked=5, graded_card=False, next_due=due_at
    )
    assert await database.rows("SELECT ticked, graded_at FROM written_answers") == [(5, 200)]


async def test_grading_a_written_answer_that_is_not_there_says_so(store: Store) -> None:
    assert await store.grade_written(404, 3, 3, 200) == WrittenGrade(status="no_answer")
    assert await store.written_answer(404) is None


async def test_a_reminder_set_comes_back_with_its_next_time_and_nothing_pending(store: Store) -> None:
    person_id = await store.ensure_person(person("early-bird"), 1)
    plan = await store.set_reminder(person_id, "08:30", "Europe/Berlin", 1_799_300_000, 2)
    assert plan == StudyPlan(
        person_id=person_id, zone="Europe/Berlin", remind_time="08:30", remind_next_at=1_799_300_000, notice_pending=False
    )
    assert (await store.study_state(person_id)).plan == plan


async def test_someone_with_nothing_recorded_has_no_totals_and_no_notices(store: Store) -> None:
    person_id = await store.ensure_person(person("newcomer"), 1)
    assert await store.person_totals(person_id) == (0, 0)
    assert await store.take_study_notice("console", "local", "newcomer") is None
    assert await store.take_forget_notice("no-such-identity") is None


async def test_a_reminder_is_claimed_once_a_day_refused_for_good_and_its_notice_taken_once(store: Store) -> None:
    origin = person("ada", platform="discord", space="g1")
    person_id = await store.ensure_person(origin, 1)
    await store.set_reminder(person_id, "08:30", "Europe/Berlin", 1_000, 2)
    (due,) = await store.reminders_due("discord", 1_000)
    assert await store.claim_reminder(due, "2027-01-04", 87_400, "process-a", 1_000) == 1
    assert await store.claim_reminder(due, "2027-01-04", 87_400, "process-b", 1_001) == 0  # moved on already
    # Read again by another process and claimed for the same day: that day's reminder is taken.
    await store.set_reminder(person_id, "08:30", "Europe/Berlin", 1_000, 3)
    (again,) = await store.reminders_due("discord", 1_000)
    assert await store.claim_reminder(again, "2027-01-04", 87_400, "process-b", 1_002) == 0
    assert await store.refuse_reminders(person_id, "2027-01-04", Claim("process-b", 1), "DMs closed", 1_003) is False
    assert await store.refuse_reminders(person_id, "2027-01-04", Claim("process-a", 1), "DMs closed", 1_003) is True
    plan = (await store.study_state(person_id)).plan
    assert plan is not None
    assert (plan.remind_time, plan.remind_off_reason, plan.notice_pending) == (None, "DMs closed", True)
    assert await store.take_study_notice("discord", "g1", "ada") == "DMs closed"
    assert await store.take_study_notice("discord", "g1", "ada") is None  # said once


async def test_reminders_abandoned_midway_are_failed_and_tried_again_while_attempts_remain(store: Store) -> None:
    ids = [await store.ensure_person(person(user, platform="discord", space="g1"), 1) for user in ("one", "two")]
    for person_id in ids:
        await store.set_reminder(person_id, "08:30", "UTC", 1_000, 2)
    for reminder in await store.reminders_due("discord", 1_000):
        assert await store.claim_reminder(reminder, "2027-01-04", 87_400, "stopped", 1_000) == 1
    # The process stopped while sending both: each is failed, and with attempts left comes back at the retry time.
    assert await store.fail_abandoned_reminders("discord", 1_200, "z" * 600, 1_300, 2) == 2
    assert await store.fail_abandoned_reminders("discord", 1_200, "again", 1_300, 2) == 0  # failed already
    retried = sorted(await store.reminders_due("discord", 1_300), key=lambda r: r.person_id)
    assert [r.person_id for r in retried] == ids
    for reminder in retried:
        assert await store.claim_reminder(reminder, "2027-01-04", 87_400, "stopped-again", 1_300) == 2
    # Stopped again on the last attempt allowed: failed for good, nothing comes back.
    assert await store.fail_abandoned_reminders("discord", 1_400, "z" * 600, 1_500, 2) == 2
    assert await store.reminders_due("discord", 1_500) == []


async def test_a_runs_answers_come_back_with_their_run_question_and_first_answer(
    engine: QuizEngine, store: Store, clock: FakeClock
) -> None:
    origin = person("answerer")
    card = await first_card(engine, origin)
    question = next(q for q in engine.decks.default.questions if q.prompt == card.prompt)
    right = button_for(card, engine.decks.default, correct=True)
    action = decode(right)
    assert isinstance(action, AnswerAction)
    await engine.handle(origin, right)
    assert await store.run_answers(action.run_id) == [
        Answer(
            run_id=action.run_id,
            position=0,
            question_id=question.id,
            option_key=action.option_key,
            correct=True,
            points=1,
            answered_at=int(clock.now),
        )
    ]


async def test_a_refusal_that_gave_no_reason_still_leaves_its_notice_once(engine: QuizEngine, store: Store) -> None:
    origin = person("quiet", platform="slack", space="T1")
    person_id = await store.ensure_person(origin, 1)
    await store.set_reminder(person_id, "07:00", "UTC", 1_000, 2)
    (due,) = await store.reminders_due("slack", 1_000)
    assert await store.claim_reminder(due, "2027-01-04", 87_400, "process-a", 1_000) == 1
    assert await store.refuse_reminders(person_id, "2027-01-04", Claim("process-a", 1), "", 1_001) is True
    said = await engine.command_notice(origin)  # the store hands over an empty reason: a notice all the same
    assert said is not None and isinstance(said.view, Notice)
    assert said.view.text == (
        "Your daily review reminder could not be delivered, so reminders were switched off. "
        "Turn them back on once you can get private messages from the bot."
    )
    assert await store.take_study_notice("slack", "T1", "quiet") is None  # said once


async def test_resuming_a_run_makes_no_new_run_and_uses_up_no_run_id(engine: QuizEngine, store: Store) -> None:
    first = await first_card(engine, person("resumer"))
    again = await first_card(engine, person("resumer"))
    other = await first_card(engine, person("newcomer"))
    run_ids = [decode(card.buttons[0].action_id).run_id for card in (first, again, other)]  # type: ignore[attr-defined]
    assert run_ids == [1, 1, 2]  # the next run gets the next id on both databases
