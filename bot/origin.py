"""Who acted and where: the identity every adapter hands to the engine."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints

from bot.names import clean_display_name

ID_MAX = 64  # user, space and channel ids; on the terminal the user id is the name given with --user
DISPLAY_NAME_MAX = 200
_Id = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX)]
# Cleaned here, the one boundary every adapter passes: no control character reaches a terminal or a board, a name
# stays on one line, and a letter keeps at most bot.names.MAX_MARKS_PER_LETTER combining marks.
_DisplayName = Annotated[str, BeforeValidator(lambda value: clean_display_name(value) if isinstance(value, str) else value)]


class Origin(BaseModel):
    """The person behind an action. Ids are opaque strings made by the adapter."""

    model_config = ConfigDict(frozen=True)

    platform: Annotated[str, StringConstraints(pattern=r"^[a-z]{1,16}$")]
    space_id: _Id  # Discord guild id, Slack team id, or "local" in the terminal
    user_id: _Id
    # Shown on boards; stored cleaned (see _DisplayName) and escaped by each adapter when rendered.
    display_name: Annotated[_DisplayName, StringConstraints(max_length=DISPLAY_NAME_MAX)] = ""
    is_admin: bool = False
    channel_id: str | None = None
    # In the person's direct messages with the bot, where their runs of every space answer to them (a reminder leads there).
    direct: bool = False
    # The person's IANA timezone when the platform says it (their profile), for their study plan; None when unknown.
    timezone: str | None = None

    @property
    def identity(self) -> tuple[str, str | None, str]:
        """Who may act in a run: (platform, space id, user id), the space left open in direct messages."""
        return (self.platform, None if self.direct else self.space_id, self.user_id)

    @property
    def name(self) -> str:
        return self.display_name.strip() or self.user_id
