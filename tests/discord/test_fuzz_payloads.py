"""Hostile and careless INTERACTION_CREATE events dispatched into the real discord.py client: a private notice or a quiet
drop with one DEBUG/WARNING line, never a crash of the bot, no ERROR for input from outside, nothing written."""

from __future__ import annotations

import copy
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import discord
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from adapters.discord.client import QuizClient
from tests.discord.conftest import reconnected, running_bot, staying_connected
from tests.discord.fake_discord import EPHEMERAL, FakeDiscord, Pending, user_payload
from tests.test_fuzz import NEAR_MISS, TEXT

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ALICE = user_payload("1600000000000000001", "alice", global_name="Alice")
BOB = user_payload("1600000000000000002", "bob", global_name="Bob")

# Fields Discord fills with user-supplied or free text, which the adapter reads: any text there must be handled.
PATHS: list[tuple[Any, ...]] = [
    ("member", "user", "global_name"),
    ("member", "user", "username"),
    ("member", "nick"),
    ("locale",),
    ("guild_locale",),
]
# Only optional fields may go missing (discord.py needs member.user.username, say).
OPTIONAL = {("member", "user", "global_name"), ("member", "nick"), ("locale",), ("guild_locale",)}
MUTATION = st.tuples(st.sampled_from(PATHS), st.booleans(), TEXT).map(lambda m: (m[0], m[1] and m[0] in OPTIONAL, m[2]))
CUSTOM_ID = st.one_of(TEXT, NEAR_MISS, st.just("rq1:n:1"))


def _apply(payload: dict[str, Any], path: tuple[Any, ...], delete: bool, value: Any) -> None:
    target: Any = payload
    for step in path[:-1]:
        try:
            target = target[step]
        except (KeyError, IndexError, TypeError):
            return
    if not isinstance(target, dict):
        return
    if delete:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value


def answers(db_path: Path) -> int:
    connection = sqlite3.connect(db_path)
    try:
        return int(connection.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
    finally:
        connection.close()


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every ERROR (or worse) logged, from any logger: none may come from input from outside."""
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


def lines(caplog: pytest.LogCaptureFixture, logger: str, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger and r.levelno == level]


@pytest.fixture
async def fuzz_fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()
    assert server.violations == [], "the bot broke Discord's rules"


@pytest.fixture
async def bot(fuzz_fake: FakeDiscord, db_path: Path) -> AsyncIterator[QuizClient]:
    async with running_bot(fuzz_fake, db_path) as client:
        yield client


@pytest.fixture
async def card(bot: QuizClient, fuzz_fake: FakeDiscord) -> dict[str, Any]:
    """A real question card of Alice's, as Discord would send it back with a click."""
    return await fuzz_fake.delivered(await fuzz_fake.slash(ALICE, "start"))


def first_button(message: dict[str, Any]) -> str:
    return str(message["components"][0]["components"][0]["custom_id"])


def click_payload(fake: FakeDiscord, message: dict[str, Any], custom_id: str, user: dict[str, Any] = ALICE) -> dict[str, Any]:
    payload = fake._base(3, user)
    payload["message"] = copy.deepcopy(message)
    payload["data"] = {"custom_id": custom_id, "component_type": 2}
    return payload


async def still_serving(fake: FakeDiscord) -> None:
    """A normal command still gets its answer in time: the gateway task is alive and the loop is not stuck."""
    pending = await fake.slash(ALICE, "help")
    response = await fake.answered(pending, timeout=5)
    assert response.at - pending.sent_at < 3.0


async def dispatch(fake: FakeDiscord, payload: dict[str, Any]) -> Pending | None:
    if isinstance(payload.get("id"), str) and isinstance(payload.get("token"), str):
        return await fake.send(payload)
    await fake._dispatch(payload)
    return None


def shown_title(pending: Pending) -> str:
    data = pending.responses[0].json["data"]
    assert data["flags"] & EPHEMERAL, "a notice for one person is private"
    return str(data["embeds"][0]["title"])


# Fuzzed text ----------------------------------------------------------------------------------------------


@FUZZ
@given(custom_id=CUSTOM_ID, mutations=st.lists(MUTATION, max_size=3), kind=st.sampled_from([2, 3]))
async def test_fuzzed_interactions_never_take_the_client_down_nor_log_errors_nor_write_half(
    fuzz_fake: FakeDiscord,
    bot: QuizClient,
    card: dict[str, Any],
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
    custom_id: str,
    mutations: list[tuple[tuple[Any, ...], bool, Any]],
    kind: int,
) -> None:
    caplog.clear()
    before = answers(db_path)
    if kind == 3:
        message = copy.deepcopy(card)
        message["components"][0]["components"][0]["custom_id"] = custom_id
        payload = click_payload(fuzz_fake, message, custom_id)
    else:
        payload = fuzz_fake._base(kind, ALICE)
        payload["data"] = {
            "id": "1500000000000000001",
            "name": "recsys-quiz",
            "type": 1,
            "options": [{"type": 1, "name": "start", "options": [{"type": 3, "name": "deck", "value": custom_id}]}],
        }
    for path, delete, value in mutations:
        _apply(payload, path, delete, value)
    pending = await dispatch(fuzz_fake, payload)
    await still_serving(fuzz_fake)
    assert pending is not None
    response = await fuzz_fake.answered(pending, timeout=5)  # every click and command gets an answer, never silence
    event(f"answered with type {response.json.get('type')}")
    assert errors(caplog) == []
    assert answers(db_path) == before  # no fuzzed click answers a question


async def test_a_thousand_quick_fuzzed_clicks_leave_the_bot_serving(fuzz_fake: FakeDiscord, bot: QuizClient, card: dict[str, Any]) -> None:
    for i in range(1000):
        await fuzz_fake.send(click_payload(fuzz_fake, card, f"rq1:a:{i}:x:'; DROP TABLE answers;--"))
    await still_serving(fuzz_fake)


# Events discord.py itself cannot read ---------------------------------------------------------------------


def _without(*path: Any) -> Callable[[dict[str, Any]], None]:
    return lambda payload: _apply(payload, path, True, None)


def _with(value: Any, *path: Any) -> Callable[[dict[str, Any]], None]:
    return lambda payload: _apply(payload, path, False, value)


# Structure Discord always sends, broken: discord.py's parser trusts it and raises on its connection's reader,
# before any handler of the bot runs (see adapters/discord/connection.py).
UNREADABLE_BY_DISCORD_PY = {
    "without-data": _without("data"),
    "without-custom_id": _without("data", "custom_id"),
    "data-a-list": _with([1], "data"),
    "message-a-string": _with("x", "message"),
    "components-a-number": _with(5, "message", "components"),
    "member-a-number": _with(5, "member"),
    "member-without-user": _without("member", "user"),
    "without-id": _without("id"),
    "id-not-a-number": _with("abc", "id"),
    "without-token": _without("token"),
    "without-version": _without("version"),
    "guild_id-not-a-number": _with("xyz", "guild_id"),
    "permissions-not-a-number": _with("lots", "member", "permissions"),
    "user-id-not-a-number": _with("me", "member", "user", "id"),
    "entitlements-a-number": _with(5, "entitlements"),
    "modal-submit-without-components": _with(5, "type"),
}


@pytest.mark.parametrize("break_it", UNREADABLE_BY_DISCORD_PY.values(), ids=UNREADABLE_BY_DISCORD_PY.keys())
async def test_an_event_discord_py_cannot_read_costs_a_new_connection_and_one_warning(
    fuzz_fake: FakeDiscord, db_path: Path, caplog: pytest.LogCaptureFixture, break_it: Callable[[dict[str, Any]], None]
) -> None:
    async with staying_connected(fuzz_fake, db_path) as connection:
        card = await fuzz_fake.delivered(await fuzz_fake.slash(ALICE, "start"))
        caplog.clear()
        payload = click_payload(fuzz_fake, card, first_button(card))
        break_it(payload)
        await dispatch(fuzz_fake, payload)
        await reconnected(connection, 2)
        await still_serving(fuzz_fake)
    (warning,) = lines(caplog, "adapters.discord.connection", logging.WARNING)
    assert "could not read an event from Discord" in warning
    assert errors(caplog) == []
    assert answers(db_path) == 0
    assert [i["shard"] for i in fuzz_fake.identifies] == [[0, 1], [0, 1]]
    assert [c.method for c in fuzz_fake.calls].count("PUT") == 1  # commands synced by the first connection only


async def test_the_wait_before_each_new_connection_doubles_up_to_the_longest(
    fuzz_fake: FakeDiscord, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with staying_connected(fuzz_fake, db_path, waits=(0.001, 0.004)) as connection:
        for connections in range(2, 6):
            payload = fuzz_fake._base(3, ALICE)  # a click without its message and data: unreadable for discord.py
            await fuzz_fake._dispatch(payload)
            await reconnected(connection, connections)
    waits = [line.rsplit(" in ", 1)[1] for line in lines(caplog, "adapters.discord.connection", logging.WARNING)]
    assert waits == ["0.001 s", "0.002 s", "0.004 s", "0.004 s"]


async def test_a_token_discord_refuses_ends_the_bot_at_once_without_retrying(fuzz_fake: FakeDiscord, db_path: Path) -> None:
    with pytest.raises(discord.LoginFailure):
        async with staying_connected(fuzz_fake, db_path, token="revoked-token"):
            pass
    assert [c.path for c in fuzz_fake.calls].count("/api/v10/users/@me") == 1 and fuzz_fake.identifies == []


# Events the adapter reads: a private notice or a quiet drop ------------------------------------------------


@pytest.mark.parametrize(
    "custom_id",
    ["", "not-ours", "rq2:a:1:0:x", "rq1:zz:1", "rq1:a:1:0:" + "x" * 120, "rq1:a:٣:0:x", "rq1:n:1\n", "<@&1> @everyone"],
    ids=["empty", "foreign", "other-version", "unknown-verb", "too-long", "arabic-digit", "newline", "mentions"],
)
async def test_a_custom_id_the_bot_did_not_issue_gets_a_private_notice_and_records_nothing(
    fuzz_fake: FakeDiscord, bot: QuizClient, card: dict[str, Any], db_path: Path, caplog: pytest.LogCaptureFixture, custom_id: str
) -> None:
    caplog.clear()
    message = copy.deepcopy(card)
    message["components"][0]["components"][0]["custom_id"] = custom_id  # as if a tampering client had sent it
    pending = await fuzz_fake.send(click_payload(fuzz_fake, message, custom_id))
    await fuzz_fake.answered(pending)
    assert shown_title(pending).startswith("That button")
    assert errors(caplog) == [] and answers(db_path) == 0


@pytest.mark.parametrize(
    "break_it",
    [
        _with(5, "data", "custom_id"),
        _with(None, "data", "custom_id"),
        _with({"custom_id": "rq1:n:1", "component_type": 3, "values": ["x"]}, "data"),  # a select menu, not a button
        _without("message"),
    ],
    ids=["custom_id-a-number", "custom_id-null", "select-menu", "without-message"],
)
async def test_a_click_with_an_odd_but_readable_shape_gets_a_private_notice(
    fuzz_fake: FakeDiscord,
    bot: QuizClient,
    card: dict[str, Any],
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
    break_it: Callable[[dict[str, Any]], None],
) -> None:
    caplog.clear()
    payload = click_payload(fuzz_fake, card, first_button(card))
    break_it(payload)
    pending = await fuzz_fake.send(payload)
    await fuzz_fake.answered(pending)
    assert pending.responses[0].json["type"] in (4, 7)
    assert errors(caplog) == [] and answers(db_path) <= 1  # a real button on no message may still answer, once


@pytest.mark.parametrize("kind", [2, 3], ids=["command", "click"])
async def test_an_event_without_its_user_gets_a_notice_and_one_warning(
    fuzz_fake: FakeDiscord, bot: QuizClient, card: dict[str, Any], db_path: Path, caplog: pytest.LogCaptureFixture, kind: int
) -> None:
    caplog.clear()
    if kind == 3:
        payload = click_payload(fuzz_fake, card, first_button(card))
    else:
        payload = fuzz_fake._base(2, ALICE) | {"data": fuzz_fake._command_data("start", None)}
    del payload["member"]  # in a server Discord names who acted as `member`; here nobody is named
    pending = await fuzz_fake.send(payload)
    await fuzz_fake.answered(pending)
    assert shown_title(pending) == "That did not come through"
    (warning,) = lines(caplog, "adapters.discord.respond", logging.WARNING)
    assert pending.id in warning and "no user" in warning
    assert errors(caplog) == [] and answers(db_path) == 0


async def test_an_option_of_another_type_than_discord_declares_gets_a_notice_and_one_warning(
    fuzz_fake: FakeDiscord, bot: QuizClient, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.clear()
    pending = await fuzz_fake.slash(ALICE, "team create", {"name": 12345})  # a string option carrying a number
    await fuzz_fake.answered(pending)
    assert shown_title(pending) == "That did not come through"
    (warning,) = lines(caplog, "adapters.discord.respond", logging.WARNING)
    assert "'name'" in warning
    assert errors(caplog) == []


@pytest.mark.parametrize(("sub", "option"), [("daily set", "timezone"), ("start", "deck"), ("team join", "name")])
async def test_autocomplete_with_a_value_that_is_not_text_suggests_and_logs_no_error(
    fuzz_fake: FakeDiscord, bot: QuizClient, caplog: pytest.LogCaptureFixture, sub: str, option: str
) -> None:
    caplog.clear()
    pending = await fuzz_fake.autocomplete(ALICE, sub, {option: 42}, option)  # type: ignore[dict-item]
    response = await fuzz_fake.answered(pending)
    assert response.json["type"] == 8 and isinstance(response.json["data"]["choices"], list)
    assert errors(caplog) == []


async def test_an_interaction_type_the_bot_does_not_answer_is_dropped_with_one_debug_line(
    fuzz_fake: FakeDiscord, bot: QuizClient, card: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="adapters.discord.client")
    caplog.clear()
    payload = click_payload(fuzz_fake, card, first_button(card)) | {"type": 99}
    pending = await fuzz_fake.send(payload)
    await still_serving(fuzz_fake)
    assert pending.responses == []
    (line,) = lines(caplog, "adapters.discord.client", logging.DEBUG)
    assert pending.id in line and "dropped" in line
    assert errors(caplog) == []


# Foreign users --------------------------------------------------------------------------------------------


def _elsewhere(payload: dict[str, Any]) -> None:
    payload["guild_id"] = payload["guild"]["id"] = "1200000000000000999"  # the run's owner, in another server


@pytest.mark.parametrize(
    ("user", "move"), [(BOB, lambda payload: None), (ALICE, _elsewhere)], ids=["another-person", "the-owner-in-another-server"]
)
async def test_a_click_on_a_run_by_anyone_but_its_owner_where_it_began_is_refused_privately_and_records_nothing(
    fuzz_fake: FakeDiscord,
    bot: QuizClient,
    card: dict[str, Any],
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
    user: dict[str, Any],
    move: Callable[[dict[str, Any]], None],
) -> None:
    caplog.clear()
    payload = click_payload(fuzz_fake, card, first_button(card), user=user)
    move(payload)
    pending = await fuzz_fake.send(payload)
    await fuzz_fake.answered(pending)
    assert shown_title(pending) == "This quiz belongs to someone else"
    assert errors(caplog) == [] and answers(db_path) == 0


# Replays --------------------------------------------------------------------------------------------------


async def test_the_same_event_delivered_twice_is_answered_once_with_one_warning(
    fuzz_fake: FakeDiscord, bot: QuizClient, card: dict[str, Any], db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.clear()
    payload = click_payload(fuzz_fake, card, first_button(card))
    pending = await fuzz_fake.send(payload)
    await fuzz_fake._dispatch(copy.deepcopy(payload))  # the gateway sends it again (a resume), milliseconds later
    await fuzz_fake.answered(pending)
    await still_serving(fuzz_fake)
    assert len(pending.responses) == 1 and pending.responses[0].json["type"] == 7
    (warning,) = lines(caplog, "adapters.discord.respond", logging.WARNING)
    assert pending.id in warning and "arrived again" in warning
    assert errors(caplog) == [] and answers(db_path) == 1


async def test_a_late_second_click_on_an_answered_button_gets_already_answered(
    fuzz_fake: FakeDiscord, bot: QuizClient, card: dict[str, Any], db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = await fuzz_fake.send(click_payload(fuzz_fake, card, first_button(card)))
    await fuzz_fake.answered(first)
    caplog.clear()
    again = await fuzz_fake.send(click_payload(fuzz_fake, card, first_button(card)))  # a new interaction, same button
    await fuzz_fake.answered(again)
    assert shown_title(again) == "Already answered"
    assert errors(caplog) == [] and answers(db_path) == 1
