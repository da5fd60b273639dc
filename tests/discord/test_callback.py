"""The direct first response: retried when Discord asks for it or a connection drops, within Discord's 3 s, and
failing the way discord.py fails."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
import pytest
from aiohttp import web

from adapters.discord.callback import UPDATE_MESSAGE, InteractionCallbacks, response_deadline
from adapters.discord.client import QuizClient
from adapters.discord.config import DiscordSettings
from tests.discord.fake_discord import interaction_snowflake

# What the endpoint does with a request besides answering it: close the connection after reading the request
# (it landed, but no answer comes back), or hold it until the test ends.
DROP = "drop"
HANG = "hang"
Answer = Callable[[int], web.Response | str]
Send = Callable[..., Any]


class Endpoint:
    """A callback endpoint answering the n-th request (1-based) with `answer(n)`; records each body and its headers."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.bodies: list[Any] = []
        self.headers: list[dict[str, str]] = []
        self.released = asyncio.Event()
        self.origin = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.bodies.append(await request.json())
        self.headers.append(dict(request.headers))
        answer = self.answer(len(self.bodies))
        if answer == HANG:
            await self.released.wait()
        if isinstance(answer, str):
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=204)  # never reaches the bot: the connection is gone
        return answer


def fake_interaction(age: float = 0.0) -> Any:
    """What send reads of a discord.Interaction, created `age` seconds ago by Discord's clock."""
    interaction_id = int(interaction_snowflake(age))
    return SimpleNamespace(id=interaction_id, token="tok-en", created_at=discord.utils.snowflake_time(interaction_id))


@pytest.fixture
async def serve(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Callable[[Answer], Any]]:
    runners: list[tuple[web.AppRunner, Endpoint]] = []
    callbacks = InteractionCallbacks()
    connector = aiohttp.TCPConnector(limit=4)

    async def start(answer: Answer) -> tuple[Endpoint, Send]:
        endpoint = Endpoint(answer)
        app = web.Application()
        app.router.add_post("/api/v10/interactions/{id}/{token}/callback", endpoint.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append((runner, endpoint))
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        endpoint.origin = f"http://127.0.0.1:{port}"
        monkeypatch.setattr(discord.http.Route, "BASE", f"{endpoint.origin}/api/v10")
        callbacks.open(connector)

        async def send(age: float = 0.0, via: InteractionCallbacks = callbacks) -> None:
            interaction = fake_interaction(age)
            await via.send(interaction, UPDATE_MESSAGE, {"embeds": [{"title": "Correct"}]}, response_deadline(interaction))

        return endpoint, send

    yield start
    await callbacks.close()
    await connector.close()
    for runner, endpoint in runners:
        endpoint.released.set()
        await runner.cleanup()


def _json(status: int, body: dict[str, Any], **headers: str) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


def _no_content() -> web.Response:
    return web.Response(status=204)


BAD_GATEWAY = {"message": "Bad Gateway"}
ACKNOWLEDGED = {"message": "Interaction has already been acknowledged.", "code": 40060}


async def test_the_response_is_posted_once_as_the_interaction_callback(serve: Any) -> None:
    endpoint, send = await serve(lambda n: _no_content())
    await send()
    assert endpoint.bodies == [{"type": 7, "data": {"embeds": [{"title": "Correct"}]}}]


async def test_a_discord_server_error_is_tried_again_and_answered_once(serve: Any) -> None:
    endpoint, send = await serve(lambda n: _json(502, BAD_GATEWAY) if n == 1 else _no_content())
    await send()
    assert len(endpoint.bodies) == 2


async def test_an_interaction_discord_no_longer_knows_fails_as_not_found_without_retrying(serve: Any) -> None:
    endpoint, send = await serve(lambda n: _json(404, {"message": "Unknown interaction", "code": 10062}))
    with pytest.raises(discord.NotFound) as caught:
        await send()
    assert caught.value.code == 10062 and len(endpoint.bodies) == 1


async def test_a_rejected_body_fails_as_an_http_error_with_discords_message(serve: Any) -> None:
    _, send = await serve(lambda n: _json(400, {"message": "Invalid Form Body", "code": 50035}))
    with pytest.raises(discord.HTTPException) as caught:
        await send()
    assert caught.value.status == 400 and caught.value.code == 50035


async def test_a_rate_limit_from_cloudflare_is_not_retried_but_one_from_discord_is(serve: Any) -> None:
    endpoint, send = await serve(lambda n: _json(429, {"message": "banned", "retry_after": 0.01}))
    with pytest.raises(discord.HTTPException):
        await send()
    assert len(endpoint.bodies) == 1  # no Via header: Cloudflare, where retrying makes it worse
    endpoint, send = await serve(
        lambda n: _json(429, {"message": "slow down", "retry_after": 0.01}, Via="1.1 google") if n == 1 else _no_content()
    )
    await send()
    assert len(endpoint.bodies) == 2


# Discord's 3 s ---------------------------------------------------------------------------------------------


async def test_a_stuck_request_gives_up_when_discords_3_s_are_over(serve: Any) -> None:
    endpoint, send = await serve(lambda n: HANG)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await send(age=2.5)
    assert 0.4 <= time.monotonic() - started < 1.0 and len(endpoint.bodies) == 1


async def test_waiting_for_a_free_pooled_connection_counts_against_the_3_s(serve: Any) -> None:
    _, send = await serve(lambda n: HANG)
    holders = [asyncio.create_task(send(age=1.5)) for _ in range(4)]  # the whole pool, for 1.5 s
    await asyncio.sleep(0.1)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await send(age=2.6)  # 0.4 s left: it must not wait the 1.4 s for a connection
    assert time.monotonic() - started < 0.9
    assert all(isinstance(e, TimeoutError) for e in await asyncio.gather(*holders, return_exceptions=True))


async def test_a_server_error_is_not_retried_once_discords_3_s_are_over(serve: Any) -> None:
    endpoint, send = await serve(lambda n: _json(502, BAD_GATEWAY) if n == 1 else _no_content())
    with pytest.raises(discord.DiscordServerError):
        await send(age=2.9)  # a pause of 0.25 s and another try would only meet 10062
    assert len(endpoint.bodies) == 1


async def test_an_interaction_that_looks_expired_by_our_clock_still_gets_one_try(serve: Any) -> None:
    # Our clock may be ahead of Discord's: Discord's answer, not our arithmetic, says whether it expired.
    endpoint, send = await serve(lambda n: _no_content())
    await send(age=4.0)
    assert len(endpoint.bodies) == 1


async def test_a_creation_time_ahead_of_our_clock_still_leaves_only_3_s() -> None:
    # Our clock behind Discord's: the interaction seems to come from the future, but the window is still 3 s.
    interaction = fake_interaction(age=-10.0)
    assert response_deadline(interaction) - asyncio.get_running_loop().time() <= 3.0


# Dropped connections ---------------------------------------------------------------------------------------


async def test_a_connection_dropped_before_an_answer_is_sent_once_more(serve: Any) -> None:
    endpoint, send = await serve(lambda n: DROP if n == 1 else _no_content())
    await send()
    assert len(endpoint.bodies) == 2


async def test_a_connection_dropped_twice_fails_with_the_connection_error(serve: Any) -> None:
    endpoint, send = await serve(lambda n: DROP)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await send()
    assert len(endpoint.bodies) == 2


async def test_a_dropped_connection_is_not_tried_again_once_discords_3_s_are_over(serve: Any) -> None:
    endpoint, send = await serve(lambda n: DROP if n == 1 else _no_content())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await send(age=3.5)
    assert len(endpoint.bodies) == 1


# An earlier try that landed --------------------------------------------------------------------------------


@pytest.mark.parametrize("first", [DROP, "502"])
async def test_a_retry_told_already_acknowledged_counts_as_answered(serve: Any, first: str, caplog: pytest.LogCaptureFixture) -> None:
    def answer(n: int) -> web.Response | str:
        if n > 1:
            return _json(400, ACKNOWLEDGED)
        return DROP if first == DROP else _json(502, BAD_GATEWAY)

    endpoint, send = await serve(answer)
    with caplog.at_level(logging.INFO, logger="adapters.discord.callback"):
        await send()
    assert len(endpoint.bodies) == 2
    assert any(r.levelno == logging.INFO and "already acknowledged" in r.getMessage() for r in caplog.records)


async def test_already_acknowledged_on_the_first_try_is_still_an_error(serve: Any) -> None:
    # Nothing of ours landed before: someone else answered it, which is a bug worth its error.
    _, send = await serve(lambda n: _json(400, ACKNOWLEDGED))
    with pytest.raises(discord.HTTPException) as caught:
        await send()
    assert caught.value.code == 40060


# Proxies ---------------------------------------------------------------------------------------------------

# aiohttp 3.14 deprecates BasicAuth and proxy_auth; discord.py's Client still takes and passes them.
deprecated_proxy_auth = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated", "ignore:The 'proxy_auth' parameter is deprecated")


@deprecated_proxy_auth
async def test_the_response_goes_through_the_clients_proxy(serve: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint, send = await serve(lambda n: _no_content())
    monkeypatch.setattr(discord.http.Route, "BASE", "http://discord.invalid/api/v10")  # reachable only via the proxy
    auth = aiohttp.BasicAuth("quiz", "secret")
    proxied = InteractionCallbacks(proxy=endpoint.origin, proxy_auth=auth)
    connector = aiohttp.TCPConnector()
    proxied.open(connector)
    try:
        await send(via=proxied)
    finally:
        await proxied.close()
        await connector.close()
    assert len(endpoint.bodies) == 1 and endpoint.headers[0]["Proxy-Authorization"] == auth.encode()


@deprecated_proxy_auth
async def test_the_clients_proxy_options_reach_the_direct_response_too() -> None:
    auth = aiohttp.BasicAuth("quiz", "secret")
    client = QuizClient(SimpleNamespace(), DiscordSettings(token="x.y.z"), proxy="http://proxy.example:3128", proxy_auth=auth)  # type: ignore[arg-type]
    assert (client.callbacks.proxy, client.callbacks.proxy_auth) == ("http://proxy.example:3128", auth)
    assert (client.http.proxy, client.http.proxy_auth) == ("http://proxy.example:3128", auth)  # and discord.py's own
