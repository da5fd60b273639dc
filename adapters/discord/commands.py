"""The `/recsys-quiz` slash command group: start, tips, help, leaderboard, stats."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

import discord
from discord import app_commands

from adapters.discord.limits import CHOICE_NAME, CHOICES, clip
from bot.content import DeckLibrary
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.views import Reply, notice

log = logging.getLogger(__name__)

GROUP_NAME = "recsys-quiz"
OriginWork = Callable[[Origin], Awaitable[Reply]]


class CommandHandler(Protocol):
    engine: QuizEngine

    async def command(self, interaction: discord.Interaction, work: OriginWork) -> None: ...


def _unknown_options(interaction: discord.Interaction, known: set[str]) -> list[str]:
    """Options Discord sent that this command does not have (a client still showing an older command)."""
    data = interaction.data or {}
    given: list[str] = []
    for option in data.get("options", []):  # type: ignore[union-attr]
        for inner in option.get("options", []) if option.get("type") in (1, 2) else [option]:
            given.append(str(inner.get("name")))
    return [name for name in given if name not in known]


def stale_command_reply(names: list[str]) -> Reply:
    return notice(
        "Unknown option",
        f"This command has no option {', '.join(repr(n) for n in names)}; your Discord app may show an old "
        "version of it (press Ctrl+R to reload). Nothing was recorded.",
        "warning",
    )


def _deck_choices(decks: DeckLibrary) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=clip(f"{d.title} ({d.id})", CHOICE_NAME), value=d.id) for d in decks]


def build_group(handler: CommandHandler, decks: DeckLibrary) -> app_commands.Group:
    """The command group, with the decks as choices (Discord allows 25; more decks get autocomplete)."""
    group = app_commands.Group(name=GROUP_NAME, description="Practise RecSys Platform Engineer interview questions")
    choices = _deck_choices(decks)
    use_choices = len(choices) <= CHOICES

    async def run(interaction: discord.Interaction, known: set[str], work: OriginWork) -> None:
        unknown = _unknown_options(interaction, known)
        if unknown:

            async def refuse(_: Origin) -> Reply:
                return stale_command_reply(unknown)

            await handler.command(interaction, refuse)
        else:
            await handler.command(interaction, work)

    async def deck_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        needle = current.lower()
        return [c for c in choices if needle in c.name.lower()][:CHOICES]

    deck_option = app_commands.choices(deck=choices) if use_choices else app_commands.autocomplete(deck=deck_autocomplete)

    @group.command(name="start", description="Start a private quiz run, or resume the one you left")
    @app_commands.describe(deck="Which deck (default: the first)")
    @deck_option
    async def start(interaction: discord.Interaction, deck: str | None = None) -> None:
        await run(interaction, {"deck"}, lambda origin: handler.engine.start(origin, deck))

    @group.command(name="tips", description="How to structure a strong answer")
    @app_commands.describe(deck="Which deck's tips (default: the first)")
    @deck_option
    async def tips(interaction: discord.Interaction, deck: str | None = None) -> None:
        await run(interaction, {"deck"}, lambda origin: handler.engine.tips(deck))

    @group.command(name="help", description="What this bot does, its commands and decks")
    async def help_(interaction: discord.Interaction) -> None:
        async def work(_: Origin) -> Reply:
            return handler.engine.help()

        await run(interaction, set(), work)

    @group.command(name="leaderboard", description="Who has the most points in this server")
    async def leaderboard(interaction: discord.Interaction) -> None:
        await run(interaction, set(), handler.engine.leaderboard)

    @group.command(name="stats", description="Your progress, accuracy per topic and weakest topic")
    async def stats(interaction: discord.Interaction) -> None:
        await run(interaction, set(), handler.engine.stats)

    return group
