"""`recsys-quiz slack` as a real process: HTTP mode and Socket Mode from environment settings, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qsl

import aiohttp
import pytest

from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, SlackSender
from tests.slack.fake_slack import FakeSlack

STARTUP = 20.0  # generous: a cold interpreter importing bolt on a slow CI machine


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def base_env(tmp_path: Path, fake: FakeSlack) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and k not in ("PORT", "HOST")}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=fake.api_url,
        RECSYS_QUIZ_DB=str(tmp_path / "entry.db"),
        LOG_LEVEL="WARNING",
    )
    return env


async def _spawn(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "adapters.cli",
        "slack",
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.fixture
async def stopper() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    processes: list[asyncio.subprocess.Process] = []
    yield processes
    for process in processes:  # only the processes this test started
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode is not None
    return process.returncode, err.decode()


async def _wait_for_port(port: int, process: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        if process.returncode is not None:
            _, err = await process.communicate()
            pytest.fail(f"recsys-quiz slack exited early: {err.decode()}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    pytest.fail("recsys-quiz slack did not start listening")


async def test_http_mode_serves_signed_slash_commands_and_stops_cleanly_on_sigterm(
    base_env: dict[str, str], fake: FakeSlack, tmp_path: Path, stopper: list[asyncio.subprocess.Process]
) -> None:
    port = _free_port()
    env = {**base_env, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "PORT": str(port), "HOST": "127.0.0.1"}
    process = await _spawn(env, tmp_path)
    stopper.append(process)
    await _wait_for_port(port, process)
    async with aiohttp.ClientSession() as session:
        sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", session, fake)
        answer = await sender.slash("start")
        assert answer.status == 200
        assert (await sender.slash("start", signed=False)).status == 401
    card = await fake.next_message(0)
    assert len(card.buttons) == 4
    code, err = await _stop(process)
    assert code == 0, err
    assert (tmp_path / "entry.db").exists()


async def test_socket_mode_connects_through_apps_connections_open_and_answers(
    base_env: dict[str, str], fake: FakeSlack, tmp_path: Path, stopper: list[asyncio.subprocess.Process]
) -> None:
    env = {**base_env, "SLACK_APP_TOKEN": "xapp-1-entry"}
    process = await _spawn(env, tmp_path)
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
    process = await _spawn({**base_env, "SLACK_APP_TOKEN": "xapp-1-revoked"}, tmp_path)
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
