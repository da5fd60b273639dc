"""Parsing the text after `/recsys-quiz` into a subcommand and its arguments."""

from __future__ import annotations

import re
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

Verb = Literal[
    "start",
    "tips",
    "help",
    "leaderboard",
    "stats",
    "review",
    "interview",
    "remind",
    "team",
    "daily",
    "digest",
    "export",
    "forget-me",
    "admin",
]
VERBS: tuple[Verb, ...] = get_args(Verb)  # in the order the Literal lists them
# What users of other quiz bots type; each maps onto one of ours.
ALIASES: dict[str, Verb] = {
    "play": "start",
    "board": "leaderboard",
    "top": "leaderboard",
    "me": "stats",
    "?": "help",
    "teams": "team",
    "group": "team",
    "reviews": "review",
    "reminder": "remind",
}
TEAM_ACTIONS = {"create": "create", "new": "create", "join": "join", "leave": "leave", "list": "list", "show": "show"}
DAILY_ACTIONS = {"set": "set", "off": "off", "stop": "off", "status": "status", "now": "now"}
DIGEST_ACTIONS = {"on": "on", "start": "on", "off": "off", "stop": "off"}
# With the command's "escape channels, users, and links" on (the manifest's should_escape), Slack sends a mentioned
# member as <@U123|name> and a channel as <#C123|name>; a member or channel id may also be typed as it is.
USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
CHANNEL_MENTION = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
SLACK_ID = re.compile(r"^[A-Z][A-Z0-9]{2,}$")
OFF_WORDS = {"off", "stop", "none"}
SCOPES = {"people": "people", "person": "people", "teams": "teams", "team": "teams"}
ECHO_LIMIT = 40  # how much of an unknown word is echoed back


class Subcommand(BaseModel):
    """What the person asked for; `unknown` holds text that was not understood (they get the help card)."""

    model_config = ConfigDict(frozen=True)

    verb: Verb
    argument: str | None = None  # a deck id, or a team name exactly as typed (the core validates names)
    action: str | None = None  # team create|join|leave|list|show, daily set|off|status|now, stats questions, interview|remind off
    scope: str = "people"  # leaderboard
    window: str = "all"  # leaderboard; an unknown window is passed on, and the core explains the valid ones
    post_time: str | None = None  # daily set, remind
    zone: str | None = None  # daily set, remind
    channel: str | None = None  # digest on|off: a channel named in the command (None: the one it is run in)
    unknown: str | None = None

    @property
    def command(self) -> str:
        """The core command (bot.commands) this asks for: `team join`, `stats questions`, `start`, ..."""
        if self.verb in ("team", "daily", "digest", "admin") or (self.verb in ("stats", "interview", "remind") and self.action):
            return f"{self.verb} {self.action}"
        return self.verb


def _unknown(words: list[str]) -> Subcommand:
    return Subcommand(verb="help", unknown=" ".join(words)[:ECHO_LIMIT])


def parse(text: str) -> Subcommand:
    """The grammar of `/recsys-quiz help`; anything else is help with `unknown` set."""
    words = text.split()
    if not words:
        return Subcommand(verb="help")
    word = words[0].lower()
    verb = ALIASES.get(word, word)
    rest = words[1:]
    if verb in ("start", "tips", "review"):
        return Subcommand(verb=verb, argument=" ".join(rest).lower() if rest else None)
    if verb == "interview" and len(rest) <= 1:
        # The date is passed on as typed (or missing): the core says what a date looks like when it is not one.
        if rest and rest[0].lower() in OFF_WORDS:
            return Subcommand(verb="interview", action="off")
        return Subcommand(verb="interview", argument=rest[0] if rest else "")
    if verb == "remind":
        return _remind(words)
    if verb == "leaderboard":
        return _leaderboard(words)
    if verb == "stats":
        if not rest:
            return Subcommand(verb="stats")
        if rest[0].lower() == "questions" and len(rest) <= 2:
            return Subcommand(verb="stats", action="questions", argument=rest[1].lower() if len(rest) == 2 else None)
        return _unknown(words)
    if verb == "team":
        return _team(text, words)
    if verb == "daily":
        return _daily(words)
    if verb == "digest":
        return _digest(words)
    if verb == "admin":
        return _admin(words)
    if verb in ("export", "forget-me") and not rest:
        return Subcommand(verb=verb)
    if verb == "help" and not rest:
        return Subcommand(verb="help")
    return _unknown(words)


def _leaderboard(words: list[str]) -> Subcommand:
    """`leaderboard [people|teams] [week|month|all]`, in either order."""
    scope: str | None = None
    window: str | None = None
    for word in (w.lower() for w in words[1:]):
        if scope is None and word in SCOPES:
            scope = SCOPES[word]
        elif window is None and word not in SCOPES:
            window = word
        else:
            return _unknown(words)
    return Subcommand(verb="leaderboard", scope=scope or "people", window=window or "all")


def _team(text: str, words: list[str]) -> Subcommand:
    """`team create|join <name>` (the name is the rest of the text, spaces and all), `team leave|list`, `team show [name]`."""
    if len(words) == 1:
        return Subcommand(verb="team", action="list")
    action = TEAM_ACTIONS.get(words[1].lower())
    # Split off only the first two words: the name keeps its own characters for the core to judge.
    parts = text.strip().split(None, 2)
    name = parts[2].strip() if len(parts) == 3 else None
    if action in ("create", "join"):
        return Subcommand(verb="team", action=action, argument=name or "")
    if action == "show":
        return Subcommand(verb="team", action="show", argument=name)
    if action in ("leave", "list") and name is None:
        return Subcommand(verb="team", action=action)
    return _unknown(words)


def _remind(words: list[str]) -> Subcommand:
    """`remind HH:MM Area/City` (missing parts left None: the person gets the usage), `remind off`."""
    rest = words[1:]
    if len(rest) == 1 and rest[0].lower() in OFF_WORDS:
        return Subcommand(verb="remind", action="off")
    if len(rest) <= 2:
        return Subcommand(verb="remind", post_time=rest[0] if rest else None, zone=rest[1] if len(rest) > 1 else None)
    return _unknown(words)


def _daily(words: list[str]) -> Subcommand:
    """`daily set <HH:MM> <Area/City> [deck]` (missing parts are left None: the person gets the usage), off, status, now."""
    if len(words) == 1:
        return Subcommand(verb="daily", action="status")
    action = DAILY_ACTIONS.get(words[1].lower())
    if action == "set" and len(words) <= 5:
        given = words[2:]
        return Subcommand(
            verb="daily",
            action="set",
            post_time=given[0] if len(given) > 0 else None,
            zone=given[1] if len(given) > 1 else None,
            argument=given[2].lower() if len(given) > 2 else None,
        )
    if action in ("off", "status", "now") and len(words) == 2:
        return Subcommand(verb="daily", action=action)
    return _unknown(words)


def mentioned(word: str, pattern: re.Pattern[str]) -> str | None:
    """The id in a mention Slack escaped (<@U123|name>, <#C123|name>), or the word itself when it is an id, else None."""
    match = pattern.match(word)
    if match:
        return match.group(1)
    return word if SLACK_ID.match(word) else None


def _digest(words: list[str]) -> Subcommand:
    """`digest on|off [#channel]` (default: the channel it is typed in)."""
    action = DIGEST_ACTIONS.get(words[1].lower()) if len(words) > 1 else None
    if action is None or len(words) > 3:
        return _unknown(words)
    if len(words) == 3:
        # A channel that is not an id (Slack sent "#study" as typed) is kept for the handler to explain.
        channel = mentioned(words[2], CHANNEL_MENTION)
        return Subcommand(verb="digest", action=action, channel=channel, argument=None if channel else words[2][:ECHO_LIMIT])
    return Subcommand(verb="digest", action=action)


def _admin(words: list[str]) -> Subcommand:
    """`admin forget @member`: the member as Slack sends a mention, or their member id; anything else is left for the
    handler to explain (argument None)."""
    if len(words) < 2 or words[1].lower() != "forget" or len(words) > 3:
        return _unknown(words)
    member = mentioned(words[2], USER_MENTION) if len(words) == 3 else None
    return Subcommand(verb="admin", action="forget", argument=member)
