"""Discord's message limits, and shortening that shows itself ("…") instead of failing the send."""

from __future__ import annotations

import discord

ELLIPSIS = "…"

EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER_TEXT = 2048
AUTHOR_NAME = 256
EMBED_TOTAL = 6000
BUTTON_LABEL = 80
CUSTOM_ID = 100
BUTTONS_PER_ROW = 5
ROWS = 5
CHOICES = 25
CHOICE_NAME = 100


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending in "…" when it was cut; never empty (Discord rejects empty fields)."""
    text = text.strip() or "-"
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """Bring an embed under Discord's 6000-character total: shorten the description, then drop trailing fields."""
    excess = len(embed) - EMBED_TOTAL
    if excess > 0 and embed.description:
        keep = max(len(embed.description) - excess, 200)
        embed.description = clip(embed.description, keep)
        excess = len(embed) - EMBED_TOTAL
    dropped = 0
    while excess > 0 and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
        dropped += 1
        excess = len(embed) - EMBED_TOTAL + len(f"{ELLIPSIS}{dropped} more not shown") + 1
    if dropped:
        embed.add_field(name=ELLIPSIS, value=f"{dropped} more not shown", inline=False)
    if len(embed) > EMBED_TOTAL and embed.description:
        embed.description = clip(embed.description, max(len(embed.description) - (len(embed) - EMBED_TOTAL), 1))
    return embed
