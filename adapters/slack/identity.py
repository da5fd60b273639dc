"""Who acted: turns a Slack user into the core's Origin, with names and admin flags from users.info (cached)."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin

import aiohttp
import orjson
from pydantic import BaseModel, ConfigDict
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from yarl import URL

from bot.origin import Origin

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=8)
def _users_info_url(base_url: str) -> URL:
    """users.info's URL under a Web API base_url, joined as slack_sdk joins them (once: bolt's per-request
    clients all carry the app client's base_url)."""
    return URL(urljoin(base_url, "users.info"))


@functools.lru_cache(maxsize=8)
def _timeout(seconds: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=seconds)


class RateLimited(Exception):
    """users.info answered 429: Slack allows it about 100 times a minute (Tier 4), and says when to come back."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited for {retry_after:g} s")
        self.retry_after = retry_after


# When a 429 comes without a usable Retry-After: Slack's rate limits are per minute.
DEFAULT_RETRY_AFTER = 30.0


def _retry_after(headers: Mapping[str, str]) -> float:
    try:
        return max(1.0, float(headers.get("Retry-After", "")))
    except ValueError:
        return DEFAULT_RETRY_AFTER


async def _users_info(client: AsyncWebClient, user_id: str, timeout: float) -> Mapping[str, Any]:
    """users.info, straight through the client's shared HTTP session when it has one (the same GET slack_sdk
    sends, with the client's token and headers, minus its per-call layers: this is half of a new person's click).

    Raises when Slack says no (`ok: false`, an error page) or after `timeout` seconds, as slack_sdk does; the
    caller falls back then.
    """
    session = getattr(client, "session", None)
    if session is None or session.closed:
        try:
            # AsyncSlackResponse reads as a mapping
            return await asyncio.wait_for(client.users_info(user=user_id), timeout)  # type: ignore[return-value]
        except SlackApiError as error:
            if error.response.status_code == 429:
                raise RateLimited(_retry_after(error.response.headers)) from error
            raise
    headers = {**client.headers, "Authorization": f"Bearer {client.token}"}
    # aiohttp's total timeout covers the whole call, reading the body included: no wait_for (a task and a
    # timer more per lookup) around it.
    async with session.get(
        _users_info_url(client.base_url).with_query(user=user_id),
        headers=headers,
        timeout=_timeout(timeout),
        proxy=client.proxy,
        ssl=client.ssl if client.ssl is not None else True,
    ) as response:
        if response.status == 429:
            raise RateLimited(_retry_after(response.headers))
        raw = await response.read()
    body = orjson.loads(raw)  # an error page raises (a ValueError), as response.json() would
    if not isinstance(body, dict) or not body.get("ok"):
        raise LookupError(f"users.info answered {response.status}: {body.get('error') if isinstance(body, dict) else body}")
    return body


PLATFORM = "slack"
NAME_LIMIT = 200  # Origin.display_name


class Profile(BaseModel):
    model_config = ConfigDict(frozen=True)

    display_name: str
    is_admin: bool


class Directory:
    """users.info lookups, cached per (team, user) so a click costs at most one call every `ttl` seconds.

    A failed lookup (no users:read scope, rate limit, timeout) falls back to the name in the payload:
    a name is nice to have, never a reason to drop a click. Admin rights are checked at run time: from
    users.info (is_admin / is_owner, so a demoted admin loses them within `ttl`) or `admin_user_ids`.
    After a 429 no lookup is made until Slack's Retry-After has passed: a burst of new people would
    otherwise keep hitting the limit, one 429 each.
    """

    def __init__(
        self,
        *,
        admin_user_ids: frozenset[str] = frozenset(),
        ttl: float = 600.0,
        failure_ttl: float = 30.0,
        # More people than this clicking within `ttl` make the cache thrash (each lookup evicts the next one to
        # click); at about 0.5 kB an entry, 20,000 people cost some 10 MB.
        max_entries: int = 20_000,
        timeout: float = 1.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.admin_user_ids = admin_user_ids
        self._ttl = ttl
        # A failed lookup is retried sooner: an admin must not lose their rights for 10 minutes over one timeout.
        self._failure_ttl = failure_ttl
        self._max = max_entries
        self._timeout = timeout
        self._clock = clock
        self._cache: OrderedDict[tuple[str, str], tuple[float, Profile | None]] = OrderedDict()
        # Lookups under way: a second click of the same person while the first is being looked up waits for it.
        self._pending: dict[tuple[str, str], asyncio.Future[Profile | None]] = {}
        self._quiet_until = float("-inf")  # no users.info call before this time (Slack's Retry-After)

    async def profile(self, client: AsyncWebClient, team_id: str, user_id: str) -> Profile | None:
        key = (team_id, user_id)
        hit = self._cache.get(key)
        now = self._clock()
        if hit is not None and now - hit[0] < (self._ttl if hit[1] is not None else self._failure_ttl):
            self._cache.move_to_end(key)
            return hit[1]
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        if now < self._quiet_until:
            return None  # rate limited: the payload's name for now, and nothing cached, so it is asked for later
        pending = self._pending[key] = asyncio.get_running_loop().create_future()
        profile: Profile | None = None
        try:
            profile = await self._fetch(client, user_id)
            # A lookup refused for the rate limit is not remembered: it is asked again once Slack allows.
            if profile is not None or self._clock() >= self._quiet_until:
                self._cache[key] = (now, profile)
                self._cache.move_to_end(key)
                while len(self._cache) > self._max:
                    self._cache.popitem(last=False)
        finally:
            del self._pending[key]
            pending.set_result(profile)  # None if this lookup was cancelled: the others use the payload's name
        return profile

    async def _fetch(self, client: AsyncWebClient, user_id: str) -> Profile | None:
        try:
            response = await _users_info(client, user_id, self._timeout)
        except RateLimited as limited:
            if self._clock() >= self._quiet_until:
                log.warning("users.info is rate limited: no lookups for %g s; names come from the payloads", limited.retry_after)
            self._quiet_until = max(self._quiet_until, self._clock() + limited.retry_after)
            return None
        except Exception as error:  # noqa: BLE001 - any failure means "use the payload's name"
            log.info("users.info for %s failed (%s); using the name from the payload", user_id, error)
            return None
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        name = next(
            (
                str(n).strip()
                for n in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"), user.get("name"))
                if n and str(n).strip()
            ),
            "",
        )
        is_admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        return Profile(display_name=name, is_admin=is_admin)

    def cached(self, team_id: str, user_id: str) -> Profile | None:
        """The person's profile if a lookup within `ttl` found one; never calls Slack."""
        hit = self._cache.get((team_id, user_id))
        if hit is None or hit[1] is None or self._clock() - hit[0] >= self._ttl:
            return None
        return hit[1]

    async def origin(
        self,
        client: AsyncWebClient,
        *,
        team_id: str,
        user_id: str,
        fallback_name: str = "",
        channel_id: str | None = None,
        lookup: bool = True,
    ) -> Origin:
        """The Origin of a Slack user in a workspace.

        With `lookup` False no users.info call is made: the cached profile if there is one, else the payload's name
        (as after a failed lookup). For actions whose handling never reads the name or the admin flag.
        """
        profile = await self.profile(client, team_id, user_id) if lookup else self.cached(team_id, user_id)
        name = (profile.display_name if profile and profile.display_name else fallback_name).strip()
        return Origin(
            platform=PLATFORM,
            space_id=team_id,
            user_id=user_id,
            display_name=name[:NAME_LIMIT],
            is_admin=(profile is not None and profile.is_admin) or user_id in self.admin_user_ids,
            channel_id=channel_id,
        )
