"""Study mode through the engine and a real store (SQLite and PostgreSQL), on a fake clock: review runs, the interview
date, answers written in one's own words, and reminders sent once a day."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.actions import AnswerAction, GradeAction, ReviewAction, TickAction, WriteAction, decode
from bot.content import DeckLibrary
from bot.daily import PublishError
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.reminders import RecipientRefused, ReminderTarget
from bot.store import Store
from bot.study import FINAL_DAYS
from bot.views import AnswerFeedback, Notice, QuestionCard, ScoreCard, StatsView, WritePrompt, WrittenChecklist, WrittenResult
from tests.conftest import FakeClock, QuizDatabase

BERLIN = ZoneInfo("Europe/Berlin")
SYSTEMS = "recsys-platform-systems"


def at(day: date, hour: int = 8, minute: int = 0, zone: ZoneInfo = BERLIN) -> float:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).timestamp()


def learner(user: str = "ada", space: str = "g1", *, timezone: str | None = "Europe/Berlin", direct: bool = False) -> Origin:
    return Origin(platform="discord", space_id=space, user_id=user, display_name=user, timezone=timezone, direct=direct)


def correct_button(engine: QuizEngine, card: QuestionCard, run_deck: str) -> str:
    deck = engine.decks.get(run_deck)
    assert deck is not None
    assert all(isinstance(decode(b.action_id), AnswerAction) for b in card.buttons)
    # The card names its question by its prompt: the best option is the one whose key the deck marks correct.
    question = next(q for q in deck.questions if q.prompt == card.prompt)
    return next(b.action_id for b in card.buttons if decode(b.action_id).option_key == question.correct_option.key)  # type: ignore[attr-defined]


def wrong_button(engine: QuizEngine, card: QuestionCard, deck_id: str) -> str:
    best = correct_button(engine, card, deck_id)
    return next(b.action_id for b in card.buttons if b.action_id != best)


async def answer_run(engine: QuizEngine, origin: Origin, card: QuestionCard, deck_id: str, pick: object) -> ScoreCard:
    """Answer every question of the run the card belongs to, `pick(card)` choosing right (True) or wrong; the score card."""
    view: object = card
    while isinstance(view, QuestionCard):
        button = correct_button(engine, view, deck_id) if pick(view) else wrong_button(engine, view, deck_id)  # type: ignore[operator]
        feedback = (await engine.handle(origin, button)).view
        assert isinstance(feedback, AnswerFeedback), feedback
        assert feedback.next_review is not None and feedback.next_review.startswith("Comes back for review")
        view = (await engine.handle(origin, feedback.buttons[0].action_id)).view
    assert isinstance(view, ScoreCard), view
    return view


async def review_everything(engine: QuizEngine, origin: Origin, deck_id: str, pick: object) -> int:
    """Review until nothing is due today; the number of questions reviewed."""
    reviewed = 0
    while True:
        reply = await engine.review(origin, deck_id)
        if isinstance(reply.view, Notice):
            assert reply.view.title == "All caught up", reply.view
            return reviewed
        assert isinstance(reply.view, QuestionCard)
        score = await answer_run(engine, origin, reply.view, deck_id, pick)
        assert score.points == 0 and score.buttons[0].action_id == ReviewAction().encode()
        reviewed += score.total


# The review queue ------------------------------------------------------------------------------------------


async def test_thirty_days_with_an_interview_on_day_20_review_every_question_in_its_last_three_days(
    engine: QuizEngine, clock: FakeClock, database: QuizDatabase
) -> None:
    start = date(2027, 3, 1)
    interview = start + timedelta(days=20)
    origin = learner()
    clock.now = at(start, 7)
    set_reply = await engine.interview(origin, interview.isoformat())
    assert set_reply.view.title == "Interview date set", set_reply.view  # type: ignore[union-attr]
    rng = random.Random(5)
    for day in range(30):
        clock.now = at(start + timedelta(days=day))
        await review_everything(engine, origin, SYSTEMS, lambda _: rng.random() < 0.8)
    deck = engine.decks.get(SYSTEMS)
    assert deck is not None
    window = (at(interview - timedelta(days=FINAL_DAYS), 0), at(interview, 0))
    rows = await database.rows("SELECT question_id, reviewed_at FROM study_reviews WHERE deck_id = ?", SYSTEMS)
    times: dict[str, list[float]] = {}
    for question_id, reviewed_at in rows:
        times.setdefault(question_id, []).append(reviewed_at)
    assert set(times) == {q.id for q in deck.questions}  # every question was met
    for question in deck.questions:
        before = [t for t in times[question.id] if t < window[1]]
        assert len(before) >= 2, (question.id, before)  # met early enough for a second review before the day
        assert any(window[0] <= t < window[1] for t in before), (question.id, before)  # and reviewed in the last three days
    # Reviews score nothing, but they are answers: on the board with 0 points, in stats, in the study streak.
    assert await database.value("SELECT SUM(points) FROM answers") == 0
    assert await database.value("SELECT COUNT(*) FROM answers") == len(rows)
    stats = (await engine.stats(origin)).view
    assert isinstance(stats, StatsView) and stats.points == 0 and stats.answers == len(rows)
    assert any(line.startswith("Study streak: 30 days in a row") for line in stats.lines), stats.lines


async def test_grades_are_again_for_wrong_good_for_right_and_hard_for_right_after_a_miss(
    engine: QuizEngine, clock: FakeClock, database: QuizDatabase
) -> None:
    origin = learner(timezone=None)
    card = (await engine.start(origin)).view
    assert isinstance(card, QuestionCard)
    deck_id = engine.decks.default.id
    await answer_run(engine, origin, card, deck_id, lambda view: view.position % 2 == 1)  # 1, 3, 5 right
    ratings = dict(await database.rows("SELECT question_id, rating FROM study_reviews"))
    questions = [q.id for q in engine.decks.default.questions]
    assert [ratings[q] for q in questions] == [3, 1, 3, 1, 3]
    first_at = int(clock.now)
    clock.advance(86_400)
    await review_everything(engine, origin, deck_id, lambda _: True)  # the misses come back tomorrow, and are right now
    latest = await database.rows("SELECT question_id, rating FROM study_reviews ORDER BY reviewed_at, run_id, position")
    assert [rating for question_id, rating in latest[5:]] == [2, 2]
    assert {question_id for question_id, _ in latest[5:]} == {questions[1], questions[3]}
    # Each card counts its reviews, keeps when it was first reviewed and holds its latest rating.
    cards = {row[0]: row[1:] for row in await database.rows("SELECT question_id, reviews, first_review_at, last_rating FROM study_cards")}
    assert [cards[q] for q in questions] == [(1, first_at, 3), (2, first_at, 2), (1, first_at, 3), (2, first_at, 2), (1, first_at, 3)]


async def test_a_review_scores_no_points_and_a_new_question_met_in_a_review_never_scores_later(
    engine: QuizEngine, database: QuizDatabase
) -> None:
    origin = learner()
    reply = await engine.review(origin)
    assert isinstance(reply.view, QuestionCard) and reply.view.note and "5 new" in reply.view.note
    await answer_run(engine, origin, reply.view, engine.decks.default.id, lambda _: True)
    card = (await engine.start(origin)).view
    assert isinstance(card, QuestionCard)
    await answer_run(engine, origin, card, engine.decks.default.id, lambda _: True)
    assert await database.value("SELECT SUM(points) FROM answers") == 0
    board = await engine.leaderboard(origin)
    assert "0" in str(board.view)


async def test_nothing_due_says_when_the_next_question_comes_back(engine: QuizEngine, clock: FakeClock) -> None:
    origin = learner()
    await review_everything(engine, origin, engine.decks.default.id, lambda _: True)
    reply = await engine.review(origin)
    assert isinstance(reply.view, Notice) and reply.view.title == "All caught up"
    assert "The next one comes back on" in reply.view.text


async def test_an_unfinished_review_resumes_the_same_day_and_starts_afresh_the_next(engine: QuizEngine, clock: FakeClock) -> None:
    origin = learner()
    first = (await engine.review(origin)).view
    assert isinstance(first, QuestionCard)
    await engine.handle(origin, correct_button(engine, first, engine.decks.default.id))
    again = (await engine.review(origin)).view
    assert isinstance(again, QuestionCard) and again.note and again.note.startswith("Resumed your review") and again.position == 2
    clock.advance(86_400)
    fresh = (await engine.review(origin)).view
    assert isinstance(fresh, QuestionCard) and fresh.position == 1 and fresh.note and fresh.note.startswith("Review of")


async def test_a_review_button_in_direct_messages_reviews_the_space_it_names_and_answers_there(
    engine: QuizEngine, database: QuizDatabase
) -> None:
    in_server = learner()
    card = (await engine.start(in_server)).view
    assert isinstance(card, QuestionCard)
    await answer_run(engine, in_server, card, engine.decks.default.id, lambda _: False)
    in_dms = learner(space="dm", direct=True)
    # Tomorrow's reminder leads to direct messages; its button names the server.
    reply = await engine.handle(in_dms, ReviewAction(space_id="g1").encode())
    assert isinstance(reply.view, Notice)  # nothing due yet today: the misses come back tomorrow
    review = await engine.reviews.review(in_server)
    assert isinstance(review.view, Notice)
    # Someone else's direct messages own nothing of it.
    stranger = learner("eve", space="dm", direct=True)
    run_id = decode(card.buttons[0].action_id).run_id  # type: ignore[attr-defined]
    from bot.actions import NextAction

    refused = await engine.handle(stranger, NextAction(run_id=run_id).encode())
    assert isinstance(refused.view, Notice) and refused.view.title == "This quiz belongs to someone else"
    mine = await engine.handle(in_dms, NextAction(run_id=run_id).encode())
    assert isinstance(mine.view, ScoreCard)


# The interview date ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "title"),
    [
        ("2026-09-01", "That day has passed"),
        ("2027-02-30", "That isn't a date"),
        ("next tuesday", "That isn't a date"),
        ("20270115", "That isn't a date"),
        ("9999-01-01", "That day is too far away"),
    ],
)
async def test_past_dates_and_nonsense_are_refused_and_change_nothing(
    engine: QuizEngine, clock: FakeClock, database: QuizDatabase, given: str, title: str
) -> None:
    clock.now = at(date(2026, 11, 27))
    reply = await engine.interview(learner(), given)
    assert isinstance(reply.view, Notice) and reply.view.title == title and reply.view.tone == "warning"
    assert reply.view.hint == "interview"
    assert await database.value("SELECT COUNT(*) FROM study_plans WHERE interview_day IS NOT NULL") == 0


async def test_stats_show_days_left_due_count_and_questions_not_yet_seen_until_off(engine: QuizEngine, clock: FakeClock) -> None:
    clock.now = at(date(2027, 1, 2))
    origin = learner()
    card = (await engine.start(origin)).view
    assert isinstance(card, QuestionCard)
    await answer_run(engine, origin, card, engine.decks.default.id, lambda view: view.position != 2)
    reply = await engine.interview(origin, "2027-01-15")
    assert isinstance(reply.view, Notice) and "in 13 days" in reply.view.text and "Europe/Berlin" in reply.view.text
    clock.advance(86_400)
    lines = (await engine.stats(origin)).view.lines  # type: ignore[union-attr]
    assert "Interview: Fri 15 Jan 2027, in 12 days." in lines
    assert "Due for review today: 1. Not yet seen in the decks you study: 0 questions." in lines
    off = await engine.interview(origin, "off")
    assert isinstance(off.view, Notice) and off.view.title == "Interview date forgotten"
    lines = (await engine.stats(origin)).view.lines  # type: ignore[union-attr]
    assert not any(line.startswith("Interview") for line in lines)
    again = await engine.interview_off(origin)
    assert isinstance(again.view, Notice) and again.view.title == "No interview date is set"


async def test_the_interview_is_kept_in_the_persons_timezone_or_utc_when_unknown(engine: QuizEngine, database: QuizDatabase) -> None:
    await engine.interview(learner("ada", timezone="America/New_York"), "2027-01-15")
    unknown = await engine.interview(learner("bo", timezone=None), "2027-01-15")
    assert isinstance(unknown.view, Notice) and unknown.view.hint == "zone" and "UTC" in unknown.view.text
    named = await engine.interview(learner("bo", timezone=None), "2027-01-16", "Asia/Tokyo")
    assert isinstance(named.view, Notice) and named.view.hint is None and "Asia/Tokyo" in named.view.text
    zones = dict(await database.rows("SELECT p.user_id, s.zone FROM study_plans s JOIN people p USING (person_id)"))
    assert zones == {"ada": "America/New_York", "bo": "Asia/Tokyo"}


# Written answers ---------------------------------------------------------------------------------------------


async def write(engine: QuizEngine, origin: Origin, card: QuestionCard, text: str) -> WrittenChecklist:
    prompt = (await engine.handle(origin, card.more_buttons[0].action_id)).view
    assert isinstance(prompt, WritePrompt) and prompt.prompt == card.prompt
    checklist = (await engine.submit_written(origin, prompt.submit_action_id, text)).view
    assert isinstance(checklist, WrittenChecklist), checklist
    return checklist


@pytest.mark.parametrize(("ticks", "grade"), [(0, "Again"), (3, "Again"), (4, "Hard"), (6, "Good"), (7, "Easy")])
async def test_a_written_answer_is_graded_by_the_share_of_key_points_ticked(
    engine: QuizEngine, database: QuizDatabase, ticks: int, grade: str
) -> None:
    origin = learner()
    card = (await engine.start(origin)).view
    assert isinstance(card, QuestionCard)
    checklist = await write(engine, origin, card, "Two towers, one space.\n\nIn-batch negatives\twith logQ.")
    assert checklist.text == "Two towers, one space.\n\nIn-batch negatives    with logQ."
    assert len(checklist.points) == 7 and not any(p.ticked for p in checklist.points)
    for index in range(ticks):  # tick one point after another, each click carrying the checklist so far
        checklist = (await engine.handle(origin, checklist.buttons[index].action_id)).view  # type: ignore[assignment]
        assert isinstance(checklist, WrittenChecklist)
    assert sum(p.ticked for p in checklist.points) == ticks
    result = (await engine.handle(origin, checklist.buttons[-1].action_id)).view
    assert isinstance(result, WrittenResult) and result.grade == grade and result.covered == ticks
    assert result.best.text == engine.decks.default.questions[0].correct_option.text and result.next_review
    rating = {"Again": 1, "Hard": 2, "Good": 3, "Easy": 4}[grade]
    assert await database.rows("SELECT source, rating FROM study_reviews") == [("written", rating)]
    # Grading again changes nothing; the stored text is the person's alone.
    again = (await engine.handle(origin, GradeAction(written_id=1, ticked=0).encode())).view
    assert isinstance(again, WrittenResult) and again.covered == ticks
    assert await database.value("SELECT COUNT(*) FROM study_reviews") == 1


async def test_with_an_interview_ahead_an_easy_answer_comes_back_by_the_start_of_the_last_three_days(
    engine: QuizEngine, clock: FakeClock, database: QuizDatabase
) -> None:
    origin = learner()
    clock.now = at(date(2027, 1, 4), 8)
    await engine.interview(origin, "2027-01-08")  # the last three days begin on 5 January, midnight in Berlin
    card = (await engine.start(origin)).view
    assert isinstance(card, QuestionCard)
    checklist = await write(engine, origin, card, "Every point, in my own words.")
    for index in range(len(checklist.points)):  # tick every key point: graded Easy, which alone would wait past the 5th
        checklist = (await engine.handle(origin, checklist.buttons[index].action_id)).view  # type: ignore[assignment]
    result = (await engine.handle(origin, checklist.buttons[-1].action_id)).view
    assert isinstance(result, WrittenResult) and result.grade == "Easy"
    assert await database.value("SELECT due_at FROM study_cards") == int(at(date(2027, 1, 5), 0))


async def test_a_pick_after_writing_scores_nothing_and_does_not_grade_the_card_again(engine: QuizEngine, database: QuizDatabase) -> None:
    origin = learner()
    card = (await engine.start(origin)).view
    assert isinstance(card, QuestionCard)
    checklist = await write(engine, origin, card, "my answer")
    result = (await engine.handle(origin, checklist.buttons[-1].action_id)).view
    assert isinstance(result, WrittenResult) and result.buttons[0].label == "Now pick the best answer"
    again = (await engine.handle(origin, result.buttons[0].action_id)).view
    assert isinstance(again, QuestionCard) and again.position == 1
    feedback = (await engine.handle(origin, correct_button(engine, again, engine.decks.default.id))).view
    assert isinstance(feedback, AnswerFeedback) and feedback.correct and feedback.points == 0
    assert "wrote your own answer" in feedback.scoring_note
    assert await database.rows("SELECT source FROM study_reviews") == [("written",)]
    assert await database.value("SELECT SUM(points) FROM answers") == 0


async def test_written_answers_refuse_empty_or_long_text_someone_else_and_keep_the_first_of_two(
    engine: QuizEngine, database: QuizDatabase
) -> None:
    origin = learner()
    card = (await engine.start(origin)).view
    assert isinstance(card, QuestionCard)
    form = WriteAction(run_id=decode(card.buttons[0].action_id).run_id, position=0).encode()  # type: ignore[attr-defined]
    for text, title in [(" \n\t ", "Nothing was written"), ("x" * 4001, "That answer is too long"), (None, "Nothing was written")]:
        refused = (await engine.submit_written(origin, form, text)).view
        assert isinstance(refused, Notice) and refused.title == title
    foreign = (await engine.submit_written(learner("eve"), form, "mine now")).view
    assert isinstance(foreign, Notice) and foreign.title == "This quiz belongs to someone else"
    assert (await engine.submit_written(origin, "rq1:s:nope", "text")).view.title == "That form doesn't work"  # type: ignore[union-attr]
    first = (await engine.submit_written(origin, form, "first\x1b[2J")).view
    second = (await engine.submit_written(origin, form, "second")).view
    assert isinstance(first, WrittenChecklist) and isinstance(second, WrittenChecklist)
    assert first.text == second.text == "first[2J" and second.note and "first one is kept" in second.note
    tick = TickAction(written_id=1, ticked=1).encode()
    assert (await engine.handle(learner("eve"), tick)).view.title == "This quiz belongs to someone else"  # type: ignore[union-attr]
    assert await database.rows("SELECT text FROM written_answers") == [("first[2J",)]


async def test_the_write_button_after_a_pick_says_so_and_keeps_nothing(engine: QuizEngine, database: QuizDatabase) -> None:
    origin = learner()
    card = (await engine.start(origin)).view
    assert isinstance(card, QuestionCard)
    await engine.handle(origin, card.buttons[0].action_id)
    reply = (await engine.handle(origin, card.more_buttons[0].action_id)).view
    assert isinstance(reply, Notice) and reply.title == "You have answered this question"


# Reminders ---------------------------------------------------------------------------------------------------


class FakeSender:
    """Records reminders as a platform would deliver them; can refuse a person or fail for a while."""

    def __init__(self) -> None:
        self.sent: list[tuple[ReminderTarget, Notice]] = []
        self.refusing: set[str] = set()
        self.failures: list[PublishError] = []

    async def send(self, target: ReminderTarget, view: Notice) -> None:
        if target.user_id in self.refusing:
            raise RecipientRefused("the platform will not deliver direct messages to you")
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((target, view))


def engine_on(store: Store, decks: DeckLibrary, clock: FakeClock, sender: FakeSender) -> QuizEngine:
    """Another bot process on the same database."""
    engine = QuizEngine(store, decks, clock=clock, rng=random.Random(3))
    engine.reminders.attach("discord", sender)
    return engine


async def test_a_reminder_is_sent_once_a_day_across_processes_and_only_when_reviews_are_due(
    store: Store, decks: DeckLibrary, clock: FakeClock, database: QuizDatabase
) -> None:
    sender = FakeSender()
    one, two = engine_on(store, decks, clock, sender), engine_on(store, decks, clock, sender)
    origin = learner()
    clock.now = at(date(2027, 1, 4), 7)
    reply = await one.remind(origin, "8:30", "europe/berlin")
    assert isinstance(reply.view, Notice) and reply.view.title == "Reminder set" and "Mon 04 Jan 08:30" in reply.view.text
    clock.now = at(date(2027, 1, 4), 8, 29)
    await one.reminders.tick()
    assert sender.sent == []
    clock.now = at(date(2027, 1, 4), 8, 31)
    for engine in (one, two, one, two):  # two processes, a restart: one message
        await engine.reminders.tick()
    assert len(sender.sent) == 1
    target, view = sender.sent[0]
    assert target == ReminderTarget(platform="discord", space_id="g1", user_id="ada")
    assert view.title == "Time to review" and "5 new ones to meet" in view.text
    assert view.buttons[0].action_id == ReviewAction(space_id="g1").encode()
    # All five right today: they come back in two days, so tomorrow nothing is due (no message), the day after all five.
    await review_everything(one, origin, decks.default.id, lambda _: True)
    clock.now = at(date(2027, 1, 5), 9)
    await two.reminders.tick()
    assert len(sender.sent) == 1
    clock.now = at(date(2027, 1, 6), 9)
    await one.reminders.tick()
    assert len(sender.sent) == 2 and sender.sent[1][1].text.startswith("5 questions due for review today.")
    statuses = await database.rows("SELECT local_date, status FROM study_reminders ORDER BY local_date")
    assert statuses == [("2027-01-04", "sent"), ("2027-01-05", "nothing_due"), ("2027-01-06", "sent")]


async def test_a_refused_dm_switches_reminders_off_and_the_next_command_says_why_once(
    store: Store, decks: DeckLibrary, clock: FakeClock, database: QuizDatabase
) -> None:
    sender = FakeSender()
    engine = engine_on(store, decks, clock, sender)
    origin = learner()
    clock.now = at(date(2027, 1, 4), 7)
    await engine.remind(origin, "08:30", "Europe/Berlin")
    sender.refusing.add("ada")
    clock.now = at(date(2027, 1, 4), 9)
    await engine.reminders.tick()
    assert sender.sent == []
    assert await database.rows("SELECT remind_time, remind_next_at, notice_pending FROM study_plans") == [(None, None, 1)]
    note = await engine.command_notice(origin)
    assert isinstance(note, type(note)) and note is not None
    assert isinstance(note.view, Notice) and note.view.title == "Your reminders are off" and "will not deliver" in note.view.text
    assert await engine.command_notice(origin) is None  # said once
    clock.now = at(date(2027, 1, 5), 9)
    await engine.reminders.tick()
    assert sender.sent == []  # off stays off
    assert "Reminder: off, because the platform will not deliver direct messages to you." in (await engine.stats(origin)).view.lines  # type: ignore[union-attr]
    sender.refusing.clear()
    await engine.remind(origin, "08:30", "Europe/Berlin")  # turned back on: the refusal is forgotten
    assert await database.rows("SELECT remind_off_reason, notice_pending FROM study_plans") == [(None, 0)]


async def test_a_failed_reminder_is_tried_again_later_that_day_and_sent_once(
    store: Store, decks: DeckLibrary, clock: FakeClock, database: QuizDatabase
) -> None:
    sender = FakeSender()
    engine = engine_on(store, decks, clock, sender)
    clock.now = at(date(2027, 1, 4), 7)
    await engine.remind(learner(), "08:30", "Europe/Berlin")
    sender.failures = [PublishError("the platform is down", retryable=True), PublishError("still down", retryable=True)]
    clock.now = at(date(2027, 1, 4), 8, 30)
    await engine.reminders.tick()
    clock.advance(30)
    await engine.reminders.tick()  # the retry waits a minute
    assert sender.sent == []
    for _ in range(3):
        clock.advance(120)
        await engine.reminders.tick()
    assert len(sender.sent) == 1
    assert await database.rows("SELECT status, attempts, last_error FROM study_reminders") == [("sent", 3, "still down")]


async def test_reminders_refuse_bad_times_and_zones_and_turn_off(engine: QuizEngine, database: QuizDatabase) -> None:
    origin = learner()
    bad_time = (await engine.remind(origin, "25:00", "Europe/Berlin")).view
    bad_zone = (await engine.remind(origin, "08:30", "Mars/Olympus")).view
    assert isinstance(bad_time, Notice) and bad_time.title == "That time isn't valid" and bad_time.hint == "remind"
    assert isinstance(bad_zone, Notice) and bad_zone.title == "Unknown timezone"
    assert await database.value("SELECT COUNT(*) FROM study_plans") == 0
    not_on = (await engine.remind_off(origin)).view
    assert isinstance(not_on, Notice) and not_on.title == "Reminders are not on"
    await engine.remind(origin, "08:30", "Europe/Berlin")
    off = (await engine.remind_off(origin)).view
    assert isinstance(off, Notice) and off.title == "Reminders off"
    assert await database.rows("SELECT remind_time, remind_next_at, zone FROM study_plans") == [(None, None, "Europe/Berlin")]
