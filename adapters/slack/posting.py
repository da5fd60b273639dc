"""A lean HTTP/1.1 client for the two calls on a click's path: POSTing a reply's JSON to a response_url, and
the users.info GET for a person new to the bot; kept-alive connections, short answers.

Through aiohttp's client each call cost about 200 µs of CPU (request and response objects, header
multidicts, timers, cookie handling, a task per body write), a fifth of a click's CPU; here it is one write
of prebuilt bytes and one parse of Slack's short answer. Anything this client does not handle (a proxy, a
custom TLS context, a URL that is not plain ASCII) goes through aiohttp as before (see delivery.respond_via
and identity._users_info).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import ssl
import time
from collections import defaultdict
from typing import NamedTuple
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

# Responses are a few bytes (`ok`, `expired_url`, `invalid_blocks`); anything much bigger is not Slack's answer.
MAX_RESPONSE = 1 << 20
# A kept-alive connection unused for this long may be closed by the other end at any moment: a new one is
# opened instead (aiohttp's keepalive_timeout is the same 15 s).
IDLE_TIMEOUT = 15.0
USER_AGENT = b"recsys-quiz"


class Answer(NamedTuple):
    """What the response_url answered."""

    status: int
    headers: dict[str, str]
    body: bytes


class StaleConnection(ConnectionError):
    """The connection closed before a byte of the answer (typically a kept-alive one the other end timed out): the
    post is sent again once on a new connection, as slack_sdk's connection-error retry and aiohttp's client do."""


class ProtocolError(ConnectionError):
    """An answer that is not HTTP/1.x as this client reads it."""


def _headers(block: bytes) -> tuple[int, str, dict[str, str]]:
    """Status code, HTTP version and lower-cased headers of a response head (without its blank line)."""
    lines = block.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or not code.isdigit():
        raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise ProtocolError(f"malformed header line: {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    return int(code), version, headers


class _Connection(asyncio.Protocol):
    """One kept-alive connection; it carries one exchange at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._buffer = bytearray()
        self._waiter: asyncio.Future[Answer] | None = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._waiter is None:  # nothing asked: the other end is talking out of turn
            self.close()
            return
        try:
            answer = self._parse(eof=False)
        except ProtocolError as error:
            self._fail(error)
            return
        if answer is not None:
            self._finish(answer)

    def eof_received(self) -> bool | None:
        return None  # close the transport: connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is None or self._waiter.done():
            return
        try:
            answer = self._parse(eof=True)  # a body that runs until the connection closes
        except ProtocolError as error:
            self._waiter.set_exception(error)
            return
        if answer is not None:
            self._waiter.set_result(answer)
        elif not self._buffer:
            self._waiter.set_exception(StaleConnection(f"the connection was closed before an answer ({exc})"))
        else:
            self._waiter.set_exception(ConnectionResetError(f"the connection was lost before a full answer ({exc})"))

    # exchanges

    def send(self, request: bytes) -> asyncio.Future[Answer]:
        assert self.transport is not None and self._waiter is None
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self._waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _finish(self, answer: Answer) -> None:
        assert self._waiter is not None
        waiter, self._waiter = self._waiter, None
        if not waiter.done():  # it may have timed out meanwhile
            waiter.set_result(answer)

    def _fail(self, error: Exception) -> None:
        waiter, self._waiter = self._waiter, None
        self.close()
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def _parse(self, *, eof: bool) -> Answer | None:
        """The answer once the buffer holds all of it (None until then); keep-alive is decided here too."""
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_RESPONSE:
                    raise ProtocolError("response head too long")
                return None
            status, version, headers = _headers(bytes(self._buffer[:end]))
            if 100 <= status < 200:  # an interim answer (100 Continue): the real one follows
                del self._buffer[: end + 4]
                continue
            break
        start = end + 4
        body: bytes | None
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body, start = self._chunked(start)
        elif "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError:
                raise ProtocolError("bad Content-Length") from None
            if length < 0 or length > MAX_RESPONSE:
                raise ProtocolError("bad Content-Length")
            body = bytes(self._buffer[start : start + length]) if len(self._buffer) >= start + length else None
            start += length
        elif status in (204, 304):
            body = b""
        else:  # the body runs until the other end closes the connection
            if len(self._buffer) - start > MAX_RESPONSE:
                raise ProtocolError("response too long")
            body, start = (bytes(self._buffer[start:]), len(self._buffer)) if eof else (None, start)
            headers["connection"] = "close"
        if body is None:
            return None
        del self._buffer[:start]
        keep = headers.get("connection", "").lower()
        if keep == "close" or (version == "HTTP/1.0" and keep != "keep-alive") or self._buffer:
            self.close()  # the other end will not take another request here (or sent more than asked)
        return Answer(status, headers, body)

    def _chunked(self, start: int) -> tuple[bytes | None, int]:
        """The decoded body of a chunked answer starting at `start`, and where it ends; (None, start) until complete."""
        parts: list[bytes] = []
        at = start
        while True:
            line_end = self._buffer.find(b"\r\n", at)
            if line_end < 0:
                return None, start
            try:
                size = int(bytes(self._buffer[at:line_end]).split(b";")[0].strip(), 16)
            except ValueError:
                raise ProtocolError("bad chunk size") from None
            at = line_end + 2
            if size == 0:
                trailer_end = self._buffer.find(b"\r\n\r\n", at - 2)
                if trailer_end < 0:
                    return None, start
                return b"".join(parts), trailer_end + 4
            if size > MAX_RESPONSE or len(self._buffer) < at + size + 2:
                if size > MAX_RESPONSE:
                    raise ProtocolError("chunk too long")
                return None, start
            parts.append(bytes(self._buffer[at : at + size]))
            at += size + 2


class Destination(NamedTuple):
    """A URL this client calls, parsed once."""

    scheme: str
    host: str
    port: int
    path: bytes  # path and query, as the request line carries them
    host_header: bytes

    def request_head(self, method: bytes) -> bytes:
        """The request line and Host header of `method` on this URL."""
        return b"%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, self.path, self.host_header)


# scheme, authority, then path and query (the fragment stays with the client): RFC 3986's split of a URL.
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^#]*)")


def destination(url: str) -> Destination | None:
    """Where a URL points and the start of its request; None when this client does not take it (aiohttp then does)."""
    if not url.isascii() or not url.isprintable() or " " in url:
        return None  # needs percent-encoding first, or would break the request line
    match = _URL.match(url)
    if match is None:
        return None
    scheme, authority, path = match.groups()
    where = _authority(scheme.lower(), authority)
    if where is None:
        return None
    scheme, host, port, host_header = where
    if not path.startswith("/"):
        path = "/" + path  # "http://host" and "http://host?q" ask for the root
    return Destination(scheme, host, port, path.encode(), host_header.encode())


@functools.lru_cache(maxsize=64)
def _authority(scheme: str, authority: str) -> tuple[str, str, int, str] | None:
    """Scheme, host, port and Host header of a URL's authority; every response_url of a workspace shares one, so
    urlsplit's slower parse runs once per host, not once per post."""
    if scheme not in ("http", "https"):
        return None
    parts = urlsplit(f"{scheme}://{authority}")
    if not parts.hostname or parts.username or parts.password:
        return None
    default_port = 443 if scheme == "https" else 80
    try:
        port = parts.port or default_port
    except ValueError:  # a port out of range
        return None
    name = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname  # an IPv6 literal keeps its brackets
    return scheme, parts.hostname, port, name if port == default_port else f"{name}:{port}"


class LeanHttp:
    """Calls to Slack over at most `limit` connections, kept alive per host between calls."""

    def __init__(self, *, limit: int = 100, ssl_context: ssl.SSLContext | None = None) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._idle: defaultdict[tuple[str, str, int], list[_Connection]] = defaultdict(list)
        self._ssl = ssl_context
        self.closed = False
        self.opened = 0  # connections opened so far (tests check reuse with it)

    async def post(
        self, target: Destination, body: bytes, *, timeout: float, content_type: bytes = b"application/json;charset=utf-8"
    ) -> Answer:
        """POST `body` to `target` (see destination())."""
        return await self.request(b"POST", target, b"Content-Type: %s\r\n" % content_type, body, timeout=timeout)

    async def get(self, target: Destination, headers: bytes, *, timeout: float) -> Answer:
        """GET `target` (see destination()) with `headers` (complete lines, each ending in CRLF)."""
        return await self.request(b"GET", target, headers, None, timeout=timeout)

    async def request(self, method: bytes, target: Destination, headers: bytes, body: bytes | None, *, timeout: float) -> Answer:
        """One call: sent again once on a connection closed before any answer (a kept-alive one the other end had just
        closed). Raises TimeoutError after `timeout` seconds, OSError / ConnectionError when the call fails."""
        if self.closed:
            raise RuntimeError("the client is closed")
        length = b"" if body is None else b"Content-Length: %d\r\n" % len(body)
        agent = b"" if b"user-agent:" in headers.lower() else b"User-Agent: %s\r\n" % USER_AGENT  # the caller's wins
        request = b"".join((target.request_head(method), headers, length, agent, b"\r\n", body or b""))
        async with self._slots:
            async with asyncio.timeout(timeout):
                try:
                    return await self._exchange(target, request, reuse=True)
                except StaleConnection:
                    log.info("the connection to %s was closed before an answer; sending again", target.host)
                    return await self._exchange(target, request, reuse=False)

    async def _exchange(self, target: Destination, request: bytes, *, reuse: bool) -> Answer:
        key = (target.scheme, target.host, target.port)
        connection = self._idle_connection(key) if reuse else None
        if connection is None:
            connection = await self._connect(target)
        try:
            answer = await connection.send(request)
        except BaseException:
            connection.close()  # half-way through an exchange: never reused
            raise
        if not connection.closed and not self.closed:
            connection.idle_since = time.monotonic()
            self._idle[key].append(connection)
        return answer

    def _idle_connection(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            connection = idle.pop()  # the most recently used: the least likely to have been closed
            if not connection.closed and now - connection.idle_since < IDLE_TIMEOUT:
                return connection
            connection.close()
        return None

    async def _connect(self, target: Destination) -> _Connection:
        loop = asyncio.get_running_loop()
        context: ssl.SSLContext | None = None
        if target.scheme == "https":
            context = self._ssl or ssl.create_default_context()
            self._ssl = context  # one context for the process: making one loads the CA store
        _, connection = await loop.create_connection(
            _Connection, target.host, target.port, ssl=context, server_hostname=target.host if context else None
        )
        self.opened += 1
        return connection

    async def close(self) -> None:
        """Close every kept-alive connection; later posts are refused."""
        self.closed = True
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
        await asyncio.sleep(0)  # let the transports finish closing
