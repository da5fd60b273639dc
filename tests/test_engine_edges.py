"""The engine at its edges, word for word: score card counts per topic, question numbers echoed back, every refusal."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import ClassVar

import pytest

import bot.actions
from bot.actions import Action, AnswerAction, NextAction, StartAction, WriteAction, decode, register
from bot.content import Deck, DeckLibrary
from bot.engine import QuizEngine, help_reply, scoring_note, tips_reply
from bot.origin import Origin
from bot.store import Store
from bot.views import AnswerFeedback, Button, DeckLine, Notice, QuestionCard, Reply, ScoreCard, TopicResult
from tests.conftest import FakeClock, person

SCORING_RULE_TEXT = (
    "A correct answer scores 1 point the first time you ever answer that question. "
    "Later runs of the same deck are practice: they show feedback but score nothing, so replays cannot farm points. "
    "A correct answer to a daily post scores 1 point, once per person per post."
)
DECKS_TEXT = "recsys-platform-engineer (RecSys Platform Engineer interview), recsys-platform-systems (RecSys platform systems)"


def button_for(card: QuestionCard, deck: Deck, correct: bool) -> str:
    """The action id of the card's correct option, or of its first wrong one."""
    for button in card.buttons:
        action = decode(button.action_id)
        assert isinstance(action, AnswerAction)
        question = deck.question(deck.questions[action.position].id)
        assert question is not None
        if (action.option_key == question.correct_option.key) == correct:
            return button.action_id
    raise AssertionError("no such option")


def run_id_of(card: QuestionCard) -> int:
    action = decode(card.buttons[0].action_id)
    assert isinstance(action, AnswerAction)
    return action.run_id


async def first_card(engine: QuizEngine, origin: Origin, deck_id: str | None = None) -> QuestionCard:
    card = (await engine.start(origin, deck_id)).view
    assert isinstance(card, QuestionCard)
    return card


async def play(engine: QuizEngine, deck: Deck, origin: Origin, right_at: set[int]) -> ScoreCard:
    """Plays a whole run, answering right at these 0-based positions and wrong elsewhere."""
    reply: Reply = await engine.start(origin, deck.id)
    while isinstance(reply.view, QuestionCard):
        card = reply.view
        feedback = await engine.handle(origin, button_for(card, deck, correct=card.position - 1 in right_at))
        assert isinstance(feedback.view, AnswerFeedback)
        reply = await engine.handle(origin, feedback.view.buttons[0].action_id)
    assert isinstance(reply.view, ScoreCard)
    return reply.view


# The score card -------------------------------------------------------------------------------------------------


async def test_score_card_counts_right_answers_and_questions_per_topic(engine: QuizEngine, decks: DeckLibrary) -> None:
    deck = decks.get("recsys-platform-systems")
    assert deck is not None
    score = await play(engine, deck, person("topics"), right_at=set(range(0, 27, 3)))
    assert (score.deck_title, score.score, score.total, score.points) == ("RecSys platform systems", 9, 27, 9)
    assert [(t.topic, t.correct, t.total) for t in score.topics] == [
        ("Ranking models", 1, 2),
        ("Position bias", 1, 2),
        ("Cold start", 0, 2),
        ("Exploration", 1, 2),
        ("Metrics", 0, 1),
        ("Embedding tables", 1, 2),
        ("Training-serving skew", 1, 2),
        ("Model rollout", 0, 2),
        ("Inference serving", 1, 2),
        ("Monitoring", 0, 1),
        ("Re-ranking", 1, 2),
        ("Sequential models", 1, 2),
        ("Vector search", 1, 3),
        ("Data pipelines", 0, 1),
        ("Candidate generation", 0, 1),
    ]
    assert score.scoring_note == SCORING_RULE_TEXT
    assert [t.title for t in score.tips][:2] == ["Say what the number is used for", "Name what each fix and each choice costs"]
    (again,) = score.buttons
    assert (again.label, again.style) == ("Play again", "primary")
    assert decode(again.action_id) == StartAction(deck_id="recsys-platform-systems")
    replay = (await engine.handle(person("topics"), again.action_id)).view
    assert isinstance(replay, QuestionCard) and (replay.deck_title, replay.position, replay.total) == ("RecSys platform systems", 1, 27)


async def test_score_card_of_the_first_deck_has_one_line_per_question(engine: QuizEngine, decks: DeckLibrary) -> None:
    score = await play(engine, decks.default, person("five"), right_at={1, 4})
    assert (score.score, score.total, score.points) == (2, 5, 2)
    assert score.topics == (
        TopicResult(topic="Retrieval architecture", correct=0, total=1),
        TopicResult(topic="ANN indexes", correct=1, total=1),
        TopicResult(topic="Feature stores", correct=0, total=1),
        TopicResult(topic="Evaluation", correct=0, total=1),
        TopicResult(topic="A/B testing", correct=1, total=1),
    )


# Cards and feedback ---------------------------------------------------------------------------------------------


async def test_question_card_shows_the_runs_option_order_and_a_write_button(engine: QuizEngine, decks: DeckLibrary) -> None:
    card = await first_card(engine, person("card"))
    question = decks.default.questions[0]
    assert (card.deck_title, card.topic, card.position, card.total) == (
        "RecSys Platform Engineer interview",
        "Retrieval architecture",
        1,
        5,
    )
    assert card.prompt == question.prompt and card.note is None
    keys = []
    for letter, option, button in zip("ABCD", card.options, card.buttons, strict=True):
        action = decode(button.action_id)
        assert isinstance(action, AnswerAction) and (action.position, action.run_id) == (0, run_id_of(card))
        assert (option.letter, button.label, button.style) == (letter, letter, "primary")
        chosen = question.option(action.option_key)
        assert chosen is not None and option.text == chosen.text
        keys.append(action.option_key)
    assert sorted(keys) == ["full-pipeline", "funnel-placement", "loss-functions", "towers-and-dot-product"]
    assert card.more_buttons == (Button(label="Write my answer", action_id=WriteAction(run_id=run_id_of(card), position=0).encode()),)


async def test_feedback_names_the_deck_question_and_the_chosen_and_best_letters(engine: QuizEngine, decks: DeckLibrary) -> None:
    origin = person("feedback")
    card = await first_card(engine, origin)
    feedback = (await engine.handle(origin, button_for(card, decks.default, correct=False))).view
    assert isinstance(feedback, AnswerFeedback)
    question = decks.default.questions[0]
    letters = {decode(b.action_id).option_key: b.label for b in card.buttons}  # type: ignore[attr-defined]
    chosen = next(o for o in question.options if o.text == feedback.chosen.text)
    assert (feedback.deck_title, feedback.topic, feedback.position, feedback.total) == (
        "RecSys Platform Engineer interview",
        "Retrieval architecture",
        1,
        5,
    )
    assert (feedback.prompt, feedback.sources) == (question.prompt, question.sources) and feedback.sources
    assert feedback.chosen.letter == letters[chosen.key] and not feedback.correct
    assert (feedback.best.letter, feedback.best.text) == (letters["full-pipeline"], question.correct_option.text)
    assert feedback.next_review == "Comes back for review tomorrow."  # a wrong answer's card is due the next day
    (button,) = feedback.buttons
    assert (button.label, button.style, decode(button.action_id)) == ("Next question", "primary", NextAction(run_id=run_id_of(card)))
    following = await engine.handle(origin, button.action_id)
    assert isinstance(following.view, QuestionCard) and following.view.position == 2
    assert (following.ephemeral, following.replace) == (True, True)


def test_scoring_notes_word_for_word() -> None:
    assert scoring_note(points=0, first=True, review=True, correct=True) == (
        "Review: no points (reviews keep boards fair); it counts for your study streak and your stats."
    )
    assert scoring_note(points=0, first=True, correct=True) == (
        "No points: you wrote your own answer to this question first, and its checklist showed what the best answer covers."
    )
    assert scoring_note(points=1, first=True, correct=True) == "+1 point: your first answer to this question, and the best one."
    assert scoring_note(points=0, first=False, correct=True) == (
        "Practice: you answered this question in an earlier run, so this answer scores no points."
    )
    assert scoring_note(points=0, first=True) == (
        "No points: not the best answer. Your first answer to a question is the one that counts; replay it any time for practice."
    )


# Echoes and refusals --------------------------------------------------------------------------------------------


async def test_a_second_click_is_told_the_question_number_and_the_letter_first_chosen(engine: QuizEngine, decks: DeckLibrary) -> None:
    origin = person("twice")
    card = await first_card(engine, origin)
    feedback = await engine.handle(origin, button_for(card, decks.default, correct=True))
    second = (await engine.handle(origin, feedback.view.buttons[0].action_id)).view  # type: ignore[union-attr]
    assert isinstance(second, QuestionCard) and second.position == 2
    await engine.handle(origin, second.buttons[2].action_id)
    again = await engine.handle(origin, second.buttons[0].action_id)
    assert again.ephemeral and not again.replace
    assert again.view == Notice(
        title="Already answered",
        text="You answered question 2 with C; an answer counts once, so nothing changed.",
        buttons=(Button(label="Continue", action_id=NextAction(run_id=run_id_of(card)).encode(), style="primary"),),
    )


async def test_an_answer_one_past_the_last_question_does_not_match_the_run(engine: QuizEngine) -> None:
    origin = person("past")
    card = await first_card(engine, origin)
    run_id = run_id_of(card)
    for position in (5, 6):
        reply = await engine.handle(origin, AnswerAction(run_id=run_id, position=position, option_key="full-pipeline").encode())
        assert reply.view == Notice(
            tone="warning", title="That button doesn't work", text="It does not match this run's question, so nothing was recorded."
        )


async def test_an_answer_to_the_last_question_before_its_turn_is_not_current(engine: QuizEngine) -> None:
    origin = person("ahead")
    card = await first_card(engine, origin)
    run_id = run_id_of(card)
    reply = await engine.handle(origin, AnswerAction(run_id=run_id, position=4, option_key="sutva-clean-design").encode())
    assert reply.ephemeral
    assert reply.view == Notice(
        tone="warning",
        title="Not this question yet",
        text="Answer the questions in order; nothing was recorded.",
        buttons=(Button(label="Continue", action_id=NextAction(run_id=run_id).encode(), style="primary"),),
    )


async def test_a_run_that_does_not_exist_is_refused_for_answers_and_for_next(engine: QuizEngine) -> None:
    origin = person("ghost")
    run_id = run_id_of(await first_card(engine, origin))
    expected = Notice(tone="warning", title="That quiz run doesn't exist", text="Nothing was recorded.", hint="start")
    for action in (
        AnswerAction(run_id=run_id + 1, position=0, option_key="full-pipeline"),
        NextAction(run_id=run_id + 1),
    ):
        reply = await engine.handle(origin, action.encode())
        assert reply.ephemeral and reply.view == expected


async def test_someone_elses_run_gets_the_shared_notice_for_answers_and_for_next(engine: QuizEngine) -> None:
    run_id = run_id_of(await first_card(engine, person("owner")))
    for action in (AnswerAction(run_id=run_id, position=0, option_key="full-pipeline"), NextAction(run_id=run_id)):
        reply = await engine.handle(person("stranger"), action.encode())
        assert isinstance(reply.view, Notice)
        assert (reply.view.code, reply.view.title, reply.view.hint) == ("not_yours", "This quiz belongs to someone else", "start")


async def test_a_bad_id_is_refused_with_the_reason(engine: QuizEngine) -> None:
    reply = await engine.handle(person(), "rq9:a:1:0:x")
    assert reply.ephemeral
    assert reply.view == Notice(
        tone="warning",
        title="That button doesn't work",
        text="It does not carry a valid recsys-quiz action (not a recsys-quiz action id (or from an unsupported version)), "
        "so nothing was recorded.",
        hint="start",
    )


class UnhandledAction(Action):
    """A made-up action the codec knows and the engine does not."""

    verb: ClassVar[str] = "q"


@pytest.fixture
def unhandled_action(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Registers UnhandledAction in a copy of the codec's tables, so no other test sees it."""
    monkeypatch.setattr(bot.actions, "ACTION_TYPES", dict(bot.actions.ACTION_TYPES))
    monkeypatch.setattr(bot.actions, "_FIELD_NAMES", dict(bot.actions._FIELD_NAMES))
    register(UnhandledAction)
    yield


async def test_an_action_the_engine_does_not_handle_gets_a_notice(engine: QuizEngine, unhandled_action: None) -> None:
    reply = await engine.handle(person(), "rq1:q")
    assert reply.ephemeral
    assert reply.view == Notice(
        tone="warning", title="That button isn't available", text="This action is not supported here. Nothing was recorded."
    )


# Resume, unknown decks, help --------------------------------------------------------------------------------------


async def test_resume_says_which_question_of_how_many(engine: QuizEngine, decks: DeckLibrary) -> None:
    origin = person("resume")
    card = await first_card(engine, origin)
    feedback = await engine.handle(origin, button_for(card, decks.default, correct=True))
    second = (await engine.handle(origin, feedback.view.buttons[0].action_id)).view  # type: ignore[union-attr]
    assert isinstance(second, QuestionCard)
    await engine.handle(origin, second.buttons[1].action_id)
    resumed = await first_card(engine, origin)
    assert (resumed.position, resumed.note) == (3, "Resumed where you left off: question 3 of 5.")
    assert run_id_of(resumed) == run_id_of(card)


async def test_an_unknown_deck_is_named_with_the_decks_there_are(engine: QuizEngine) -> None:
    expected = Notice(tone="warning", title="Unknown deck", text=f"There is no deck called 'nope'. Decks: {DECKS_TEXT}.")
    for reply in (await engine.start(person(), "nope"), await engine.tips("nope"), tips_reply(engine.decks, "nope")):
        assert reply.ephemeral and reply.view == expected


def test_help_lists_the_decks_the_rule_and_a_start_button(decks: DeckLibrary) -> None:
    reply = help_reply(decks)
    view = reply.view
    assert reply.ephemeral
    assert view.intro == (  # type: ignore[union-attr]
        "recsys-quiz asks real RecSys Platform Engineer interview questions. Pick the best-structured "
        "answer with the buttons; every answer gets feedback on what the others miss."
    )
    assert view.decks == (  # type: ignore[union-attr]
        DeckLine(id="recsys-platform-engineer", title="RecSys Platform Engineer interview", questions=5),
        DeckLine(id="recsys-platform-systems", title="RecSys platform systems", questions=27),
    )
    assert view.scoring_rule == SCORING_RULE_TEXT  # type: ignore[union-attr]
    assert view.buttons == (Button(label="Start", action_id="rq1:s:recsys-platform-engineer", style="primary"),)


def test_tips_of_a_deck_are_its_own(decks: DeckLibrary) -> None:
    reply = tips_reply(decks, "recsys-platform-systems")
    assert reply.ephemeral
    assert reply.view.deck_title == "RecSys platform systems"  # type: ignore[union-attr]
    assert [t.title for t in reply.view.tips] == [  # type: ignore[union-attr]
        "Say what the number is used for",
        "Name what each fix and each choice costs",
        "Put a number on the tail",
        "Place every rule and every cache deliberately",
        "Compare against the exact answer",
    ]
    assert reply.view.tips[0].text == decks.get("recsys-platform-systems").tips[0].text  # type: ignore[union-attr]


# Home, autocomplete, question stats -----------------------------------------------------------------------------


async def test_home_counts_the_reviews_due_by_the_end_of_the_persons_own_day(
    engine: QuizEngine, decks: DeckLibrary, clock: FakeClock
) -> None:
    clock.now = 1_790_172_800  # Wednesday 23 Sep 2026, 14:13:20 UTC
    kiritimati = Origin(platform="console", space_id="local", user_id="k", display_name="K", timezone="Pacific/Kiritimati")
    utc = Origin(platform="console", space_id="local", user_id="u", display_name="U")
    for origin in (kiritimati, utc):
        card = await first_card(engine, origin)
        await engine.handle(origin, button_for(card, decks.default, correct=False))  # due again in 24 hours
    clock.advance(12 * 3600)  # Thursday 02:13 UTC; at UTC+14 Thursday 16:13, a day that ends at 10:00 UTC
    home = await engine.home(utc)
    assert (home.due_reviews, home.buttons[-1]) == (1, Button(label="Review", action_id="rq1:r:", style="primary"))
    home = await engine.home(kiritimati)  # the card comes due at 14:13 UTC, after that person's Thursday ends
    assert (home.due_reviews, home.buttons[-1]) == (0, Button(label="Review", action_id="rq1:r:", style="secondary"))


async def test_autocomplete_offers_at_most_25_team_names_from_an_empty_prefix(engine: QuizEngine) -> None:
    for number in range(26):
        reply = await engine.team_create(person(f"lead{number}"), f"Team {number:02d}")
        assert isinstance(reply.view, Notice) and reply.view.tone == "success", reply.view
    names = await engine.team_names(person("asker"))
    assert len(names) == 25 and set(names) < {f"Team {number:02d}" for number in range(26)}
    assert len(await engine.team_names(person("asker"), "Team", 3)) == 3


async def test_question_stats_are_of_the_deck_asked_for(engine: QuizEngine) -> None:
    admin = Origin(platform="console", space_id="local", user_id="admin", display_name="Admin", is_admin=True)
    view = (await engine.question_stats(admin, "recsys-platform-systems")).view
    assert view.deck_title == "RecSys platform systems" and len(view.questions) == 27  # type: ignore[union-attr]


async def test_team_show_shows_the_team_named_rather_than_the_askers_own(engine: QuizEngine) -> None:
    await engine.team_create(person("a"), "Alpha")
    await engine.team_create(person("b"), "Bravo")
    assert (await engine.team_show(person("a"), "Bravo")).view.name == "Bravo"  # type: ignore[union-attr]
    assert (await engine.team_show(person("a"))).view.name == "Alpha"  # type: ignore[union-attr]


async def test_asking_for_a_later_page_of_a_board_replaces_the_message_it_pages(engine: QuizEngine) -> None:
    first = await engine.leaderboard(person("pager"))
    later = await engine.leaderboard(person("pager"), "people", "all", 2)
    assert (first.ephemeral, first.replace) == (True, False)
    assert (later.ephemeral, later.replace) == (True, True)


async def test_stats_with_study_lines_stay_private(engine: QuizEngine, decks: DeckLibrary) -> None:
    origin = person("studies")
    card = await first_card(engine, origin)
    await engine.handle(origin, button_for(card, decks.default, correct=False))
    reply = await engine.stats(origin)
    assert reply.ephemeral
    assert "Due for review today: 0. Not yet seen in the decks you study: 4 questions." in reply.view.lines  # type: ignore[union-attr]


async def test_a_finished_review_says_reviews_score_nothing_and_offers_more(engine: QuizEngine) -> None:
    origin = person("reviewer")
    reply = await engine.review(origin)
    while isinstance(reply.view, QuestionCard):
        feedback = await engine.handle(origin, reply.view.buttons[0].action_id)
        assert isinstance(feedback.view, AnswerFeedback) and feedback.view.points == 0
        reply = await engine.handle(origin, feedback.view.buttons[0].action_id)
    score = reply.view
    assert isinstance(score, ScoreCard) and (score.total, score.points) == (5, 0)
    assert score.scoring_note == (
        "Reviews score no board points, so boards stay fair; they count for your study streak and your stats. "
        "A wrong answer comes back tomorrow, a right one later, and later still each time you get it right."
    )
    assert score.buttons == (Button(label="Review more", action_id="rq1:r:", style="primary"),)


async def test_an_engine_shuffles_options_with_the_random_source_it_is_given(store: Store, decks: DeckLibrary) -> None:
    plans = []
    for user in ("first", "second"):
        engine = QuizEngine(store, decks, rng=random.Random(5))
        origin = person(user)
        card = await first_card(engine, origin)
        run, _ = await store.owned_run(run_id_of(card), *origin.identity)
        assert run is not None
        plans.append(run.plan)
    assert plans[0] == plans[1]  # a system random source would repeat all five orders once in 24**5 runs


async def test_a_tips_button_shows_the_tips_of_its_own_deck(engine: QuizEngine) -> None:
    reply = await engine.handle(person(), "rq1:t:recsys-platform-systems")
    assert reply.ephemeral and reply.view.deck_title == "RecSys platform systems"  # type: ignore[union-attr]


async def test_a_run_of_a_deck_no_longer_offered_is_refused(store: Store, decks: DeckLibrary, clock: FakeClock) -> None:
    origin = person("left-behind")
    card = await first_card(QuizEngine(store, decks, clock=clock), origin, "recsys-platform-systems")
    fewer = QuizEngine(store, DeckLibrary([decks.default]), clock=clock)
    refused = Notice(
        tone="warning", title="This run's deck has changed", text="The questions of this run are no longer available.", hint="start"
    )
    for action_id in (NextAction(run_id=run_id_of(card)).encode(), card.buttons[0].action_id):
        reply = await fewer.handle(origin, action_id)
        assert reply.ephemeral and reply.view == refused


async def test_next_shows_the_next_card_and_then_the_score_card_privately_in_place(engine: QuizEngine, decks: DeckLibrary) -> None:
    origin = person("in-place")
    reply: Reply = await engine.start(origin)
    while isinstance(reply.view, QuestionCard):
        feedback = await engine.handle(origin, button_for(reply.view, decks.default, correct=True))
        reply = await engine.handle(origin, feedback.view.buttons[0].action_id)  # type: ignore[union-attr]
        assert (reply.ephemeral, reply.replace) == (True, True)
    assert isinstance(reply.view, ScoreCard)


async def test_a_run_whose_question_left_its_deck_is_refused(store: Store, decks: DeckLibrary, clock: FakeClock) -> None:
    origin = person("question-gone")
    card = await first_card(QuizEngine(store, decks, clock=clock), origin)
    raw = decks.default.model_dump()
    raw["questions"] = raw["questions"][:4]  # the last question is dropped
    raw["version"] += 1
    shorter = QuizEngine(store, DeckLibrary([Deck.model_validate(raw)]), clock=clock)
    reply = await shorter.handle(origin, NextAction(run_id=run_id_of(card)).encode())
    assert reply.view == Notice(
        tone="warning", title="This run's deck has changed", text="The questions of this run are no longer available.", hint="start"
    )


async def test_feedback_in_a_review_says_reviews_score_nothing(engine: QuizEngine, decks: DeckLibrary) -> None:
    origin = person("review-note")
    card = (await engine.review(origin)).view
    for correct in (True, False):  # right or wrong, the note is the review's
        assert isinstance(card, QuestionCard)
        feedback = (await engine.handle(origin, button_for(card, decks.default, correct=correct))).view
        assert isinstance(feedback, AnswerFeedback) and feedback.points == 0
        assert feedback.scoring_note == "Review: no points (reviews keep boards fair); it counts for your study streak and your stats."
        card = (await engine.handle(origin, feedback.buttons[0].action_id)).view
