"""Forged, stale and malformed requests: 401, 400 or 404 before any listener runs (or an acknowledgement and a
notice), and nothing recorded. bolt's own signature check decides what is forged."""

from __future__ import annotations

import time
from typing import Any

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.engine import QuizEngine
from tests.slack.conftest import SlackSender
from tests.slack.fake_slack import FakeSlack
from tests.slack.helpers import is_known

STALE = 301  # Slack's window is 5 minutes either way


async def _nothing_happened(slack: SlackSender, fake: FakeSlack, engine: QuizEngine) -> None:
    """A good request sent afterwards is answered, and its answer is the only message Slack got."""
    assert (await slack.slash("help", user="U2")).status == 200
    posted = await fake.wait_for(lambda p: len(p) >= 1)
    assert len(posted) == 1 and posted[0].body["text"].startswith("recsys-quiz help")
    assert not await is_known(engine, "U1")


async def test_an_unsigned_slash_command_gets_401_and_records_nothing(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    answer = await slack.slash("start", signed=False)
    assert answer.status == 401
    await _nothing_happened(slack, fake, quiz_engine)


async def test_a_wrongly_signed_slash_command_gets_401_and_records_nothing(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine
) -> None:
    answer = await slack.slash("start", secret="someone-elses-secret")
    assert answer.status == 401
    await _nothing_happened(slack, fake, quiz_engine)


@pytest.mark.parametrize("age", [STALE, -STALE])
async def test_a_stale_request_gets_401_and_records_nothing(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, age: int) -> None:
    answer = await slack.slash("start", timestamp=int(time.time()) - age)
    assert answer.status == 401
    await _nothing_happened(slack, fake, quiz_engine)


async def test_a_signature_over_a_different_body_gets_401(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    ts = int(time.time())
    from tests.slack.conftest import sign

    body = slack.slash_body("start")
    headers = {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": sign(body.replace("U1", "U2"), ts)}
    answer = await slack.post(body, signed=False, headers=headers)
    assert answer.status == 401
    await _nothing_happened(slack, fake, quiz_engine)


async def test_a_non_numeric_timestamp_gets_401_not_a_server_error(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    answer = await slack.post(
        slack.slash_body("start"), signed=False, headers={"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}
    )
    assert answer.status == 401
    await _nothing_happened(slack, fake, quiz_engine)


async def test_an_unsigned_click_gets_401(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    answer = await slack.click("rq1:s:recsys-platform-engineer", signed=False)
    assert answer.status == 401
    await _nothing_happened(slack, fake, quiz_engine)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        ("payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
        ('{"command": "/recsys-quiz", "text": "start", "user_id": "U1"', "application/json"),
        ('{"type": "block_actions", "team": 5, "user": {"id": "U1"}}', "application/json"),
    ],
    ids=["payload-not-json", "payload-a-list", "broken-json-body", "team-a-number"],
)
async def test_a_signed_body_bolt_cannot_read_gets_400_and_records_nothing(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, body: str, content_type: str
) -> None:
    answer = await slack.post(body, content_type=content_type)
    assert answer.status == 400, answer.text
    await _nothing_happened(slack, fake, quiz_engine)


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"}, "actions": []},
        {"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"}, "actions": [{"action_id": 5}]},
        {"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"}},
    ],
    ids=["no-actions", "action-id-a-number", "actions-missing"],
)
async def test_a_signed_click_bolt_cannot_match_gets_404_and_records_nothing(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, payload: dict[str, Any]
) -> None:
    answer = await slack.post(slack.form(payload))
    assert answer.status == 404, answer.text
    await _nothing_happened(slack, fake, quiz_engine)


@pytest.mark.parametrize(
    "body",
    [
        SlackSender.form({"type": "block_actions", "team": {"id": "T1"}, "actions": [{"action_id": "rq1:s:x"}]}),
        SlackSender.form({"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "rq1:s:x"}]}),
        SlackSender.form({"type": "block_actions", "user": {"id": ["U1"]}, "team": {"id": "T1"}, "actions": [{"action_id": "rq1:s:x"}]}),
        "command=%2Frecsys-quiz&text=start&team_id=T1",
        "command=%2Frecsys-quiz&text=start&user_id=U1",
    ],
    ids=["no-user", "no-team", "user-id-a-list", "command-without-user", "command-without-team"],
)
async def test_a_signed_request_without_who_or_where_is_acknowledged_and_records_nothing(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, body: str
) -> None:
    # bolt takes it (its type and action id or command match), so it is acknowledged; the listener finds it
    # incomplete and records nothing (with a response_url, the person is told so: see the Socket Mode test).
    answer = await slack.post(body)
    assert answer.status == 200, answer.text
    await _nothing_happened(slack, fake, quiz_engine)


async def test_a_signed_request_for_something_else_is_not_handled(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    body = slack.slash_body("start").replace("%2Frecsys-quiz", "%2Fother-command")
    answer = await slack.post(body)
    assert 400 <= answer.status < 500
    await _nothing_happened(slack, fake, quiz_engine)


async def test_a_get_to_the_events_path_is_not_allowed(slack: SlackSender) -> None:
    async with slack.session.get(slack.url) as response:
        assert response.status == 405


async def test_slacks_unsigned_ssl_check_gets_200_and_runs_nothing(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    answer = await slack.post("ssl_check=1&token=legacy-verification-token", signed=False)
    assert answer.status == 200
    await _nothing_happened(slack, fake, quiz_engine)


async def test_a_body_that_is_not_utf8_gets_400_and_records_nothing(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=00"}
    async with slack.session.post(slack.url, data=b"payload=\xff\xfe", headers=headers) as response:
        assert response.status == 400
    await _nothing_happened(slack, fake, quiz_engine)


async def test_bolts_own_signature_check_runs_for_every_request_clicks_included(
    slack: SlackSender, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = SignatureVerifier.is_valid

    def counted(self: SignatureVerifier, body: str | bytes, timestamp: str | None, signature: str | None) -> bool:
        checked.append(str(timestamp))
        return real(self, body, timestamp, signature)

    monkeypatch.setattr(SignatureVerifier, "is_valid", counted)
    card = await slack.ask("start")
    for button in card.action_ids:  # the first answers, the others get "Already answered": each one is verified
        await slack.press(button)
    assert len(checked) == 1 + len(card.action_ids)
