"""Entry point of `recsys-quiz discord`: the one place where settings, engine and client are wired together."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from typing import Any

import discord

from adapters.discord.client import QuizClient
from adapters.discord.config import DiscordSettings, DiscordSettingsError, load_settings
from adapters.discord.connection import StayConnected
from adapters.discord.daily import DiscordDigestPublisher, DiscordPublisher
from adapters.discord.invite import invite_url
from adapters.discord.reminders import DiscordReminderSender
from adapters.wiring import core_settings, run_async
from bot.config import CoreSettings
from bot.daily import DailyScheduler
from bot.engine import QuizEngine
from bot.runtime import open_engine, tune_gc

log = logging.getLogger(__name__)


def run(args: argparse.Namespace) -> int:
    """Run the bot until stopped, or with `--invite` print the invite URL; returns the exit code."""
    try:
        settings = load_settings(shard_count=getattr(args, "shard_count", None), shard_ids=getattr(args, "shard_ids", None))
        if getattr(args, "invite", False):
            print(invite_url(settings.application_id()))
            return 0
        token = settings.require_token()
    except DiscordSettingsError as error:
        print(f"recsys-quiz: {error}", file=sys.stderr)
        return 2

    core = core_settings(args)  # RECSYS_QUIZ_DB and the rest of the core's settings, as for every surface
    core.configure_logging()
    tune_gc()  # process-wide, so here in the process's entry point
    try:
        return run_async(serve(core, settings, token), core.db)
    except KeyboardInterrupt:
        return 0
    except discord.LoginFailure:
        print("recsys-quiz: Discord refused DISCORD_TOKEN; reset it in the Developer Portal > Bot > Reset Token", file=sys.stderr)
        return 2
    except discord.PrivilegedIntentsRequired as error:
        print(f"recsys-quiz: {error}", file=sys.stderr)
        return 2


# How often the daily scheduler looks for due posts and new answer counts (the core's default: answer counts
# are then edited at most every 5 s per post, well within Discord's rate limit for editing a channel's messages).
DAILY_INTERVAL = 5.0
# How often the reminder scheduler looks for reminders due: a reminder is at most this late.
REMIND_INTERVAL = 30.0


def build_client(
    engine: QuizEngine, settings: DiscordSettings, *, daily_interval: float | None = DAILY_INTERVAL, **options: Any
) -> QuizClient:
    """The client, the engine's Discord publishers for daily posts and weekly digests, its sender of reminders, and the
    schedulers the client runs while connected.

    `daily_interval=None` runs no scheduler (tests call `engine.daily.tick()`, `engine.digest.tick()` and
    `engine.reminders.tick()` themselves).
    `options` go to QuizClient (and on to discord.py's client).
    """
    client = QuizClient(engine, settings, **options)
    engine.daily.attach("discord", DiscordPublisher(client))
    engine.digest.attach("discord", DiscordDigestPublisher(client))
    engine.reminders.attach("discord", DiscordReminderSender(client))
    if daily_interval is not None:
        client.run_in_background(DailyScheduler(engine.daily, interval=daily_interval, also=(engine.digest.tick,)).run)
        client.run_in_background(DailyScheduler(engine.reminders, interval=REMIND_INTERVAL).run)
    return client


async def serve(core: CoreSettings, settings: DiscordSettings, token: str) -> int:
    """Open the engine and run the client on it until the connection ends."""
    async with open_engine(core) as engine:
        # Commands are synced by the first client only: a later one (after a connection discord.py gave up on, see
        # StayConnected) serves the same commands. With the shards split over processes, only the process that runs
        # shard 0 syncs them (they are the bot's, not a shard's).
        if not settings.syncs_commands:
            log.info("shards %s of %s: commands are synced by the process that runs shard 0", settings.shard_ids, settings.shard_count)
        connection = StayConnected(lambda number: build_client(engine, settings, sync_commands=number == 0), token)
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):  # no signal handlers on Windows or off the main thread
            # SIGTERM (docker stop, systemd) closes the gateway cleanly, so Discord sees the bot leave at once.
            loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(connection.close()))
        try:
            await connection.run()
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGTERM)
    log.info("disconnected from Discord")
    return 0
