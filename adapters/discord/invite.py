"""The OAuth2 URL that adds the bot to a server, with the fewest permissions it needs."""

from __future__ import annotations

import discord

from adapters.discord.daily import NEEDED_PERMISSIONS

SCOPES = ("bot", "applications.commands")

# View Channel, Send Messages and Embed Links (19456), for the daily question only: it is the one message the
# bot posts by itself, as a channel message with an embed and buttons (and later edits, which need nothing more
# for its own messages). Every other reply is an interaction response or followup, delivered through the
# interaction's webhook, which needs no channel permission. A server can also withhold these from the bot's
# role and grant them in the daily channel alone; `daily set` checks them in the chosen channel.
PERMISSIONS = NEEDED_PERMISSIONS


def invite_url(client_id: int, permissions: discord.Permissions = PERMISSIONS) -> str:
    """The invite URL for the application `client_id` with scopes `bot applications.commands`."""
    return discord.utils.oauth_url(client_id, permissions=permissions, scopes=SCOPES)
