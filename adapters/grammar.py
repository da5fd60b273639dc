"""A surface's grammar: how it spells each core command (bot.commands) and each notice hint, read from a plain table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.views import Hint


def syntax_table(text: str) -> dict[str, str]:
    """`core command | how this surface spells it`, one per line, into a dict (blank lines skipped)."""
    table: dict[str, str] = {}
    for line in text.strip().splitlines():
        name, _, syntax = line.partition("|")
        table[name.strip()] = syntax.strip()
    return table


@dataclass(frozen=True)
class Grammar:
    """One surface's command prefix, its spelling of every core command it offers, and its hint sentences."""

    prefix: str
    syntax: Mapping[str, str]
    hints: Mapping[Hint, str]

    def usage(self, command: str) -> str:
        return f"{self.prefix} {self.syntax[command]}"

    def with_hint(self, text: str, hint: Hint | None) -> str:
        return f"{text} {self.hints[hint]}" if hint else text
