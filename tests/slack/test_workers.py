"""`recsys-quiz slack --workers N`: the supervisor alone (real child processes), and two workers on one port and one
PostgreSQL database taking a burst of signed clicks from the fake Slack, one of them SIGKILLed part-way."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

import aiohttp
import pytest

from adapters.slack.workers import Supervisor, refusal
from bot.actions import AnswerAction, decode
from bot.config import parse_database
from bot.content import DeckLibrary
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.runtime import open_store
from bot.views import QuestionCard
from tests.conftest import QuizDatabase
from tests.processes import Output, children_of, cpu_seconds, listening_sockets, until
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, STARTUP, SlackSender, free_port, sign
from tests.slack.fake_slack import FakeSlack

# The tests of several workers read Linux's /proc (children, sockets listening on a port, CPU), and SO_REUSEPORT
# spreads connections over the workers' sockets on Linux only.
ON_LINUX = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc; SO_REUSEPORT spreads connections on Linux")
CLICKS = 2_000
CONNECTIONS = 64  # the load generator's connections: Linux spreads them over the workers' sockets by their addresses
REPLIES = 120.0  # seconds to wait for every reply of a burst: a bound for a slow CI machine, normally a few seconds


# The supervisor on its own ----------------------------------------------------------------------------------------


def sleeper(*, ignore_term: bool = False, fail_with: int | None = None) -> Callable[[int], list[str]]:
    """A stand-in worker: sleeps (optionally deaf to SIGTERM), or fails at once with an exit code."""
    if fail_with is not None:
        code = f"import sys; sys.exit({fail_with})"
    else:
        deaf = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); " if ignore_term else ""
        code = f"{deaf}import time; time.sleep(120)"
    return lambda number: [sys.executable, "-c", code]


def test_several_workers_need_postgresql_and_socket_mode_takes_at_most_ten() -> None:
    problem = refusal(2, "sqlite", "http")
    assert problem is not None and "PostgreSQL" in problem and "RECSYS_QUIZ_DB=postgresql://" in problem and "\n" not in problem
    assert refusal(1, "sqlite", "http") is None and refusal(64, "postgresql", "http") is None
    assert refusal(10, "postgresql", "socket") is None
    assert "at most 10" in (refusal(11, "postgresql", "socket") or "")


async def test_a_killed_worker_is_reported_and_replaced_and_a_stop_ends_every_worker(caplog: pytest.LogCaptureFixture) -> None:
    supervisor = Supervisor(2, sleeper(), first_wait=0.0)
    running = asyncio.create_task(supervisor.run())
    try:
        await until(lambda: len(supervisor.workers) == 2, 10, "two workers started")
        first = supervisor.workers[1]
        os.kill(first.pid, signal.SIGKILL)
        await until(lambda: supervisor.workers[1] is not first, 10, "worker 1 replaced")
        assert f"Slack worker 1 (pid {first.pid}) was killed by SIGKILL" in caplog.text
        assert supervisor.deaths == 1
        last = list(supervisor.workers.values())
        supervisor.stop()
        assert await asyncio.wait_for(running, 10) == 0
    finally:
        supervisor.stop()
    assert all(process.returncode is not None for process in last)


async def test_a_worker_deaf_to_sigterm_is_killed_after_the_stop_timeout() -> None:
    supervisor = Supervisor(1, sleeper(ignore_term=True), stop_timeout=0.5)
    running = asyncio.create_task(supervisor.run())
    await until(lambda: len(supervisor.workers) == 1, 10, "the worker started")
    await asyncio.sleep(0.3)  # let the child install its SIG_IGN (the supervisor does not care either way)
    process = supervisor.workers[1]
    supervisor.stop()
    await asyncio.wait_for(running, 10)
    assert process.returncode == -signal.SIGKILL


async def test_a_worker_failing_while_starting_stops_them_all_with_its_exit_code(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def command(number: int) -> list[str]:
        calls.append(number)
        return sleeper(fail_with=2)(number) if number == 2 else sleeper()(number)

    code = await asyncio.wait_for(Supervisor(2, command).run(), 20)
    assert code == 2
    assert sorted(calls) == [1, 2]  # nobody was started again
    assert "Slack worker 2" in caplog.text and "exit code 2 while starting" in caplog.text


def test_workers_on_sqlite_are_refused_in_one_line_naming_postgresql(tmp_path: Path) -> None:
    import subprocess

    env = _env(str(tmp_path / "quiz.db"), "http://127.0.0.1:9/api/", free_port())
    done = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "slack", "--workers", "2"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "PostgreSQL" in lines[0] and "RECSYS_QUIZ_DB=postgresql://" in lines[0]


# Two workers on one PostgreSQL database ---------------------------------------------------------------------------


def _env(database: str, api_url: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RECSYS_QUIZ_")) and k not in ("PORT", "HOST")}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=api_url,
        RECSYS_QUIZ_DB=database,
        PORT=str(port),
        HOST="127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    return env


@dataclass
class Workers:
    """`recsys-quiz slack --workers 2` as a process of its own, with what it wrote to stderr."""

    process: asyncio.subprocess.Process
    port: int
    errors: Output
    url: str = field(init=False)

    def __post_init__(self) -> None:
        self.url = f"http://127.0.0.1:{self.port}/slack/events"

    @property
    def pids(self) -> list[int]:
        return children_of(self.process.pid)

    async def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), 60)


@pytest.fixture
async def start_workers(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[Callable[[str, int], Awaitable[Workers]]]:
    """Starts `recsys-quiz slack --workers N` on a free port and waits until all N listen; kills what is left after."""
    started: list[Workers] = []

    async def start(database: str, count: int = 2) -> Workers:
        port = free_port()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "adapters.cli",
            "slack",
            "--workers",
            str(count),
            env=_env(database, fake.api_url, port),
            cwd=tmp_path,
            stderr=asyncio.subprocess.PIPE,
        )
        workers = Workers(process, port, Output(process.stderr))
        started.append(workers)

        def listening() -> bool:
            if process.returncode is not None:
                raise AssertionError(f"recsys-quiz slack --workers ended early: {workers.errors.text}")
            return listening_sockets(port) == count

        await until(listening, STARTUP * 2, f"{count} workers listening on port {port}")
        return workers

    yield start
    for workers in started:  # only what this test started: the supervisor, then any worker it left
        pids = workers.pids
        if workers.process.returncode is None:
            workers.process.kill()
            await workers.process.wait()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


async def prepared_clicks(url: str, decks: DeckLibrary, people: int) -> list[tuple[str, str]]:
    """A run started for each of `people` Slack users through the engine; (user id, their first answer button)."""
    store = await open_store(parse_database(url))
    try:
        engine = QuizEngine(store, decks)
        clicks: list[tuple[str, str]] = []
        for start in range(0, people, 500):
            users = [f"U{i:06d}" for i in range(start, min(people, start + 500))]
            origins = [Origin(platform="slack", space_id=FakeSlack.TEAM, user_id=u, display_name=u) for u in users]
            for user, reply in zip(users, await asyncio.gather(*(engine.start(o) for o in origins)), strict=True):
                assert isinstance(reply.view, QuestionCard)
                clicks.append((user, reply.view.buttons[0].action_id))
        return clicks
    finally:
        await store.close()


@dataclass
class Sent:
    """One click as Slack delivers it: its signed body, its response_url's key, and what became of each try."""

    user: str
    action_id: str
    body: str
    key: str
    statuses: list[int | str] = field(default_factory=list)  # HTTP status, or the error of a try that got none

    @property
    def acknowledged(self) -> bool:
        return 200 in self.statuses


def click(fake: FakeSlack, user: str, action_id: str) -> Sent:
    sender = SlackSender("unused", None, fake)  # type: ignore[arg-type] - builds payloads only
    payload = sender.click_payload(action_id, user)
    return Sent(user, action_id, sender.form(payload), payload["response_url"].rsplit("/", 1)[1])


async def deliver(session: aiohttp.ClientSession, url: str, sent: Sent, *, retries: int = 3) -> None:
    """Post the click as Slack does: signed; when no 200 comes back, again (up to `retries` times) with X-Slack-Retry-Num."""
    for attempt in range(retries + 1):
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(sent.body, timestamp),
        }
        if attempt:
            headers |= {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_error"}
        try:
            async with session.post(url, data=sent.body.encode(), headers=headers) as response:
                await response.read()
                sent.statuses.append(response.status)
        except aiohttp.ClientError as error:  # the worker holding the connection died
            sent.statuses.append(type(error).__name__)
            continue
        if sent.statuses[-1] == 200:
            return


def replies_by_key(fake: FakeSlack) -> dict[str, list[str]]:
    by_key: dict[str, list[str]] = {}
    for posted in fake.posted:
        if posted.via == "response_url":
            by_key.setdefault(posted.key, []).append(str(posted.body.get("text", "")))
    return by_key


def is_feedback(text: str) -> bool:
    return text.startswith(("Correct", "Not the best"))


async def answers_on_disk(database: QuizDatabase) -> dict[str, str]:
    """user id -> the option key stored for their run's first question."""
    rows = await database.rows(
        "SELECT p.user_id, a.option_key FROM answers AS a JOIN people AS p ON p.person_id = a.person_id WHERE a.position = 0"
    )
    return {str(user): str(key) for user, key in rows}


async def totals_match_answers(database: QuizDatabase) -> None:
    (row,) = await database.rows(
        "SELECT (SELECT COUNT(*) FROM answers), (SELECT COALESCE(SUM(points), 0) FROM answers), "
        "(SELECT COALESCE(SUM(answers), 0) FROM score_totals WHERE period = 'all'), "
        "(SELECT COALESCE(SUM(points), 0) FROM score_totals WHERE period = 'all'), "
        "(SELECT COUNT(*) FROM (SELECT run_id, position FROM answers GROUP BY run_id, position HAVING COUNT(*) > 1) AS twice)"
    )
    answers, points, counted, counted_points, twice = row
    assert (counted, counted_points, twice) == (answers, points, 0), row


def option_of(action_id: str) -> str:
    action = decode(action_id)
    assert isinstance(action, AnswerAction)
    return action.option_key


@dataclass
class Setting:
    """A fresh PostgreSQL database with a run for each of CLICKS people, two workers on it, and each person's click."""

    database: QuizDatabase
    prepared: list[tuple[str, str]]  # (user id, action id)
    workers: Workers
    burst: list[Sent]


@pytest.fixture
async def two_workers(
    new_database: Callable[[], Awaitable[QuizDatabase]],
    decks: DeckLibrary,
    fake: FakeSlack,
    start_workers: Callable[[str, int], Awaitable[Workers]],
) -> Setting:
    database = await new_database()
    prepared = await prepared_clicks(database.url, decks, CLICKS)
    workers = await start_workers(database.url, 2)
    assert len(workers.pids) == 2
    return Setting(database, prepared, workers, [click(fake, user, action_id) for user, action_id in prepared])


@ON_LINUX
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_two_workers_on_one_port_answer_a_burst_of_2000_clicks_each_once(two_workers: Setting, fake: FakeSlack) -> None:
    database, workers, burst = two_workers.database, two_workers.workers, two_workers.burst
    pids = workers.pids
    retried = burst[:200]  # Slack retried these (no 200 seen in time, say): the same body again, to any worker
    before = {pid: cpu_seconds(pid) for pid in pids}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONNECTIONS, force_close=False)) as session:
        await asyncio.gather(*(deliver(session, workers.url, sent) for sent in [*burst, *retried]))
    assert all(sent.statuses and set(sent.statuses) == {200} for sent in burst), Counter(str(s.statuses) for s in burst)
    await fake.wait_for(lambda posted: len(posted) >= CLICKS + len(retried), REPLIES)
    used = {pid: cpu_seconds(pid) - before[pid] for pid in pids}

    replies = replies_by_key(fake)
    for sent in burst[len(retried) :]:
        assert len(replies.get(sent.key, [])) == 1 and is_feedback(replies[sent.key][0]), (sent.user, replies.get(sent.key))
    for sent in retried:  # one of the two got the feedback, the other a notice: recorded once
        texts = sorted(replies.get(sent.key, []), key=is_feedback)
        assert len(texts) == 2 and texts[0].startswith("Already answered") and is_feedback(texts[1]), (sent.user, texts)
    stored = await answers_on_disk(database)
    assert stored == {sent.user: option_of(sent.action_id) for sent in burst}
    await totals_match_answers(database)
    # Both workers took part: Linux spread the connections over both sockets.
    assert all(seconds >= 0.1 * sum(used.values()) for seconds in used.values()), used
    assert await workers.stop() == 0
    assert children_of(workers.process.pid) == [] and all(not Path(f"/proc/{pid}").exists() for pid in pids)


@ON_LINUX
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_a_worker_killed_mid_burst_loses_no_acknowledged_answer_and_the_other_goes_on(
    two_workers: Setting, fake: FakeSlack, start_workers: Callable[[str, int], Awaitable[Workers]]
) -> None:
    database, prepared, workers, burst = two_workers.database, two_workers.prepared, two_workers.workers, two_workers.burst
    victim, survivor = workers.pids
    acknowledged_when_killed = -1

    async def kill_part_way() -> None:
        nonlocal acknowledged_when_killed
        await until(lambda: sum(s.acknowledged for s in burst) >= CLICKS // 5, REPLIES, "a fifth of the burst acknowledged", every=0.005)
        os.kill(victim, signal.SIGKILL)
        acknowledged_when_killed = sum(s.acknowledged for s in burst)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONNECTIONS)) as session:
        killer = asyncio.create_task(kill_part_way())
        await asyncio.gather(*(deliver(session, workers.url, sent) for sent in burst))
        await killer
        # The supervisor reports the death and starts another worker in its place, which serves too.
        await until(lambda: len(workers.pids) == 2 and victim not in workers.pids, 30, "a new worker in place of the killed one")
        replacement = next(pid for pid in workers.pids if pid != survivor)
        await until(lambda: listening_sockets(workers.port) == 2, STARTUP * 2, "the new worker listening")
    assert all(sent.acknowledged for sent in burst), Counter(str(s.statuses) for s in burst if not s.acknowledged)
    assert any(not isinstance(status, int) for sent in burst for status in sent.statuses), "the kill cut no request: it came too late"
    assert await workers.stop() == 0  # the workers finish what they acknowledged, then stop
    errors = await workers.errors.finished()
    assert f"Slack worker 1 (pid {victim}) was killed by SIGKILL" in errors and "starting another" in errors
    assert replacement != victim

    replies = replies_by_key(fake)
    stored = await answers_on_disk(database)
    answered = [sent for sent in burst if any(is_feedback(text) for text in replies.get(sent.key, []))]
    for sent in answered:  # every answer the person was shown is on disk, with the option they clicked
        assert stored.get(sent.user) == option_of(sent.action_id), sent.user
    # An answer click is recorded before it is acknowledged (adapters.slack.handlers, on_action): every click Slack got
    # a 200 for is on disk, even those the killed worker acknowledged and never answered (Slack will not resend them).
    for sent in burst:
        assert stored.get(sent.user) == option_of(sent.action_id), (sent.user, sent.statuses)
    assert all(stored[user] == option_of(action_id) for user, action_id in prepared if user in stored)
    await totals_match_answers(database)
    # Unanswered: clicks the killed worker had acknowledged (so Slack will not send them again) and not yet replied to:
    # recorded all the same (above). It can only have acknowledged clicks before it died: never more than those.
    unanswered = [sent for sent in burst if not replies.get(sent.key)]
    assert len(unanswered) <= acknowledged_when_killed + CONNECTIONS, (len(unanswered), acknowledged_when_killed)

    # The people who got no reply click again: "Already answered" (the killed worker had recorded it) and the way on;
    # one answer each, and nobody is stuck.
    again = await start_workers(database.url, 2)
    retry = [click(fake, sent.user, sent.action_id) for sent in unanswered]
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(deliver(session, again.url, sent) for sent in retry))
    await fake.wait_for(lambda posted: all(replies_by_key(fake).get(sent.key) for sent in retry), REPLIES)
    replies = replies_by_key(fake)
    assert all(len(replies[s.key]) == 1 and (is_feedback(replies[s.key][0]) or replies[s.key][0].startswith("Already")) for s in retry)
    assert await answers_on_disk(database) == {user: option_of(action_id) for user, action_id in prepared}
    await totals_match_answers(database)
    assert await again.stop() == 0


@ON_LINUX
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_in_socket_mode_each_worker_opens_its_own_connection(
    new_database: Callable[[], Awaitable[QuizDatabase]], fake: FakeSlack, tmp_path: Path
) -> None:
    database = await new_database()
    env = {**_env(database.url, fake.api_url, free_port()), "SLACK_APP_TOKEN": "xapp-1-workers"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", "slack", "--workers", "3", env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    errors = Output(process.stderr)
    pids: list[int] = []
    try:
        await until(lambda: fake.socket_connections == 3 or process.returncode is not None, STARTUP * 2, "three Socket Mode connections")
        assert process.returncode is None, errors.text
        pids = children_of(process.pid)
        sender = SlackSender("unused", None, fake)  # type: ignore[arg-type] - builds payloads only
        envelopes = [f"e{i}" for i in range(12)]
        for number, envelope in enumerate(envelopes):
            payload = dict(parse_qsl(sender.slash_body("help", f"U{number}")))
            await fake.socket_outbox.put({"envelope_id": envelope, "type": "slash_commands", "payload": payload})
        for envelope in envelopes:
            await fake.wait_for_socket_ack(envelope, REPLIES)
        await fake.wait_for(lambda posted: len(posted) >= len(envelopes), REPLIES)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 60) == 0, await errors.finished()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert len(pids) == 3
    assert all(p.body["text"].startswith("recsys-quiz help") for p in fake.posted)
