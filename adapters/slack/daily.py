"""Daily question posts on Slack: the publisher (chat.postMessage / chat.update / chat.delete) and the `daily set` channel check."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import SlackMessage, render
from bot.daily import DailyTarget, PublishError
from bot.views import DailyPostView, DigestView

log = logging.getLogger(__name__)

INVITE = "/invite @recsys-quiz"
# Slack errors that another attempt cannot fix: someone has to invite the bot, unarchive or reinstall.
REFUSALS: dict[str, str] = {
    "not_in_channel": f"the bot is not a member of this channel: invite it with {INVITE}",
    "channel_not_found": f"Slack cannot find the channel, or the bot cannot see it (a private channel or a DM): invite it with {INVITE}",
    "is_archived": "the channel is archived",
    "missing_scope": "the app lacks a scope it needs (chat:write, files:write, im:write): reinstall it from adapters/slack/manifest.yaml",
    "restricted_action": "the workspace does not let the bot post in this channel",
    "not_authed": "SLACK_BOT_TOKEN is missing",
    "invalid_auth": "Slack refused SLACK_BOT_TOKEN",
    "token_revoked": "SLACK_BOT_TOKEN was revoked",
    "account_inactive": "the app was uninstalled or its token revoked",
    "invalid_blocks": "Slack refused the message layout",
    "msg_too_long": "the message is too long for Slack",
    "message_not_found": "the post was deleted",
    "cant_update_message": "the post can no longer be edited",
}


def _error_code(error: SlackApiError) -> str | None:
    data = error.response.data
    code = data.get("error") if isinstance(data, dict) else None
    return str(code) if code else None


def publish_error(error: Exception) -> PublishError:
    """A Slack failure as the core's PublishError: a refusal is final, a rate limit, 5xx or network error is retried."""
    if isinstance(error, SlackApiError):
        code = _error_code(error)
        status = error.response.status_code
        if code in REFUSALS:
            return PublishError(f"{REFUSALS[code]} ({code})", retryable=False)
        if code == "ratelimited" or status == 429:
            return PublishError("Slack asked the bot to slow down (ratelimited)", retryable=True)
        if status >= 500:
            return PublishError(f"Slack is having trouble (HTTP {status})", retryable=True)
        # An error this adapter does not know: log it, and let the core's backoff try again.
        return PublishError(f"Slack refused the call ({code or f'HTTP {status}'})", retryable=True)
    return PublishError(f"could not reach Slack ({type(error).__name__}: {error})", retryable=True)


# What counts as "Slack or the network failed" rather than a bug in this adapter.
SLACK_FAILURES = (SlackApiError, aiohttp.ClientError, asyncio.TimeoutError, OSError)


class SlackDailyPublisher:
    """bot.daily.DailyPublisher for Slack: one shared channel message per post, edited for counts and the reveal.

    One bot token serves one workspace, so the target's space is the token's workspace.
    """

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def post(self, target: DailyTarget, view: DailyPostView) -> str:
        """chat.postMessage; the message ts is the reference for later chat.update calls."""
        response = await self.send(target.channel_id, render(view))
        ts = response.get("ts") if isinstance(response, dict) else None
        if not isinstance(ts, str) or not ts:
            raise PublishError("Slack did not return the message ts", retryable=True)
        return ts

    async def edit(self, target: DailyTarget, message_ref: str, view: DailyPostView) -> None:
        """chat.update of the post; an edit Slack refuses for good (post deleted, bot removed) is given up, and logged.

        The core retries a failed edit at every tick (every 5 s): raising for a deleted post would spend
        chat.update's rate limit (Tier 3, about 50 a minute per workspace) on it forever, starving the good posts.
        """
        rendered = render(view)
        try:
            await self.client.chat_update(channel=target.channel_id, ts=message_ref, **rendered.payload())
        except SLACK_FAILURES as error:
            failure = publish_error(error)
            if failure.retryable:
                raise failure from error
            log.warning("giving up editing daily post %s in channel %s: %s", message_ref, target.channel_id, failure.reason)

    async def delete(self, target: DailyTarget, message_ref: str) -> None:
        """chat.delete of a message the bot posted (its bot token may delete its own)."""
        try:
            await self.client.chat_delete(channel=target.channel_id, ts=message_ref)
        except SLACK_FAILURES as error:
            raise publish_error(error) from error

    async def announce(self, channel_id: str, text: str) -> None:
        """A short plain message to the channel; PublishError says why the bot cannot post there."""
        await self.send(channel_id, SlackMessage(text=text, blocks=()))

    async def send(self, channel_id: str, rendered: SlackMessage) -> dict[str, object]:
        """chat.postMessage of a rendered message to a channel; PublishError says why Slack did not take it."""
        payload = rendered.payload()
        if not payload["blocks"]:
            del payload["blocks"]
        try:
            # No link previews: a question that mentions a URL should not grow a card under it.
            response = await self.client.chat_postMessage(channel=channel_id, unfurl_links=False, unfurl_media=False, **payload)
        except SLACK_FAILURES as error:
            raise publish_error(error) from error
        return dict(response.data) if isinstance(response.data, dict) else {}


class SlackDigestPublisher:
    """bot.digest.DigestPublisher for Slack: the digest as a channel message, then its chart uploaded to the channel.

    The chart goes with files_upload_v2 (files.getUploadURLExternal, the upload, files.completeUploadExternal), which
    needs the files:write scope. It follows the message: a chart Slack refuses is logged and the digest still counts
    as sent, as sending it again would post the message twice.
    """

    def __init__(self, channel: SlackDailyPublisher) -> None:
        self.channel = channel

    async def post(self, target: DailyTarget, view: DigestView, chart: bytes) -> str:
        response = await self.channel.send(target.channel_id, render(view))
        ts = response.get("ts")
        if not isinstance(ts, str) or not ts:
            raise PublishError("Slack did not return the message ts", retryable=True)
        try:
            await self.channel.client.files_upload_v2(
                channel=target.channel_id,
                content=chart,
                filename=view.chart_filename,
                title=view.chart_title,
                alt_txt=view.chart_title,
                initial_comment=f"{view.chart_title} ({view.week}, times in {view.timezone})",
            )
        except (*SLACK_FAILURES, SlackClientError) as error:
            log.warning("the digest's chart could not be uploaded to channel %s: %s", target.channel_id, publish_error(error).reason)
        return ts
