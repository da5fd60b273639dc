"""Sending a rendered Reply back to Slack: through the response_url when there is one, else the Web API."""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
import orjson
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookResponse

from adapters.slack.render import SlackMessage
from bot.views import Reply

log = logging.getLogger(__name__)


class Target:
    """Where a reply goes: the response_url of the request and, as a fallback, the channel and user."""

    def __init__(
        self,
        *,
        respond: AsyncRespond | None,
        client: AsyncWebClient,
        user_id: str,
        channel_id: str | None,
        from_click: bool,
        message_ts: str | None = None,
        message_is_ephemeral: bool = True,
    ) -> None:
        self.respond = respond
        self.client = client
        self.user_id = user_id
        self.channel_id = channel_id
        self.from_click = from_click
        self.message_ts = message_ts
        self.message_is_ephemeral = message_is_ephemeral


RESPONSE_URL_TIMEOUT = aiohttp.ClientTimeout(total=30)  # slack_sdk's webhook default
_JSON = {"Content-Type": "application/json;charset=utf-8"}
# A kept-alive connection the other end has just closed: the post is sent again once, as slack_sdk's
# connection-error retry handler does.
_STALE_CONNECTION = (aiohttp.ServerDisconnectedError, aiohttp.ServerConnectionError, aiohttp.ClientOSError)


def _json(message: dict[str, Any]) -> bytes:
    """The message as JSON: orjson (UTF-8 where json.dumps writes \\u escapes, as the charset says) in a fifth of the
    json module's time, a feedback card's blocks being the biggest encoding job of a click. A lone surrogate (which
    a JSON payload's escapes can carry into a fallback name) is refused by orjson: json escapes it, as before."""
    try:
        return orjson.dumps(message)
    except orjson.JSONEncodeError:
        return json.dumps(message).encode()


async def respond_via(respond: AsyncRespond, client: AsyncWebClient | None, **message: Any) -> WebhookResponse:
    """POST `message` to the request's response_url, through the Web API client's HTTP session when it has one.

    bolt's `respond` makes a new AsyncWebhookClient without a session, so every post would open a new
    session and connection. Here the post goes straight through the shared session (keep-alive), as the same
    JSON slack_sdk's webhook client sends, without its per-post client set-up (about a quarter of a
    click's work was the two HTTP calls' layers).
    """
    url = respond.response_url
    session = client.session if client is not None else None
    if url is None or session is None or session.closed:
        return await respond(**message)
    return await _post_through(session, respond, url, _body(message))


def _body(message: dict[str, Any]) -> bytes:
    """The JSON slack_sdk's webhook client sends: fields set to None left out."""
    return _json({k: v for k, v in message.items() if v is not None})


async def _post_through(session: aiohttp.ClientSession, respond: AsyncRespond, url: str, body: bytes) -> WebhookResponse:
    """The post through aiohttp's client and the shared session."""
    for attempt in (1, 2):
        try:
            async with session.post(
                url,
                data=body,
                headers=_JSON,
                proxy=respond.proxy,
                ssl=respond.ssl if respond.ssl is not None else True,
                timeout=RESPONSE_URL_TIMEOUT,
            ) as response:
                # read() and UTF-8 (Slack answers `ok` or an error code in ASCII): text() would guess the charset.
                text = (await response.read()).decode("utf-8", "replace")
                return WebhookResponse(url=url, status_code=response.status, body=text, headers=dict(response.headers))
        except _STALE_CONNECTION:
            if attempt == 2:
                raise
            log.info("the response_url connection was closed; posting again")
    raise AssertionError("unreachable")


async def deliver(reply: Reply, rendered: SlackMessage, target: Target) -> bool:
    """Send the message as the reply asks (ephemeral or not, replacing the clicked card or not); True if Slack took it."""
    # A private reply never replaces a shared message (a daily post): everyone would see one person's feedback.
    replace = reply.replace and target.from_click and (target.message_is_ephemeral or not reply.ephemeral)
    if target.respond is not None and target.respond.response_url:
        if await _via_response_url(reply, rendered, target, replace=replace):
            return True
    return await _via_web_api(reply, rendered, target, replace)


async def _via_response_url(reply: Reply, rendered: SlackMessage, target: Target, *, replace: bool) -> bool:
    assert target.respond is not None
    kwargs: dict[str, Any] = {"text": rendered.text, "blocks": list(rendered.blocks)}
    if replace:
        # Updating in place is the only way to change an ephemeral card; response_type is ignored then.
        kwargs["replace_original"] = True
    else:
        kwargs["response_type"] = "ephemeral" if reply.ephemeral else "in_channel"
        if target.from_click:  # a click's response_url replaces the clicked message unless told otherwise
            kwargs["replace_original"] = False
    try:
        response = await respond_via(target.respond, target.client, **kwargs)
    except Exception:  # noqa: BLE001 - network trouble: the Web API may still get through
        log.exception("posting to the response_url failed")
        return False
    if response.status_code != 200:
        log.warning("response_url answered %s: %s", response.status_code, response.body)
        return False
    return True


async def _via_web_api(reply: Reply, rendered: SlackMessage, target: Target, replace: bool) -> bool:
    if target.channel_id is None:
        log.warning("cannot deliver a reply: no response_url and no channel")
        return False
    payload = rendered.payload()
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
