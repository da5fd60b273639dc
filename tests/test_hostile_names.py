"""Names that try to impersonate or smear: invisible fillers, look-alike letters, stacked marks, web addresses, controls."""

from __future__ import annotations

import sqlite3
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.content import DeckLibrary
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.store import MIGRATIONS, SQLiteStore
from bot.store.migrations import _statements
from bot.teams import MAX_MARKS_PER_LETTER, TeamNameError, normalise_team_name, team_name_key
from bot.views import Notice, TeamListView
from tests.conftest import person

# Unicode's Default_Ignorable_Code_Point set: invisible, yet not a control or format character to Python (Mn, Lo).
DEFAULT_IGNORABLE = [
    "\u034f",  # COMBINING GRAPHEME JOINER
    "\ufe0f",  # VARIATION SELECTOR-16
    "\u115f",  # HANGUL CHOSEONG FILLER
    "\u1160",  # HANGUL JUNGSEONG FILLER
    "\u3164",  # HANGUL FILLER
    "\uffa0",  # HALFWIDTH HANGUL FILLER
    "\u180b",  # MONGOLIAN FREE VARIATION SELECTOR ONE
    "\u17b4",  # KHMER VOWEL INHERENT AQ
    "\U000e0100",  # VARIATION SELECTOR-17
]


def notice_title(reply: object) -> str:
    view = reply.view  # type: ignore[attr-defined]
    assert isinstance(view, Notice), view
    return view.title


async def team_names(engine: QuizEngine) -> list[str]:
    view = (await engine.team_list(person("anyone"))).view
    assert isinstance(view, TeamListView)
    return [team.name for team in view.teams]


# Default-ignorable code points -------------------------------------------------------------------


@pytest.mark.parametrize("filler", DEFAULT_IGNORABLE, ids=lambda c: f"U+{ord(c):04X}")
def test_a_name_with_a_default_ignorable_code_point_is_refused_naming_it(filler: str) -> None:
    with pytest.raises(TeamNameError, match="invisible") as refused:
        normalise_team_name(f"Te{filler}am")
    assert "U+" in str(refused.value)


@pytest.mark.parametrize("blank", ["\u3164\u3164\u3164", "\u115f\u1160", "\uffa0 \uffa0", "\u034f\u034f"])
def test_a_name_of_only_fillers_is_refused(blank: str) -> None:
    with pytest.raises(TeamNameError):
        normalise_team_name(blank)


@pytest.mark.parametrize("filler", DEFAULT_IGNORABLE, ids=lambda c: f"U+{ord(c):04X}")
async def test_a_filler_cannot_make_a_second_team_that_looks_like_the_first(engine: QuizEngine, filler: str) -> None:
    await engine.team_create(person("a"), "Team")
    reply = await engine.team_create(person("b"), f"Team{filler}")
    assert notice_title(reply) in ("Team name not accepted", "That name is taken")
    assert await team_names(engine) == ["Team"]


# Confusables (UTS #39 skeletons) ------------------------------------------------------------------


@pytest.mark.parametrize(
    "look_alike",
    [
        "\u0422\u0435am",  # Cyrillic capital TE and small IE: "Теam", the example
        "T\u0435am",  # Cyrillic small IE only
        "\u0422\u0415\u0410\u041c",  # all Cyrillic capitals: "ТЕАМ"
        "\u0442\u0435\u0430\u043c",  # the same in small letters: "теам" (the same name ignoring case)
        "\u03a4\u0395\u0391\u039c",  # Greek capitals TAU EPSILON ALPHA MU
        "TEAM",
        "team",
        "Tea\u217f",  # SMALL ROMAN NUMERAL ONE THOUSAND, which NFKC makes an m
        "Tearn",  # r n reads as m
    ],
)
async def test_a_look_alike_of_an_existing_team_is_refused_as_taken(engine: QuizEngine, look_alike: str) -> None:
    await engine.team_create(person("a"), "Team")
    reply = await engine.team_create(person("b"), look_alike)
    assert notice_title(reply) == "That name is taken"
    assert "Team" in reply.view.text  # type: ignore[attr-defined]
    assert await team_names(engine) == ["Team"]


async def test_joining_by_a_look_alike_joins_the_team_that_looks_like_it(engine: QuizEngine) -> None:
    await engine.team_create(person("a"), "Team")
    joined = await engine.team_join(person("b"), "\u0422\u0435am")
    assert notice_title(joined) == "Joined" and "Team" in joined.view.text  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("first", "second"),
    [("Graph Nerds", "Graph Herds"), ("Vector Search", "Vector Searchers"), ("Alpha", "Beta"), ("Team A", "Team B"), ("Café", "Cafe")],
)
async def test_names_that_only_look_alike_by_their_letters_clash_but_different_names_do_not(
    engine: QuizEngine, first: str, second: str
) -> None:
    assert notice_title(await engine.team_create(person("a"), first)) == "Team created"
    assert notice_title(await engine.team_create(person("b"), second)) == "Team created"


@pytest.mark.parametrize(("name", "twin"), [("Team I", "team l"), ("Team 1", "Team l"), ("Team O", "team 0"), ("Tiger", "TIGER")])
def test_the_key_is_shared_by_names_that_look_the_same(name: str, twin: str) -> None:
    assert team_name_key(normalise_team_name(name)) == team_name_key(normalise_team_name(twin))


@given(st.text(alphabet=st.characters(categories=["Lu", "Ll", "Lt", "Nd"]), min_size=2, max_size=20))
def test_the_key_ignores_case_whatever_the_script(name: str) -> None:
    assert team_name_key(name) == team_name_key(name.upper()) == team_name_key(name.lower())


def test_the_key_of_a_prefix_starts_the_key_of_the_name_so_autocomplete_finds_look_alikes() -> None:
    name = "Crème Brûlée Club"
    for end in range(len(name) + 1):
        assert team_name_key(name).startswith(team_name_key(name[:end]))


# Combining marks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("marks", [MAX_MARKS_PER_LETTER + 1, 30])
def test_a_letter_with_more_stacked_marks_than_the_cap_is_refused(marks: int) -> None:
    with pytest.raises(TeamNameError, match="marks"):
        normalise_team_name("Z" + "\u0301" * marks + "ed")


@pytest.mark.parametrize(
    "name",
    [
        "Việt Nam",  # two marks on one letter once decomposed (ệ = e + dot below + circumflex)
        "Crème Brûlée",
        "\u05e9\u05bc\u05c1\u05b7\u05d1\u05bc\u05b8\u05ea",  # pointed Hebrew: shin with dagesh, shin dot and patah
        "\u0f66\u0f92\u0fb2\u0f74\u0f56",  # Tibetan: a stack of three marks under one letter
        "\u0e19\u0e49\u0e33\u0e1c\u0e36\u0e49\u0e07",  # Thai: vowel and tone marks
    ],
)
def test_real_words_with_accents_and_points_are_accepted(name: str) -> None:
    assert normalise_team_name(name) == unicodedata.normalize("NFKC", name)


# Web addresses --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["evil.com", "www.evil.com/login", "EVIL.COM", "Join evil.com now", "(evil.co.uk)", "free-points.example.org", "пример.рф", "a.io"],
)
def test_a_name_that_looks_like_a_web_address_is_refused(address: str) -> None:
    with pytest.raises(TeamNameError, match="web address"):
        normalise_team_name(address)


@pytest.mark.parametrize("name", ["A.I. Club", "St. Louis", "Dr.Who", "Version 2.0", "v1.2.3", "Graph/Vector Nerds", "Q&A"])
def test_dots_and_slashes_that_are_not_web_addresses_are_accepted(name: str) -> None:
    assert normalise_team_name(name) == name


# Display names at the Origin boundary -----------------------------------------------------------------


@pytest.mark.parametrize(
    "hostile",
    [
        "\x1b]0;you have been pwned\x07Eve",  # OSC: sets the terminal's title
        "Eve\x1b[2J\x1b[H",  # CSI: clears the screen, cursor home
        "Eve\x9b2J\x9d0;title\x9c",  # the same as C1 controls
        "Eve\rMallory",  # carriage return: overprints
        "\u202eevE",  # right-to-left override
        "Eve\u2028Mallory",  # line separator
    ],
)
def test_a_display_name_keeps_no_control_character_that_could_reach_a_terminal(hostile: str) -> None:
    name = Origin(platform="slack", space_id="T1", user_id="U1", display_name=hostile).name
    assert "Eve" in name or "evE" in name
    assert not [c for c in name if unicodedata.category(c) in ("Cc", "Zl", "Zp") or unicodedata.bidirectional(c) in ("RLO", "LRO")]


def test_a_display_name_of_only_fillers_or_controls_shows_the_user_id() -> None:
    for blank in ("\u3164\u3164", "\x1b\x07", "\u200b \u034f"):
        assert Origin(platform="discord", space_id="1", user_id="42", display_name=blank).name == "42"


def test_a_display_name_keeps_at_most_the_cap_of_marks_per_letter() -> None:
    origin = Origin(platform="discord", space_id="1", user_id="42", display_name="Z" + "\u0301" * 30 + "oë")
    decomposed = unicodedata.normalize("NFD", origin.display_name)
    assert decomposed == "Z" + "\u0301" * MAX_MARKS_PER_LETTER + "oe\u0308"


@given(st.text(max_size=80))
def test_any_display_name_is_cleaned_to_one_line_without_controls_or_stacked_marks(raw: str) -> None:
    name = Origin(platform="slack", space_id="T1", user_id="U1", display_name=raw).display_name
    assert not [c for c in name if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp")]
    run = 0
    for char in unicodedata.normalize("NFD", name):
        run = run + 1 if unicodedata.category(char) in ("Mn", "Me") else 0
        assert run <= MAX_MARKS_PER_LETTER


# Teams stored before look-alike keys ------------------------------------------------------------------


async def test_teams_stored_with_casefolded_keys_get_look_alike_keys_and_the_oldest_look_alike_keeps_its_name(
    db_path: Path, decks: DeckLibrary
) -> None:
    before = 6  # the last schema whose keys were plain casefolds: migration 7 made them look-alike keys
    with sqlite3.connect(db_path, isolation_level=None) as raw:
        for number, script in enumerate(MIGRATIONS[:before]):
            for statement in _statements(script):
                raw.execute(statement)
            raw.execute(f"PRAGMA user_version = {number + 1}")
        raw.execute(
            "INSERT INTO people (person_id, platform, space_id, user_id, display_name, created_at) VALUES (1, 'console', 'local', 'a', 'a', 0)"
        )
        for team_id, space, name in [
            (1, "local", "Team"),
            (2, "local", "\u0422\u0435am"),
            (3, "local", "Mango"),
            (4, "other", "\u0422\u0435am"),
        ]:
            raw.execute(
                "INSERT INTO teams (team_id, platform, space_id, name, name_key, created_by, created_at) VALUES (?, 'console', ?, ?, ?, 1, 0)",
                (team_id, space, name, name.casefold()),
            )
    async with await SQLiteStore.open(db_path) as store:
        engine = QuizEngine(store, decks)
        assert await team_names(engine) == ["Mango", "Team", "\u0422\u0435am"]  # the younger look-alike keeps its members
        assert notice_title(await engine.team_create(person("b"), "TEAM")) == "That name is taken"
        joined = await engine.team_join(person("c"), "\u0422\u0435am")
        assert notice_title(joined) == "Joined" and "You joined Team." in joined.view.text  # type: ignore[attr-defined]
        assert notice_title(await engine.team_join(person("d"), "mango")) == "Joined"
        elsewhere = await engine.team_join(person("e", space="other"), "team")
        assert notice_title(elsewhere) == "Joined" and "\u0422\u0435am" in elsewhere.view.text  # type: ignore[attr-defined]
    with sqlite3.connect(db_path) as raw:
        keys = dict(raw.execute("SELECT team_id, name_key FROM teams").fetchall())
    assert keys == {1: team_name_key("Team"), 2: team_name_key("Team") + "#2", 3: team_name_key("Mango"), 4: team_name_key("Team")}
