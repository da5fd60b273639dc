"""One HTTP session for the whole process: Web API calls and response_url posts reuse keep-alive connections,
and serve() closes the session on the way out. (Connection counts, never timings: independent of machine speed.)"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookResponse

from adapters.slack import main
from adapters.slack.config import load_settings
from adapters.slack.delivery import post_to_response_url
from adapters.slack.identity import Directory
from adapters.slack.main import build_app, serve
from adapters.slack.retries import RateLimits
from bot.config import CoreSettings
from bot.engine import QuizEngine
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, SlackSender, free_port, serving
from tests.slack.fake_slack import FakeSlack


def _counting_session() -> tuple[aiohttp.ClientSession, dict[str, int]]:
    """main.http_session() with a trace that counts new connections and requests."""
    counts = {"connections": 0, "requests": 0}

    async def on_connection(*_: Any) -> None:
        counts["connections"] += 1

    async def on_request(*_: Any) -> None:
        counts["requests"] += 1

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(on_connection)
    trace.on_request_start.append(on_request)
    session = main.http_session()
    session.trace_configs.append(trace)
    trace.freeze()
    return session, counts


async def test_web_api_calls_and_response_url_posts_reuse_the_sessions_connections(quiz_engine: QuizEngine, fake: FakeSlack) -> None:
    session, counts = _counting_session()
    async with session:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url, session=session)
        app = build_app(quiz_engine, client=client, signing_secret=SIGNING_SECRET)
        async with serving(app, fake) as slack:
            card = await slack.ask("start", "U1")
            for user in ("U1", "U2", "U1"):
                await slack.ask("help", user)
            await slack.press(card.action_ids[0], "U1")
    via = [p.via for p in fake.posted]
    assert via == ["response_url"] * 5  # every answer went through the response_url ...
    methods = [c.method for c in fake.calls]
    assert methods.count("users.info") == 2  # ... after one users.info per person (the rest is cached)
    # Every call to the fake (bolt's auth.test too) went through the shared session, one after another ...
    assert counts["requests"] == len(fake.calls) + len(fake.posted) >= 7
    assert counts["connections"] == 1  # ... over one kept-alive connection (without it: one connection each)
    assert session.closed


async def test_without_a_session_the_response_url_still_gets_the_message(quiz_engine: QuizEngine, fake: FakeSlack) -> None:
    # A client built without a session (as in a test or a script) falls back to bolt's own respond().
    app = build_app(quiz_engine, client=AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url), signing_secret=SIGNING_SECRET)
    async with serving(app, fake) as slack:
        reply = await slack.ask("help")
    assert reply.via == "response_url" and reply.problems == [] and reply.body["response_type"] == "ephemeral"


async def test_serve_passes_one_session_to_the_web_client_and_closes_it_on_stop(
    tmp_path: Path, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_ADMIN_USER_IDS", "PORT", "HOST"):
        monkeypatch.delenv(name, raising=False)
    made: list[aiohttp.ClientSession] = []
    clients: list[AsyncWebClient] = []
    real_session, real_client = main.http_session, main.web_client

    def recording_session() -> aiohttp.ClientSession:
        made.append(real_session())
        return made[-1]

    def recording_client(*args: Any, **kwargs: Any) -> AsyncWebClient:
        clients.append(real_client(*args, **kwargs))
        return clients[-1]

    monkeypatch.setattr(main, "http_session", recording_session)
    monkeypatch.setattr(main, "web_client", recording_client)
    port = free_port()
    settings = load_settings(bot_token=BOT_TOKEN, api_url=fake.api_url, signing_secret=SIGNING_SECRET, port=port, host="127.0.0.1")
    stop = asyncio.Event()
    server = asyncio.create_task(serve(CoreSettings(db=tmp_path / "session.db"), settings, stop))
    try:
        async with aiohttp.ClientSession() as outside:
            slack = SlackSender(f"http://127.0.0.1:{port}/slack/events", outside, fake)
            for _ in range(200):  # until serve() listens
                try:
                    reply = await slack.ask("help")
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            else:
                pytest.fail("serve() did not start listening")
        assert reply.via == "response_url"
        [session] = made
        assert [c.session for c in clients] == [session] and not session.closed
    finally:
        stop.set()
        await asyncio.wait_for(server, 10)
    assert session.closed


async def test_a_closed_session_is_never_used_for_a_post_slack_sdk_opens_its_own() -> None:
    # A closed session (the process is stopping): slack_sdk's webhook client posts through a session of its own.
    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(text="ok")

    async with _local("POST", "/hook", hook) as url:
        session = main.http_session()
        await session.close()
        response = await post_to_response_url(AsyncWebClient(token=BOT_TOKEN, session=session), url, text="t")
    assert response.status_code == 200 and received == [{"text": "t"}]


@asynccontextmanager
async def _local(method: str, path: str, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> AsyncIterator[str]:
    """A one-route server on 127.0.0.1 (a response_url, a Web API method); its URL."""
    app = web.Application()
    app.router.add_route(method, path, handler)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield str(server.make_url(path))
    finally:
        await server.close()


async def _post_to(url: str, **message: Any) -> WebhookResponse:
    """post_to_response_url to `url` through a session made as serve() makes it."""
    async with main.http_session() as session:
        return await post_to_response_url(AsyncWebClient(token=BOT_TOKEN, session=session), url, **message)


async def test_a_response_url_post_on_a_connection_the_server_just_closed_is_sent_again_once() -> None:
    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        if len(received) == 1:  # as a keep-alive connection closed by the other end: no answer at all
            assert request.transport is not None
            request.transport.close()
        return web.Response(text="ok")

    async with _local("POST", "/hook", hook) as url:
        response = await _post_to(url, text="hi", blocks=[], replace_original=None)
    assert response.status_code == 200 and response.body == "ok"
    assert received == [{"text": "hi", "blocks": []}] * 2  # None fields left out, as slack_sdk does


@pytest.mark.parametrize("failure", [None, 500, "ratelimited", "user_not_found"])
async def test_users_info_through_the_shared_session_sends_the_token_and_falls_back_on_any_failure(
    fake: FakeSlack, failure: str | int | None
) -> None:
    if failure is not None:
        fake.fail_next("users.info", failure)
    async with main.http_session() as session:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url, session=session)
        directory = Directory()
        origin = await directory.origin(client, team_id="T1", user_id="U1", fallback_name="ada-handle")
        await directory.origin(client, team_id="T1", user_id="U2")  # after a 429, not asked until Retry-After has passed
    assert [c.args["user"] for c in fake.calls if c.method == "users.info"][1:] == ([] if failure == "ratelimited" else ["U2"])
    call = next(c for c in fake.calls if c.method == "users.info")
    assert call.token == BOT_TOKEN and call.args == {"user": "U1"}
    assert origin.display_name == ("Ada" if failure is None else "ada-handle")


@pytest.mark.parametrize("text", ["Grüße ✓ — 答え", "a lone surrogate \ud800 from a payload's escapes"])
async def test_a_response_url_post_carries_any_text_as_json(text: str) -> None:
    received: list[bytes] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.Response(text="ok")

    async with _local("POST", "/hook", hook) as url:
        response = await _post_to(url, text=text, blocks=[])
    assert response.status_code == 200
    assert json.loads(received[0]) == {"text": text, "blocks": []}


async def test_a_users_info_slower_than_the_directorys_timeout_falls_back_to_the_payload_name() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"ok": True, "user": {"name": "too-late"}})

    async with _local("GET", "/api/users.info", slow) as url, main.http_session() as session:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=url.removesuffix("users.info"), session=session)
        directory = Directory(timeout=0.2)
        origin = await asyncio.wait_for(directory.origin(client, team_id="T1", user_id="U1", fallback_name="ada-handle"), 3)
    assert origin.display_name == "ada-handle"


async def test_a_429_that_slack_sdk_waits_out_stops_further_users_info_calls_until_retry_after(fake: FakeSlack) -> None:
    # slack_sdk's 429 handler sleeps Slack's Retry-After before trying again; the lookup cannot wait that long (its
    # timeout ends it), but the handler has noted the 429, so the next new people make no call Slack would refuse.
    now = [0.0]
    fake.retry_after = 30
    fake.fail_next("users.info", "ratelimited")
    limits = RateLimits(clock=lambda: now[0])
    settings = load_settings(bot_token=BOT_TOKEN, api_url=fake.api_url, signing_secret=SIGNING_SECRET)
    async with main.http_session() as session:
        client = main.web_client(settings, session, limits)
        directory = Directory(timeout=0.2, clock=lambda: now[0], rate_limits=limits)
        names = [(await directory.origin(client, team_id="T1", user_id=f"U{i}", fallback_name=f"p{i}")).display_name for i in range(1, 6)]
        assert names == ["p1", "p2", "p3", "p4", "p5"]
        assert [c.args["user"] for c in fake.calls if c.method == "users.info"] == ["U1"]
        assert limits.waiting("users.info") == 30
        now[0] += 31  # Slack's wait is over: lookups resume
        assert (await directory.origin(client, team_id="T1", user_id="U2")).display_name == "Grace"
    assert [c.args["user"] for c in fake.calls if c.method == "users.info"] == ["U1", "U2"]
