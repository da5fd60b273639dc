"""Display names at their edges: joiners that emoji need are kept, bidi marks and lone surrogates go, marks are capped from the first one."""

from __future__ import annotations

import pytest

from bot.names import clean_display_name, is_control, stacked_marks

ACUTE = "\u0301"  # COMBINING ACUTE ACCENT


@pytest.mark.parametrize(
    "name",
    [
        "Dev \U0001f469\u200d\U0001f4bb",  # woman technologist: woman, ZERO WIDTH JOINER, laptop
        "Flag \U0001f3f3\ufe0f\u200d\U0001f308",  # rainbow flag: a variation selector and a joiner
        "so\u00adft",  # SOFT HYPHEN: a format character that only shows at a line break
    ],
)
def test_format_characters_that_are_not_bidi_controls_are_kept(name: str) -> None:
    assert clean_display_name(name) == name


@pytest.mark.parametrize("mark", ["\u200e", "\u200f", "\u061c"], ids=["LRM", "RLM", "ALM"])
def test_bidi_marks_are_removed_wherever_they_stand(mark: str) -> None:
    assert clean_display_name(f"{mark}Ann{mark}Bo{mark}") == "AnnBo"


def test_a_lone_surrogate_is_removed() -> None:
    # JSON may carry "\ud800" escapes; no terminal or chat can show half a character.
    assert clean_display_name("Ann\ud800Bo") == "AnnBo"
    assert is_control("\ud800") and is_control("\udfff")


@pytest.mark.parametrize(
    ("char", "control"), [("\x00", True), ("\x9b", True), ("\u202e", True), ("\u2066", True), ("\u200d", False), ("a", False)]
)
def test_what_counts_as_a_control_character(char: str, control: bool) -> None:
    assert is_control(char) is control


def test_marks_before_the_first_letter_are_capped_like_any_others() -> None:
    assert clean_display_name(ACUTE * 3 + "Ann") == ACUTE * 3 + "Ann"
    assert clean_display_name(ACUTE * 4 + "Ann") == ACUTE * 3 + "Ann"


def test_marks_before_the_first_letter_count_towards_the_cap_with_no_letter_to_name() -> None:
    assert stacked_marks(ACUTE * 3 + "a") is None
    assert stacked_marks(ACUTE * 4 + "a") == ("", 4)
    assert stacked_marks("a" + ACUTE * 3 + "b" + ACUTE * 5) == ("b", 5)


@pytest.mark.parametrize("brk", ["\n", "\r\n", "\t", "\u2028", "\x1f", "\x85"], ids=["LF", "CRLF", "TAB", "LS", "US", "NEL"])
def test_a_line_break_or_tab_becomes_one_space(brk: str) -> None:
    assert clean_display_name(f"Ann{brk}Bo") == "Ann Bo"


def test_other_control_characters_are_dropped_without_a_space() -> None:
    assert clean_display_name("Ann\x07Bo\x1b[2J") == "AnnBo[2J"


def test_enclosing_marks_count_towards_the_cap_like_accents() -> None:
    circle = "\u20dd"  # COMBINING ENCLOSING CIRCLE
    assert clean_display_name("a" + circle * 4 + "b") == "a" + circle * 3 + "b"
    assert stacked_marks("a" + ACUTE + circle * 3) == ("a", 4)
