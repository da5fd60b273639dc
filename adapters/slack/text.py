"""Slack text safety: escaping user text for mrkdwn and shortening it visibly to Slack's limits."""

from __future__ import annotations

import re

ELLIPSIS = "…"
# Slack's "automatic parsing" can turn these words into pings in some text fields; a word joiner
# after the "@" keeps them readable but inert.
_BROADCASTS = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)
_WORD_JOINER = "\u2060"
_ENTITY_TAIL = re.compile(r"&[a-z]{0,3}$")


def escape(text: object) -> str:
    """Text as Slack shows it literally: `&`, `<`, `>` escaped (never a mention, link or `<!channel>`)."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCASTS.sub(lambda m: f"@{_WORD_JOINER}{m.group(1)}", escaped)


# mrkdwn's formatting marks: *bold*, _italic_, ~strike~, `code`. mrkdwn has no escape character (a backslash shows
# as itself); Slack formats a pair only where a mark touches the text it wraps, so a word joiner (invisible, and no
# line break) on each side of a mark in a name keeps the mark as text and the name as typed, for copy and paste.
_MARKS = re.compile(r"[*_~`]")


def escape_name(text: object) -> str:
    """A name users chose (a Slack display name, a team name) as literal mrkdwn text: escape(), and never formatted."""
    return _MARKS.sub(lambda m: f"{_WORD_JOINER}{m.group(0)}{_WORD_JOINER}", escape(text))


def unescape(text: str) -> str:
    """Slack's escaping undone: slash-command text arrives with `&`, `<`, `>` as entities."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def clip(text: str, limit: int) -> str:
    """Plain text cut to `limit` characters, ending in "…" when it was cut."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def clip_escaped(text: str, limit: int) -> str:
    """Escaped mrkdwn cut to `limit` characters without splitting an `&amp;`-style entity."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    tail = _ENTITY_TAIL.search(head)
    if tail is not None:  # cut before a half-written entity, which Slack would show as garbage
        head = head[: tail.start()]
    return head.rstrip() + ELLIPSIS


def nonempty(text: str, placeholder: str = "—") -> str:
    """Slack rejects empty text objects; a placeholder keeps a block valid."""
    return text if text.strip() else placeholder
