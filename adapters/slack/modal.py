"""The form to write an answer in, as a Slack modal (views.open), built with slack_sdk's models, which hold Slack's limits."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import InputBlock, MarkdownTextObject, PlainTextInputElement, PlainTextObject, SectionBlock
from slack_sdk.models.views import View

from adapters.slack.text import clip, escape
from bot.views import WritePrompt

# Slack's modal limits: a title, submit and close text of 24 characters, a callback_id of 255, private_metadata of
# 3,000, a plain_text_input of at most 3,000 characters.
TITLE = 24
ANSWER_MAX = 3000
METADATA_MAX = 3000
SECTION_TEXT = 3000
ANSWER_BLOCK = ANSWER_ACTION = "answer"  # where the answer is in the submission's state


def write_modal(view: WritePrompt, response_url: str | None, channel_id: str | None) -> dict[str, Any]:
    """The modal: the question, then a multi-line input. Its callback_id is the core's action id for the question; its
    private_metadata is where the answer's checklist goes once submitted (the click's response_url and channel)."""
    metadata = json.dumps({"response_url": response_url, "channel_id": channel_id})
    if len(metadata) > METADATA_MAX:  # a response_url is about 100 characters; should one not be, the channel still is
        metadata = json.dumps({"response_url": None, "channel_id": channel_id})
    modal = View(
        type="modal",
        callback_id=view.submit_action_id,
        title=PlainTextObject(text=clip("Write your answer", TITLE)),
        submit=PlainTextObject(text="Check it"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=metadata,
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(text=clip(f"*Question {view.position} / {view.total}*\n{escape(view.prompt)}", SECTION_TEXT))
            ),
            InputBlock(
                block_id=ANSWER_BLOCK,
                label=PlainTextObject(text="Your answer, as you would say it"),
                hint=PlainTextObject(text=f"Next you tick which of the {view.key_points} key points it covered."),
                element=PlainTextInputElement(action_id=ANSWER_ACTION, multiline=True, min_length=1, max_length=ANSWER_MAX),
            ),
        ],
    )
    return modal.to_dict()  # slack_sdk validates the limits here


def metadata_of(private_metadata: str) -> tuple[str | None, str | None]:
    """(response_url, channel id) from a submitted modal's private_metadata; Nones when it holds something else."""
    try:
        data = json.loads(private_metadata)
    except ValueError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    url, channel = data.get("response_url"), data.get("channel_id")
    return (url if isinstance(url, str) else None), (channel if isinstance(channel, str) else None)
