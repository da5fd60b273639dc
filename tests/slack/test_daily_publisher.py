"""The Slack DailyPublisher against the fake: the ts it returns, edits, and how Slack's errors map to PublishError."""

from __future__ import annotations

import socket

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.daily import SlackDailyPublisher
from bot.daily import DailyTarget, PublishError
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.views import DailyPostView
from tests.slack.conftest import BOT_TOKEN, TEAM, SlackSender
from tests.slack.fake_slack import FakeSlack
from tests.slack.helpers import daily_best_and_wrong
from tests.slack.test_render import samples

TARGET = DailyTarget(platform="slack", space_id=TEAM, channel_id="C1")


@pytest.fixture
def publisher(fake: FakeSlack) -> SlackDailyPublisher:
    return SlackDailyPublisher(AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url))


def _view() -> DailyPostView:
    return samples("Design a feature store")[DailyPostView]


async def test_a_post_returns_its_ts_and_an_edit_updates_that_message(publisher: SlackDailyPublisher, fake: FakeSlack) -> None:
    ts = await publisher.post(TARGET, _view())
    [posted] = fake.channel_messages("C1")
    assert posted.ts == ts and posted.problems == []
    assert posted.body["unfurl_links"] is False
    await publisher.edit(TARGET, ts, _view().model_copy(update={"answered": 7}))
    [edited] = fake.channel_messages("C1", via="chat.update")
    assert edited.ts == ts and "*7 answers* so far" in edited.all_text


async def test_a_post_is_deleted_by_its_ts_and_a_second_delete_is_refused_for_good(publisher: SlackDailyPublisher, fake: FakeSlack) -> None:
    ts = await publisher.post(TARGET, _view())
    await publisher.delete(TARGET, ts)
    with pytest.raises(PublishError) as gone:
        await publisher.delete(TARGET, ts)
    assert [(p.ts, p.body["channel"]) for p in fake.channel_messages("C1", via="chat.delete")] == [(ts, "C1")]
    assert ("C1", ts) not in fake.messages
    assert gone.value.retryable is False and "message_not_found" in gone.value.reason


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found", "is_archived", "missing_scope", "invalid_auth"])
async def test_a_refusal_is_final(publisher: SlackDailyPublisher, fake: FakeSlack, error: str) -> None:
    fake.fail_next("chat.postMessage", error)
    with pytest.raises(PublishError) as raised:
        await publisher.post(TARGET, _view())
    assert raised.value.retryable is False
    assert error in raised.value.reason


@pytest.mark.parametrize(
    ("failure", "shown"), [("ratelimited", "ratelimited"), (503, "HTTP 503"), (500, "HTTP 500"), ("fatal_error", "fatal_error")]
)
async def test_a_rate_limit_a_5xx_or_an_unknown_error_is_retried(
    publisher: SlackDailyPublisher, fake: FakeSlack, failure: str | int, shown: str
) -> None:
    fake.fail_next("chat.update", failure)
    with pytest.raises(PublishError) as raised:
        await publisher.edit(TARGET, "1700000000.000001", _view())
    assert raised.value.retryable is True
    assert shown in raised.value.reason


async def test_slack_out_of_reach_is_retried() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    publisher = SlackDailyPublisher(AsyncWebClient(token=BOT_TOKEN, base_url=f"http://127.0.0.1:{port}/api/", timeout=2))
    with pytest.raises(PublishError) as raised:
        await publisher.post(TARGET, _view())
    assert raised.value.retryable is True
    assert "could not reach Slack" in raised.value.reason


@pytest.mark.parametrize("error", ["message_not_found", "not_in_channel", "cant_update_message"])
async def test_an_edit_slack_refuses_for_good_is_given_up_not_raised(
    publisher: SlackDailyPublisher, fake: FakeSlack, error: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next("chat.update", error)
    await publisher.edit(TARGET, "1700000000.000001", _view())  # the core then stops re-editing it every tick
    assert "giving up editing daily post 1700000000.000001 in channel C1" in caplog.text and error in caplog.text


async def test_a_deleted_post_is_not_edited_again_at_every_tick(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    admin = Origin(platform="slack", space_id=TEAM, user_id="UADMIN", is_admin=True, channel_id="C1")
    await quiz_engine.daily.configure(admin, "C1", "09:00", "UTC")
    await quiz_engine.daily.post_now(admin, "C1")
    [post] = fake.channel_messages("C1")
    best, _ = await daily_best_and_wrong(quiz_engine, post)
    await slack.press(best, "U1", message_ts=post.ts or "", ephemeral=False)
    del fake.messages[("C1", post.ts or "")]  # someone deleted the post
    for _ in range(3):
        await quiz_engine.daily.tick()
    assert len([c for c in fake.calls if c.method == "chat.update"]) == 1
