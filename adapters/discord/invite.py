"""The OAuth2 URL that adds the bot to a server, with the fewest permissions it needs."""

from __future__ import annotations

import discord

SCOPES = ("bot", "applications.commands")

# None. Everything the bot sends is an interaction response or followup, which Discord delivers through
# the interaction's webhook: that needs no channel permission (not even Send Messages or Embed Links).
# A feature that posts on its own (e.g. a daily question) must add View Channel, Send Messages and Embed Links here.
PERMISSIONS = discord.Permissions.none()


def invite_url(client_id: int, permissions: discord.Permissions = PERMISSIONS) -> str:
    """The invite URL for the application `client_id` with scopes `bot applications.commands`."""
    return discord.utils.oauth_url(client_id, permissions=permissions, scopes=SCOPES)
