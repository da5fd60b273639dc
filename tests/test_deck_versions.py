"""A deck edited under a run in progress: the run resumes on the new texts, or restarts with a clear notice."""

from __future__ import annotations

import logging
import random

import pytest

from bot.actions import AnswerAction, decode
from bot.content import Deck, DeckLibrary
from bot.engine import DECK_UPDATED_NOTE, QuizEngine
from bot.store import Store
from bot.views import AnswerFeedback, Notice, QuestionCard
from tests.conftest import FakeClock, person
from tests.test_engine import answer_button


def edited(deck: Deck, question_index: int, *, rename_keys: bool = False) -> Deck:
    """The deck with one question's option texts reworded (keys kept) or its option keys renamed, versions bumped.

    Built from plain data (not model_copy, which would carry the old question's cached lookups along).
    """
    raw = deck.model_dump()
    question = raw["questions"][question_index]
    question["version"] += 1
    for option in question["options"]:
        option["text"] = f"Reworded. {option['text']}"
        if rename_keys:
            option["key"] = f"{option['key'][:20]}-v2"
    raw["version"] += 1
    return Deck.model_validate(raw)


async def test_a_run_resumes_on_the_new_texts_when_its_questions_and_keys_still_exist(
    store: Store, decks: DeckLibrary, clock: FakeClock
) -> None:
    origin = person("resumer")
    old = QuizEngine(store, decks, clock=clock, rng=random.Random(1))
    card = (await old.start(origin)).view
    assert isinstance(card, QuestionCard)
    await old.handle(origin, answer_button(card, decks, correct=True))

    new_library = DeckLibrary([edited(decks.default, 1)])
    new = QuizEngine(store, new_library, clock=clock, rng=random.Random(2))
    resumed = (await new.start(origin)).view
    assert isinstance(resumed, QuestionCard)
    assert resumed.position == 2 and resumed.note == "Resumed where you left off: question 2 of 5."
    assert all(o.text.startswith("Reworded. ") for o in resumed.options)
    feedback = (await new.handle(origin, resumed.buttons[0].action_id)).view
    assert isinstance(feedback, AnswerFeedback) and feedback.chosen.text.startswith("Reworded. ")


async def test_a_run_whose_option_keys_are_gone_restarts_with_a_notice_and_keeps_its_points(
    store: Store, decks: DeckLibrary, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    origin = person("restarter")
    old = QuizEngine(store, decks, clock=clock, rng=random.Random(1))
    card = (await old.start(origin)).view
    assert isinstance(card, QuestionCard)
    feedback = (await old.handle(origin, answer_button(card, decks, correct=True))).view
    assert isinstance(feedback, AnswerFeedback) and feedback.points == 1
    stale_next = feedback.buttons[0].action_id

    new_library = DeckLibrary([edited(decks.default, 2, rename_keys=True)])
    new = QuizEngine(store, new_library, clock=clock, rng=random.Random(2))
    refused = (await new.handle(origin, stale_next)).view  # a button of the old run, clicked after the update
    assert refused == Notice(
        tone="warning", title="This run's deck has changed", text="The questions of this run are no longer available.", hint="start"
    )
    stale_answer = (await new.handle(origin, card.buttons[0].action_id)).view  # an answer button of the old run
    assert stale_answer == refused
    with caplog.at_level(logging.INFO, logger="bot.engine"):
        restarted = (await new.start(origin)).view
    assert isinstance(restarted, QuestionCard)
    assert (restarted.position, restarted.note) == (1, DECK_UPDATED_NOTE)
    old_run = decode(card.buttons[0].action_id)
    assert isinstance(old_run, AnswerAction)
    # Operators read this line to see why someone's run started again.
    assert [r.getMessage() for r in caplog.records if r.name == "bot.engine"] == [
        f"closing run {old_run.run_id}: deck recsys-platform-engineer changed since it started"
    ]
    person_id = await store.person_id(origin)
    assert person_id is not None
    assert (await store.person_totals(person_id))[0] == 1  # the point earned before the update stays
    again = (await new.handle(origin, answer_button(restarted, new_library, correct=True))).view
    assert isinstance(again, AnswerFeedback) and again.points == 0 and again.scoring_note.startswith("Practice")
