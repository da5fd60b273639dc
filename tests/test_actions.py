"""Action ids: round trips, the 100-character limit, and arbitrary input decoding to an action or a clear error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.actions import (
    ACTION_TYPES,
    MAX_ACTION_ID_LENGTH,
    Action,
    ActionIdError,
    AnswerAction,
    NextAction,
    StartAction,
    TipsAction,
    decode,
)

EXAMPLES: list[Action] = [
    AnswerAction(run_id=12, position=3, option_key="full-pipeline"),
    NextAction(run_id=2**62),
    StartAction(deck_id="recsys-platform-engineer"),
    TipsAction(deck_id="a" * 40),
]


@pytest.mark.parametrize("action", EXAMPLES, ids=lambda a: type(a).__name__)
def test_every_action_round_trips_within_discords_custom_id_limit(action: Action) -> None:
    text = action.encode()
    assert text.startswith("rq1:")
    assert len(text) <= MAX_ACTION_ID_LENGTH
    assert decode(text) == action


def test_longest_answer_id_fits_in_100_characters() -> None:
    longest = AnswerAction(run_id=2**62, position=999, option_key="k" * 24)
    assert len(longest.encode()) <= MAX_ACTION_ID_LENGTH


@pytest.mark.parametrize(
    "tampered",
    [
        "",
        "rq1",
        "rq1:",
        "rq2:a:1:0:x",
        "rq1:zz:1",
        "rq1:a:1:0",
        "rq1:a:1:0:x:extra",
        "rq1:a:01:0:x",
        "rq1:a: 1:0:x",
        "rq1:a:-1:0:x",
        "rq1:a:1:0:BAD KEY",
        "rq1:a:1:0:x'; DROP TABLE answers;--",
        "rq1:n:99999999999999999999999",
        "rq1:s:" + "a" * 200,
        "RQ1:n:1",
    ],
)
def test_tampered_ids_raise_action_id_error(tampered: str) -> None:
    with pytest.raises(ActionIdError):
        decode(tampered)


@given(st.one_of(st.text(max_size=300), st.binary(max_size=50), st.integers(), st.none()))
def test_arbitrary_input_decodes_to_an_action_or_a_clear_error(value: object) -> None:
    try:
        action = decode(value)
    except ActionIdError as error:
        assert str(error)
    else:
        assert isinstance(action, tuple(ACTION_TYPES.values()))
        assert action.encode() == value


@given(st.sampled_from(sorted(ACTION_TYPES)), st.lists(st.text(alphabet="0123456789abcdef-:", max_size=12), max_size=4))
def test_near_miss_ids_built_from_real_verbs_decode_canonically_or_fail(verb: str, fields: list[str]) -> None:
    text = ":".join(["rq1", verb, *fields])
    try:
        action = decode(text)
    except ActionIdError:
        return
    assert action.encode() == text
