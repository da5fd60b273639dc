"""The engine end to end on a real store (SQLite and PostgreSQL): runs, resume, shuffling, once-only answers, owners, scoring."""

from __future__ import annotations

import random

from bot.actions import AnswerAction, NextAction, decode
from bot.commands import COMMAND_NAMES
from bot.content import DeckLibrary
from bot.engine import QuizEngine
from bot.store import Store
from bot.views import AnswerFeedback, Notice, QuestionCard, Reply, ScoreCard
from tests.conftest import FakeClock, QuizDatabase, person


def answer_button(card: QuestionCard, decks: DeckLibrary, correct: bool) -> str:
    """The action id of the card's correct (or first wrong) option."""
    for button in card.buttons:
        action = decode(button.action_id)
        assert isinstance(action, AnswerAction)
        question = decks.default.questions[action.position]
        option = question.option(action.option_key)
        assert option is not None
        if option.correct == correct:
            return button.action_id
    raise AssertionError("no such option")


async def play_through(engine: QuizEngine, decks: DeckLibrary, user: str = "u1", correct: bool = True) -> ScoreCard:
    origin = person(user)
    reply = await engine.start(origin)
    while not isinstance(reply.view, ScoreCard):
        assert isinstance(reply.view, QuestionCard), reply.view
        reply = await engine.handle(origin, answer_button(reply.view, decks, correct))
        assert isinstance(reply.view, AnswerFeedback)
        reply = await engine.handle(origin, reply.view.buttons[0].action_id)
    return reply.view


async def test_full_run_goes_through_five_questions_to_a_score_card(engine: QuizEngine, decks: DeckLibrary) -> None:
    origin = person("alice")
    reply = await engine.start(origin)
    assert reply.ephemeral and isinstance(reply.view, QuestionCard)
    seen = []
    while isinstance(reply.view, QuestionCard):
        card = reply.view
        seen.append((card.position, card.total))
        assert [o.letter for o in card.options] == ["A", "B", "C", "D"]
        assert [b.label for b in card.buttons] == ["A", "B", "C", "D"]
        feedback = await engine.handle(origin, answer_button(card, decks, correct=card.position % 2 == 1))
        assert isinstance(feedback.view, AnswerFeedback) and feedback.replace
        assert feedback.view.correct == (card.position % 2 == 1)
        assert feedback.view.buttons[0].label == ("See score" if card.position == 5 else "Next question")
        reply = await engine.handle(origin, feedback.view.buttons[0].action_id)
    assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    score = reply.view
    assert isinstance(score, ScoreCard)
    assert (score.score, score.total, score.points) == (3, 5, 3)
    assert len(score.topics) == 5 and len(score.tips) == 4


async def test_feedback_names_best_answer_by_its_letter_in_this_run_and_what_the_choice_missed(
    engine: QuizEngine, decks: DeckLibrary
) -> None:
    origin = person()
    card = (await engine.start(origin)).view
    assert isinstance(card, QuestionCard)
    feedback = (await engine.handle(origin, answer_button(card, decks, correct=False))).view
    assert isinstance(feedback, AnswerFeedback)
    question = decks.default.questions[0]
    best_index = [o.text for o in card.options].index(question.correct_option.text)
    assert feedback.best.letter == "ABCD"[best_index]
    chosen = next(o for o in question.options if o.text == feedback.chosen.text)
    assert feedback.missed == chosen.misses and feedback.missed
    assert feedback.explanation == question.explanation


async def test_run_resumes_after_engine_restart_on_the_same_database(database: QuizDatabase, decks: DeckLibrary) -> None:
    origin = person("bob")
    async with await database.open() as store:  # type: ignore[attr-defined]
        engine = QuizEngine(store, decks)
        card = (await engine.start(origin)).view
        assert isinstance(card, QuestionCard)
        await engine.handle(origin, card.buttons[0].action_id)
        order_before = [o.text for o in card.options]
    async with await database.open() as store:  # type: ignore[attr-defined]
        engine = QuizEngine(store, decks)
        resumed = (await engine.start(origin)).view
        assert isinstance(resumed, QuestionCard)
        assert resumed.position == 2 and resumed.note and "Resumed" in resumed.note
        # The first question's old buttons still resolve against the stored run.
        again = (await engine.handle(origin, card.buttons[1].action_id)).view
        assert isinstance(again, Notice) and again.title == "Already answered"
        assert "with A" in again.text
    assert order_before == [o.text for o in card.options]


async def test_option_order_is_stable_within_a_run_and_differs_across_runs(store: Store, decks: DeckLibrary) -> None:
    engine = QuizEngine(store, decks, rng=random.Random(1))
    origin = person()
    first = (await engine.start(origin)).view
    again = (await engine.start(origin)).view
    assert isinstance(first, QuestionCard) and isinstance(again, QuestionCard)
    assert first.options == again.options
    orders = set()
    for user in range(8):
        card = (await engine.start(person(f"p{user}"))).view
        assert isinstance(card, QuestionCard)
        orders.add(tuple(o.text for o in card.options))
    assert len(orders) > 1


async def test_double_answer_is_recorded_once_with_a_clear_notice(engine: QuizEngine, store: Store, decks: DeckLibrary) -> None:
    origin = person()
    card = (await engine.start(origin)).view
    assert isinstance(card, QuestionCard)
    button = answer_button(card, decks, correct=True)
    first = await engine.handle(origin, button)
    second = await engine.handle(origin, button)
    other = await engine.handle(origin, card.buttons[3].action_id)
    assert isinstance(first.view, AnswerFeedback) and first.view.points == 1
    for reply in (second, other):
        assert isinstance(reply.view, Notice) and reply.view.title == "Already answered" and reply.ephemeral
    run_id = decode(button).run_id  # type: ignore[attr-defined]
    assert len(await store.run_answers(run_id)) == 1
    assert await store.person_totals(1) == (1, 1)


async def test_only_the_owner_can_answer_or_go_on(engine: QuizEngine, store: Store) -> None:
    owner, stranger = person("owner"), person("stranger")
    card = (await engine.start(owner)).view
    assert isinstance(card, QuestionCard)
    refused = await engine.handle(stranger, card.buttons[0].action_id)
    assert isinstance(refused.view, Notice) and refused.view.title == "This quiz belongs to someone else"
    run_id = decode(card.buttons[0].action_id).run_id  # type: ignore[attr-defined]
    refused_next = await engine.handle(stranger, NextAction(run_id=run_id).encode())
    assert isinstance(refused_next.view, Notice) and refused_next.view.tone == "warning"
    assert await store.run_answers(run_id) == []
    assert await store.person_id(stranger) is None  # a refused click creates nobody


async def test_same_user_id_in_another_space_is_another_person(engine: QuizEngine) -> None:
    here = person("u1", platform="discord", space="g1")
    elsewhere = person("u1", platform="discord", space="g2")
    card = (await engine.start(here)).view
    assert isinstance(card, QuestionCard)
    refused = await engine.handle(elsewhere, card.buttons[0].action_id)
    assert isinstance(refused.view, Notice) and refused.view.title == "This quiz belongs to someone else"


async def test_tampered_or_unknown_ids_get_a_notice_and_record_nothing(engine: QuizEngine, store: Store) -> None:
    origin = person()
    card = (await engine.start(origin)).view
    assert isinstance(card, QuestionCard)
    run_id = decode(card.buttons[0].action_id).run_id  # type: ignore[attr-defined]
    for bad in [
        "garbage",
        card.buttons[0].action_id + "x",
        AnswerAction(run_id=run_id, position=0, option_key="not-an-option").encode(),
        AnswerAction(run_id=run_id, position=3, option_key="full-pipeline").encode(),
        AnswerAction(run_id=run_id + 100, position=0, option_key="full-pipeline").encode(),
        None,
    ]:
        reply = await engine.handle(origin, bad)
        assert isinstance(reply.view, Notice) and reply.view.tone == "warning", bad
        assert reply.ephemeral
    assert await store.run_answers(run_id) == []


async def test_answering_ahead_of_the_current_question_is_refused(engine: QuizEngine, decks: DeckLibrary, store: Store) -> None:
    origin = person()
    card = (await engine.start(origin)).view
    assert isinstance(card, QuestionCard)
    run_id = decode(card.buttons[0].action_id).run_id  # type: ignore[attr-defined]
    later_key = decks.default.questions[2].options[0].key
    reply = await engine.handle(origin, AnswerAction(run_id=run_id, position=2, option_key=later_key).encode())
    assert isinstance(reply.view, Notice) and reply.view.title == "Not this question yet"
    assert await store.run_answers(run_id) == []


async def test_replays_are_practice_so_points_cannot_be_farmed(engine: QuizEngine, decks: DeckLibrary, store: Store) -> None:
    first = await play_through(engine, decks, "farmer", correct=True)
    second = await play_through(engine, decks, "farmer", correct=True)
    third = await play_through(engine, decks, "farmer", correct=True)
    assert (first.points, second.points, third.points) == (5, 0, 0)
    assert (second.score, third.score) == (5, 5)
    person_id = await store.person_id(person("farmer"))
    assert person_id is not None
    assert await store.person_totals(person_id) == (5, 15)


async def test_a_wrong_first_answer_cannot_be_repaired_by_replaying(engine: QuizEngine, decks: DeckLibrary) -> None:
    wrong = await play_through(engine, decks, "learner", correct=False)
    right = await play_through(engine, decks, "learner", correct=True)
    assert (wrong.points, right.points) == (0, 0)
    board = (await engine.leaderboard(person("learner"))).view
    assert [(r.name, r.points) for r in board.rows] == [("learner", 0)]  # type: ignore[union-attr]


async def test_practice_feedback_says_why_it_scored_nothing(engine: QuizEngine, decks: DeckLibrary) -> None:
    await play_through(engine, decks, "again", correct=True)
    origin = person("again")
    card = (await engine.start(origin)).view
    assert isinstance(card, QuestionCard)
    feedback = (await engine.handle(origin, answer_button(card, decks, correct=True))).view
    assert isinstance(feedback, AnswerFeedback)
    assert feedback.points == 0 and feedback.scoring_note.startswith("Practice")


async def test_leaderboard_ranks_ties_together(engine: QuizEngine, decks: DeckLibrary) -> None:
    await play_through(engine, decks, "ann", correct=True)
    await play_through(engine, decks, "bea", correct=True)
    await play_through(engine, decks, "cid", correct=False)
    origin = person("dan")
    card = (await engine.start(origin)).view
    assert isinstance(card, QuestionCard)
    await engine.handle(origin, answer_button(card, decks, correct=True))
    board = (await engine.leaderboard(person("ann"))).view
    assert [(r.rank, r.name, r.points) for r in board.rows] == [(1, "ann", 5), (1, "bea", 5), (3, "dan", 1), (4, "cid", 0)]  # type: ignore[union-attr]
    assert board.window and board.timezone and "share a rank" in board.ranking_rule  # type: ignore[union-attr]


async def test_stats_show_progress_accuracy_and_weakest_topic(engine: QuizEngine, decks: DeckLibrary, clock: FakeClock) -> None:
    origin = person("stat")
    card = (await engine.start(origin)).view
    assert isinstance(card, QuestionCard)
    reply = await engine.handle(origin, answer_button(card, decks, correct=True))
    reply = await engine.handle(origin, reply.view.buttons[0].action_id)  # type: ignore[union-attr]
    assert isinstance(reply.view, QuestionCard)
    await engine.handle(origin, answer_button(reply.view, decks, correct=False))
    stats = (await engine.stats(origin)).view
    assert stats.decks[0].answered == 2 and stats.decks[0].total == 5  # type: ignore[union-attr]
    assert stats.weakest_topic == "ANN indexes"  # type: ignore[union-attr]
    assert (stats.points, stats.answers) == (1, 2)  # type: ignore[union-attr]


async def test_unknown_deck_gets_a_notice_listing_the_decks(engine: QuizEngine) -> None:
    reply = await engine.start(person(), "no-such-deck")
    assert isinstance(reply.view, Notice)
    assert "no-such-deck" in reply.view.text and "recsys-platform-engineer" in reply.view.text


async def test_play_again_after_a_finished_run_starts_a_fresh_run(engine: QuizEngine, decks: DeckLibrary) -> None:
    score = await play_through(engine, decks, "again")
    reply: Reply = await engine.handle(person("again"), score.buttons[0].action_id)
    assert isinstance(reply.view, QuestionCard) and reply.view.position == 1 and reply.view.note is None


async def test_help_and_tips_are_complete(engine: QuizEngine) -> None:
    help_view = engine.help().view
    assert {c.name for c in help_view.commands} == COMMAND_NAMES  # type: ignore[union-attr]
    tips = (await engine.tips()).view
    assert len(tips.tips) == 4  # type: ignore[union-attr]


async def test_scoring_notes_say_what_happened_to_first_right_first_wrong_and_replayed_answers(
    engine: QuizEngine, decks: DeckLibrary
) -> None:
    async def first_feedback(user: str, correct: bool) -> AnswerFeedback:
        origin = person(user)
        card = (await engine.start(origin)).view
        assert isinstance(card, QuestionCard)
        feedback = (await engine.handle(origin, answer_button(card, decks, correct=correct))).view
        assert isinstance(feedback, AnswerFeedback)
        return feedback

    right = await first_feedback("right", correct=True)
    assert (right.points, right.scoring_note) == (1, "+1 point: your first answer to this question, and the best one.")
    wrong = await first_feedback("wrong", correct=False)
    assert (wrong.points, wrong.scoring_note) == (
        0,
        "No points: not the best answer. Your first answer to a question is the one that counts; replay it any time for practice.",
    )
    await play_through(engine, decks, "wrong", correct=False)  # finishes the run the first answer began
    replayed = await first_feedback("wrong", correct=False)
    assert (replayed.points, replayed.scoring_note) == (
        0,
        "Practice: you answered this question in an earlier run, so this answer scores no points.",
    )


async def test_feedback_carries_the_questions_key_points_as_a_checklist(engine: QuizEngine, decks: DeckLibrary) -> None:
    origin = person()
    card = (await engine.start(origin)).view
    assert isinstance(card, QuestionCard)
    feedback = (await engine.handle(origin, answer_button(card, decks, correct=False))).view
    assert isinstance(feedback, AnswerFeedback)
    assert feedback.key_points == decks.default.questions[0].key_points
    assert 4 <= len(feedback.key_points) <= 7
