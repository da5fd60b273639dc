"""HTTP mode: bolt's app served by aiohttp behind a guard that answers forged (401) and malformed (400) requests.

The guard parses and validates each signed body once; bolt then gets that parse (its own signature check
still runs on the raw body) and the listeners get the validated payload through bolt's context, so a
click's body is not parsed and validated three times over.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import extract_content_type, parse_body
from slack_sdk.signature import SignatureVerifier

from adapters.slack.config import EVENTS_PATH
from adapters.slack.payloads import MalformedPayload, validate

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The bolt context key under which a listener finds the payload the guard validated (SlashCommand / BlockActions).
PAYLOAD = "recsys_quiz_payload"
# The guard's (raw body, parsed body, bolt context) for the handler.
_PARSED = web.RequestKey("recsys_quiz_parsed", tuple)


class _ParsedRequest(AsyncBoltRequest):
    """bolt's request for a body the guard already parsed: the same fields, without parsing the body again.

    raw_body stays the exact bytes Slack signed, so bolt's own signature check runs as usual.
    """

    def __init__(self, *, raw_body: str, body: dict[str, Any], context: AsyncBoltContext, request: web.Request) -> None:
        super().__init__(body="", query=request.query_string, headers=request.headers)  # type: ignore[arg-type]
        self.raw_body = raw_body
        self.body = body
        self.context = context


def _verified(verifier: SignatureVerifier, body: str, request: web.Request) -> bool:
    timestamp = request.headers.get("X-Slack-Request-Timestamp")
    signature = request.headers.get("X-Slack-Signature")
    try:
        return verifier.is_valid(body, timestamp, signature)
    except (TypeError, ValueError):  # a non-numeric timestamp makes slack_sdk raise instead of refusing
        return False


def _is_ssl_check(body: str) -> bool:
    """Slack's certificate probe of a slash command URL (`ssl_check=1`), which it may send unsigned."""
    if "ssl_check" not in body:  # the common case, without parsing the body
        return False
    fields = dict(parse_qsl(body, keep_blank_values=True)) if not body.startswith("{") else {}
    return fields.get("ssl_check") == "1" and "command" not in fields and "payload" not in fields


def _bolt_context(body: dict[str, Any]) -> AsyncBoltContext:
    """Run bolt's own context extraction first: a wrongly typed `enterprise`, `team`, `user` or `authorizations`
    makes it raise while building the request, which aiohttp would turn into a 500."""
    try:
        return build_async_context(AsyncBoltContext(), body)
    except Exception as error:  # any failure here is bolt refusing the payload's shape
        raise MalformedPayload(f"context fields of an unexpected type ({type(error).__name__})") from None


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
        try:
            payload = validate(parsed)
            assert isinstance(parsed, dict)  # validate() refuses anything else
            context = _bolt_context(parsed)
        except MalformedPayload as error:
            problem = str(error)
            log.warning("refusing a signed request with a malformed payload: %s", problem)
            return web.json_response({"error": "malformed request", "detail": problem}, status=400)
        if payload is not None:
            context[PAYLOAD] = payload
        request[_PARSED] = (body, parsed, context)
        return await handler(request)

    return middleware


def build_web_app(app: AsyncApp, signing_secret: str, path: str = EVENTS_PATH) -> web.Application:
    """An aiohttp application serving `path` as bolt's own (`app.web_app()`) does, with the guard in front."""

    async def handle(request: web.Request) -> web.StreamResponse:
        parsed = request.get(_PARSED)
        if parsed is None:  # the ssl_check probe: bolt parses and answers it itself
            bolt_request: AsyncBoltRequest = await to_bolt_request(request)
        else:
            raw_body, body, context = parsed
            bolt_request = _ParsedRequest(raw_body=raw_body, body=body, context=context, request=request)
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    web_app = web.Application(middlewares=[guard(signing_secret, path)])
    web_app.router.add_post(path, handle)
    return web_app
