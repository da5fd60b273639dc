"""The form to write an answer in, as a Discord modal, and reading the answer back from its submission."""

from __future__ import annotations

from typing import Any

import discord

from adapters.discord.limits import clip
from bot.views import WritePrompt

# Discord's modal limits: title 45 characters, custom_id 100, a label 45 and its description 100, a text input's
# value at most 4,000 characters, a text display's content 4,000.
MODAL_TITLE = 45
LABEL = 45
LABEL_DESCRIPTION = 100
ANSWER_MAX = 4000
TEXT_DISPLAY = 4000
ANSWER_INPUT = "answer"  # the text input's custom_id: its value is the answer


def write_modal(view: WritePrompt) -> discord.ui.Modal:
    """The modal: the question as text, then a paragraph input for the answer. Its custom_id is the core's action id for
    the question, which its submission brings back: nothing of it is kept in memory (the modal is stopped before it
    is sent, so discord.py keeps no copy and the submission is routed like a click, see client.on_interaction)."""
    modal = discord.ui.Modal(title=clip(f"Your answer · {view.topic}", MODAL_TITLE), custom_id=view.submit_action_id, timeout=None)
    modal.add_item(discord.ui.TextDisplay(clip(f"**Question {view.position} / {view.total}**\n{view.prompt}", TEXT_DISPLAY)))
    answer = discord.ui.TextInput(
        custom_id=ANSWER_INPUT,
        style=discord.TextStyle.paragraph,
        placeholder="As you would say it in the interview",
        min_length=1,
        max_length=ANSWER_MAX,
        required=True,
    )
    description = f"Next you tick which of the {view.key_points} key points it covered."
    modal.add_item(discord.ui.Label(text="Your answer", description=clip(description, LABEL_DESCRIPTION), component=answer))
    modal.stop()
    return modal


def submitted_text(data: object) -> str | None:
    """The answer in a MODAL_SUBMIT's data (inside a label, or an action row as older clients send it); None if absent."""
    if not isinstance(data, dict):
        return None
    return _find(data.get("components"))


def _find(components: Any) -> str | None:
    for component in components if isinstance(components, list) else ():
        if not isinstance(component, dict):
            continue
        if component.get("custom_id") == ANSWER_INPUT and isinstance(component.get("value"), str):
            return component["value"]
        inner = component.get("components") if component.get("type") == 1 else [component.get("component")]
        found = _find(inner)
        if found is not None:
            return found
    return None
