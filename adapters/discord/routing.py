"""Persistent button routing: one DynamicItem takes every `rq1:` custom_id, whichever process sent the button."""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord

from bot.actions import PREFIX

# Every action id the core issues starts with "rq1:"; later versions get their own prefix and template.
TEMPLATE = re.compile(rf"{PREFIX}:.*")


class ClickHandler(Protocol):
    async def click(self, interaction: discord.Interaction, custom_id: str) -> None: ...


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    """Any button the bot ever sent: the custom_id is the whole state, decoded by the core on each click."""

    def __init__(self, custom_id: str) -> None:
        super().__init__(discord.ui.Button(custom_id=custom_id, label="…"))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ActionButton:
        return cls(match.string)

    async def callback(self, interaction: discord.Interaction) -> None:
        handler: ClickHandler = interaction.client  # type: ignore[assignment]  # always our QuizClient
        await handler.click(interaction, self.custom_id)


def routed_by_dynamic_item(interaction: discord.Interaction, custom_id: str) -> bool:
    """Whether discord.py will hand this click to ActionButton.

    It does so only when the id matches the template *and* the clicked message (sent along by Discord)
    lists a component with that id; otherwise it drops the click silently, so the caller answers it.
    """
    if TEMPLATE.fullmatch(custom_id) is None or interaction.message is None:
        return False
    for row in interaction.message.components:
        for component in getattr(row, "children", [row]):
            if getattr(component, "custom_id", None) == custom_id:
                return True
    return False
