"""Parsing the text after `/recsys-quiz` into a subcommand and its argument."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Verb = Literal["start", "tips", "help", "leaderboard", "stats"]
VERBS: tuple[Verb, ...] = ("start", "tips", "help", "leaderboard", "stats")
# What users of other quiz bots type; each maps onto one of ours.
ALIASES: dict[str, Verb] = {"play": "start", "board": "leaderboard", "top": "leaderboard", "me": "stats", "?": "help"}
ECHO_LIMIT = 40  # how much of an unknown word is echoed back


class Subcommand(BaseModel):
    """What the person asked for; `unknown` holds text that was not understood (they get the help card)."""

    model_config = ConfigDict(frozen=True)

    verb: Verb
    argument: str | None = None
    unknown: str | None = None


def parse(text: str) -> Subcommand:
    """`start [deck]`, `tips [deck]`, `help`, `leaderboard`, `stats`; anything else is help with `unknown` set."""
    words = text.split()
    if not words:
        return Subcommand(verb="help")
    word = words[0].lower()
    verb = ALIASES.get(word, word)
    rest = " ".join(words[1:]) or None
    if verb in ("start", "tips"):
        return Subcommand(verb=verb, argument=rest.lower() if rest else None)
    if verb in VERBS and rest is None:
        return Subcommand(verb=verb)  # type: ignore[arg-type]
    return Subcommand(verb="help", unknown=" ".join(words)[:ECHO_LIMIT])
