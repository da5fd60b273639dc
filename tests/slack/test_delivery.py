"""Delivery when things go wrong: the engine fails, users.info fails, the response_url is gone."""

from __future__ import annotations

import sqlite3

import pytest

from adapters.slack import handlers
from adapters.slack.render import SlackMessage
from bot.engine import QuizEngine
from bot.views import AnswerFeedback
from tests.slack.conftest import DEADLINE, SlackSender
from tests.slack.fake_slack import FakeSlack
from tests.slack.helpers import answer_buttons, is_known, totals


async def test_an_engine_error_becomes_an_ephemeral_notice(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(quiz_engine.store, "ensure_person", broken)
    answer = await slack.slash("start")
    assert answer.status == 200 and answer.elapsed < DEADLINE
    reply = await fake.next_message(0)
    assert reply.body["response_type"] == "ephemeral"
    assert reply.body["text"] == "Something went wrong: Nothing was recorded. Please try again in a moment."
    assert not await is_known(quiz_engine, "U1")


async def test_a_failed_users_info_falls_back_to_the_name_in_the_payload(slack: SlackSender, fake: FakeSlack) -> None:
    answer = await slack.slash("stats", user="U9")  # the fake does not know U9: users.info says user_not_found
    assert answer.status == 200
    reply = await fake.next_message(0)
    assert reply.body["text"].startswith("Progress of u9")


async def test_an_expired_response_url_falls_back_to_chat_post_ephemeral(slack: SlackSender, fake: FakeSlack) -> None:
    fake.response_url_status = 404
    answer = await slack.slash("start")
    assert answer.status == 200
    reply = await fake.next_message(0)
    assert reply.via == "chat.postEphemeral"
    assert reply.body["channel"] == "C1" and reply.body["user"] == "U1"
    assert reply.problems == []
    assert len(answer_buttons(reply)) == 4 and len(reply.buttons) == 5  # A-D, then Write my answer


async def test_users_info_is_asked_once_per_person_not_once_per_click(slack: SlackSender, fake: FakeSlack) -> None:
    for _ in range(3):
        await slack.slash("help")
    await fake.wait_for(lambda p: len(p) == 3)
    assert [c.args.get("user") for c in fake.calls if c.method == "users.info"] == ["U1"]


async def test_a_reply_that_cannot_be_rendered_after_the_answer_was_recorded_says_so_not_that_nothing_was(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = await slack.ask("start")
    real_render = handlers.render

    def broken_for_feedback(view: object) -> SlackMessage:
        if isinstance(view, AnswerFeedback):
            raise ValueError("a rendering bug")
        return real_render(view)  # type: ignore[arg-type]

    monkeypatch.setattr(handlers, "render", broken_for_feedback)
    reply = await slack.press(card.action_ids[0])
    assert reply.body["text"].startswith("That reply could not be shown")
    assert "nothing was recorded" not in reply.body["text"]
    assert (await totals(quiz_engine))[1] == 1  # the answer is on disk: clicking again shows "Already answered"
