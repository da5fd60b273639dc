"""Both shipped decks in use: start either, help lists them with their sizes, stats count their topics."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.content import DeckLibrary
from bot.engine import QuizEngine
from bot.views import AnswerFeedback, HelpView, QuestionCard, StatsView
from tests.conftest import person


async def test_a_run_of_the_systems_deck_goes_through_its_27_questions_and_stats_list_its_topics(
    engine: QuizEngine, decks: DeckLibrary
) -> None:
    systems = decks.get("recsys-platform-systems")
    assert systems is not None
    origin = person("learner")
    card = (await engine.start(origin, systems.id)).view
    assert isinstance(card, QuestionCard) and (card.position, card.total) == (1, len(systems.questions))
    for _ in range(3):
        assert isinstance(card, QuestionCard)
        feedback = (await engine.handle(origin, card.buttons[0].action_id)).view
        assert isinstance(feedback, AnswerFeedback) and feedback.deck_title == systems.title
        card = (await engine.handle(origin, feedback.buttons[0].action_id)).view
    stats = (await engine.stats(origin)).view
    assert isinstance(stats, StatsView)
    first_topics = list(dict.fromkeys(q.topic for q in systems.questions[:3]))
    assert {t.topic for t in stats.topics} >= set(first_topics)  # the new deck's topics, e.g. "Ranking models"
    assert {d.deck_title for d in stats.decks} >= {systems.title}


def test_help_lists_both_decks_with_their_question_counts(engine: QuizEngine, decks: DeckLibrary) -> None:
    view = engine.help().view
    assert isinstance(view, HelpView)
    assert [(d.id, d.questions) for d in view.decks] == [(d.id, len(d.questions)) for d in decks]
    assert {d.id for d in view.decks} == {"recsys-platform-engineer", "recsys-platform-systems"}


def test_terminal_play_takes_the_systems_deck(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "play", "--deck", "recsys-platform-systems", "--db", str(tmp_path / "q.db"), "--user", "t"],
        input="q\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Question 1 / 27" in result.stdout
