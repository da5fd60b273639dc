"""Socket Mode through bolt's own path: apps.connections.open, a websocket to the fake, envelopes acked by id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.main import build_app, socket_mode_handler
from bot.engine import QuizEngine
from bot.origin import Origin
from tests.slack.conftest import BOT_TOKEN, DEADLINE, TEAM, SlackSender
from tests.slack.fake_slack import FakeSlack
from tests.slack.helpers import answer_buttons, best_and_wrong, daily_best_and_wrong, totals

APP_TOKEN = "xapp-1-test"


@pytest.fixture
def socket_app(quiz_engine: QuizEngine, fake: FakeSlack) -> AsyncApp:
    # No signing secret: Socket Mode requests arrive over the authenticated websocket, not signed HTTP.
    return build_app(quiz_engine, client=AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url))


@pytest.fixture
async def connected(socket_app: AsyncApp, fake: FakeSlack) -> AsyncIterator[None]:
    handler = socket_mode_handler(socket_app, APP_TOKEN, socket_app.client)
    await handler.connect_async()
    yield
    await handler.close_async()


async def test_socket_mode_start_and_click_are_acked_and_answered(connected: None, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    sender = SlackSender("unused", None, fake)  # type: ignore[arg-type] - only builds payloads here
    await fake.socket_outbox.put(
        {
            "envelope_id": "env-1",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": dict(parse_qsl(sender.slash_body("start"))),
        }
    )
    ack = await fake.wait_for_socket_ack("env-1", timeout=DEADLINE)
    assert "payload" not in ack or not ack["payload"]  # acknowledged empty; the card goes to the response_url
    card = await fake.next_message(0)
    assert card.body["response_type"] == "ephemeral" and len(answer_buttons(card)) == 4

    best, _ = best_and_wrong(quiz_engine, card)
    await fake.socket_outbox.put(
        {"envelope_id": "env-2", "type": "interactive", "accepts_response_payload": False, "payload": sender.click_payload(best)}
    )
    await fake.wait_for_socket_ack("env-2", timeout=DEADLINE)
    feedback = await fake.next_message(1)
    assert feedback.body["replace_original"] is True
    assert feedback.body["text"].startswith("Correct")
    assert await totals(quiz_engine) == (1, 1)
    assert any(c.method == "apps.connections.open" and c.token == APP_TOKEN for c in fake.calls)


async def test_socket_mode_malformed_click_is_acked_and_records_nothing(connected: None, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    url = fake.new_response_url()
    await fake.socket_outbox.put(
        {
            "envelope_id": "env-3",
            "type": "interactive",
            "payload": {
                "type": "block_actions",
                "team": {"id": "T1"},
                "actions": [{"action_id": "rq1:s:x"}],
                "response_url": url,
            },
        }
    )
    await fake.wait_for_socket_ack("env-3", timeout=DEADLINE)
    notice = await fake.next_message(0)
    assert notice.body["text"].startswith("That did not come through")
    assert await totals(quiz_engine) == (0, 0)


async def test_socket_mode_a_click_on_a_daily_post_gets_private_feedback(connected: None, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    admin = Origin(platform="slack", space_id=TEAM, user_id="UADMIN", is_admin=True, channel_id="C1")
    await quiz_engine.daily.configure(admin, "C1", "09:00", "UTC")
    assert (await quiz_engine.daily.post_now(admin, "C1")).view.title == "Posted"  # type: ignore[union-attr]
    [post] = fake.channel_messages("C1")
    best, _ = await daily_best_and_wrong(quiz_engine, post)
    sender = SlackSender("unused", None, fake)  # type: ignore[arg-type] - only builds payloads here
    before = len(fake.posted)
    payload = sender.click_payload(best, "U2", message_ts=post.ts or "", ephemeral=False)
    await fake.socket_outbox.put({"envelope_id": "env-d", "type": "interactive", "payload": payload})
    await fake.wait_for_socket_ack("env-d", timeout=DEADLINE)
    feedback = await fake.next_reply(before)
    assert feedback.body["text"].startswith("Correct") and feedback.body["response_type"] == "ephemeral"
    assert feedback.body["replace_original"] is False
