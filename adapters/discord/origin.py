"""The Origin (who acted, where) of a Discord interaction."""

from __future__ import annotations

import discord

from bot.origin import Origin

DM_SPACE = "dm"
NAME_LIMIT = 200  # Origin.display_name's limit


class UnreadableInteraction(ValueError):
    """An interaction the quiz cannot act on because Discord's event lacks what it always carries (who acted)."""


def origin_of(interaction: discord.Interaction) -> Origin:
    """Who clicked or typed: the server (or "dm"), the user, their display name, and whether they manage the server."""
    user = interaction.user
    # discord.py leaves `user` unset when the event carries neither `member` nor `user`.
    if not isinstance(user, discord.User | discord.Member):
        raise UnreadableInteraction("the event names no user")
    permissions = interaction.permissions
    in_guild = interaction.guild_id is not None
    return Origin(
        platform="discord",
        space_id=str(interaction.guild_id) if in_guild else DM_SPACE,
        user_id=str(user.id),
        display_name=str(user.display_name or user.name or user.id)[:NAME_LIMIT],
        is_admin=in_guild and (permissions.administrator or permissions.manage_guild),
        channel_id=str(interaction.channel_id) if interaction.channel_id is not None else None,
        # The bot's direct messages with the person: their runs of every server answer to them there (a reminder leads there).
        direct=not in_guild,
    )
