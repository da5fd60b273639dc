"""The first response to an interaction, posted straight to Discord's callback endpoint with a pre-rendered body."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import discord
import orjson

# Response types (Discord: Interaction Response Object): 4 a new message, 7 update the clicked message.
NEW_MESSAGE = 4
UPDATE_MESSAGE = 7

# A first response is only useful within Discord's 3 s; past that the interaction is gone (10062), so a
# stuck connection gives up well before the person could click again. One timer per request either way.
TIMEOUT = aiohttp.ClientTimeout(total=10)
# Discord answers a request it could not serve (5xx, or 429 from its edge with a Via header) with "try again":
# a few quick tries still fit in the 3 s; discord.py's webhook adapter, used before, retried the same way.
ATTEMPTS = 3
RETRY_PAUSE = 0.25
MAX_RETRY_AFTER = 1.0
JSON_HEADERS = {"Content-Type": "application/json"}


class InteractionCallbacks:
    """Posts initial interaction responses over the client's own connection pool.

    Why not `interaction.response.edit_message` / `send_message`: for every click discord.py builds a
    discord.ui.View and a Button per button, serialises the embed again, asks Discord for the created message
    (`with_response`) and parses it into a Message; that was about a third of the bot's CPU per click in
    bench.discord_burst. Here the body is the rendered message (its embed cached per view), serialised once
    with orjson, and Discord answers 204 No Content. Only this one request goes around discord.py: deferrals,
    edits after a deferral and followups still go through it (they are rare).
    """

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def open(self, connector: aiohttp.BaseConnector) -> None:
        """Use `connector` (shared with discord.py's REST calls, so one bounded pool of kept-alive connections)."""
        if self._session is None:
            # The connector's owner (discord.py's HTTP client) closes it; closing this session must not.
            self._session = aiohttp.ClientSession(
                connector=connector, connector_owner=False, timeout=TIMEOUT, cookie_jar=aiohttp.DummyCookieJar()
            )

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def send(self, interaction: discord.Interaction, kind: int, data: dict[str, Any]) -> None:
        """Answer `interaction` with response `kind` and message `data`; raises discord.HTTPException as discord.py would."""
        if self._session is None:
            raise RuntimeError("InteractionCallbacks.send before open(): the client has not logged in")
        # Route.BASE is read per call: configure_endpoints may point it at a gateway proxy or a test fake.
        url = f"{discord.http.Route.BASE}/interactions/{interaction.id}/{interaction.token}/callback"
        body = orjson.dumps({"type": kind, "data": data})
        for attempt in range(1, ATTEMPTS + 1):
            async with self._session.post(url, data=body, headers=JSON_HEADERS) as response:
                # Read even on success, so the connection goes back to the pool instead of being closed half-read.
                raw = await response.read()
                if response.status < 300:
                    return
                payload = _decoded(response, raw)
                pause = _retry_pause(response, payload)
                if attempt < ATTEMPTS and pause is not None:
                    await asyncio.sleep(pause)
                    continue
                raise _error(response, payload)


def _decoded(response: aiohttp.ClientResponse, raw: bytes) -> Any:
    if not raw:
        return None
    if response.content_type == "application/json":
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return raw.decode("utf-8", "replace")


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
