"""Forged, stale and malformed requests: 401 or 400 before any listener runs, and nothing recorded."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt.request import internals
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import web
from adapters.slack.main import build_app
from bot.engine import QuizEngine
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, SlackSender
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
    "body",
    [
        "payload=%7Bnot-json",
        "payload=%5B1%2C2%5D",
        SlackSender.form({"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"}, "actions": []}),
        SlackSender.form({"type": "block_actions", "team": {"id": "T1"}, "actions": [{"action_id": "rq1:s:x"}]}),
        SlackSender.form({"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "rq1:s:x"}]}),
        SlackSender.form({"type": "block_actions", "user": {"id": ["U1"]}, "team": {"id": "T1"}, "actions": [{"action_id": 5}]}),
        "command=%2Frecsys-quiz&text=start&team_id=T1",
        "command=%2Frecsys-quiz&text=start&user_id=U1",
        '{"command": "/recsys-quiz", "text": "start", "user_id": "U1"',
    ],
    ids=[
        "payload-not-json",
        "payload-a-list",
        "no-actions",
        "no-user",
        "no-team",
        "wrong-types",
        "command-without-user",
        "command-without-team",
        "broken-json-body",
    ],
)
async def test_a_signed_but_malformed_request_gets_400_and_records_nothing(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, body: str
) -> None:
    answer = await slack.post(body)
    assert answer.status == 400, answer.text
    assert json.loads(answer.text)["error"] == "malformed request"
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


async def test_an_unsigned_ssl_check_is_answered_by_the_guard_and_never_reaches_bolt(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine
) -> None:
    # bolt's own parse of this body is empty (the word `payload` without a payload field), so bolt's SslCheck
    # would not answer it: only the guard stands between it and bolt's authorization and listeners.
    answer = await slack.post("ssl_check=1&token=legacy-verification-token&note=payload", signed=False)
    assert answer.status == 200 and answer.text == ""
    assert fake.calls == []  # not even bolt's auth.test
    await _nothing_happened(slack, fake, quiz_engine)


async def test_each_http_request_has_its_signature_checked_once_by_the_guard_before_bolt(
    slack: SlackSender, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []
    guard_check = web.verified

    def counted_guard_check(*args: Any, **kwargs: Any) -> bool:
        checks.append("guard")
        return guard_check(*args, **kwargs)

    def bolt_check(*args: Any, **kwargs: Any) -> bool:
        checks.append("bolt")
        return True

    monkeypatch.setattr(web, "verified", counted_guard_check)
    monkeypatch.setattr(SignatureVerifier, "is_valid", bolt_check)
    card = await slack.ask("start")
    assert checks == ["guard"]
    await slack.press(card.action_ids[0])
    assert checks == ["guard", "guard"]


async def test_an_app_not_built_for_the_guard_checks_signatures_itself(quiz_engine: QuizEngine, fake: FakeSlack) -> None:
    # Served without the guard (bolt's own web app), the app build_app makes by default is bolt's usual one.
    app = build_app(quiz_engine, client=AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url), signing_secret=SIGNING_SECRET)
    server = TestServer(app.web_app(), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            sender = SlackSender(str(server.make_url("/slack/events")), session, fake)
            unsigned = await sender.click("rq1:s:recsys-platform-engineer", signed=False)
            forged = await sender.slash("start", secret="someone-elses-secret")
    finally:
        await server.close()
    assert unsigned.status == forged.status == 401
    assert fake.calls == [] and fake.posted == []
    assert not await is_known(quiz_engine, "U1")


async def test_a_body_that_is_not_utf8_gets_400_and_records_nothing(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=00"}
    async with slack.session.post(slack.url, data=b"payload=\xff\xfe", headers=headers) as response:
        assert response.status == 400
    await _nothing_happened(slack, fake, quiz_engine)


_PIECES = st.sampled_from([*"%+&=;#?/ aAfF09xé✓\n{}\"'", "%2", "%E2%82", "%C3%A9", "%ZZ", "%25", "%26", "%3D", "%2B", "payload="])


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.lists(_PIECES, max_size=25).map("".join),
        st.text(max_size=40),
        st.dictionaries(st.text(max_size=10), st.text(max_size=30), max_size=4).map(urlencode),
    ),
    st.sampled_from([None, "application/x-www-form-urlencoded", "application/json"]),
)
def test_the_guards_fast_body_parser_reads_any_body_as_bolts_own_does(body: str, content_type: str | None) -> None:
    def outcome(parse: Any) -> object:
        try:
            return parse(body, content_type)
        except ValueError as error:  # JSONDecodeError included: the guard answers 400 either way
            return type(error)

    assert outcome(web.parse_body) == outcome(internals.parse_body)


_NOW = 1_800_000_000.0


class _FixedClock:
    """slack_sdk's clock interface, stopped: both checks judge a timestamp's age at the same instant."""

    def now(self) -> float:
        return _NOW


@settings(max_examples=300, deadline=None)
@given(
    body=st.binary(max_size=300),
    timestamp=st.one_of(st.none(), st.text(max_size=12), st.integers(-400, 400).map(lambda d: str(int(_NOW) + d))),
    signature=st.one_of(st.none(), st.text(max_size=70), st.just("sign")),
    secret=st.text(min_size=1, max_size=20).filter(str.strip),  # slack_sdk refuses a blank secret outright
)
def test_the_guards_signature_check_agrees_with_slack_sdks(body: bytes, timestamp: str | None, signature: str | None, secret: str) -> None:
    from slack_sdk.signature import SignatureVerifier

    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:  # the guard answers 400 before checking such a body
        return
    verifier = SignatureVerifier(secret, clock=_FixedClock())
    if signature == "sign" and timestamp is not None:  # also the case that matters: a correct signature
        signature = verifier.generate_signature(timestamp=timestamp, body=text)
    try:
        expected = verifier.is_valid(text, timestamp, signature)
    except (TypeError, ValueError):  # the old guard refused what made slack_sdk raise
        expected = False
    assert web.verified(secret.encode(), body, timestamp, signature, now=_NOW) == expected
