"""The direct first response: retried when Discord asks for it, and failing the way discord.py fails."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
import pytest
from aiohttp import web

from adapters.discord.callback import UPDATE_MESSAGE, InteractionCallbacks

Answer = Callable[[int], web.Response]


class Endpoint:
    """A callback endpoint answering the n-th request (1-based) with `answer(n)`; records each body."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.bodies: list[Any] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        return self.answer(len(self.bodies))


@pytest.fixture
async def serve(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Callable[[Answer], Any]]:
    runners: list[web.AppRunner] = []
    callbacks = InteractionCallbacks()
    connector = aiohttp.TCPConnector(limit=4)

    async def start(answer: Answer) -> tuple[Endpoint, Callable[[], Any]]:
        endpoint = Endpoint(answer)
        app = web.Application()
        app.router.add_post("/api/v10/interactions/{id}/{token}/callback", endpoint.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{port}/api/v10")
        callbacks.open(connector)
        interaction: Any = SimpleNamespace(id=1234, token="tok-en")

        async def send() -> None:
            await callbacks.send(interaction, UPDATE_MESSAGE, {"embeds": [{"title": "Correct"}]})

        return endpoint, send

    yield start
    await callbacks.close()
    await connector.close()
    for runner in runners:
        await runner.cleanup()


def _json(status: int, body: dict[str, Any], **headers: str) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


async def test_the_response_is_posted_once_as_the_interaction_callback(serve: Any) -> None:
    endpoint, send = await serve(lambda n: web.Response(status=204))
    await send()
    assert endpoint.bodies == [{"type": 7, "data": {"embeds": [{"title": "Correct"}]}}]


async def test_a_discord_server_error_is_tried_again_and_answered_once(serve: Any) -> None:
    endpoint, send = await serve(lambda n: _json(502, {"message": "Bad Gateway"}) if n == 1 else web.Response(status=204))
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
        lambda n: _json(429, {"message": "slow down", "retry_after": 0.01}, Via="1.1 google") if n == 1 else web.Response(status=204)
    )
    await send()
    assert len(endpoint.bodies) == 2
