"""Review reminders on Discord: a direct message to the person (a DM channel opened over REST, then a message in it)."""

from __future__ import annotations

import discord

from adapters.discord.daily import channel_message, publish_error
from bot.reminders import RecipientRefused, ReminderTarget
from bot.views import Notice

# Discord's "Cannot send messages to this user": the person closed their direct messages to the bot (their privacy
# settings for the server, or they blocked it), or shares no server with it any more.
CANNOT_MESSAGE_USER = 50007


class DiscordReminderSender:
    """bot.reminders.ReminderSender for Discord: POST /users/@me/channels, then the reminder as a message there.

    REST only, through discord.py's HTTP client, so it needs no gateway intent and works from any shard's process.
    """

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def send(self, target: ReminderTarget, view: Notice) -> None:
        try:
            channel = await self._client.http.start_private_message(int(target.user_id))
            await self._client.http.send_message(int(channel["id"]), params=channel_message(view))
        except discord.Forbidden as error:
            if error.code == CANNOT_MESSAGE_USER:
                raise RecipientRefused(
                    f"Discord does not let the bot send you direct messages (error {CANNOT_MESSAGE_USER}: your privacy settings, "
                    "or no server shared with the bot)"
                ) from error
            raise publish_error(error) from error
        except Exception as error:
            raise publish_error(error) from error
