"""Fixtures: a fake Discord on 127.0.0.1, and the real QuizClient connected to it over a SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.discord.client import QuizClient
from adapters.discord.config import DiscordSettings
from adapters.discord.connection import StayConnected
from adapters.discord.main import build_client
from adapters.discord.respond import DEFER_AFTER
from bot.config import CoreSettings
from bot.content import load_decks
from bot.engine import QuizEngine
from bot.runtime import open_engine
from bot.store import SQLiteStore
from tests.discord.fake_discord import GUILD_ID, FakeDiscord


@pytest.fixture(autouse=True)
def _restore_discord_endpoints() -> Any:
    """discord.py keeps its endpoints on classes: put them back after each test."""
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """The fake Discord; a test fails if the bot answered late or twice, broke a limit or could mention."""
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()
    assert server.violations == [], "the bot broke Discord's rules"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "quiz.db"


@contextlib.asynccontextmanager
async def _engine(db_path: Path, clock: Callable[[], float] | None) -> AsyncIterator[QuizEngine]:
    if clock is None:
        async with open_engine(CoreSettings(db=db_path)) as engine:
            yield engine
        return
    core = CoreSettings(db=db_path)
    async with await SQLiteStore.open(db_path) as store:
        yield QuizEngine(store, load_decks(core.content), clock=clock, zone=core.zone)


def _settings(fake: FakeDiscord, guild_id: str | None, more_settings: dict[str, Any]) -> DiscordSettings:
    # REST goes to the fake through DISCORD_API_BASE, and so does `GET /gateway/bot`, which names the fake's gateway
    # (as Discord names its own); with a fixed shard count DISCORD_GATEWAY_URL names it instead, as for a gateway proxy.
    return DiscordSettings(
        token=fake.token,
        api_base=fake.api_base,
        gateway_url=fake.gateway_url if more_settings.get("shard_count") else None,
        guild_id=int(guild_id) if guild_id else None,
        **more_settings,
    )


async def _until_ready(client: QuizClient, runner: asyncio.Task[None]) -> None:
    ready = asyncio.create_task(client.wait_until_ready())
    done, _ = await asyncio.wait({runner, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if runner in done:
        ready.cancel()
        runner.result()  # raises what ended client.start()
        raise AssertionError("the client stopped before it was ready")
    assert ready in done, "the client did not become ready"


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeDiscord,
    db_path: Path,
    *,
    guild_id: str | None = GUILD_ID,
    defer_after: float = DEFER_AFTER,
    wrap: Callable[[QuizEngine], Any] | None = None,
    clock: Callable[[], float] | None = None,
    daily_interval: float | None = None,
    **more_settings: Any,
) -> AsyncIterator[QuizClient]:
    """Start the real client against the fake (as `recsys-quiz discord` would, via the endpoint settings) and stop it after.

    With `clock` the engine reads that clock (a FakeClock); the daily scheduler runs only with `daily_interval`,
    otherwise tests call `client.engine.daily.tick()` themselves.
    """
    settings = _settings(fake, guild_id, more_settings)
    async with _engine(db_path, clock) as engine:
        client = build_client(
            wrap(engine) if wrap else engine,
            settings,
            daily_interval=daily_interval,
            defer_after=defer_after,
            guild_ready_timeout=0.05,
        )
        runner = asyncio.create_task(client.start(fake.token))
        await _until_ready(client, runner)
        try:
            yield client
        finally:
            await client.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(runner, 5)
            if runner.done() and not runner.cancelled() and runner.exception() is not None:
                raise AssertionError("client.start() failed") from runner.exception()


@contextlib.asynccontextmanager
async def staying_connected(
    fake: FakeDiscord, db_path: Path, *, guild_id: str | None = GUILD_ID, token: str | None = None, waits: tuple[float, float] = (0.0, 0.0)
) -> AsyncIterator[StayConnected]:
    """The bot as `recsys-quiz discord` runs it: StayConnected around the clients, a new one after a failed connection."""
    settings = _settings(fake, guild_id, {})
    async with _engine(db_path, None) as engine:

        def new_client(number: int) -> QuizClient:
            return build_client(engine, settings, daily_interval=None, sync_commands=number == 0, guild_ready_timeout=0.05)

        connection = StayConnected(new_client, token or fake.token, first_wait=waits[0], longest_wait=waits[1], healthy_after=3600.0)
        runner = asyncio.create_task(connection.run())
        while connection.client is None:
            await asyncio.sleep(0)
        try:
            await _until_ready(connection.client, runner)
        except BaseException:
            await connection.close()
            raise
        try:
            yield connection
        finally:
            await connection.close()
            await asyncio.wait_for(runner, 5)  # raises what ended it, if anything did


async def reconnected(connection: StayConnected, connections: int, timeout: float = 10.0) -> QuizClient:
    """The client after the bot has connected `connections` times in all, once it is ready."""

    async def ready() -> QuizClient:
        while connection.connections < connections or connection.client is None or not connection.client.is_ready():
            await asyncio.sleep(0.01)
        return connection.client

    return await asyncio.wait_for(ready(), timeout)
