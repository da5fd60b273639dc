"""Team names at their edges: 2 and 32 characters, scripts with spacing marks, and the exact reason each refusal gives."""

from __future__ import annotations

import pytest

from bot.engine import QuizEngine
from bot.teams import TeamNameError, normalise_team_name, web_address_in
from bot.views import Notice, TeamListView
from tests.conftest import person


def refusal(raw: str) -> str:
    with pytest.raises(TeamNameError) as refused:
        normalise_team_name(raw)
    return str(refused.value)


# Length: 2 to 32 characters, counted on the name as stored ----------------------------------------


@pytest.mark.parametrize("name", ["ab", "Q7", "a" * 32, "Retrieval and Ranking Study Club"])
def test_names_of_2_to_32_characters_are_accepted(name: str) -> None:
    assert normalise_team_name(name) == name


def test_a_name_of_33_characters_is_refused_saying_how_long_it_is() -> None:
    assert refusal("a" * 33) == "A team name needs 2 to 32 characters; this one has 33."


def test_a_name_of_1_character_is_refused_saying_how_long_it_is() -> None:
    assert refusal("a") == "A team name needs 2 to 32 characters; this one has 1."


def test_length_is_counted_after_spaces_are_trimmed_and_collapsed() -> None:
    assert normalise_team_name("   " + "a" * 32 + "   ") == "a" * 32
    assert normalise_team_name("a" * 15 + "     " + "b" * 16) == "a" * 15 + " " + "b" * 16
    assert refusal(" a ") == "A team name needs 2 to 32 characters; this one has 1."


async def test_a_team_of_32_characters_is_created_and_one_of_33_is_refused_changing_nothing(engine: QuizEngine) -> None:
    longest = "Thirty Two Characters Team Name!"
    assert len(longest) == 32
    created = (await engine.team_create(person("a"), longest)).view
    assert isinstance(created, Notice) and created.title == "Team created"
    refused = (await engine.team_create(person("b"), longest + "s")).view
    assert isinstance(refused, Notice) and refused.title == "Team name not accepted"
    assert refused.text == "A team name needs 2 to 32 characters; this one has 33. Nothing was changed."
    teams = (await engine.team_list(person("c"))).view
    assert isinstance(teams, TeamListView) and [t.name for t in teams.teams] == [longest]


# Letters of every script, spacing marks included --------------------------------------------------


@pytest.mark.parametrize("name", ["भारत टीम", "தமிழ் குழு", "ক্লাব"])
def test_names_in_scripts_with_spacing_vowel_signs_are_accepted(name: str) -> None:
    # Devanagari ा and Tamil ி are spacing marks (Mc), Bengali ্ a non-spacing one (Mn): words in these scripts need them.
    assert normalise_team_name(name) == name


# The reason for each refusal ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("Team\tOne", "A team name cannot contain invisible or control characters such as '\\t'."),
        ("Team\u200bOne", "A team name cannot contain invisible or control characters such as '\\u200b'."),
        ("Te\u3164am", "A team name cannot contain invisible characters such as U+1160 HANGUL JUNGSEONG FILLER."),
        ("   ", "A team name cannot be empty or only spaces."),
        ("", "A team name cannot be empty or only spaces."),
        ("!?", "A team name needs at least one letter or digit."),
        ("-- .. --", "A team name needs at least one letter or digit."),
        ("@everyone", "A team name can use letters, digits, spaces and - . ' & + ! ? ( ) , / only; '@' is not allowed."),
        ("a\\b", "A team name can use letters, digits, spaces and - . ' & + ! ? ( ) , / only; '\\' is not allowed."),
    ],
)
def test_a_refused_name_gets_the_reason(raw: str, reason: str) -> None:
    assert refusal(raw) == reason


@pytest.mark.parametrize(("separator", "shown"), [("\u2028", "'\\u2028'"), ("\u2029", "'\\u2029'"), ("\u1680", "'\\u1680'")])
def test_a_line_separator_or_an_unusual_space_between_words_is_refused_and_shown_escaped(separator: str, shown: str) -> None:
    # Python's str.split() would take these for spaces; a board would show a line break or a space that is not one.
    assert refusal(f"Team{separator}One") == (
        f"A team name can use letters, digits, spaces and - . ' & + ! ? ( ) , / only; {shown} is not allowed."
    )


def test_a_letter_with_too_many_marks_is_named_in_the_refusal() -> None:
    assert refusal("Cafe\u0301\u0301\u0301\u0301 Club") == "A letter in a team name can carry at most 3 accents or other marks; 'e' has 4."


def test_a_dotted_word_that_is_not_on_the_public_suffix_list_is_no_web_address() -> None:
    assert web_address_in("team.notatld") is None
    assert web_address_in("Join team.io now") == "team.io"
