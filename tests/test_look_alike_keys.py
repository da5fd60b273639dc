"""Team-name keys of letters from other scripts: small letters that copy Latin ones, and right-to-left look-alikes."""

from __future__ import annotations

import pytest

from bot.teams import team_name_key


@pytest.mark.parametrize(
    ("name", "twin"),
    [
        ("Сгеw", "Crew"),  # Cyrillic С, г, е: the small г copies r, although its capital Г copies no Latin letter
        ("νοte", "vote"),  # Greek ν, ο
        ("σne", "one"),  # Greek σ copies o
        ("Ꭵnk", "lnk"),  # Cherokee Ꭵ copies i, which keys as l
    ],
)
def test_a_small_letter_that_copies_a_latin_one_keys_as_that_letter(name: str, twin: str) -> None:
    assert team_name_key(name) == team_name_key(twin)


@pytest.mark.parametrize("look_alike", ["Bow\u05d5", "Bow\u05df", "Bow\u0627"], ids=["Hebrew vav", "Hebrew final nun", "Arabic alef"])
def test_a_right_to_left_letter_that_looks_like_l_keys_as_l(look_alike: str) -> None:
    assert team_name_key(look_alike) == team_name_key("Bowl")


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Đorđe", "d\u0335ord\u0335e"),  # Đ and đ key as d with a short stroke overlay
        ("Ørsted", "o\u0337rsted"),  # Ø keys as o with a short solidus overlay
        ("\u05d4\u05e4\u05d5\u05e2\u05dc", "\u05d4\u05e4l\u05e2\u05dc"),  # Hebrew: vav keys as l, the others as themselves
        ("\u0a07\u0a70\u0a21\u0a40\u0a06", "\u0a72\u0a3f\u0a70\u0a21\u0a40\u0a05\u0a3e"),  # Gurmukhi: vowels as base letter and sign
        ("Sa\u02bfid", "sa\u0559ld"),  # the ʿayn of transliteration keys as the Armenian half ring
    ],
)
def test_the_key_stored_for_a_name_stays_the_same(name: str, key: str) -> None:
    # Keys are stored with each team: one that changed would hide a team from `join` and let its look-alike in
    # (a newer confusables table needs the keys made anew, as migration 7 does).
    assert team_name_key(name) == key
