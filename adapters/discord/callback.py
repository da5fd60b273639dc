"""The first response to an interaction, posted straight to Discord's callback endpoint with a pre-rendered body."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
import discord
import orjson

log = logging.getLogger(__name__)

# Response types (Discord: Interaction Response Object): 4 a new message, 7 update the clicked message.
NEW_MESSAGE = 4
UPDATE_MESSAGE = 7

# Discord drops an interaction whose first response has not arrived within 3 s of its creation (10062).
RESPONSE_WINDOW = 3.0
# Every request still gets at least this long: "time left" is our clock against Discord's (the snowflake), and
# an interaction that looks expired by ours may not be by Discord's; its 10062 answer is the one that counts.
MIN_TIMEOUT = 0.25
# Discord answers a request it could not serve (5xx, or 429 from its edge with a Via header) with "try again":
# a few quick tries may still fit in the 3 s; discord.py's webhook adapter, used before, retried the same way.
ATTEMPTS = 3
RETRY_PAUSE = 0.25
MAX_RETRY_AFTER = 1.0
# A connection Discord closed (or reset) before answering: aiohttp does not send a POST again on its own.
DROPPED = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)
# 400 "Interaction has already been acknowledged": on a retry, proof that an earlier try landed after all.
ALREADY_ACKNOWLEDGED = 40060
JSON_HEADERS = {"Content-Type": "application/json"}


def response_deadline(interaction: discord.Interaction) -> float:
    """The event-loop time by which Discord must have the first response: 3 s after it created `interaction`."""
    # created_at comes from the snowflake id, so from Discord's clock. Were ours behind, the age would come out
    # negative and the window longer than Discord's 3 s: it never counts as more than 3 s from now.
    age = max(time.time() - interaction.created_at.timestamp(), 0.0)
    return asyncio.get_running_loop().time() + RESPONSE_WINDOW - age


def time_left(deadline: float) -> float:
    """Seconds until `deadline` (from response_deadline); 0 or less once Discord's 3 s are over."""
    return deadline - asyncio.get_running_loop().time()


class InteractionCallbacks:
    """Posts initial interaction responses over the client's own connection pool.

    Why not `interaction.response.edit_message` / `send_message`: for every click discord.py builds a
    discord.ui.View and a Button per button, serialises the embed again, asks Discord for the created message
    (`with_response`) and parses it into a Message; that was about a third of the bot's CPU per click in
    bench.discord_burst. Here the body is the rendered message (its embed cached per view), serialised once
    with orjson, and Discord answers 204 No Content. Only this one request goes around discord.py: deferrals,
    edits after a deferral and followups still go through it (they are rare).

    `proxy` / `proxy_auth` are those given to the discord.py client (QuizClient passes them on), so this
    request takes the same way out as discord.py's own (and passes them to aiohttp the same way).
    """

    def __init__(self, *, proxy: str | None = None, proxy_auth: aiohttp.BasicAuth | None = None) -> None:
        self._session: aiohttp.ClientSession | None = None
        self.proxy = proxy
        self.proxy_auth = proxy_auth

    def open(self, connector: aiohttp.BaseConnector) -> None:
        """Use `connector` (shared with discord.py's REST calls, so one bounded pool of kept-alive connections)."""
        if self._session is None:
            # The connector's owner (discord.py's HTTP client) closes it; closing this session must not.
            self._session = aiohttp.ClientSession(connector=connector, connector_owner=False, cookie_jar=aiohttp.DummyCookieJar())

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def send(self, interaction: discord.Interaction, kind: int, data: dict[str, Any], deadline: float) -> None:
        """Answer `interaction` with response `kind` and message `data` by `deadline` (see response_deadline).

        Raises discord.HTTPException as discord.py would, TimeoutError once the deadline has passed, and the
        aiohttp.ClientError of a connection that failed twice.
        """
        url = f"{discord.http.Route.BASE}/interactions/{interaction.id}/{interaction.token}/callback"
        body = orjson.dumps({"type": kind, "data": data})
        answers, redialled = 0, False
        while True:
            try:
                response = await self._post(url, body, deadline)
            except DROPPED as error:
                if redialled or time_left(deadline) < MIN_TIMEOUT:
                    raise
                redialled = True
                log.info("interaction %s: the connection dropped before an answer (%r); sending once more", interaction.id, error)
                continue
            answers += 1
            # Read even on success, so the connection goes back to the pool instead of being closed half-read.
            async with response:
                raw = await response.read()
            if response.status < 300:
                return
            payload = _decoded(response, raw)
            if (answers > 1 or redialled) and _code(payload) == ALREADY_ACKNOWLEDGED:
                log.info("interaction %s: a retry found it already acknowledged, so an earlier try landed", interaction.id)
                return
            pause = _retry_pause(response, payload)
            # Only a try that still fits in Discord's 3 s: after them it could only meet 10062.
            if pause is None or answers >= ATTEMPTS or time_left(deadline) - pause < MIN_TIMEOUT:
                raise _error(response, payload)
            await asyncio.sleep(pause)

    async def _post(self, url: str, body: bytes, deadline: float) -> aiohttp.ClientResponse:
        """One try, up to its status and headers; its timeout is what is left of Discord's 3 s."""
        if self._session is None:
            raise RuntimeError("InteractionCallbacks.send before open(): the client has not logged in")
        # The timeout also covers the wait for a free connection in the pool shared with discord.py, which is
        # where the time goes under load; past the 3 s the answer could only be 10062.
        timeout = aiohttp.ClientTimeout(total=max(time_left(deadline), MIN_TIMEOUT))
        return await self._session.post(url, data=body, headers=JSON_HEADERS, timeout=timeout, proxy=self.proxy, proxy_auth=self.proxy_auth)


def _decoded(response: aiohttp.ClientResponse, raw: bytes) -> Any:
    if not raw:
        return None
    if response.content_type == "application/json":
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return raw.decode("utf-8", "replace")


def _code(payload: Any) -> Any:
    """Discord's own error code in an error body (e.g. 10062, 40060), or None."""
    return payload.get("code") if isinstance(payload, dict) else None


def _retry_pause(response: aiohttp.ClientResponse, payload: Any) -> float | None:
    """How long to wait before trying again, or None when trying again is pointless or would not fit in 3 s."""
    if response.status >= 500:
        return RETRY_PAUSE
    # A 429 without Via comes from Cloudflare (an IP ban), not Discord: retrying makes it worse.
    if response.status != 429 or not response.headers.get("Via"):
        return None
    wait = payload.get("retry_after") if isinstance(payload, dict) else None
    if not isinstance(wait, (int, float)):
        return RETRY_PAUSE
    return float(wait) if wait <= MAX_RETRY_AFTER else None


def _error(response: aiohttp.ClientResponse, payload: Any) -> discord.HTTPException:
    """The exception discord.py raises for the same answer, so callers handle both paths alike."""
    message = payload if payload is not None else ""
    if response.status == 404:
        return discord.NotFound(response, message)
    if response.status == 403:
        return discord.Forbidden(response, message)
    if response.status >= 500:
        return discord.DiscordServerError(response, message)
    return discord.HTTPException(response, message)
