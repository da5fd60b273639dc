"""Who acted and where: the identity every adapter hands to the engine."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

_Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Origin(BaseModel):
    """The person behind an action. Ids are opaque strings made by the adapter."""

    model_config = ConfigDict(frozen=True)

    platform: Annotated[str, StringConstraints(pattern=r"^[a-z]{1,16}$")]
    space_id: _Id  # Discord guild id, Slack team id, or "local" in the terminal
    user_id: _Id
    # Shown on boards; stored as given and escaped by each adapter when rendered.
    display_name: Annotated[str, StringConstraints(max_length=200)] = ""
    is_admin: bool = False
    channel_id: str | None = None

    @property
    def name(self) -> str:
        return self.display_name.strip() or self.user_id
