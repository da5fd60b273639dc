"""Team (study group) names: normalised, validated, and keyed so that names which look alike clash."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING

from bot.names import MAX_MARKS_PER_LETTER, default_ignorable, stacked_marks, without_default_ignorables

NAME_MIN = 2
NAME_MAX = 32
# Letters, digits and spaces plus a little punctuation; everything that is markup or mention syntax on Discord or
# Slack (@ # < > * _ ~ ` | : [ ] \) is refused rather than escaped.
ALLOWED_PUNCTUATION = set("-.'&+!?(),/")
# Dotted words: a host name when its last word is a known top-level domain (evil.com, www.evil.com/login).
_DOTTED = re.compile(r"[^\W_]+(?:-+[^\W_]+)*(?:\.[^\W_]+(?:-+[^\W_]+)*)+")
_LRM = "\u200e"

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList


class TeamNameError(ValueError):
    """Why a team name was refused, in words a user can act on."""


def _code_point(char: str) -> str:
    # Only characters outside category C get here, and every one of those has a Unicode name.
    return f"U+{ord(char):04X} {unicodedata.name(char)}"


def normalise_team_name(raw: str) -> str:
    """The name as it will be stored and shown, or TeamNameError saying what to change."""
    text = unicodedata.normalize("NFKC", raw).strip()
    # Line breaks, tabs, bidi overrides and other invisible characters would break or disguise the markup around a name.
    hidden = next((c for c in text if unicodedata.category(c)[0] == "C"), None)
    if hidden is not None:
        raise TeamNameError(f"A team name cannot contain invisible or control characters such as {hidden!r}.")
    # Fillers (U+3164), joiners (U+034F) and variation selectors (U+FE0F) are letters or marks to Python but show as
    # nothing: "Team" with one of them would look exactly like "Team".
    filler = default_ignorable(text)
    if filler is not None:
        raise TeamNameError(f"A team name cannot contain invisible characters such as {_code_point(filler)}.")
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
    stacked = stacked_marks(name)
    if stacked is not None:
        raise TeamNameError(
            f"A letter in a team name can carry at most {MAX_MARKS_PER_LETTER} accents or other marks; '{stacked[0]}' has {stacked[1]}."
        )
    address = web_address_in(name)
    if address is not None:
        raise TeamNameError(f"A team name cannot look like a web address ({address}): chat apps would show it as a link.")
    return name


def web_address_in(name: str) -> str | None:
    """The first dotted word of `name` that ends in a known top-level domain (Mozilla's Public Suffix List), if any."""
    for match in _DOTTED.finditer(name):
        if _public_suffixes().publicsuffix(match.group().casefold()) is not None:  # the list's accept_unknown=False
            return match.group()
    return None


@functools.cache
def _public_suffixes() -> PublicSuffixList:
    from publicsuffixlist import PublicSuffixList  # loaded on the first team name, not at start-up

    return PublicSuffixList(accept_unknown=False)


def team_name_key(name: str) -> str:
    """The key two names clash on: the same ignoring case and look-alike letters from other scripts.

    Built from Unicode's confusable skeletons (UTS #39): "Теam" in Cyrillic, "TEAM", "team" and "Tearn" share a key.
    Case is ignored by keying the casefolded name, each letter taken through its capital as well, since a capital can
    copy a Latin letter its small form does not (Cyrillic Т is T, т is not t). So i and l share a key (I looks like
    l), as do 0 and o, and rn and m. Not validated: also keys names stored before a rule was added, and prefixes.
    """
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", name).casefold())
    return "".join(_letter_key(char) for char in without_default_ignorables(text)).casefold()


def _key_of_letter(char: str) -> str:
    small = _skeleton(char)
    # A small letter that copies a Latin one keys as that letter (Cyrillic а, р, г); any other goes by its capital
    # (Cyrillic т as Т, so as T). Then the result's own capital: I is keyed as l, so i is too.
    base = small if small.isascii() else char
    return _skeleton(_skeleton(base.upper()).casefold())


# Wrapped rather than decorated so that mutation testing reaches the body (mutmut leaves decorated functions alone).
_letter_key = functools.lru_cache(maxsize=4096)(_key_of_letter)


def _skeleton(text: str) -> str:
    """UTS #39's skeleton: each character of the decomposed text replaced by the prototype of its confusables class."""
    prototypes = _prototypes()
    return unicodedata.normalize("NFD", "".join(prototypes.get(char, char) for char in unicodedata.normalize("NFD", text)))


def _confusable_prototypes() -> dict[str, str]:
    """Each confusable character's prototype, from Unicode's confusables.txt as confusable_homoglyphs carries it.

    The package keeps the table as a two-way graph: a character lists its one prototype, a prototype lists the
    characters that map to it. So a character with one neighbour maps to it when the neighbour is a prototype (a
    string of several characters, or one listing several); a pair that only list each other is one class, keyed
    on the smaller. Right-to-left characters come wrapped in U+200E marks (copied from the file's comments).
    """
    from confusable_homoglyphs.confusables import confusables_data  # 9,600 entries, read on the first team name

    graph: dict[str, set[str]] = {}
    for key, entries in confusables_data.items():
        graph.setdefault(key.replace(_LRM, ""), set()).update(entry["c"].replace(_LRM, "") for entry in entries)
    prototypes: dict[str, str] = {}
    for char, neighbours in graph.items():
        if len(char) != 1 or len(neighbours) != 1:
            continue
        (other,) = neighbours
        prototypes[char] = other if len(other) > 1 or len(graph.get(other, ())) > 1 else min(char, other)
    return prototypes


# Built on the first team name, then kept; wrapped rather than decorated so that mutation testing reaches the body.
_prototypes = functools.cache(_confusable_prototypes)
