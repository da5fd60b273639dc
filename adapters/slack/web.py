"""HTTP mode: bolt's aiohttp application behind a guard that answers forged (401) and malformed (400) requests."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.internals import extract_content_type, parse_body
from slack_sdk.signature import SignatureVerifier

from adapters.slack.config import EVENTS_PATH
from adapters.slack.payloads import check

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _verified(verifier: SignatureVerifier, body: str, request: web.Request) -> bool:
    timestamp = request.headers.get("X-Slack-Request-Timestamp")
    signature = request.headers.get("X-Slack-Signature")
    try:
        return verifier.is_valid(body, timestamp, signature)
    except (TypeError, ValueError):  # a non-numeric timestamp makes slack_sdk raise instead of refusing
        return False


def _is_ssl_check(body: str) -> bool:
    """Slack's certificate probe of a slash command URL (`ssl_check=1`), which it may send unsigned."""
    fields = dict(parse_qsl(body, keep_blank_values=True)) if not body.startswith("{") else {}
    return fields.get("ssl_check") == "1" and "command" not in fields and "payload" not in fields


def _context_problem(body: object) -> str | None:
    """Run bolt's own context extraction first: a wrongly typed `enterprise`, `team`, `user` or `authorizations`
    makes it raise while building the request, which aiohttp would turn into a 500."""
    if not isinstance(body, dict):
        return None
    try:
        build_async_context(AsyncBoltContext(), body)
    except Exception as error:  # any failure here is bolt refusing the payload's shape
        return f"context fields of an unexpected type ({type(error).__name__})"
    return None


def guard(signing_secret: str, path: str = EVENTS_PATH) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """aiohttp middleware: signature first (so garbage from strangers is 401, as bolt would say), then the payload's shape.

    bolt would verify the signature itself, but only after parsing the body; a signed body that does not
    parse would make it answer 500. Here such a request gets 400 and never reaches a listener. Slack's
    `ssl_check` probe goes straight to bolt, which answers it without running a listener.
    """
    verifier = SignatureVerifier(signing_secret)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST" or request.path != path:
            return await handler(request)
        raw = await request.read()  # aiohttp keeps the body, so bolt reads the same bytes again
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:  # Slack always sends UTF-8; nothing here can be verified or parsed
            return web.json_response({"error": "malformed request"}, status=400)
        if _is_ssl_check(body):
            return await handler(request)  # bolt answers it 200 before any listener, as Slack expects
        if not _verified(verifier, body, request):
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            parsed: object = parse_body(body, extract_content_type({"content-type": [request.content_type]}))
        except ValueError as error:  # json.JSONDecodeError is a ValueError
            log.warning("refusing a signed request whose body does not parse: %s", error)
            return web.json_response({"error": "malformed request"}, status=400)
        problem = check(parsed) or _context_problem(parsed)
        if problem is not None:
            log.warning("refusing a signed request with a malformed payload: %s", problem)
            return web.json_response({"error": "malformed request", "detail": problem}, status=400)
        return await handler(request)

    return middleware


def build_web_app(app: AsyncApp, signing_secret: str, path: str = EVENTS_PATH) -> web.Application:
    """bolt's own aiohttp application (`app.web_app()`), serving `path`, with the guard in front."""
    web_app = app.web_app(path=path)
    web_app.middlewares.append(guard(signing_secret, path))
    return web_app
