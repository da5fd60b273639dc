"""Button action ids: every button carries its own action as a short versioned string (`rq1:...`)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

PREFIX = "rq1"
# Discord's custom_id limit; Slack allows 255 for action_id, so the smaller one rules.
MAX_ACTION_ID_LENGTH = 100

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
RowId = Annotated[int, Field(ge=1, le=2**62)]
Position = Annotated[int, Field(ge=0, le=999)]
# Ties a button to the person who asked for the message it is on (bot.boards.asker_tag: 12 hex digits).
Asker = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{12}$")]


class ActionIdError(ValueError):
    """An action id that does not decode to a known action (tampered, truncated or from elsewhere)."""


class Action(BaseModel):
    """Base of every action a button can carry; `verb` and the field order define the id."""

    # defer_build: a model's validator is built on first use, so start-up only pays for the models it uses.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    verb: ClassVar[str]

    def encode(self) -> str:
        return encode(self)


class AnswerAction(Action):
    """Pick an option (by its stable key) for the question at `position` in a personal run."""

    verb: ClassVar[str] = "a"
    run_id: RowId
    position: Position
    option_key: Slug


class NextAction(Action):
    """Go on in a personal run: the next unanswered question, or the score card when done."""

    verb: ClassVar[str] = "n"
    run_id: RowId


class StartAction(Action):
    """Start (or resume) a personal run of a deck."""

    verb: ClassVar[str] = "s"
    deck_id: Slug


class TipsAction(Action):
    """Show a deck's answer-structure tips."""

    verb: ClassVar[str] = "t"
    deck_id: Slug


class BoardPageAction(Action):
    """Show another page of a board; `asker` ties the buttons to the person who asked for it."""

    verb: ClassVar[str] = "b"
    scope: Annotated[str, StringConstraints(pattern=r"^(people|teams)$")]
    window: Annotated[str, StringConstraints(pattern=r"^(week|month|all)$")]
    page: Annotated[int, Field(ge=1, le=100_000)]
    asker: Asker


class DailyAnswerAction(Action):
    """Answer a daily question post (anyone in the channel, once)."""

    verb: ClassVar[str] = "d"
    post_id: RowId
    option_key: Slug


class ForgetAction(Action):
    """Answer forget-me's confirmation: `yes` deletes the asker's data, `no` keeps it. `asker` ties the buttons to the
    person who asked, `issued` (seconds since the epoch) lets an old confirmation expire."""

    verb: ClassVar[str] = "f"
    choice: Annotated[str, StringConstraints(pattern=r"^(yes|no)$")]
    asker: Asker
    issued: Annotated[int, Field(ge=0, le=2**40)]


class ReviewAction(Action):
    """Start (or resume) a review of the questions due; `space_id` names whose (a reminder in direct messages names the
    space the person studies in), empty for the space clicked in."""

    verb: ClassVar[str] = "r"
    space_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{0,64}$")] = ""


class WriteAction(Action):
    """Write an answer in one's own words to the question at `position` of a run: opens the form, and names its submission."""

    verb: ClassVar[str] = "w"
    run_id: RowId
    position: Position


# A bit per key point (a question has at most 7): the checklist's state travels in its buttons' ids.
Ticks = Annotated[int, Field(ge=0, le=2**7 - 1)]


class TickAction(Action):
    """Show a written answer's checklist with these key points ticked."""

    verb: ClassVar[str] = "k"
    written_id: RowId
    ticked: Ticks


class GradeAction(Action):
    """Grade a written answer by the key points ticked (once), and show the best answer."""

    verb: ClassVar[str] = "g"
    written_id: RowId
    ticked: Ticks


ACTION_TYPES: dict[str, type[Action]] = {}
_FIELD_NAMES: dict[str, tuple[str, ...]] = {}  # verb -> the action's fields in id order


def register(action_type: type[Action]) -> type[Action]:
    """Add an action type to the codec; verbs must be unique."""
    if action_type.verb in ACTION_TYPES:
        raise ValueError(f"verb {action_type.verb!r} is already used by {ACTION_TYPES[action_type.verb].__name__}")
    if ":" in action_type.verb:
        raise ValueError("a verb cannot contain ':'")
    ACTION_TYPES[action_type.verb] = action_type
    _FIELD_NAMES[action_type.verb] = tuple(action_type.model_fields)
    return action_type


for _type in (
    AnswerAction,
    NextAction,
    StartAction,
    TipsAction,
    BoardPageAction,
    DailyAnswerAction,
    ReviewAction,
    WriteAction,
    TickAction,
    GradeAction,
    ForgetAction,
):
    register(_type)


def encode(action: Action) -> str:
    """The action as `rq1:<verb>:<field>:...`, in field order."""
    values = [str(value) for value in action.__dict__.values()]  # pydantic keeps fields in declaration order
    if any(":" in value for value in values):
        raise ValueError(f"action field contains ':': {action!r}")
    text = ":".join((PREFIX, action.verb, *values))
    if len(text) > MAX_ACTION_ID_LENGTH:
        raise ValueError(f"action id over {MAX_ACTION_ID_LENGTH} characters: {text!r}")
    return text


def decode(text: object) -> Action:
    """Parse an action id; anything but a canonical id of a known action raises ActionIdError."""
    if not isinstance(text, str):
        raise ActionIdError("an action id must be text")
    if len(text) > MAX_ACTION_ID_LENGTH:
        raise ActionIdError("action id is too long")
    prefix, _, rest = text.partition(":")
    if prefix != PREFIX:
        raise ActionIdError("not a recsys-quiz action id (or from an unsupported version)")
    verb, separator, rest = rest.partition(":")
    action_type = ACTION_TYPES.get(verb)
    if action_type is None:
        raise ActionIdError("unknown action")
    names = _FIELD_NAMES[verb]
    values = rest.split(":") if names else ([] if rest == "" else [rest])
    # "rq1:r" is not "rq1:r:" (a review here, its one field empty): an action with fields always has the colon.
    if len(values) != len(names) or (names and not separator):
        raise ActionIdError("wrong number of fields for this action")
    try:
        action = action_type.model_validate(dict(zip(names, values, strict=True)))
    except ValidationError:
        raise ActionIdError("a field of the action id is not valid") from None
    # Only the canonical spelling is accepted: "012", " 12" or a trailing ":" never alias another button.
    if encode(action) != text:
        raise ActionIdError("action id is not in canonical form")
    return action
