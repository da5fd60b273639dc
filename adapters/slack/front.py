"""HTTP mode: bolt's own aiohttp adapter, with limits in front (body size, read time); bolt verifies, parses, dispatches.

The limits only refuse: a body over MAX_BODY (by its Content-Length before a byte of it is read, or while
reading one sent without it), a body slower than `body_timeout`, and a client that hangs up mid-body. What
passes goes to bolt exactly as bolt's own web app (`app.web_app()`) hands it over: `to_bolt_request`, then
`async_dispatch`, then `to_aiohttp_response`. Slow request headers are aiohttp's to time out: a connection
that has not sent a whole request within `keepalive_timeout` is closed (see runner()).

In production put a reverse proxy in front as well (README, "HTTP mode"): it terminates TLS and can enforce the
same limits before a request reaches Python at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.request import payload_utils

from adapters.slack.config import EVENTS_PATH

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Slack's requests are small: a slash command is under 1 kB; a click on a shared message (a daily post) carries that
# message's blocks, 7 kB form-encoded for the shipped deck, and some 60 kB for a deck at content check's limits
# (1,000-character options) written in a script whose every character form-encodes to 9 bytes. 128 KiB leaves
# room above that; aiohttp's default (1 MiB) let anyone make the process read 1 MiB a post.
MAX_BODY = 128 * 1024
# Slack sends a request at once and wants its answer within 3 s: a body still arriving after this many seconds is
# not Slack's, and the connection it holds is better closed.
BODY_TIMEOUT = 10.0
# A connection that has not sent a whole request (its headers) within this many seconds is closed, and so is one
# idle this long between requests. aiohttp applies its keepalive_timeout from the moment a connection opens (3.14.4
# and later). A reverse proxy in front must keep its idle upstream connections for less than this.
IDLE_TIMEOUT = 15.0
# After refusing an oversize body aiohttp may read and discard the rest for this long before closing (its default
# is 10 s, time a sender of junk does not deserve).
LINGERING_TIME = 1.0


def _refuse(status: int, reason: str) -> web.Response:
    """A short answer that closes the connection (whatever is left of the request is not read)."""
    response = web.Response(status=status, text=reason)
    response.force_close()
    return response


def limits(max_body: int = MAX_BODY, body_timeout: float = BODY_TIMEOUT) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """aiohttp middleware: refuse bodies too big (413) or too slow (408), and clients gone mid-body, before bolt sees them.

    It reads the body only to bound it; aiohttp keeps what it read, so bolt's `to_bolt_request` gets the same
    bytes without reading again. Nothing here looks inside the body or its signature: that is bolt's.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > max_body:
            log.debug("refused a body of %d bytes (limit %d) before reading it", request.content_length, max_body)
            return _refuse(413, "request body too large")
        try:
            async with asyncio.timeout(body_timeout):
                await request.read()  # without a Content-Length, aiohttp stops at client_max_size (413)
        except web.HTTPRequestEntityTooLarge:
            log.debug("refused a body past %d bytes while reading it", max_body)
            return _refuse(413, "request body too large")
        except TimeoutError:
            log.debug("refused a body not sent within %g s", body_timeout)
            return _refuse(408, "request body too slow")
        except (ConnectionError, web.RequestPayloadError) as error:  # the client hung up mid-body: nobody to answer
            log.debug("a client hung up while sending its body (%s)", type(error).__name__)
            return _refuse(400, "incomplete request body")
        return await handler(request)

    return middleware


# What bolt reads out of every request's body to build the arguments of each middleware, listener and error
# handler (slack_bolt.kwargs_injection: action, view, step, ...), before it calls any of them.
BOLT_READERS = (
    payload_utils.to_options,
    payload_utils.to_shortcut,
    payload_utils.to_action,
    payload_utils.to_view,
    payload_utils.to_command,
    payload_utils.to_event,
    payload_utils.to_message,
    payload_utils.to_step,
)


def bolt_cannot_read(body: object) -> str | None:
    """Why bolt would fail to build its listener arguments from this parsed body (None when it can).

    A body of a shape those readers do not expect (`interactive_message` without `actions`, a `view_submission`
    whose `view` has no `type`, `workflow_step_edit` without `workflow_step`, `block_actions` with no action) makes
    bolt raise while building them, for its error handler too: app.error cannot catch it, and bolt's own server
    answers 500 with a traceback. None of these is a request this app handles.
    """
    try:
        for read in BOLT_READERS:
            read(body)  # type: ignore[arg-type]
    except Exception as error:  # noqa: BLE001 - whatever they raise, bolt cannot take this body
        return f"{type(error).__name__} reading it as bolt does"
    return None


def bolt_handler(app: AsyncApp) -> Handler:
    """bolt's own aiohttp handling of a POST (as `app.web_app()` does it), with two checks that turn bolt's 500s
    on odd bodies into a 4xx and one DEBUG line:

    - a body bolt's request cannot even be built from gets 400. Building it runs bolt's body parser and context
      extraction, before any signature check: JSON nested 50,000 deep (RecursionError), a body that is not JSON
      or not UTF-8, or a `team` that is a number fail there;
    - a body bolt cannot build its listener arguments from (bolt_cannot_read) gets 404: no listener here takes it.
    """

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            bolt_request = await to_bolt_request(request)
        except Exception as error:  # noqa: BLE001 - any failure here is bolt refusing the body's shape
            log.debug("refused a body bolt cannot parse (%s)", type(error).__name__)
            return web.Response(status=400, text="malformed request")
        problem = bolt_cannot_read(bolt_request.body)
        if problem is not None:
            log.debug("refused a %.60r payload: %s", body.get("type") if isinstance(body := bolt_request.body, dict) else None, problem)
            return web.Response(status=404, text="unhandled request")
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    return handle


def front_door(app: AsyncApp, path: str = EVENTS_PATH, *, max_body: int = MAX_BODY, body_timeout: float = BODY_TIMEOUT) -> web.Application:
    """The aiohttp application of HTTP mode: POST `path` to bolt, behind limits()."""
    web_app = web.Application(client_max_size=max_body, middlewares=[limits(max_body, body_timeout)])
    web_app.router.add_post(path, bolt_handler(app))
    return web_app


def runner(web_app: web.Application, *, idle_timeout: float = IDLE_TIMEOUT, lingering_time: float = LINGERING_TIME) -> web.AppRunner:
    """aiohttp's runner for the front door, with its read limits on the connection itself (documented AppRunner
    options): headers not complete within `idle_timeout` close the connection, as does that long an idle one."""
    return web.AppRunner(web_app, keepalive_timeout=idle_timeout, lingering_time=lingering_time)
