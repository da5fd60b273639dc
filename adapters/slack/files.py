"""A file for one person on Slack (their data export): into their direct messages with the app, with files_upload_v2."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.daily import SLACK_FAILURES, publish_error
from bot.views import Attachment


class FileNotSent(Exception):
    """Slack did not take the file; `reason` says why, in words for the person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def send_to_dm(client: AsyncWebClient, user_id: str, attachment: Attachment) -> str:
    """Upload `attachment` into the person's DM with the app; the DM's channel id.

    files.completeUploadExternal shares a file to a channel id only (C..., G..., D...), never to a user id, so the DM is
    opened first (conversations.open, scope im:write); files_upload_v2 then makes its three calls (scope files:write).
    """
    try:
        opened = await client.conversations_open(users=user_id)
        channel = (opened.get("channel") or {}).get("id")
        if not isinstance(channel, str) or not channel:
            raise FileNotSent("Slack did not open a direct message")
        await client.files_upload_v2(
            channel=channel,
            content=attachment.content,
            filename=attachment.filename,
            title=attachment.title,
            initial_comment=f"{attachment.title}: {attachment.filename}",
        )
    except FileNotSent:
        raise
    except SlackApiError as error:
        raise FileNotSent(publish_error(error).reason) from error
    except (*SLACK_FAILURES, SlackClientError) as error:
        raise FileNotSent(f"could not reach Slack: {type(error).__name__}") from error
    return channel
