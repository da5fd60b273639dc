"""Action ids at their edges: the 100-character limit, the bounds of every number, the reason given for a bad id, immutability."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, ClassVar

import pytest
from pydantic import StringConstraints, ValidationError

import bot.actions
from bot.actions import (
    Action,
    ActionIdError,
    AnswerAction,
    BoardPageAction,
    DailyAnswerAction,
    NextAction,
    StartAction,
    decode,
    register,
)

Word = Annotated[str, StringConstraints(pattern=r"^[a-z]+$")]


class WideAction(Action):
    """A made-up action of three free words: no shipped action reaches 100 characters (the longest answer id has 70)."""

    verb: ClassVar[str] = "z"
    first: Word
    second: Word
    third: Word


class BareAction(Action):
    """A made-up action without fields, whose id is the verb alone."""

    verb: ClassVar[str] = "h"


class NoteAction(Action):
    """A made-up action whose one field may hold any text, ':' included."""

    verb: ClassVar[str] = "x"
    note: str


def wide(length: int) -> WideAction:
    """A WideAction whose id ("rq1:z:" + 40 + ":" + 40 + ":" + the rest) is `length` characters long."""
    return WideAction(first="a" * 40, second="b" * 40, third="c" * (length - 88))


@pytest.fixture
def made_up_actions(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Register the made-up actions in a copy of the codec's tables, so no other test ever sees them."""
    monkeypatch.setattr(bot.actions, "ACTION_TYPES", dict(bot.actions.ACTION_TYPES))
    monkeypatch.setattr(bot.actions, "_FIELD_NAMES", dict(bot.actions._FIELD_NAMES))
    for action_type in (WideAction, BareAction):
        register(action_type)
    yield


# The 100-character limit (Discord's custom_id) ---------------------------------------------------


def test_an_action_of_exactly_100_characters_encodes_and_one_of_101_is_refused() -> None:
    assert len(wide(100).encode()) == 100
    with pytest.raises(ValueError, match="over 100 characters"):
        wide(101).encode()


def test_an_id_of_exactly_100_characters_decodes_and_one_of_101_is_refused_as_too_long(made_up_actions: None) -> None:
    exactly = "rq1:z:" + "a" * 40 + ":" + "b" * 40 + ":" + "c" * 12
    assert len(exactly) == 100
    assert decode(exactly) == wide(100)
    with pytest.raises(ActionIdError, match="^action id is too long$"):
        decode(exactly + "c")


def test_the_longest_shipped_ids_are_well_within_100_characters() -> None:
    assert len(AnswerAction(run_id=2**62, position=999, option_key="k" * 40).encode()) == 70
    assert len(DailyAnswerAction(post_id=2**62, option_key="k" * 40).encode()) == 66


# The bounds of every number and slug -------------------------------------------------------------


@pytest.mark.parametrize(("text", "run_id"), [("rq1:n:1", 1), ("rq1:n:4611686018427387904", 2**62)])
def test_run_ids_from_1_to_2_to_the_62_decode(text: str, run_id: int) -> None:
    assert decode(text) == NextAction(run_id=run_id)


@pytest.mark.parametrize("text", ["rq1:n:0", "rq1:n:-1", "rq1:n:4611686018427387905", "rq1:d:0:x", "rq1:d:4611686018427387905:x"])
def test_run_and_post_ids_of_0_or_above_2_to_the_62_are_refused(text: str) -> None:
    with pytest.raises(ActionIdError, match="^a field of the action id is not valid$"):
        decode(text)


@pytest.mark.parametrize("run_id", [0, -1, 2**62 + 1])
def test_an_action_cannot_even_be_made_with_a_run_id_out_of_range(run_id: int) -> None:
    with pytest.raises(ValidationError):
        NextAction(run_id=run_id)
    with pytest.raises(ValidationError):
        DailyAnswerAction(post_id=run_id, option_key="x")


@pytest.mark.parametrize("position", [0, 999])
def test_positions_0_to_999_decode(position: int) -> None:
    assert decode(f"rq1:a:7:{position}:best") == AnswerAction(run_id=7, position=position, option_key="best")


@pytest.mark.parametrize("position", ["-1", "1000"])
def test_positions_minus_1_and_1000_are_refused(position: str) -> None:
    with pytest.raises(ActionIdError, match="^a field of the action id is not valid$"):
        decode(f"rq1:a:7:{position}:best")
    with pytest.raises(ValidationError):
        AnswerAction(run_id=7, position=int(position), option_key="best")


@pytest.mark.parametrize("page", [1, 100_000])
def test_board_pages_1_to_100000_decode(page: int) -> None:
    action = decode(f"rq1:b:people:week:{page}:0123456789ab")
    assert action == BoardPageAction(scope="people", window="week", page=page, asker="0123456789ab")


@pytest.mark.parametrize("page", ["0", "100001"])
def test_board_pages_0_and_100001_are_refused(page: str) -> None:
    with pytest.raises(ActionIdError, match="^a field of the action id is not valid$"):
        decode(f"rq1:b:people:week:{page}:0123456789ab")
    with pytest.raises(ValidationError):
        BoardPageAction(scope="people", window="week", page=int(page), asker="0123456789ab")


@pytest.mark.parametrize("deck", ["a", "a" * 40, "0-deck", "a-"])
def test_deck_ids_of_1_to_40_lowercase_letters_digits_and_hyphens_decode(deck: str) -> None:
    assert decode(f"rq1:s:{deck}") == StartAction(deck_id=deck)


@pytest.mark.parametrize("deck", ["a" * 41, "-deck", "Deck", "de_ck", "dé"])
def test_deck_ids_too_long_or_with_other_characters_are_refused(deck: str) -> None:
    with pytest.raises(ActionIdError, match="^a field of the action id is not valid$"):
        decode(f"rq1:s:{deck}")


@pytest.mark.parametrize("asker", ["0123456789a", "0123456789abc", "0123456789aB"])
def test_a_board_asker_tag_is_exactly_12_lowercase_hex_digits(asker: str) -> None:
    with pytest.raises(ActionIdError, match="^a field of the action id is not valid$"):
        decode(f"rq1:b:people:all:1:{asker}")


# The reason a bad id gets (shown to the person who clicked) ---------------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "an action id must be text"),
        (b"rq1:n:1", "an action id must be text"),
        ("rq1:n:" + "1" * 95, "action id is too long"),
        ("rq2:n:1", "not a recsys-quiz action id (or from an unsupported version)"),
        ("RQ1:n:1", "not a recsys-quiz action id (or from an unsupported version)"),
        ("rq1:zz:1", "unknown action"),
        ("rq1:a:1:0", "wrong number of fields for this action"),
        ("rq1:n:1:2", "wrong number of fields for this action"),
        ("rq1:a:1:0:BAD KEY", "a field of the action id is not valid"),
        ("rq1:n:01", "action id is not in canonical form"),
        ("rq1:n: 1", "action id is not in canonical form"),
        ("rq1:n:+1", "action id is not in canonical form"),
    ],
)
def test_a_bad_id_is_refused_with_the_reason(value: object, reason: str) -> None:
    with pytest.raises(ActionIdError) as refused:
        decode(value)
    assert str(refused.value) == reason


def test_an_action_without_fields_is_its_verb_alone_and_takes_no_field(made_up_actions: None) -> None:
    assert BareAction().encode() == "rq1:h"
    assert decode("rq1:h") == BareAction()
    for aliased, reason in [("rq1:h:x", "wrong number of fields for this action"), ("rq1:h:", "action id is not in canonical form")]:
        with pytest.raises(ActionIdError) as refused:
            decode(aliased)
        assert str(refused.value) == reason


def test_a_field_holding_a_colon_cannot_be_encoded() -> None:
    assert NoteAction(note="plain").encode() == "rq1:x:plain"
    with pytest.raises(ValueError, match="action field contains ':'"):
        NoteAction(note="a:b").encode()


# Registering actions ------------------------------------------------------------------------------


def test_a_registered_action_decodes_by_its_verb(made_up_actions: None) -> None:
    assert decode(wide(95).encode()) == wide(95)


def test_a_verb_already_in_use_is_refused_naming_the_action_that_has_it(made_up_actions: None) -> None:
    class Imposter(Action):
        verb: ClassVar[str] = "n"

    with pytest.raises(ValueError) as refused:
        register(Imposter)
    assert str(refused.value) == "verb 'n' is already used by NextAction"
    assert decode("rq1:n:5") == NextAction(run_id=5)


def test_a_verb_with_a_colon_is_refused(made_up_actions: None) -> None:
    class Colon(Action):
        verb: ClassVar[str] = "c:d"

    with pytest.raises(ValueError) as refused:
        register(Colon)
    assert str(refused.value) == "a verb cannot contain ':'"
    with pytest.raises(ActionIdError, match="^unknown action$"):
        decode("rq1:c")


# Immutability -------------------------------------------------------------------------------------


def test_actions_are_immutable_and_hashable() -> None:
    action = AnswerAction(run_id=12, position=3, option_key="best")
    with pytest.raises(ValidationError, match="frozen"):
        action.run_id = 13  # type: ignore[misc]
    assert action.run_id == 12 and action.encode() == "rq1:a:12:3:best"
    assert len({action, AnswerAction(run_id=12, position=3, option_key="best")}) == 1


def test_an_action_refuses_a_field_it_does_not_have() -> None:
    with pytest.raises(ValidationError, match="extra"):
        NextAction(run_id=1, position=2)  # type: ignore[call-arg]
