"""The Slack DailyPublisher against the fake: the ts it returns, edits, and how Slack's errors map to PublishError."""

from __future__ import annotations

import socket

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.daily import SlackDailyPublisher
from bot.daily import DailyTarget, PublishError
from bot.views import DailyPostView
from tests.slack.conftest import BOT_TOKEN, TEAM
from tests.slack.fake_slack import FakeSlack
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
