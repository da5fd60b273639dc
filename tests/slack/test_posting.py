"""The response_url poster: kept-alive connections, every way an HTTP/1.1 answer can be framed, failures and timeouts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from adapters.slack.posting import Answer, LeanHttp, destination
from tests.slack.fake_slack import FakeSlack

# Answers as a server writes them; `{n}` is the request's number on its connection (from 1).
OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
CHUNKED = b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nexpi\r\n7\r\nred_url\r\n0\r\n\r\n"
UNTIL_CLOSE = b"HTTP/1.0 200 OK\r\n\r\nuntil the end"
INTERIM = b"HTTP/1.1 100 Continue\r\n\r\n" + OK

Responder = Callable[[int, asyncio.Transport], None]


class _Raw(asyncio.Protocol):
    """One connection of a raw server: every complete request (head and Content-Length body) goes to `respond`."""

    def __init__(self, respond: Responder, requests: list[bytes]) -> None:
        self.respond, self.requests, self.buffer, self.count = respond, requests, b"", 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].decode()
            length = next((int(line.split(":")[1]) for line in head.split("\r\n") if line.lower().startswith("content-length")), 0)
            if len(self.buffer) < end + 4 + length:
                return
            self.requests.append(self.buffer[: end + 4 + length])
            self.buffer = self.buffer[end + 4 + length :]
            self.count += 1
            self.respond(self.count, self.transport)


@asynccontextmanager
async def _raw_server(respond: Responder) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A server on 127.0.0.1 answering with raw bytes: its base URL and the requests it received."""
    requests: list[bytes] = []
    server = await asyncio.get_running_loop().create_server(lambda: _Raw(respond, requests), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", requests
    finally:
        server.close()
        await server.wait_closed()


async def _post(poster: LeanHttp, url: str, body: bytes = b'{"text":"hi"}', timeout: float = 5.0) -> Answer:
    target = destination(url)
    assert target is not None
    return await poster.post(target, body, timeout=timeout)


async def test_posts_to_one_host_reuse_one_kept_alive_connection(fake: FakeSlack) -> None:
    poster = LeanHttp()
    for text in ("one", "two", "three"):
        answer = await _post(poster, fake.new_response_url(), f'{{"text":"{text}"}}'.encode())
        assert (answer.status, answer.body) == (200, b"ok")
    await poster.close()
    assert [p.body["text"] for p in fake.posted] == ["one", "two", "three"]
    assert poster.opened == 1


async def test_the_request_is_a_plain_http_11_post_of_the_json() -> None:
    async with _raw_server(lambda n, t: t.write(OK)) as (base, requests):
        poster = LeanHttp()
        await _post(poster, f"{base}/response/7?x=1#fragment", '{"text":"é"}'.encode())
        await poster.close()
    head, _, body = requests[0].partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /response/7?x=1 HTTP/1.1"  # the fragment stays with the client, as in any HTTP client
    assert f"Host: {base.removeprefix('http://')}" in lines
    assert "Content-Type: application/json;charset=utf-8" in lines and f"Content-Length: {len(body)}" in lines
    assert body.decode() == '{"text":"é"}'


@pytest.mark.parametrize(
    ("raw", "status", "body", "kept"),
    [
        (OK, 200, b"ok", True),
        (CHUNKED, 404, b"expired_url", True),
        (INTERIM, 200, b"ok", True),
        (UNTIL_CLOSE, 200, b"until the end", False),
    ],
    ids=["content-length", "chunked", "after-100-continue", "until-close"],
)
async def test_an_answer_is_read_however_it_is_framed(raw: bytes, status: int, body: bytes, kept: bool) -> None:
    def respond(n: int, transport: asyncio.Transport) -> None:
        for i in range(0, len(raw), 7):  # in small pieces, as a slow network delivers it
            transport.write(raw[i : i + 7])
        if raw is UNTIL_CLOSE:
            transport.close()

    async with _raw_server(respond) as (base, _):
        poster = LeanHttp()
        for _ in range(2):
            answer = await _post(poster, f"{base}/hook")
            assert (answer.status, answer.body) == (status, body)
        await poster.close()
    assert poster.opened == (1 if kept else 2)


async def test_a_connection_closed_by_the_server_between_posts_is_not_reused_and_the_post_is_sent_again_once() -> None:
    def respond(n: int, transport: asyncio.Transport) -> None:
        if n == 2:  # a kept-alive connection timed out by the other end: no answer at all
            transport.close()
        else:
            transport.write(OK)

    async with _raw_server(respond) as (base, requests):
        poster = LeanHttp()
        assert (await _post(poster, f"{base}/a")).status == 200
        assert (await _post(poster, f"{base}/b")).status == 200
        await poster.close()
    assert [r.split(b" ")[1] for r in requests] == [b"/a", b"/b", b"/b"]
    assert poster.opened == 2


async def test_a_post_closed_without_an_answer_twice_is_an_error_not_a_loop() -> None:
    async with _raw_server(lambda n, t: t.close()) as (base, requests):
        poster = LeanHttp()
        with pytest.raises(ConnectionError):
            await _post(poster, f"{base}/hook")
        await poster.close()
    assert len(requests) == 2  # sent again once, as on a kept-alive connection the other end had closed


async def test_a_garbled_answer_is_an_error_and_its_connection_is_dropped() -> None:
    answers = iter([b"SMTP ready\r\n\r\n", OK])  # one per connection: the second is the poster's new one
    async with _raw_server(lambda n, t: t.write(next(answers))) as (base, _):
        poster = LeanHttp()
        with pytest.raises(ConnectionError):
            await _post(poster, f"{base}/hook")
        assert (await _post(poster, f"{base}/hook")).status == 200
        await poster.close()
    assert poster.opened == 2


async def test_a_response_url_that_never_answers_times_out_and_its_connection_is_dropped() -> None:
    async with _raw_server(lambda n, t: None) as (base, _):
        poster = LeanHttp()
        with pytest.raises(TimeoutError):
            await _post(poster, f"{base}/hook", timeout=0.2)
        with pytest.raises(TimeoutError):
            await _post(poster, f"{base}/hook", timeout=0.2)
        await poster.close()
    assert poster.opened == 2


async def test_at_most_limit_posts_are_in_flight_at_once() -> None:
    held: list[asyncio.Transport] = []
    async with _raw_server(lambda n, t: held.append(t)) as (base, _):
        poster = LeanHttp(limit=2)
        posts = [asyncio.create_task(_post(poster, f"{base}/{i}")) for i in range(5)]
        while len(held) < 2:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert len(held) == 2 and poster.opened == 2  # the other three wait for a connection
        while not all(p.done() for p in posts):
            for transport in list(held):
                held.remove(transport)
                transport.write(OK)
            await asyncio.sleep(0.01)
        await poster.close()
    assert [p.result().status for p in posts] == [200] * 5 and poster.opened == 2


async def test_a_closed_poster_refuses_posts(fake: FakeSlack) -> None:
    poster = LeanHttp()
    await _post(poster, fake.new_response_url())
    await poster.close()
    with pytest.raises(RuntimeError):
        await _post(poster, fake.new_response_url())


@pytest.mark.parametrize(
    ("url", "where", "line"),
    [
        (
            "https://hooks.slack.com/actions/T1/1/abc",
            ("https", "hooks.slack.com", 443),
            b"POST /actions/T1/1/abc HTTP/1.1\r\nHost: hooks.slack.com\r\n",
        ),
        ("http://127.0.0.1:8080", ("http", "127.0.0.1", 8080), b"POST / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"),
        ("http://[::1]:81/r?a=b", ("http", "::1", 81), b"POST /r?a=b HTTP/1.1\r\nHost: [::1]:81\r\n"),
        ("HTTP://Example.COM?q=1#top", ("http", "example.com", 80), b"POST /?q=1 HTTP/1.1\r\nHost: example.com\r\n"),
    ],
)
def test_a_destination_is_where_the_url_points(url: str, where: tuple[str, str, int], line: bytes) -> None:
    target = destination(url)
    assert target is not None and (target.scheme, target.host, target.port) == where and target.request_head(b"POST") == line


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/a b",  # would break the request line
        "https://hooks.slack.com/\r\nX-Injected: 1",
        "https://hooks.slack.com/grüße",  # needs percent-encoding: aiohttp does it
        "ftp://hooks.slack.com/x",
        "https://user:secret@hooks.slack.com/x",
        "https://hooks.slack.com:99999/x",
        "https:///no-host",
        "mailto:someone@example.com",
        "not a url",
    ],
)
def test_a_url_the_poster_does_not_take_is_left_to_aiohttp(url: str) -> None:
    assert destination(url) is None


async def test_a_get_sends_the_callers_header_lines_and_no_body() -> None:
    async with _raw_server(lambda n, t: t.write(OK)) as (base, requests):
        client = LeanHttp()
        target = destination(f"{base}/api/users.info?user=U%201")
        assert target is not None
        answer = await client.get(target, b"Authorization: Bearer xoxb-1\r\nUser-Agent: slack-sdk\r\n", timeout=5)
        await client.close()
    assert (answer.status, answer.body) == (200, b"ok")
    head = requests[0].decode()
    assert head.startswith("GET /api/users.info?user=U%201 HTTP/1.1\r\n") and head.endswith("\r\n\r\n")
    assert "Authorization: Bearer xoxb-1\r\n" in head and "Content-Length" not in head
    assert head.lower().count("user-agent:") == 1  # the caller's, not a second one
