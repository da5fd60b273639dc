"""The parts of Slack's slash-command and block_actions payloads the adapter relies on, validated."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

# Slack ids (T…, U…, C…, E…) are short; the core allows 64 characters.
SlackId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class MalformedPayload(ValueError):
    """A request whose payload lacks what Slack always sends (who, where, which button)."""


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SlashCommand(_Payload):
    """A slash command invocation (form-encoded fields)."""

    command: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    text: Annotated[str, Field(max_length=4000)] = ""
    team_id: SlackId
    user_id: SlackId
    user_name: str = ""
    channel_id: SlackId | None = None
    response_url: str | None = None
    enterprise_id: str | None = None


class _Ref(_Payload):
    id: SlackId


class ActionUser(_Payload):
    id: SlackId
    username: str = ""
    name: str = ""
    team_id: SlackId | None = None


class ClickedAction(_Payload):
    action_id: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    type: str = "button"


class BlockActions(_Payload):
    """A button click (`block_actions`): who clicked, in which workspace and channel, and which action id."""

    type: Literal["block_actions"]
    user: ActionUser
    team: _Ref | None = None
    channel: _Ref | None = None
    actions: Annotated[list[ClickedAction], Field(min_length=1)]
    response_url: str | None = None
    container: dict[str, Any] = Field(default_factory=dict)
    trigger_id: str | None = None  # opens a modal within 3 s of the click

    @model_validator(mode="after")
    def _has_a_workspace(self) -> BlockActions:
        if self.space_id is None:
            raise ValueError("no team id: neither team.id nor user.team_id is present")
        return self

    @property
    def space_id(self) -> str | None:
        # Org-wide (Enterprise Grid) installs can send team: null; the user's own team id is then the workspace.
        return self.team.id if self.team is not None else self.user.team_id

    @property
    def action_id(self) -> str:
        return self.actions[0].action_id

    @property
    def channel_id(self) -> str | None:
        if self.channel is not None:
            return self.channel.id
        channel = self.container.get("channel_id")
        return channel if isinstance(channel, str) and channel else None


class SubmittedView(_Payload):
    callback_id: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    private_metadata: Annotated[str, Field(max_length=3000)] = ""
    state: dict[str, Any] = Field(default_factory=dict)


class ViewSubmission(_Payload):
    """A submitted modal (`view_submission`): who, in which workspace, the modal's callback_id and what was typed."""

    type: Literal["view_submission"]
    user: ActionUser
    team: _Ref | None = None
    view: SubmittedView

    @property
    def space_id(self) -> str | None:
        return self.team.id if self.team is not None else self.user.team_id

    def value(self, block_id: str, action_id: str) -> str | None:
        """What was typed into an input (None when the state has no such input, or it is not text)."""
        values = self.view.state.get("values")
        block = values.get(block_id) if isinstance(values, dict) else None
        element = block.get(action_id) if isinstance(block, dict) else None
        value = element.get("value") if isinstance(element, dict) else None
        return value if isinstance(value, str) else None


def _problem(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "payload"
    return f"{where}: {first['msg']}"


def parse_command(body: dict[str, Any]) -> SlashCommand:
    try:
        return SlashCommand.model_validate(body)
    except ValidationError as error:
        raise MalformedPayload(_problem(error)) from None


def parse_block_actions(body: dict[str, Any]) -> BlockActions:
    try:
        return BlockActions.model_validate(body)
    except ValidationError as error:
        raise MalformedPayload(_problem(error)) from None


def parse_view_submission(body: dict[str, Any]) -> ViewSubmission:
    try:
        submission = ViewSubmission.model_validate(body)
    except ValidationError as error:
        raise MalformedPayload(_problem(error)) from None
    if submission.space_id is None:
        raise MalformedPayload("no team id: neither team.id nor user.team_id is present")
    return submission
