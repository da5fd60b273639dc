"""HTTP mode: bolt's app served by aiohttp behind a guard that answers forged (401) and malformed (400) requests.

The guard checks each request's signature (the only check: the bolt app behind it is built with its own off,
see main.build_app) and parses and validates each signed body once; bolt then gets that parse and the
listeners get the validated payload through bolt's context, so a click's body is not parsed and validated
three times over. Nothing unsigned reaches bolt: the guard answers Slack's unsigned ssl_check probe itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import CIMultiDictProxy
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import extract_content_type
from slack_sdk.web.async_client import AsyncWebClient
from yarl import URL

from adapters.slack.config import EVENTS_PATH
from adapters.slack.payloads import BlockActions, MalformedPayload, SlashCommand, validate
from adapters.slack.priority import AckFirst
from adapters.slack.render import COMMAND

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class DirectClicks(Protocol):
    """The app's click listener, callable without bolt's dispatch (see Acknowledger)."""

    # Whether bolt's dispatch has run this listener in this process: its authorization and middleware let a click
    # through. Set by the listener itself, as bolt runs it only after every middleware has called next().
    bolt_authorized: bool

    async def click(self, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None: ...


# The bolt context key under which a listener finds the payload the guard validated (SlashCommand / BlockActions).
PAYLOAD = "recsys_quiz_payload"
# The guard's (raw body, parsed body, bolt context) for the handler.
_PARSED = web.RequestKey("recsys_quiz_parsed", tuple)


class _ParsedRequest(AsyncBoltRequest):
    """bolt's request for a body the guard already parsed (and verified): the same fields, without parsing again.

    raw_body stays the exact bytes Slack signed, as bolt's own signature check would need them where it is on.
    """

    def __init__(
        self, *, raw_body: str, body: dict[str, Any], context: AsyncBoltContext, query: str, headers: CIMultiDictProxy[str]
    ) -> None:
        super().__init__(body="", query=query, headers=headers)  # type: ignore[arg-type]
        self.raw_body = raw_body
        self.body = body
        self.context = context


def _form(body: str) -> dict[str, str]:
    """A form-encoded body's fields, as `dict(parse_qsl(body, keep_blank_values=True))` reads them.

    yarl's query decoding is C: ~4 µs for a click's body where parse_qsl's pure-Python unquoting takes ~150 µs,
    a quarter of the loop's time when acknowledging a burst. tests/slack/test_request_checks.py checks it
    against parse_qsl on any text.
    """
    try:
        return dict(URL.build(query_string=body, encoded=True).query.items())
    except (ValueError, TypeError):  # whatever yarl refuses, the standard library decides
        return dict(parse_qsl(body, keep_blank_values=True))


def parse_body(body: str, content_type: str | None) -> Any:
    """bolt's `parse_body` (slack_bolt.request.internals), with the form fields read by `_form`."""
    if not body:
        return {}
    if content_type == "application/json" or body.startswith("{"):
        return json.loads(body)
    fields = _form(body)
    if "payload" in body:  # as bolt: a `payload` field holds the JSON; without one the body is empty
        payload = fields.get("payload")
        return json.loads(payload) if payload is not None else {}
    return fields


# Slack refuses requests signed more than five minutes ago (replays); slack_sdk's SignatureVerifier does the same.
MAX_AGE = 60 * 5


def verified(secret: bytes, raw: bytes, timestamp: str | None, signature: str | None, now: float | None = None) -> bool:
    """slack_sdk's `SignatureVerifier.is_valid` on the raw bytes: `v0=hex(HMAC-SHA256(secret, "v0:{ts}:{body}"))`,
    at most MAX_AGE seconds old.

    hmac.digest is OpenSSL in one call, half the time of slack_sdk's hmac.new on a str encoded again; it is on
    every request's path to its acknowledgement. tests/slack/test_request_checks.py holds the two equal.
    """
    if timestamp is None or signature is None:
        return False
    try:
        if abs((time.time() if now is None else now) - int(timestamp)) > MAX_AGE:
            return False
    except ValueError:  # a non-numeric timestamp
        return False
    expected = "v0=" + hmac.digest(secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hex()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "surrogateescape"))


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


def guard(
    signing_secret: str, path: str = EVENTS_PATH, gate: AckFirst | None = None
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """aiohttp middleware: signature first (so garbage from strangers is 401, as bolt would say), then the payload's shape.

    This is the one signature check of a request in HTTP mode: bolt would verify only after parsing the body
    (a signed body that does not parse would make it answer 500), here such a request gets 400 and never
    reaches a listener. Slack's unsigned `ssl_check` probe is answered here (an empty 200, as bolt's SslCheck
    answers it), so only signed requests reach bolt. Every request on `path` tells `gate` that Slack is
    sending, so acknowledged work waits (see priority).
    """
    secret = signing_secret.encode()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST" or request.path != path:
            return await handler(request)
        if gate is not None:
            gate.arrived()
        raw = await request.read()  # aiohttp keeps the body, so bolt reads the same bytes again
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:  # Slack always sends UTF-8; nothing here can be verified or parsed
            return web.json_response({"error": "malformed request"}, status=400)
        if _is_ssl_check(body):
            return web.Response(status=200, content_type="text/plain")  # Slack only wants the certificate to work
        headers = request.headers
        if not verified(secret, raw, headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature")):
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


# How long stopping waits for clicks and commands that were acknowledged but not yet answered.
DRAIN_TIMEOUT = 10.0


def acked_up_front(payload: object, command: str = COMMAND) -> bool:
    """Requests whose acknowledgement never depends on the work: a click (every action id has a listener) or
    this app's slash command. Their listeners call a bare `ack()` first, so bolt's answer is always an empty 200."""
    return isinstance(payload, BlockActions) or (isinstance(payload, SlashCommand) and payload.command == command)


# Acknowledged requests worked on at once. Enough to overlap the waits of each (users.info, the engine's
# group commit, the response_url post) and keep the core busy, few enough that the loop always has time to
# acknowledge the next requests: the rest wait their turn in a queue, costing no CPU.
WORKERS = 64


class Acknowledged:
    """What a worker needs to build bolt's request for an acknowledged one: built there, not before the 200
    (bolt's request normalises every header, which was a sixth of the time to acknowledge a click)."""

    __slots__ = ("raw_body", "body", "context", "query", "headers")

    def __init__(self, raw_body: str, body: dict[str, Any], context: AsyncBoltContext, query: str, headers: CIMultiDictProxy[str]) -> None:
        self.raw_body, self.body, self.context, self.query, self.headers = raw_body, body, context, query, headers

    def bolt_request(self) -> AsyncBoltRequest:
        return _ParsedRequest(raw_body=self.raw_body, body=self.body, context=self.context, query=self.query, headers=self.headers)


class Acknowledger:
    """Answers Slack's request at once and runs bolt's dispatch (listener, engine, rendering, reply) afterwards,
    in at most `workers` requests at a time, each started only while no request is arriving (`gate`).

    Through bolt alone the 200 waits for its dispatch, for the listener task to start and for bolt's 10 ms ack
    poll, all on the loop that also runs the work; under load the 3 s deadline then slips behind the work.

    With `clicks` (the app's click listener), clicks skip bolt's dispatch once bolt's dispatch has run that
    listener in this process. Bolt's dispatch was a fifth of a click's CPU (a context, a Web API client, every
    listener argument and middleware step built afresh per request), and for a click of build_app's app it
    adds nothing after that first one: the signature is the guard's to check (bolt's check is off behind it);
    bolt's single-team authorization runs auth.test once and then authorizes every request from that cached
    result; its other built-in middleware acts only on commands, events, URL verification and workflow
    function runs; and build_app registers no middleware of its own. An app with other authorization or with
    middleware must not be given `clicks`.
    """

    def __init__(
        self,
        app: AsyncApp,
        workers: int = WORKERS,
        drain_timeout: float = DRAIN_TIMEOUT,
        gate: AckFirst | None = None,
        clicks: DirectClicks | None = None,
    ) -> None:
        self.app = app
        self.workers = workers
        self.drain_timeout = drain_timeout
        self.gate = gate or AckFirst()
        self.clicks = clicks
        self.queue: asyncio.Queue[Acknowledged] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._unfinished = 0

    def start(self, request: Acknowledged) -> None:
        if not self._tasks:  # started on first use, on the serving loop
            self._tasks = [asyncio.create_task(self._work(), name=f"recsys-quiz slack worker {i}") for i in range(self.workers)]
        self._unfinished += 1
        self.queue.put_nowait(request)

    @property
    def backlog(self) -> int:
        """Acknowledged requests not yet finished (queued or being worked on)."""
        return self._unfinished

    async def _work(self) -> None:
        while True:
            acknowledged = await self.queue.get()
            try:
                await self.gate.wait()  # after get(): a request that just arrived has closed the gate
                await self._run(acknowledged)
            except Exception:  # noqa: BLE001 - Slack has its 200 already; the log gets the rest
                log.exception("handling an acknowledged request failed")
            finally:
                self._unfinished -= 1
                self.queue.task_done()

    async def _run(self, acknowledged: Acknowledged) -> None:
        clicks = self.clicks
        if clicks is not None and clicks.bolt_authorized and isinstance(acknowledged.context.get(PAYLOAD), BlockActions):
            await clicks.click(acknowledged.body, acknowledged.context, self.app.client)
            return
        response = await self.app.async_dispatch(acknowledged.bolt_request())
        if response.status != 200 or response.body:  # e.g. bolt's authorization failed: nobody would be told otherwise
            log.warning("bolt answered %s to a request acknowledged with 200: %s", response.status, response.body)

    async def drain(self, _app: web.Application | None = None) -> None:
        """Wait (at most drain_timeout) for the acknowledged requests still queued or being worked on, then stop."""
        if self.backlog:
            log.info("waiting for %d acknowledged requests to be answered", self.backlog)
            try:
                await asyncio.wait_for(self.queue.join(), self.drain_timeout)
            except TimeoutError:
                log.warning("stopping with %d acknowledged requests unanswered", self.backlog)
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.gate.close()


def build_web_app(
    app: AsyncApp, signing_secret: str, path: str = EVENTS_PATH, *, workers: int = WORKERS, clicks: DirectClicks | None = None
) -> web.Application:
    """An aiohttp application serving `path` as bolt's own (`app.web_app()`) does, with the guard in front.

    Clicks and the slash command are acknowledged before bolt runs (see Acknowledger, also for `clicks`); every
    other signed request (other commands, events) gets bolt's own answer. `app` may have its own signature check
    off (main.build_app's `guarded`): every request reaches it through the guard.
    """
    gate = AckFirst()
    acknowledger = Acknowledger(app, workers, gate=gate, clicks=clicks)

    async def handle(request: web.Request) -> web.StreamResponse:
        raw_body, body, context = request[_PARSED]  # the guard's: nothing reaches here without its checks
        acknowledged = Acknowledged(raw_body, body, context, request.query_string, request.headers)
        if acked_up_front(context.get(PAYLOAD)):
            acknowledger.start(acknowledged)
            return web.Response(status=200)
        return await to_aiohttp_response(await app.async_dispatch(acknowledged.bolt_request()))

    web_app = web.Application(middlewares=[guard(signing_secret, path, gate)])
    web_app.router.add_post(path, handle)
    web_app[ACKNOWLEDGER] = acknowledger
    web_app.on_shutdown.append(acknowledger.drain)
    return web_app


ACKNOWLEDGER = web.AppKey("recsys_quiz_acknowledger", Acknowledger)
