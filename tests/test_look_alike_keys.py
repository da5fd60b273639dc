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
