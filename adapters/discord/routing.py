"""Persistent button routing: every component click goes to the engine by its custom_id, whichever process sent the button."""

from __future__ import annotations

import discord


def clicked_custom_id(interaction: discord.Interaction) -> str | None:
    """The custom_id of a component click (the whole action: the core decodes it), or None for other interactions.

    The one route for buttons is discord.py's documented `on_interaction` event, not a discord.ui.DynamicItem:
    for a DynamicItem discord.py drops a click silently (the person sees "This interaction failed") when its
    custom_id matches no registered template or is missing from the clicked message's components, and it builds a
    whole discord.ui.View of the clicked message for every click. Here every click reaches the engine, which
    answers one it cannot decode with a private notice. No state is needed (the custom_id is the state), so
    buttons keep working after a restart. Nothing else answers clicks: the bot registers no View or DynamicItem.
    """
    if interaction.type is not discord.InteractionType.component:
        return None
    data = interaction.data
    custom_id = data.get("custom_id") if isinstance(data, dict) else None
    # Discord always sends a string; anything else is decoded as the empty id, which the core refuses with a notice.
    return custom_id if isinstance(custom_id, str) else ""
