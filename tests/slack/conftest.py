"""Fixtures: a fake Slack, the real bolt app over a real SQLite file, served on 127.0.0.1, and a Slack-like signer."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import random
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncApp

from adapters.slack import main
from adapters.slack.front import BODY_TIMEOUT, IDLE_TIMEOUT, MAX_BODY, front_door, runner
from adapters.slack.handlers import QuizListeners
from adapters.slack.identity import Directory
from adapters.slack.main import wire
from bot.content import DeckLibrary
from bot.engine import QuizEngine
from bot.store import SQLiteStore
from tests.conftest import FakeClock
from tests.slack.fake_slack import FakeSlack, Posted

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
TEAM = FakeSlack.TEAM
DEADLINE = 3.0  # Slack's: the HTTP answer must arrive within 3 s


def sign(body: str, timestamp: int | str, secret: str = SIGNING_SECRET) -> str:
    """`X-Slack-Signature` exactly as Slack computes it."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


@dataclass
class Answer:
    status: int
    text: str
    elapsed: float


class SlackSender:
    """Sends requests to the bot as Slack does: form-encoded, signed, timestamped."""

    def __init__(self, url: str, session: aiohttp.ClientSession, fake: FakeSlack) -> None:
        self.url = url
        self.session = session
        self.fake = fake
        self._events = 0

    async def post(
        self,
        body: str,
        *,
        signed: bool = True,
        secret: str = SIGNING_SECRET,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/x-www-form-urlencoded",
    ) -> Answer:
        ts = int(time.time()) if timestamp is None else timestamp
        sent = {"Content-Type": content_type, **(headers or {})}
        if signed:
            sent["X-Slack-Request-Timestamp"] = str(ts)
            sent["X-Slack-Signature"] = sign(body, ts, secret)
        started = time.monotonic()
        async with self.session.post(self.url, data=body.encode(), headers=sent) as response:
            text = await response.text()
        return Answer(status=response.status, text=text, elapsed=time.monotonic() - started)

    def slash_body(self, text: str, user: str = "U1", *, team: str = TEAM, response_url: str | None = None, channel: str = "C1") -> str:
        return urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": team,
                "team_domain": "fake",
                "channel_id": channel,
                "channel_name": "study",
                "user_id": user,
                "user_name": user.lower(),
                "command": "/recsys-quiz",
                "text": text,
                "api_app_id": "A1",
                "is_enterprise_install": "false",
                "response_url": response_url or self.fake.new_response_url(),
                "trigger_id": "1.2.3",
            }
        )

    def click_payload(
        self,
        action_id: str,
        user: str = "U1",
        *,
        team: str = TEAM,
        response_url: str | None = None,
        channel: str = "C1",
        message_ts: str = "1700000000.000100",
        ephemeral: bool = True,
    ) -> dict[str, Any]:
        """A click as Slack sends it; `ephemeral=False` is a click on a shared channel message (a daily post)."""
        return {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
            "api_app_id": "A1",
            "token": "legacy-verification-token",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": ephemeral},
            "trigger_id": self.fake.new_trigger_id(),
            "team": {"id": team, "domain": "fake"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": "study"},
            "response_url": response_url or self.fake.new_response_url(),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "b1",
                    "text": {"type": "plain_text", "text": "A"},
                    "type": "button",
                    "action_ts": "1700000001.0",
                }
            ],
        }

    def event_body(self, event: dict[str, Any], *, team: str = TEAM) -> str:
        """An Events API delivery (event_callback) as Slack sends it: JSON, for the bot user of `team`."""
        self._events += 1
        return json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": team,
                "api_app_id": "A1",
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{self._events:08d}",
                "event_time": int(time.time()),
                "authorizations": [{"enterprise_id": None, "team_id": team, "user_id": FakeSlack.BOT_USER, "is_bot": True}],
                "is_ext_shared_channel": False,
            }
        )

    async def event(self, event: dict[str, Any], **kwargs: Any) -> Answer:
        """Deliver an event; Slack wants its 200 within 3 s, as for a command."""
        answer = await self.post(self.event_body(event), content_type="application/json", **kwargs)
        assert answer.status == 200 and answer.elapsed < DEADLINE, answer
        return answer

    @staticmethod
    def form(payload: dict[str, Any] | str) -> str:
        return urlencode({"payload": payload if isinstance(payload, str) else json.dumps(payload)})

    async def slash(self, text: str, user: str = "U1", *, channel: str = "C1", **kwargs: Any) -> Answer:
        return await self.post(self.slash_body(text, user, channel=channel), **kwargs)

    async def click(self, action_id: str, user: str = "U1", **kwargs: Any) -> Answer:
        return await self.post(self.form(self.click_payload(action_id, user)), **kwargs)

    def submission_payload(
        self, view: dict[str, Any], values: dict[tuple[str, str], str], user: str = "U1", *, team: str = TEAM
    ) -> dict[str, Any]:
        """A submitted modal as Slack sends it (`view_submission`): the view as opened, with what was typed in its state."""
        state: dict[str, dict[str, Any]] = {}
        for (block_id, action_id), value in values.items():
            state.setdefault(block_id, {})[action_id] = {"type": "plain_text_input", "value": value}
        return {
            "type": "view_submission",
            "team": {"id": team, "domain": "fake"},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
            "api_app_id": "A1",
            "token": "legacy-verification-token",
            "trigger_id": self.fake.new_trigger_id(),
            "view": {**view, "id": "V1", "team_id": team, "state": {"values": state}, "hash": "1.abc", "app_id": "A1"},
            "response_urls": [],
            "is_enterprise_install": False,
        }

    async def ask(self, text: str, user: str = "U1", *, channel: str = "C1") -> Posted:
        """A slash command, acknowledged in time; the bot's answer (its response_url message)."""
        before = len(self.fake.posted)
        answer = await self.slash(text, user, channel=channel)
        assert answer.status == 200 and answer.elapsed < DEADLINE
        return await self.fake.next_reply(before)

    async def press(self, action_id: str, user: str = "U1", **payload: Any) -> Posted:
        """A button click, acknowledged in time; the bot's answer to it."""
        before = len(self.fake.posted)
        answer = await self.post(self.form(self.click_payload(action_id, user, **payload)))
        assert answer.status == 200 and answer.elapsed < DEADLINE
        return await self.fake.next_reply(before)


async def settled() -> None:
    """Wait until bolt has finished every listener it started (they run after the 200 has been sent): its own tasks
    (`run_ack_function_asynchronously`), which hold the listener from ack() to its last reply or error."""
    for _ in range(500):
        busy = [t for t in asyncio.all_tasks() if "run_ack_function" in repr(t.get_coro()) and not t.done()]
        if not busy:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("a listener is still running after 5 s")


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack()
    slack.add_user("U1", "Ada")
    slack.add_user("U2", "Grace")
    await slack.start()
    yield slack
    await slack.close()


@pytest.fixture
async def quiz_engine(tmp_path: Path, decks: DeckLibrary, clock: FakeClock) -> AsyncIterator[QuizEngine]:
    """The engine on a real SQLite file, on a clock the test moves (the daily scheduler's tick is called directly)."""
    async with await SQLiteStore.open(tmp_path / "slack-quiz.db") as store:
        yield QuizEngine(store, decks, clock=clock, rng=random.Random(7))


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    """The bot's one HTTP session, as serve() makes it: Web API calls and response_url posts share it."""
    async with main.http_session() as session:
        yield session


@pytest.fixture
def wired(quiz_engine: QuizEngine, fake: FakeSlack, http_session: aiohttp.ClientSession) -> tuple[AsyncApp, QuizListeners]:
    """The app as serve() wires it: one HTTP session, slack_sdk's retry handlers, bolt's own signature check."""
    settings = main.load_settings(bot_token=BOT_TOKEN, api_url=fake.api_url, signing_secret=SIGNING_SECRET)
    client = main.web_client(settings, http_session)
    return wire(quiz_engine, client=client, signing_secret=SIGNING_SECRET, directory=Directory())


@pytest.fixture
def bolt_app(wired: tuple[AsyncApp, QuizListeners]) -> AsyncApp:
    return wired[0]


@asynccontextmanager
async def serving(
    app: AsyncApp,
    fake: FakeSlack,
    *,
    max_body: int = MAX_BODY,
    body_timeout: float = BODY_TIMEOUT,
    idle_timeout: float = IDLE_TIMEOUT,
) -> AsyncIterator[SlackSender]:
    """The bolt app in HTTP mode on 127.0.0.1 as serve() serves it (its front door and runner), and a sender of
    signed requests to it."""
    http = runner(front_door(app, max_body=max_body, body_timeout=body_timeout), idle_timeout=idle_timeout)
    await http.setup()
    try:
        await web.TCPSite(http, "127.0.0.1", 0).start()
        port = http.addresses[0][1]
        async with aiohttp.ClientSession() as session:
            yield SlackSender(f"http://127.0.0.1:{port}/slack/events", session, fake)
    finally:
        await http.cleanup()


@pytest.fixture
async def slack(wired: tuple[AsyncApp, QuizListeners], fake: FakeSlack) -> AsyncIterator[SlackSender]:
    """Served as serve() serves it; on the way out the acknowledged requests are answered, as serve() lets them."""
    app, listeners = wired
    async with serving(app, fake) as sender:
        yield sender
    await listeners.in_flight.drain()


# `recsys-quiz slack` as a process of its own --------------------------------------------------------------------

STARTUP = 20.0  # generous: a cold interpreter importing bolt on a slow CI machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def base_env(tmp_path: Path, fake: FakeSlack) -> dict[str, str]:
    """The environment of a `recsys-quiz slack` process talking to the fake: no stray SLACK_ settings of the machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and k not in ("PORT", "HOST")}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=fake.api_url, RECSYS_QUIZ_DB=str(tmp_path / "entry.db"), LOG_LEVEL="WARNING")
    return env


async def spawn_bot(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", "slack", env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )


@pytest.fixture
async def stopper() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """Processes a test started; killed on the way out if the test did not stop them."""
    processes: list[asyncio.subprocess.Process] = []
    yield processes
    for process in processes:  # only the processes this test started
        if process.returncode is None:
            process.kill()
            await process.wait()


async def wait_for_port(port: int, process: asyncio.subprocess.Process) -> None:
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
