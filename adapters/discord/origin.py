"""The Origin (who acted, where) of a Discord interaction."""

from __future__ import annotations

import discord

from bot.origin import Origin

DM_SPACE = "dm"
NAME_LIMIT = 200  # Origin.display_name's limit


def origin_of(interaction: discord.Interaction) -> Origin:
    """Who clicked or typed: the server (or "dm"), the user, their display name, and whether they manage the server."""
    user = interaction.user
    permissions = interaction.permissions
    in_guild = interaction.guild_id is not None
    return Origin(
        platform="discord",
        space_id=str(interaction.guild_id) if in_guild else DM_SPACE,
        user_id=str(user.id),
        display_name=(user.display_name or user.name)[:NAME_LIMIT],
        is_admin=in_guild and (permissions.administrator or permissions.manage_guild),
        channel_id=str(interaction.channel_id) if interaction.channel_id is not None else None,
    )
