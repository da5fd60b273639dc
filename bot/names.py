"""Text people name themselves with: what no name may carry (controls, invisible fillers, stacked marks) and cleaning it off."""

from __future__ import annotations

import functools
import re
import unicodedata

# Combining marks one letter may carry. Zalgo text stacks dozens, which smear over the lines of a board; real
# words need up to 3 (pointed Hebrew: shin with dagesh, shin dot and a vowel; Tibetan stacks such as སྒྲུ), and
# UTS #39 (section 5.4) suggests flagging runs of more than 4.
MAX_MARKS_PER_LETTER = 3
MARK_CATEGORIES = ("Mn", "Me")  # nonspacing and enclosing marks: the ones drawn over or under the letter before them

# Line breaks and tabs (C0, C1 and Unicode's line and paragraph separators) become a space; every other control
# character goes. A terminal obeys them (ESC and CSI move the cursor and clear the screen, OSC sets the window
# title), and a bidi override or isolate reverses the text after it on every surface.
_BREAKS = re.compile(r"[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029]")
_BIDI_CONTROLS = frozenset({"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"})
_BIDI_MARKS = frozenset("\u200e\u200f\u061c")  # LRM, RLM, ALM: invisible, and they reorder neutral characters


def is_control(char: str) -> bool:
    """A character no shown name may keep: C0/C1 controls, surrogates, bidi embeddings, overrides, isolates and marks."""
    category = unicodedata.category(char)
    if category in ("Cc", "Cs"):
        return True
    return category == "Cf" and (char in _BIDI_MARKS or unicodedata.bidirectional(char) in _BIDI_CONTROLS)


@functools.cache
def _default_ignorable() -> re.Pattern[str]:
    import regex  # the regex package knows Unicode's properties; the standard re and unicodedata do not

    return regex.compile(r"\p{Default_Ignorable_Code_Point}")  # type: ignore[no-any-return]


def default_ignorable(text: str) -> str | None:
    """The first of Unicode's default-ignorable code points in `text` (shown as nothing: fillers, joiners, selectors)."""
    found = _default_ignorable().search(text)
    return found.group() if found else None


def without_default_ignorables(text: str) -> str:
    return _default_ignorable().sub("", text)


def stacked_marks(text: str) -> tuple[str, int] | None:
    """The first letter (decomposed) carrying more than MAX_MARKS_PER_LETTER combining marks, and how many it carries."""
    base, marks = "", 0
    for char in (*unicodedata.normalize("NFD", text), ""):
        if char and unicodedata.category(char) in MARK_CATEGORIES:
            marks += 1
            continue
        if marks > MAX_MARKS_PER_LETTER:
            return base, marks
        base, marks = char, 0
    return None


def _capped_marks(text: str) -> str:
    kept: list[str] = []
    marks = 0
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.category(char) in MARK_CATEGORIES:
            marks += 1
            if marks > MAX_MARKS_PER_LETTER:
                continue
        else:
            marks = 0
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def clean_display_name(text: str) -> str:
    """A display name as boards may show it: one line, no control characters, at most MAX_MARKS_PER_LETTER marks a letter.

    A name with nothing visible left (only spaces, fillers such as U+3164, zero-width characters) becomes "", so the
    person is shown by their id instead of as a blank.
    """
    if text.isascii() and text.isprintable():  # most names: nothing to clean, and no cost on each click
        return text.strip()
    return _cleaned(text)


def _clean(text: str) -> str:
    text = "".join(char for char in _BREAKS.sub(" ", text) if not is_control(char))
    text = " ".join(_capped_marks(text).split())
    if not without_default_ignorables(text).strip():
        return ""
    return text


# Every click builds an Origin, and a person's name comes again and again: cleaning one took 5-10 µs. Wrapped rather
# than decorated so that mutation testing reaches the body (mutmut leaves decorated functions alone).
_cleaned = functools.lru_cache(maxsize=8192)(_clean)


def clean_lines(text: str) -> str:
    """Text people write at length (an answer in their own words), cleaned as names are but keeping its lines: no control
    character but the line break, at most MAX_MARKS_PER_LETTER marks a letter, no trailing spaces, no run of blank lines."""
    lines = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = "".join(char for char in line.replace("\t", "    ") if not is_control(char) and char not in "\u2028\u2029")
        lines.append(_capped_marks(line).rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
