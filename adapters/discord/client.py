"""The discord.py client: endpoints, sharding, command sync, and the routing of every interaction to the engine."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands

from adapters.discord.commands import OriginWork, build_group, offers_suggestions
from adapters.discord.config import DiscordSettings
from adapters.discord.daily import NEEDED, bot_permissions_in, missing_from
from adapters.discord.modal import submitted_text
from adapters.discord.origin import origin_of
from adapters.discord.render import NO_MENTIONS
from adapters.discord.respond import DEFER_AFTER, Responder
from adapters.discord.routing import clicked_custom_id
from bot.engine import QuizEngine
from bot.notices import shared_reply
from bot.views import Reply, notice

log = logging.getLogger(__name__)


def configure_endpoints(settings: DiscordSettings) -> None:
    """Point discord.py at DISCORD_API_BASE / DISCORD_GATEWAY_URL when set (process-wide, as discord.py keeps them).

    These two class attributes are discord.py's public way to move its endpoints. The gateway URL counts whenever
    discord.py picks the gateway itself: with a fixed shard count (DISCORD_SHARD_COUNT, which the settings require
    with it), and for a new session after Discord invalidated one. With the count left to Discord, discord.py
    connects to the URL that `GET /gateway/bot` returns with it, asked through DISCORD_API_BASE.
    """
    if settings.api_base:
        discord.http.Route.BASE = settings.api_base
    if settings.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


class _GuildsIntentWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Guilds intent seems to be disabled")


def _quiet_guilds_intent_warning() -> None:
    state_log = logging.getLogger("discord.state")
    if not any(isinstance(f, _GuildsIntentWarning) for f in state_log.filters):
        state_log.addFilter(_GuildsIntentWarning())


class QuizTree(app_commands.CommandTree):
    """The command tree; a command Discord knows but this process does not still gets an answer."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        # discord.py logs an ERROR with a traceback (and answers nothing) when suggestions are asked for an option
        # that has none here; such a request comes from outside (an app showing an older command), so it gets no
        # suggestions and one WARNING line instead.
        if interaction.type is discord.InteractionType.autocomplete and not offers_suggestions(interaction):
            log.warning("interaction %s: suggestions asked for an option that has none here; none given", interaction.id)
            await _no_suggestions(interaction)
            return False
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        client: QuizClient = interaction.client  # type: ignore[assignment]
        if isinstance(error, app_commands.CommandInvokeError):
            log.error("interaction %s: command failed", interaction.id, exc_info=error.original)
            reply = shared_reply("not_recorded")
        else:
            log.warning("interaction %s: %s", interaction.id, error)
            reply = notice(
                "Unknown command",
                "This command or option is not known here any more; your Discord app may show an old version "
                "(press Ctrl+R to reload). Nothing was recorded.",
                "warning",
            )
        if interaction.response.is_done():
            return
        if interaction.type is discord.InteractionType.autocomplete:
            await _no_suggestions(interaction)  # a message is no answer to a request for suggestions
            return

        async def work() -> Reply:
            return reply

        await client.responder.answer(interaction, work)


async def _no_suggestions(interaction: discord.Interaction) -> None:
    try:
        await interaction.response.autocomplete([])
    except discord.HTTPException as error:
        log.warning("interaction %s: could not answer with no suggestions (%s)", interaction.id, error)


# HTTP connections kept open to Discord at once (REST and interaction responses); more requests wait for one.
# discord.py's default connector is unlimited: a burst of clicks then opens a new connection (a TLS handshake
# on real Discord) for nearly every interaction response (5,871 in one bench.discord_burst run, with listen-queue
# overflows at the server), and the connection storm itself makes responses miss Discord's 3 s. Kept-alive
# connections serve the same requests one after another instead.
DISCORD_CONNECTIONS = 100


class QuizClient(discord.AutoShardedClient):
    """One client for every shard this process runs; holds the engine and nothing else of the quiz."""

    def __init__(
        self,
        engine: QuizEngine,
        settings: DiscordSettings,
        *,
        defer_after: float = DEFER_AFTER,
        sync_commands: bool = True,
        **options: Any,
    ) -> None:
        configure_endpoints(settings)
        # Interactions arrive without any gateway intent; with none, Discord sends no guild, member or
        # message events for the bot to parse and cache. (discord.py warns about the missing guilds intent
        # at start-up; nothing here uses its guild cache, so that warning is filtered out.)
        options.setdefault("intents", discord.Intents.none())
        _quiet_guilds_intent_warning()
        options.setdefault("allowed_mentions", NO_MENTIONS)
        options.setdefault("shard_count", settings.shard_count)
        if settings.shard_ids is not None:
            options.setdefault("shard_ids", list(settings.shard_ids))
        # discord.py's `connector` option; it is made here, in the running event loop, as aiohttp requires.
        options.setdefault("connector", aiohttp.TCPConnector(limit=DISCORD_CONNECTIONS))
        super().__init__(**options)
        self.engine = engine
        self.settings = settings
        self.responder = Responder(defer_after)
        self.tree = QuizTree(self)
        # With the shards split over processes only the one that runs shard 0 syncs (settings.syncs_commands).
        self.sync_on_start = sync_commands and settings.syncs_commands
        self.has_been_ready = False  # set once every shard of this client was connected (see connection.py)
        self.background_jobs: list[Callable[[], Awaitable[None]]] = []
        self.background_tasks: list[asyncio.Task[None]] = []

    def run_in_background(self, job: Callable[[], Awaitable[None]]) -> None:
        """Run `job` as a task from login (setup_hook) until the client closes (e.g. the daily scheduler)."""
        self.background_jobs.append(job)

    async def setup_hook(self) -> None:
        self.tree.add_command(build_group(self, self.engine.decks))
        if self.sync_on_start:
            await self.sync_commands()
        jobs = enumerate(self.background_jobs)
        self.background_tasks = [asyncio.create_task(job(), name=f"recsys-quiz background {i}") for i, job in jobs]

    async def close(self) -> None:
        tasks, self.background_tasks = self.background_tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.responder.expired.flush()
        await super().close()

    async def missing_permissions(self, interaction: discord.Interaction, channel_id: int, needed: dict[str, str] = NEEDED) -> list[str]:
        """What the bot lacks to post in a channel of the interaction's server (a daily question by default; empty: nothing)."""
        return missing_from(await bot_permissions_in(self, interaction, channel_id), needed)

    async def sync_commands(self) -> list[app_commands.AppCommand]:
        """Sync to DISCORD_GUILD_ID when set (instant, for development), else globally (can take an hour to show)."""
        guild_id = self.settings.guild_id
        try:
            if guild_id is not None:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                log.info("synced %d command(s) to guild %s only (DISCORD_GUILD_ID is set)", len(synced), guild_id)
            else:
                synced = await self.tree.sync()
                log.info("synced %d command(s) globally (may take up to an hour to show in Discord)", len(synced))
        except discord.Forbidden as error:
            # Typically DISCORD_GUILD_ID names a server the bot was not invited to (with applications.commands).
            # Keep running: commands synced earlier and every button still work.
            log.error(
                "could not sync commands to %s (%s): invite the bot there with the URL from "
                "`recsys-quiz discord --invite`, or check DISCORD_GUILD_ID",
                f"guild {guild_id}" if guild_id is not None else "Discord",
                error,
            )
            return []
        return synced

    async def on_ready(self) -> None:
        self.has_been_ready = True
        log.info("connected as %s (%s) with %s shard(s)", self.user, getattr(self.user, "id", "?"), self.shard_count)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # discord.py's documented event for every interaction: the one route for button clicks, ours or not (slash
        # commands and autocomplete go through the tree), so a click never meets "This interaction failed"; see
        # routing.clicked_custom_id for why not a DynamicItem.
        custom_id = clicked_custom_id(interaction)
        if custom_id is not None:
            await self.click(interaction, custom_id)
        elif interaction.type is discord.InteractionType.modal_submit:
            await self.submit(interaction)
        elif interaction.type not in (discord.InteractionType.application_command, discord.InteractionType.autocomplete):
            # A ping, or a type discord.py does not know: nothing to answer.
            log.debug("interaction %s of type %s: not one the bot answers; dropped", interaction.id, interaction.type)

    async def click(self, interaction: discord.Interaction, custom_id: str) -> None:
        """A button: the core decodes the custom_id and does the rest."""

        async def work() -> Reply:
            return await self.engine.handle(origin_of(interaction), custom_id)

        await self.responder.answer(interaction, work)

    async def submit(self, interaction: discord.Interaction) -> None:
        """A submitted form (the written answer): its custom_id is the core's action id, its text input the answer."""
        data = interaction.data if isinstance(interaction.data, dict) else {}
        custom_id, text = data.get("custom_id"), submitted_text(data)

        async def work() -> Reply:
            return await self.engine.submit_written(origin_of(interaction), custom_id, text)

        await self.responder.answer(interaction, work)

    async def command(self, interaction: discord.Interaction, work: OriginWork) -> None:
        """A slash command: run its work for the person who typed it. A member an admin forgot is told so with it; what
        else the core must tell them (their reminders went off) follows as a second private message."""
        notes: list[Reply] = []

        async def run() -> Reply:
            origin = origin_of(interaction)
            reply = await work(origin)
            try:
                reply = await self.engine.privacy.with_pending_notice(origin, reply)
                note = await self.engine.command_notice(origin)
            except Exception:  # the command's own answer matters more than the notes: it goes out all the same
                log.exception("interaction %s: reading the person's pending notices failed", interaction.id)
                note = None
            if note is not None:
                notes.append(note)
            return reply

        await self.responder.answer(interaction, run)
        for note in notes:
            await self.responder.follow_up(interaction, note)
