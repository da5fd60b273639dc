"""Sending a rendered Reply back to Slack: through the response_url (AsyncWebhookClient) when there is one, else the Web API."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.render import SlackMessage
from adapters.slack.retries import webhook_handlers
from bot.views import Reply

log = logging.getLogger(__name__)

# slack_sdk's webhook default; it applies to a post made without a shared session (main.http_session has its own).
RESPONSE_URL_TIMEOUT = 30


class Target:
    """Where a reply goes: the request's response_url and, as a fallback, the channel and user."""

    def __init__(
        self,
        *,
        response_url: str | None,
        client: AsyncWebClient,
        user_id: str,
        channel_id: str | None,
        from_click: bool,
        message_ts: str | None = None,
        message_is_ephemeral: bool = True,
        direct: bool = False,
    ) -> None:
        self.response_url = response_url
        self.client = client
        self.user_id = user_id
        self.channel_id = channel_id
        self.from_click = from_click
        self.message_ts = message_ts
        self.message_is_ephemeral = message_is_ephemeral
        self.direct = direct  # no channel to answer in (a Home tab button): the reply goes to the app's DM with the person

    @property
    def private_message(self) -> bool:
        """Whether the clicked message is seen by the person alone: ephemeral, or in their DM with the app (ids D...)."""
        return self.message_is_ephemeral or (self.channel_id or "").startswith("D")


async def post_to_response_url(client: AsyncWebClient, response_url: str, **message: Any) -> WebhookResponse:
    """POST `message` to a response_url with slack_sdk's AsyncWebhookClient, over the Web API client's HTTP session
    (keep-alive connections shared with every other call) and through its proxy and TLS settings.

    bolt's own `respond` makes a webhook client without a session, so each post would open a session and a
    connection of its own; and it has no retry handlers.
    """
    webhook = AsyncWebhookClient(
        url=response_url,
        timeout=RESPONSE_URL_TIMEOUT,
        session=client.session,
        proxy=client.proxy,
        ssl=client.ssl,
        retry_handlers=webhook_handlers(),
    )
    return await webhook.send(**message)


async def deliver(reply: Reply, rendered: SlackMessage, target: Target) -> bool:
    """Send the message as the reply asks (ephemeral or not, replacing the clicked card or not); True if Slack took it."""
    # A private reply never replaces a shared message (a daily post): everyone would see one person's feedback.
    replace = reply.replace and target.from_click and (target.private_message or not reply.ephemeral)
    if target.response_url and await _via_response_url(reply, rendered, target, replace=replace):
        return True
    return await _via_web_api(reply, rendered, target, replace)


async def _via_response_url(reply: Reply, rendered: SlackMessage, target: Target, *, replace: bool) -> bool:
    assert target.response_url is not None
    kwargs: dict[str, Any] = {"text": rendered.text, "blocks": list(rendered.blocks)}
    if replace:
        # Updating in place is the only way to change an ephemeral card; response_type is ignored then.
        kwargs["replace_original"] = True
    else:
        kwargs["response_type"] = "ephemeral" if reply.ephemeral else "in_channel"
        if target.from_click:  # a click's response_url replaces the clicked message unless told otherwise
            kwargs["replace_original"] = False
    try:
        response = await post_to_response_url(target.client, target.response_url, **kwargs)
    except Exception as error:  # noqa: BLE001 - network trouble after slack_sdk's retry: the Web API may still get through
        log.warning("posting to the response_url failed (%s: %s); trying the Web API", type(error).__name__, error)
        return False
    if response.status_code != 200:
        log.warning("response_url answered %s: %s", response.status_code, response.body)
        return False
    return True


async def _via_web_api(reply: Reply, rendered: SlackMessage, target: Target, replace: bool) -> bool:
    payload = rendered.payload()
    if target.direct:
        try:
            # chat.postMessage to a user id posts in the app's DM with them (its Messages tab); chat:write covers it.
            await target.client.chat_postMessage(channel=target.user_id, **payload)
        except Exception:  # noqa: BLE001 - logged; the person can click again
            log.exception("delivering a reply to a direct message failed")
            return False
        return True
    if target.channel_id is None:
        log.warning("cannot deliver a reply: no response_url and no channel")
        return False
    try:
        if replace and target.message_ts and not target.message_is_ephemeral:
            await target.client.chat_update(channel=target.channel_id, ts=target.message_ts, **payload)
        elif reply.ephemeral:
            await target.client.chat_postEphemeral(channel=target.channel_id, user=target.user_id, **payload)
        else:
            await target.client.chat_postMessage(channel=target.channel_id, **payload)
    except Exception:  # noqa: BLE001 - logged; the person can click again
        log.exception("delivering a reply through the Web API failed")
        return False
    return True
