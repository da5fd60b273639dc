"""Who acted: turns a Slack user into the core's Origin, with names and admin flags from users.info (cached)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import cachetools
from pydantic import BaseModel, ConfigDict
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.retries import RateLimits, retry_after
from bot.origin import Origin

log = logging.getLogger(__name__)


class RateLimited(Exception):
    """users.info answered 429: Slack allows it about 100 times a minute (Tier 4), and says when to come back."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited for {retry_after:g} s")
        self.retry_after = retry_after


async def _users_info(client: AsyncWebClient, user_id: str, timeout: float) -> Mapping[str, Any]:
    """users.info through slack_sdk's client (its session, token, retry handlers); raises when Slack says no or after
    `timeout` seconds. A 429 that slack_sdk's own retry still gets raises RateLimited with Slack's Retry-After."""
    try:
        response = await asyncio.wait_for(client.users_info(user=user_id), timeout)
    except SlackApiError as error:
        if error.response.status_code == 429:
            raise RateLimited(retry_after(error.response.headers)) from error
        raise
    return response  # type: ignore[return-value] # AsyncSlackResponse reads as a mapping (get, [])


USERS_INFO = "users.info"
PLATFORM = "slack"
NAME_LIMIT = 200  # Origin.display_name


class Profile(BaseModel):
    model_config = ConfigDict(frozen=True)

    display_name: str
    is_admin: bool
    timezone: str | None = None  # the IANA zone of the person's Slack profile (users.info `tz`)


class Directory:
    """users.info lookups, cached per (team, user) so a click costs at most one call every `ttl` seconds.

    A failed lookup (no users:read scope, rate limit, timeout) falls back to the name in the payload:
    a name is nice to have, never a reason to drop a click. Admin rights are checked at run time: from
    users.info (is_admin / is_owner, so a demoted admin loses them within `ttl`) or `admin_user_ids`.
    After a 429 no lookup is made until Slack's Retry-After has passed: a burst of new people would
    otherwise keep hitting the limit, one 429 each. `rate_limits` is the Web API client's 429 handler, which
    learns of a 429 as it happens (slack_sdk then waits and retries, past this lookup's timeout).
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
        rate_limits: RateLimits | None = None,
    ) -> None:
        self.admin_user_ids = admin_user_ids
        self._timeout = timeout

        def expires(_key: object, found: tuple[Profile | None], now: float) -> float:
            # A failed lookup is retried sooner: an admin must not lose their rights for 10 minutes over one timeout.
            return now + (ttl if found[0] is not None else failure_ttl)

        # Each entry is (profile,): a lookup that found nothing is remembered too, for its shorter time.
        self._cache: cachetools.TLRUCache[tuple[str, str], tuple[Profile | None]] = cachetools.TLRUCache(
            maxsize=max_entries, ttu=expires, timer=clock
        )
        # Lookups under way: a second click of the same person while the first is being looked up waits for it.
        self._pending: dict[tuple[str, str], asyncio.Future[Profile | None]] = {}
        self._rate_limits = rate_limits or RateLimits(clock)

    async def profile(self, client: AsyncWebClient, team_id: str, user_id: str) -> Profile | None:
        key = (team_id, user_id)
        hit = self._cache.get(key)
        if hit is not None:
            return hit[0]
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        if self._rate_limits.waiting(USERS_INFO):
            return None  # rate limited: the payload's name for now, and nothing cached, so it is asked for later
        pending = self._pending[key] = asyncio.get_running_loop().create_future()
        profile: Profile | None = None
        try:
            profile = await self._fetch(client, user_id)
            # A lookup refused for the rate limit is not remembered: it is asked again once Slack allows.
            if profile is not None or not self._rate_limits.waiting(USERS_INFO):
                self._cache[key] = (profile,)
        finally:
            del self._pending[key]
            pending.set_result(profile)  # None if this lookup was cancelled: the others use the payload's name
        return profile

    async def _fetch(self, client: AsyncWebClient, user_id: str) -> Profile | None:
        try:
            response = await _users_info(client, user_id, self._timeout)
        except RateLimited as limited:
            log.warning("users.info is rate limited: no lookups for %g s; names come from the payloads", limited.retry_after)
            self._rate_limits.limited(USERS_INFO, limited.retry_after)
            return None
        except Exception as error:  # noqa: BLE001 - any failure means "use the payload's name"
            if self._rate_limits.waiting(USERS_INFO):  # slack_sdk got a 429 and was waiting to retry when the time ran out
                log.warning("users.info is rate limited: no lookups for a while; names come from the payloads")
            else:
                log.info("users.info for %s failed (%r); using the name from the payload", user_id, error)
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
        zone = user.get("tz")
        return Profile(display_name=name, is_admin=is_admin, timezone=zone if isinstance(zone, str) and zone else None)

    def cached(self, team_id: str, user_id: str) -> Profile | None:
        """The person's profile if a lookup within `ttl` found one; never calls Slack."""
        hit = self._cache.get((team_id, user_id))
        return None if hit is None else hit[0]

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
            timezone=profile.timezone if profile is not None else None,
        )
