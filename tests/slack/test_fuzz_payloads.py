"""Fuzzed Slack requests, signed as Slack signs them, against the real bolt app: a notice or a 4xx, never a 5xx or a crash."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from adapters.slack.commands import ECHO_LIMIT, VERBS, parse
from bot.engine import QuizEngine
from tests.slack.conftest import TEAM, SlackSender, settled
from tests.slack.fake_slack import FakeSlack
from tests.test_fuzz import NEAR_MISS, SQL, TEXT

# What a JSON payload can carry as an action id (no bytes).
ACTION_ID = st.one_of(TEXT, NEAR_MISS, st.none(), st.integers(), st.lists(st.text(max_size=5), max_size=3))
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    TEXT,
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)
CLICK_PATHS: list[tuple[Any, ...]] = [
    ("type",),
    ("user",),
    ("user", "id"),
    ("user", "team_id"),
    ("user", "name"),
    ("user", "username"),
    ("team",),
    ("team", "id"),
    ("channel",),
    ("channel", "id"),
    ("actions",),
    ("actions", 0),
    ("actions", 0, "action_id"),
    ("actions", 0, "type"),
    ("container",),
    ("container", "message_ts"),
    ("container", "is_ephemeral"),
    ("container", "channel_id"),
    ("api_app_id",),
    ("is_enterprise_install",),
    ("enterprise",),
    ("authorizations",),
]
SLASH_FIELDS = ["command", "text", "team_id", "user_id", "user_name", "channel_id", "channel_name", "api_app_id", "trigger_id"]
# A mutation: (where, delete it or replace it, the replacement).
MUTATION = st.tuples(st.sampled_from(CLICK_PATHS), st.booleans(), JUNK)
COMMAND_TEXT = st.one_of(
    TEXT,
    st.builds(
        lambda verb, rest: f"{verb} {rest}",
        st.sampled_from(["start", "tips", "team create", "team join", "team show", "daily set", "daily now", "leaderboard", "stats"]),
        TEXT,
    ),
)


def _apply(payload: dict[str, Any], path: tuple[Any, ...], delete: bool, value: Any) -> None:
    target: Any = payload
    for step in path[:-1]:
        try:
            target = target[step]
        except (KeyError, IndexError, TypeError):
            return
    if not isinstance(target, (dict, list)):
        return
    try:
        if delete:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    except (KeyError, IndexError, TypeError):
        pass


def answers_and_totals(engine: QuizEngine) -> tuple[int, int]:
    connection = sqlite3.connect(Path(engine.store.path))
    try:
        return (
            connection.execute("SELECT COUNT(*) FROM answers").fetchone()[0],
            connection.execute("SELECT COUNT(*) FROM score_totals").fetchone()[0],
        )
    finally:
        connection.close()


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Records at ERROR or above, and any record at any level that carries a traceback."""
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def reply_to(fake: FakeSlack, url: str) -> dict[str, Any]:
    key = url.rsplit("/", 1)[1]
    posted = await fake.wait_for(lambda p: any(m.key == key for m in p), timeout=5)
    return next(m for m in posted if m.key == key).body


@FUZZ
@given(action_id=ACTION_ID, mutations=st.lists(MUTATION, max_size=3))
async def test_fuzzed_button_clicks_get_a_notice_or_a_4xx_and_never_a_partial_write(
    slack: SlackSender,
    fake: FakeSlack,
    quiz_engine: QuizEngine,
    caplog: pytest.LogCaptureFixture,
    action_id: Any,
    mutations: list[tuple[tuple[Any, ...], bool, Any]],
) -> None:
    caplog.clear()
    before = answers_and_totals(quiz_engine)
    url = fake.new_response_url()
    payload = slack.click_payload("placeholder", "U1", response_url=url)
    payload["actions"][0]["action_id"] = action_id
    for path, delete, value in mutations:
        _apply(payload, path, delete, value)
    answer = await slack.post(slack.form(json.dumps(payload)))
    event(f"HTTP {answer.status}")
    assert answer.status < 500, answer.text
    if answer.status == 200:
        body = await reply_to(fake, url)  # a 200 always comes with an answer for the person
        assert body.get("text")
    await settled()
    assert errors(caplog) == []
    assert answers_and_totals(quiz_engine) == before


@FUZZ
@given(text=COMMAND_TEXT, fields=st.dictionaries(st.sampled_from(SLASH_FIELDS), st.one_of(st.none(), TEXT), max_size=3))
async def test_fuzzed_slash_commands_get_an_answer_or_a_4xx(
    slack: SlackSender,
    fake: FakeSlack,
    quiz_engine: QuizEngine,
    caplog: pytest.LogCaptureFixture,
    text: str,
    fields: dict[str, str | None],
) -> None:
    caplog.clear()
    before = answers_and_totals(quiz_engine)
    url = fake.new_response_url()
    form = {
        "token": "legacy",
        "team_id": TEAM,
        "team_domain": "fake",
        "channel_id": "C1",
        "channel_name": "study",
        "user_id": "U1",
        "user_name": "u1",
        "command": "/recsys-quiz",
        "text": text,
        "api_app_id": "A1",
        "is_enterprise_install": "false",
        "response_url": url,
        "trigger_id": "1.2.3",
    }
    for name, value in fields.items():
        if value is None:
            form.pop(name, None)
        else:
            form[name] = value
    answer = await slack.post(urlencode(form))
    event(f"HTTP {answer.status}")
    assert answer.status < 500, answer.text
    if answer.status == 200 and form.get("command") == "/recsys-quiz":
        body = await reply_to(fake, url)
        assert body.get("text")
    await settled()
    assert errors(caplog) == []
    assert answers_and_totals(quiz_engine) == before  # no command answers a question


@FUZZ
@given(
    body=st.one_of(
        st.builds(lambda t: urlencode({"payload": t}), st.one_of(TEXT, SQL)),
        st.builds(lambda v: urlencode({"payload": json.dumps(v)}), JUNK),
        st.builds(json.dumps, st.dictionaries(st.text(max_size=10), JUNK, max_size=4)),
        st.text(max_size=300),
    ),
    content_type=st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain"]),
)
async def test_fuzzed_signed_bodies_of_any_shape_get_a_4xx_or_an_answer_never_a_5xx(
    slack: SlackSender, caplog: pytest.LogCaptureFixture, body: str, content_type: str
) -> None:
    caplog.clear()
    answer = await slack.post(body, content_type=content_type)
    event(f"HTTP {answer.status}")
    assert answer.status < 500, answer.text
    await settled()
    assert errors(caplog) == []


# Bodies of any shape at the HTTP front door: every payload type Slack sends (and some it does not), with the fields
# bolt's matchers and argument builders read holding any JSON value, nested a little or very deep.
PAYLOAD_TYPES = st.sampled_from(
    [
        "block_actions",
        "view_submission",
        "view_closed",
        "interactive_message",
        "workflow_step_edit",
        "shortcut",
        "message_action",
        "block_suggestion",
        "dialog_submission",
        "dialog_cancellation",
        "dialog_suggestion",
        "event_callback",
        "url_verification",
        "app_rate_limited",
        "nonsense",
    ]
)
FIELD_NAMES = st.sampled_from(
    [
        "type",
        "actions",
        "action_id",
        "block_id",
        "callback_id",
        "view",
        "workflow_step",
        "event",
        "team",
        "team_id",
        "user",
        "user_id",
        "channel",
        "enterprise",
        "authorizations",
        "is_enterprise_install",
        "container",
        "message",
        "state",
        "function_data",
        "bot_access_token",
        "command",
        "text",
        "challenge",
        "token",
        "api_app_id",
    ]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(FIELD_NAMES | st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)
SHAPED = st.builds(lambda kind, fields: {"type": kind, **fields}, PAYLOAD_TYPES, st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=6))
DEEP = st.integers(min_value=500, max_value=20_000).map(lambda depth: "[" * depth + "]" * depth)


def _without_response_urls(value: Any) -> Any:
    """`value` with every response_url gone (the test then sets the fake's): the bot posts to no other host."""
    if isinstance(value, list):
        return [_without_response_urls(item) for item in value]
    if not isinstance(value, dict):
        return value
    return {k: _without_response_urls(v) for k, v in value.items() if "response_url" not in str(k)}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    shaped=st.one_of(SHAPED, JSON_VALUES),
    deep=st.one_of(st.none(), DEEP),
    encoding=st.sampled_from(["json", "form-payload", "form-fields"]),
)
async def test_signed_bodies_of_any_shape_at_the_front_door_never_get_a_5xx_or_log_a_traceback(
    slack: SlackSender, fake: FakeSlack, caplog: pytest.LogCaptureFixture, shaped: Any, deep: str | None, encoding: str
) -> None:
    caplog.clear()
    shaped = _without_response_urls(shaped)
    if isinstance(shaped, dict):
        shaped["response_url"] = fake.new_response_url()
    text = json.dumps(shaped)
    if deep is not None:  # a field nested hundreds to thousands deep somewhere in it
        text = text[:-1] + f', "x": {deep}}}' if text.endswith("}") else deep
    if encoding == "json":
        answer = await slack.post(text, content_type="application/json")
    elif encoding == "form-payload":
        answer = await slack.post(urlencode({"payload": text}))
    else:
        fields = shaped if isinstance(shaped, dict) else {"text": shaped}
        answer = await slack.post(urlencode({str(k): json.dumps(v) if not isinstance(v, str) else v for k, v in fields.items()}))
    event(f"HTTP {answer.status}")
    assert answer.status < 500, answer.text
    await settled()
    assert errors(caplog) == []


async def test_after_huge_and_broken_requests_the_app_keeps_serving(slack: SlackSender, fake: FakeSlack) -> None:
    huge_text = "x" * 200_000
    answers = [
        await slack.post(slack.slash_body(huge_text)),
        await slack.post(slack.form(slack.click_payload("rq1:a:1:0:" + "k" * 100_000))),
        await slack.post("payload=" + "%" * 50_000),
        await slack.post(b"\xff\xfe".decode("latin-1") * 1000),
        await slack.post("y" * 3_000_000),  # past aiohttp's 1 MB request limit
    ]
    assert all(a.status < 500 for a in answers), [(a.status, a.text[:100]) for a in answers]
    await settled()
    card = await slack.ask("start")
    assert card.body["text"].startswith("Question 1 of 5")


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(TEXT, COMMAND_TEXT))
def test_any_slash_text_parses_to_a_subcommand(text: str) -> None:
    sub = parse(text)
    assert sub.verb in VERBS
    assert sub.unknown is None or len(sub.unknown) <= ECHO_LIMIT


def _click_with(slack: SlackSender, **fields: Any) -> dict[str, Any]:
    payload = slack.click_payload("rq1:n:1", "U1")
    payload.update(fields)
    return payload


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(lambda s: _click_with(s, enterprise=False), id="block_actions-enterprise-false"),
        pytest.param(lambda s: _click_with(s, enterprise=7), id="block_actions-enterprise-int"),
        pytest.param(lambda s: _click_with(s, authorizations=5), id="block_actions-authorizations-int"),
        pytest.param(lambda s: {"type": "view_submission", "team": 5, "user": {"id": "U1"}}, id="view_submission-team-int"),
        pytest.param(lambda s: {"type": "shortcut", "user": 5}, id="shortcut-user-int"),
    ],
)
async def test_a_signed_payload_with_a_wrongly_typed_context_field_gets_a_4xx_not_a_500(slack: SlackSender, payload: Any) -> None:
    answer = await slack.post(slack.form(json.dumps(payload(slack))))
    assert answer.status < 500, answer.text
