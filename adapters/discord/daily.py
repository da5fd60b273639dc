"""Daily question posts on Discord: the publisher that sends and edits them, and the check that the bot can post in a channel."""

from __future__ import annotations

import asyncio
import io
import logging

import aiohttp
import discord

from adapters.discord.render import NO_MENTIONS, render
from bot.daily import DailyTarget, PublishError
from bot.views import DailyPostView, DigestView, Notice

log = logging.getLogger(__name__)

# What a daily post needs in its channel: to see it, to post in it, and to show the question as an embed
# (without Embed Links Discord drops the embed and the post would be empty buttons).
NEEDED = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
}
NEEDED_PERMISSIONS = discord.Permissions(**dict.fromkeys(NEEDED, True))
# The weekly digest also attaches its chart (a PNG shown inside its embed).
DIGEST_NEEDED = {**NEEDED, "attach_files": "Attach Files"}


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


def channel_message(view: DailyPostView | Notice) -> discord.http.MultipartParameters:
    """A daily post (or a reminder) as the body of Discord's create/edit message endpoints: only the fields it sets.

    Built from discord.py's own serialisers (Embed.to_dict, View.to_components, AllowedMentions.to_dict) rather
    than through `Messageable.send` / `PartialMessage.edit`, which always add `tts` (not a field of the edit
    endpoint) and send `content: null` (a create takes a string or nothing) when there is no content.
    """
    rendered = render(view)
    body = {
        "embeds": [rendered.embed.to_dict()],
        "components": rendered.to_view().to_components(),
        "allowed_mentions": NO_MENTIONS.to_dict(),
    }
    return discord.http.MultipartParameters(payload=body, multipart=None, files=None)


class DiscordPublisher:
    """The core's DailyPublisher for Discord: a channel message with the question's embed and buttons, over REST.

    REST only, through discord.py's HTTP client (its authorisation, rate limits and errors), so it needs no gateway
    intent or cache; it works from any shard's process.
    """

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def post(self, target: DailyTarget, view: DailyPostView) -> str:
        try:
            message = await self._client.http.send_message(int(target.channel_id), params=channel_message(view))
        except Exception as error:
            raise publish_error(error) from error
        return str(message["id"])

    async def edit(self, target: DailyTarget, message_ref: str, view: DailyPostView) -> None:
        try:
            await self._client.http.edit_message(int(target.channel_id), int(message_ref), params=channel_message(view))
        except Exception as error:
            raise publish_error(error) from error

    async def delete(self, target: DailyTarget, message_ref: str) -> None:
        """DELETE the channel message (a bot may always delete its own), through discord.py's public PartialMessage."""
        message = self._client.get_partial_messageable(int(target.channel_id)).get_partial_message(int(message_ref))
        try:
            await message.delete()
        except Exception as error:
            raise publish_error(error) from error


def missing_from(permissions: discord.Permissions, needed: dict[str, str] = NEEDED) -> list[str]:
    """The names of the permissions a post needs (a daily post's by default) that `permissions` lacks."""
    if permissions.administrator:
        return []
    return [label for name, label in needed.items() if not getattr(permissions, name)]


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


def cannot_post_text(channel_id: int, missing: list[str], needed: dict[str, str] = NEEDED, command: str = "daily set") -> str:
    return (
        f"The bot cannot post in <#{channel_id}>: it lacks {', '.join(missing)} there. Give the bot (or its role) "
        f"{', '.join(needed.values())} in that channel's settings > Permissions, then run `{command}` again. Nothing was changed."
    )


class DiscordDigestPublisher:
    """The core's DigestPublisher for Discord: one channel message, an embed with the chart attached as its image.

    The body is built by discord.py's `handle_message_parameters` (multipart: `payload_json` and `files[0]`, with the
    attachment declared in `attachments`), and posted over REST as the daily question is.
    """

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def post(self, target: DailyTarget, view: DigestView, chart: bytes) -> str:
        chart_file = discord.File(io.BytesIO(chart), filename=view.chart_filename, description=view.chart_title)
        params = discord.http.handle_message_parameters(embed=render(view).embed, file=chart_file, allowed_mentions=NO_MENTIONS)
        try:
            with params:
                message = await self._client.http.send_message(int(target.channel_id), params=params)
        except Exception as error:
            raise publish_error(error) from error
        return str(message["id"])
