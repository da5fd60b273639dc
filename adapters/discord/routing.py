"""Persistent button routing: every component click goes to the engine, whichever process sent the button."""

from __future__ import annotations

import discord


def clicked_custom_id(interaction: discord.Interaction) -> str | None:
    """The custom_id of a component click (the whole action: the core decodes it), or None for other interactions.

    Clicks are routed from the `interaction` event rather than through a discord.ui.DynamicItem: discord.py
    builds a whole discord.ui.View from the clicked message's components (one Button object per button) and
    runs it in a task of its own for every DynamicItem click, before our callback sees it; that was ~5% of the
    bot's CPU per click in bench.discord_burst. Routing here needs no state either (the custom_id is the
    state), so buttons still work after a restart, and a click discord.py would have dropped silently (an id
    that is not ours, a message without the component) reaches the engine, which answers it with a notice.
    """
    if interaction.type is not discord.InteractionType.component:
        return None
    return str((interaction.data or {}).get("custom_id", ""))
