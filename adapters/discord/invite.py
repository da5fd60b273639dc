"""The OAuth2 URL that adds the bot to a server, with the fewest permissions it needs."""

from __future__ import annotations

import discord

from adapters.discord.daily import NEEDED_PERMISSIONS

SCOPES = ("bot", "applications.commands")

# View Channel, Send Messages and Embed Links (19456), for the daily question: it is a message the bot posts by
# itself, as a channel message with an embed and buttons (and later edits, which need nothing more for its own
# messages); and Attach Files (32768) for the weekly digest's chart. Every other reply is an interaction response or
# followup, delivered through the interaction's webhook, which needs no channel permission (an export's file
# included). A server can also withhold these from the bot's role and grant them in the daily or digest channel
# alone; `daily set` and `digest on` check them in the chosen channel.
PERMISSIONS = NEEDED_PERMISSIONS | discord.Permissions(attach_files=True)


def invite_url(client_id: int, permissions: discord.Permissions = PERMISSIONS) -> str:
    """The invite URL for the application `client_id` with scopes `bot applications.commands`."""
    return discord.utils.oauth_url(client_id, permissions=permissions, scopes=SCOPES)
