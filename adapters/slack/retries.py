"""slack_sdk's retry handlers for every call to Slack: a 429 waits Slack's Retry-After once, a dropped connection is retried."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler, AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

# When a 429 comes without a usable Retry-After: Slack's rate limits are per minute.
DEFAULT_RETRY_AFTER = 30.0


def retry_after(headers: Mapping[str, Any]) -> float:
    """Seconds Slack asked to wait, from a Retry-After header (slack_sdk keeps header values as lists)."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    try:
        return max(1.0, float(str(value)))
    except ValueError:
        return DEFAULT_RETRY_AFTER


def _method(url: str) -> str:
    """The Web API method of a request's URL (`.../api/users.info?user=U1` -> `users.info`)."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


class RateLimits(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (wait for Retry-After, then try once more) that also remembers, per Web API method,
    until when Slack asked to wait.

    A caller that cannot wait (a name lookup while a click waits for its answer) asks `waiting()` first and
    skips the call, instead of making one more call Slack would refuse. slack_sdk documents subclassing its
    retry handlers; `prepare_for_next_attempt_async` is the public step that runs before the wait.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._clock = clock
        self._until: dict[str, float] = {}  # bounded by the Web API methods this client calls

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is not None:
            self.limited(_method(request.url), retry_after(response.headers))
        await super().prepare_for_next_attempt_async(state=state, request=request, response=response, error=error)

    def limited(self, method: str, seconds: float) -> None:
        """Slack answered `method` with 429 and asked to wait `seconds`."""
        self._until[method] = max(self._until.get(method, 0.0), self._clock() + seconds)

    def waiting(self, method: str) -> float:
        """Seconds left before `method` may be called again (0 when Slack has not asked to wait)."""
        return max(0.0, self._until.get(method, 0.0) - self._clock())


def web_api_handlers(rate_limits: RateLimits) -> list[AsyncRetryHandler]:
    """For the AsyncWebClient: dropped connections retried once, 429s waited out once (remembered in `rate_limits`)."""
    return [AsyncConnectionErrorRetryHandler(), rate_limits]


def webhook_handlers() -> list[AsyncRetryHandler]:
    """For response_url posts (AsyncWebhookClient): dropped connections retried once, 429s waited out once."""
    return [AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler()]
