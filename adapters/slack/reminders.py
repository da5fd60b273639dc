"""Review reminders on Slack: a direct message from the app (chat.postMessage to the person's user id, in the app's
Messages tab)."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.daily import SLACK_FAILURES, publish_error
from adapters.slack.render import render
from bot.reminders import RecipientRefused, ReminderTarget
from bot.views import Notice

# Slack's answers that mean this person cannot get the app's direct messages any more: they left the workspace or were
# deactivated (user_not_found, user_disabled, channel_not_found for their DM), or the id is a bot's (cannot_dm_bot).
# Reminders are then switched off for them; any other refusal (the app's Messages tab off, a missing scope) is the
# operator's to fix and leaves them on.
GONE: dict[str, str] = {
    "user_not_found": "Slack no longer knows your account in this workspace",
    "user_disabled": "your Slack account in this workspace is deactivated",
    "channel_not_found": "Slack cannot open a direct message with you",
    "cannot_dm_bot": "Slack does not let the app message a bot user",
    "is_archived": "your direct messages with the app are archived",
}


class SlackReminderSender:
    """bot.reminders.ReminderSender for Slack: chat.postMessage with the person's user id as the channel."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def send(self, target: ReminderTarget, view: Notice) -> None:
        try:
            await self.client.chat_postMessage(channel=target.user_id, unfurl_links=False, unfurl_media=False, **render(view).payload())
        except SLACK_FAILURES as error:
            code = error.response.get("error") if isinstance(error, SlackApiError) else None
            if isinstance(code, str) and code in GONE:
                raise RecipientRefused(f"{GONE[code]} ({code})") from error
            raise publish_error(error) from error
