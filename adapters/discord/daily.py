"""Daily question posts on Discord: the publisher that sends and edits them, and the check that the bot can post in a channel."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord

from adapters.discord.render import NO_MENTIONS, render
from bot.daily import DailyTarget, PublishError
from bot.views import DailyPostView

log = logging.getLogger(__name__)

# What a daily post needs in its channel: to see it, to post in it, and to show the question as an embed
# (without Embed Links Discord drops the embed and the post would be empty buttons).
NEEDED = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
}
NEEDED_PERMISSIONS = discord.Permissions(**dict.fromkeys(NEEDED, True))


def publish_error(error: BaseException) -> PublishError:
    """The core's PublishError for what Discord (or the network) answered; retryable when trying later can help."""
    if isinstance(error, discord.Forbidden):
        return PublishError(f"Discord refused (403, code {error.code}): the bot lacks access or permission in the channel", retryable=False)
    if isinstance(error, discord.NotFound):
        return PublishError(f"Discord does not know the channel or message (404, code {error.code})", retryable=False)
    if isinstance(error, discord.RateLimited):
        return PublishError(f"rate limited by Discord for {error.retry_after:.0f} s", retryable=True)
    if isinstance(error, discord.HTTPException):
        # 429 after discord.py's own waits, and 5xx: Discord's trouble, worth another try later. Other 4xx: our payload.
        retryable = error.status == 429 or error.status >= 500
        return PublishError(f"Discord answered HTTP {error.status} (code {error.code}): {error.text}", retryable=retryable)
    if isinstance(error, (aiohttp.ClientError, OSError, asyncio.TimeoutError)):
        return PublishError(f"could not reach Discord: {type(error).__name__}: {error}", retryable=True)
    return PublishError(f"{type(error).__name__}: {error}", retryable=True)


class DiscordPublisher:
    """The core's DailyPublisher for Discord: a channel message with the question's embed and buttons, over REST.

    REST only (a partial channel by id), so it needs no gateway intent or cache; it works from any shard's process.
    """

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    def _channel(self, target: DailyTarget) -> discord.PartialMessageable:
        guild_id = int(target.space_id) if target.space_id.isdigit() else None
        return self._client.get_partial_messageable(int(target.channel_id), guild_id=guild_id)

    async def post(self, target: DailyTarget, view: DailyPostView) -> str:
        rendered = render(view)
        try:
            message = await self._channel(target).send(embed=rendered.embed, view=rendered.to_view(), allowed_mentions=NO_MENTIONS)
        except Exception as error:
            raise publish_error(error) from error
        return str(message.id)

    async def edit(self, target: DailyTarget, message_ref: str, view: DailyPostView) -> None:
        rendered = render(view)
        message = self._channel(target).get_partial_message(int(message_ref))
        try:
            await message.edit(embed=rendered.embed, view=rendered.to_view(), allowed_mentions=NO_MENTIONS)
        except Exception as error:
            raise publish_error(error) from error


def missing_from(permissions: discord.Permissions) -> list[str]:
    """The names of the permissions a daily post needs that `permissions` lacks."""
    if permissions.administrator:
        return []
    return [label for name, label in NEEDED.items() if not getattr(permissions, name)]


async def bot_permissions_in(client: discord.Client, interaction: discord.Interaction, channel_id: int) -> discord.Permissions:
    """The bot's permissions in a channel of the interaction's server.

    In the channel where the command was typed Discord says so itself (app_permissions). For another channel
    the option's resolved permissions are the *user's*, so the bot's are computed from its roles and the
    channel's overwrites, read over REST (the bot keeps no guild cache: it runs without gateway intents).
    """
    if interaction.channel_id == channel_id:
        return interaction.app_permissions
    assert interaction.guild_id is not None and client.user is not None
    try:
        guild = await client.fetch_guild(interaction.guild_id, with_counts=False)
        member = await guild.fetch_member(client.user.id)
        channel = await guild.fetch_channel(channel_id)
    except (discord.Forbidden, discord.NotFound, discord.InvalidData):
        # 403 Missing Access on the channel: the bot cannot even see it.
        return discord.Permissions.none()
    return channel.permissions_for(member)


def cannot_post_text(channel_id: int, missing: list[str]) -> str:
    return (
        f"The bot cannot post in <#{channel_id}>: it lacks {', '.join(missing)} there. Give the bot (or its role) "
        f"{', '.join(NEEDED.values())} in that channel's settings > Permissions, then run `daily set` again. Nothing was changed."
    )
