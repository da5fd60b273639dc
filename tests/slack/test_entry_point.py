"""`recsys-quiz slack` as a real process: HTTP mode and Socket Mode from environment settings, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from urllib.parse import parse_qsl

import aiohttp
import pytest

from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, STARTUP, SlackSender, free_port, spawn_bot, wait_for_port
from tests.slack.fake_slack import FakeSlack
from tests.slack.helpers import answer_buttons


async def _stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode is not None
    return process.returncode, err.decode()


async def test_http_mode_serves_signed_slash_commands_and_stops_cleanly_on_sigterm(
    base_env: dict[str, str], fake: FakeSlack, tmp_path: Path, stopper: list[asyncio.subprocess.Process]
) -> None:
    port = free_port()
    env = {**base_env, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "PORT": str(port), "HOST": "127.0.0.1"}
    process = await spawn_bot(env, tmp_path)
    stopper.append(process)
    await wait_for_port(port, process)
    async with aiohttp.ClientSession() as session:
        sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", session, fake)
        answer = await sender.slash("start")
        assert answer.status == 200
        assert (await sender.slash("start", signed=False)).status == 401
    card = await fake.next_message(0)
    assert len(answer_buttons(card)) == 4 and len(card.buttons) == 5  # A-D, then Write my answer
    code, err = await _stop(process)
    assert code == 0, err
    assert (tmp_path / "entry.db").exists()


async def test_socket_mode_connects_through_apps_connections_open_and_answers(
    base_env: dict[str, str], fake: FakeSlack, tmp_path: Path, stopper: list[asyncio.subprocess.Process]
) -> None:
    env = {**base_env, "SLACK_APP_TOKEN": "xapp-1-entry"}
    process = await spawn_bot(env, tmp_path)
    stopper.append(process)
    await fake.wait_for_socket_connection(STARTUP)
    sender = SlackSender("unused", None, fake)  # type: ignore[arg-type] - builds payloads only
    await fake.socket_outbox.put({"envelope_id": "e1", "type": "slash_commands", "payload": dict(parse_qsl(sender.slash_body("help")))})
    await fake.wait_for_socket_ack("e1")
    reply = await fake.next_message(0)
    assert reply.body["text"].startswith("recsys-quiz help")
    code, err = await _stop(process)
    assert code == 0, err


@pytest.mark.parametrize(("revoked", "named"), [(BOT_TOKEN, "SLACK_BOT_TOKEN"), ("xapp-1-revoked", "SLACK_APP_TOKEN")])
async def test_a_token_slack_refuses_stops_startup_with_a_message_naming_it(
    base_env: dict[str, str], fake: FakeSlack, tmp_path: Path, stopper: list[asyncio.subprocess.Process], revoked: str, named: str
) -> None:
    fake.revoked.add(revoked)
    process = await spawn_bot({**base_env, "SLACK_APP_TOKEN": "xapp-1-revoked"}, tmp_path)
    stopper.append(process)
    _, err = await asyncio.wait_for(process.communicate(), STARTUP)
    assert process.returncode == 1
    assert f"Slack refused {named}" in err.decode()


def test_the_serving_process_collects_cycles_less_often_and_leaves_start_up_objects_out() -> None:
    import gc

    from bot.runtime import GC_THRESHOLD, tune_gc

    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == GC_THRESHOLD
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
