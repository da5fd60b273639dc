"""Team (study group) names: normalised, validated, and compared ignoring case."""

from __future__ import annotations

import unicodedata

NAME_MIN = 2
NAME_MAX = 32
# Letters, digits and spaces plus a little punctuation; everything that is markup or mention
# syntax on Discord or Slack (@ # < > * _ ~ ` | : [ ] \) is refused rather than escaped.
ALLOWED_PUNCTUATION = set("-.'&+!?(),/")


class TeamNameError(ValueError):
    """Why a team name was refused, in words a user can act on."""


def normalise_team_name(raw: str) -> str:
    """The name as it will be stored and shown, or TeamNameError saying what to change."""
    text = unicodedata.normalize("NFKC", raw).strip()
    # Line breaks, tabs, bidi overrides and other invisible characters would break or disguise the markup around a name.
    hidden = next((c for c in text if unicodedata.category(c)[0] == "C"), None)
    if hidden is not None:
        raise TeamNameError(f"A team name cannot contain invisible or control characters such as {hidden!r}.")
    name = " ".join(part for part in text.split(" ") if part)
    if not name:
        raise TeamNameError("A team name cannot be empty or only spaces.")
    if len(name) < NAME_MIN or len(name) > NAME_MAX:
        raise TeamNameError(f"A team name needs {NAME_MIN} to {NAME_MAX} characters; this one has {len(name)}.")
    for char in name:
        category = unicodedata.category(char)
        if category[0] in "LN" or category in ("Mn", "Mc") or char == " " or char in ALLOWED_PUNCTUATION:
            continue
        shown = repr(char) if category[0] in "CZ" else f"'{char}'"
        raise TeamNameError(f"A team name can use letters, digits, spaces and - . ' & + ! ? ( ) , / only; {shown} is not allowed.")
    if not any(unicodedata.category(c)[0] in "LN" for c in name):
        raise TeamNameError("A team name needs at least one letter or digit.")
    return name


def team_name_key(name: str) -> str:
    """The key two names clash on: the same letters ignoring case."""
    return normalise_team_name(name).casefold()
