"""Discord's message limits, and shortening that shows itself ("…") instead of failing the send."""

from __future__ import annotations

import re

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
MESSAGE_CONTENT = 2000
FILE_DESCRIPTION = 1024  # an attachment's description (alt text)


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending in "…" when it was cut; never empty (Discord rejects empty fields)."""
    text = text.strip() or "-"
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def more_not_shown(count: int, what: str = "") -> str:
    """The note that stands for items left out: "21 more tips not shown"."""
    return f"{count} more {what + ' ' if what else ''}not shown"


_MORE_NOT_SHOWN = re.compile(r"^(\d+) more (?:\w+ )?not shown$")


def _items_in(name: str | None, value: str | None) -> int:
    """How many items a field stands for: a "N more ... not shown" note stands for N, any other field for one."""
    note = _MORE_NOT_SHOWN.match(value or "") if name == ELLIPSIS else None
    return int(note.group(1)) if note else 1


def add_fields_that_fit(embed: discord.Embed, fields: list[tuple[str, str]], what: str) -> None:
    """As many of `fields` as fit in Discord's 25 fields and 6000 characters, then one saying how many were left out."""
    # Room for the note is kept while more fields follow, sized for the largest count it could give.
    note = len(ELLIPSIS) + len(more_not_shown(len(fields), what))
    shown = 0
    for name, value in fields:
        name, value = clip(name, FIELD_NAME), clip(value, FIELD_VALUE)
        last = shown == len(fields) - 1
        if len(embed.fields) + (1 if last else 2) > EMBED_FIELDS:
            break
        if len(embed) + len(name) + len(value) + (0 if last else note) > EMBED_TOTAL:
            break
        embed.add_field(name=name, value=value, inline=False)
        shown += 1
    if shown < len(fields):
        embed.add_field(name=ELLIPSIS, value=more_not_shown(len(fields) - shown, what), inline=False)


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """Bring an embed under Discord's 6000-character total: shorten the description, then drop trailing fields."""
    excess = len(embed) - EMBED_TOTAL
    if excess > 0 and embed.description:
        keep = max(len(embed.description) - excess, 200)
        embed.description = clip(embed.description, keep)
        excess = len(embed) - EMBED_TOTAL
    dropped = 0
    while excess > 0 and embed.fields:
        dropped += _items_in(embed.fields[-1].name, embed.fields[-1].value)
        embed.remove_field(len(embed.fields) - 1)
        excess = len(embed) - EMBED_TOTAL + len(ELLIPSIS + more_not_shown(dropped)) + 1
    if dropped:
        embed.add_field(name=ELLIPSIS, value=more_not_shown(dropped), inline=False)
    if len(embed) > EMBED_TOTAL and embed.description:
        embed.description = clip(embed.description, max(len(embed.description) - (len(embed) - EMBED_TOTAL), 1))
    return embed
