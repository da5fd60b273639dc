"""Reading the quiz out of what reached the fake Slack: which button is the best answer, what the DB holds."""

from __future__ import annotations

import sqlite3
from typing import Any

from bot.actions import AnswerAction, DailyAnswerAction, decode
from bot.engine import QuizEngine
from bot.origin import Origin
from tests.slack.fake_slack import FakeSlack, Posted


def answer_buttons(card: Posted) -> list[AnswerAction]:
    return [a for a in (decode(i) for i in card.action_ids) if isinstance(a, AnswerAction)]


def best_and_wrong(engine: QuizEngine, card: Posted) -> tuple[str, str]:
    """The action ids of the best answer and of one wrong answer on a question card."""
    buttons = answer_buttons(card)
    run = buttons[0].run_id
    position = buttons[0].position
    deck = engine.decks.default
    question = deck.questions[position]
    best = next(b for b in buttons if b.option_key == question.correct_option.key)
    wrong = next(b for b in buttons if b.option_key != question.correct_option.key)
    assert all(b.run_id == run for b in buttons)
    return best.encode(), wrong.encode()


async def totals(engine: QuizEngine, user: str = "U1", team: str = FakeSlack.TEAM) -> tuple[int, int]:
    """(points, answers) the store holds for a Slack user; (0, 0) when the user was never recorded."""
    person = await engine.store.person_id(Origin(platform="slack", space_id=team, user_id=user))
    if person is None:
        return (0, 0)
    return await engine.store.person_totals(person)


async def is_known(engine: QuizEngine, user: str, team: str = FakeSlack.TEAM) -> bool:
    return await engine.store.person_id(Origin(platform="slack", space_id=team, user_id=user)) is not None


def daily_buttons(post: Posted) -> list[DailyAnswerAction]:
    return [a for a in (decode(i) for i in post.action_ids) if isinstance(a, DailyAnswerAction)]


async def daily_best_and_wrong(engine: QuizEngine, post: Posted) -> tuple[str, list[str]]:
    """The action ids of the best answer and of the wrong answers on a daily post."""
    buttons = daily_buttons(post)
    stored = await engine.store.daily_post(buttons[0].post_id)
    assert stored is not None
    question = engine.decks.get(stored.deck_id).question(stored.question_id)  # type: ignore[union-attr]
    assert question is not None
    best = next(b.encode() for b in buttons if b.option_key == question.correct_option.key)
    return best, [b.encode() for b in buttons if b.encode() != best]


def query(engine: QuizEngine, sql: str, *parameters: Any) -> list[tuple[Any, ...]]:
    """Rows read straight from the SQLite file, through a connection of the test's own."""
    with sqlite3.connect(engine.store.path) as db:
        return [tuple(row) for row in db.execute(sql, parameters)]
