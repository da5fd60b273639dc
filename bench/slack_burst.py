"""Slack HTTP burst: signed button clicks to `recsys-quiz slack` (HTTP mode, its own process) on loopback.

The bot runs as a real process (the `recsys-quiz slack` entry point: bolt's own aiohttp adapter behind the
front door's size and time limits) with its Web API and every response_url pointed at the fake Slack of
tests/slack/fake_slack.py, which runs in this process together with the load generator. Each person
has a run prepared through the engine beforehand; the burst is one click per person on their first
question's first button. By default every clicker is new to the bot process (its runs were started in the
database beforehand); an answer in a personal run needs no users.info lookup (the core reads only who clicked),
so none is made; with --seen each person first runs `/recsys-quiz help` (untimed, one users.info each), as a
personal run's clicks follow its `/recsys-quiz start`. With --daily every click is instead a new person's
answer to one daily question post in a channel (the burst a study group makes): each costs a users.info
lookup (the answer stores its person's name) and a daily answer. Reported: clicks/s, time to acknowledge (HTTP 200) p50/p99/max, time until
the feedback reached the response_url, that every click's answer is in the database, and the bot's
resident memory before and after.

With --workers N the bot is `recsys-quiz slack --workers N` (N processes on the port, SO_REUSEPORT), which needs
--db postgresql://... (an empty database); the bot's CPU is then that of all its processes, and the PostgreSQL
server's own CPU is reported beside it (every `postgres` process of this machine).

Run: python -m bench.slack_burst [--people 10000] [--rates 200,1000] [--paced 2000] [--connections 256] [--seen]
[--daily] [--db postgresql://user@host:5432/empty_database] [--workers N] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from bench._common import (
    backends_cpu,
    cli,
    count_rows,
    cpu_between,
    cpu_seconds,
    family,
    family_cpu,
    family_rss_mb,
    free_port,
    machine,
    percentile,
    prepare_runs,
    proc_status,
    stop,
)
from tests.processes import listening_sockets
from tests.slack.fake_slack import FakeSlack

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
ACK_DEADLINE = 3.0  # Slack's


def signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }


POST_TS = "1700000000.000200"  # the daily post's message in channel C1


def click_body(fake: FakeSlack, user: str, action_id: str, *, shared: bool = False) -> str:
    """A click as Slack sends it: on the person's own ephemeral card, or (`shared`) on the channel's daily post."""
    container = (
        {"type": "message", "message_ts": POST_TS, "channel_id": "C1", "is_ephemeral": False}
        if shared
        else {"type": "message", "message_ts": "1700000000.000100", "channel_id": "C1", "is_ephemeral": True}
    )
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": fake.TEAM},
        "api_app_id": "A1",
        "token": "legacy",
        "container": container,
        "trigger_id": "1.2.3",
        "team": {"id": fake.TEAM, "domain": "fake"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": "C1", "name": "study"},
        "response_url": fake.new_response_url(),
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b1",
                "text": {"type": "plain_text", "text": "A"},
                "type": "button",
                "action_ts": "1.0",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def help_body(fake: FakeSlack, user: str) -> str:
    """`/recsys-quiz help` from `user`, as Slack sends a slash command."""
    return urlencode(
        {
            "token": "legacy",
            "team_id": fake.TEAM,
            "team_domain": "fake",
            "channel_id": "C1",
            "channel_name": "study",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/recsys-quiz",
            "text": "help",
            "api_app_id": "A1",
            "response_url": fake.new_response_url(),
            "trigger_id": "1.2.3",
        }
    )


async def prepare_daily_post(database: str, team: str, people: int) -> list[str]:
    """One daily question posted to channel C1 through the real engine (the post itself captured, not sent); each
    of `people` clicks gets one of its four answer buttons in turn."""
    from bot.config import parse_database
    from bot.content import default_content_dir, load_decks
    from bot.daily import DailyTarget
    from bot.engine import QuizEngine
    from bot.origin import Origin
    from bot.runtime import open_store
    from bot.views import DailyPostView

    buttons: list[str] = []

    class Capture:
        async def post(self, target: DailyTarget, view: DailyPostView) -> str:
            buttons.extend(b.action_id for b in view.buttons)
            return POST_TS

        async def edit(self, target: DailyTarget, message_ref: str, view: DailyPostView) -> None:
            return None

    store = await open_store(parse_database(database))
    try:
        engine = QuizEngine(store, load_decks(default_content_dir()))
        engine.daily.attach("slack", Capture())
        admin = Origin(platform="slack", space_id=team, user_id="UADMIN", display_name="Admin", is_admin=True)
        await engine.daily.configure(admin, "C1", "09:00", "UTC")
        await engine.daily.post_now(admin, "C1")
    finally:
        await store.close()
    assert len(buttons) == 4, buttons
    return [buttons[i % 4] for i in range(people)]


async def burst(
    session: aiohttp.ClientSession, url: str, bodies: list[str], rate: float | None
) -> tuple[float, list[float], list[float], list[int]]:
    """Send the clicks (all at once, or at `rate` a second); returns elapsed, ack latency from due time, from send, statuses."""
    from_due: list[float] = []
    from_send: list[float] = []
    statuses: list[int] = []

    async def one(body: str, due: float) -> None:
        sent = time.perf_counter()
        async with session.post(url, data=body.encode(), headers=signed(body)) as response:
            await response.read()
            statuses.append(response.status)
        done = time.perf_counter()
        from_due.append(done - due)
        from_send.append(done - sent)

    began = time.perf_counter()
    tasks = []
    for index, body in enumerate(bodies):
        due = began + index / rate if rate else began
        if rate:
            delay = due - time.perf_counter()
            if delay > 0.001:
                await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(body, due)))
    await asyncio.gather(*tasks)
    return time.perf_counter() - began, from_due, from_send, statuses


def report(label: str, n: int, elapsed: float, from_due: list[float], from_send: list[float], statuses: list[int]) -> None:
    late = sum(1 for v in from_due if v > ACK_DEADLINE)
    bad = sum(1 for s in statuses if s != 200)
    print(
        f"{label}: {n} clicks acked in {elapsed:.2f} s = {n / elapsed:,.0f} clicks/s; "
        f"ack p50 {statistics.median(from_due) * 1000:.0f} ms, p99 {percentile(from_due, 0.99) * 1000:.0f} ms, "
        f"max {max(from_due) * 1000:.0f} ms (from each click's due time; from the request's send: "
        f"p99 {percentile(from_send, 0.99) * 1000:.0f} ms); later than 3 s: {late}; non-200: {bad}"
    )


async def wait_feedback(fake: FakeSlack, expected: int, began: float, timeout: float = 120.0) -> float:
    await fake.wait_for(lambda posted: len(posted) >= expected, timeout)
    return time.perf_counter() - began


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10_000, help="clicks in the all-at-once burst")
    parser.add_argument("--rates", default="200,1000", help="paced bursts (clicks a second), each of --paced clicks")
    parser.add_argument("--paced", type=int, default=2_000, help="clicks per paced burst")
    parser.add_argument("--profile", type=Path, default=None, help="run the bot under cProfile, writing its stats here")
    parser.add_argument("--connections", type=int, default=256, help="concurrent HTTP connections of the load generator")
    parser.add_argument("--daily", action="store_true", help="every click is a new person's answer to one daily post (users.info each)")
    parser.add_argument(
        "--seen", action="store_true", help="each person runs /recsys-quiz help first (untimed), so the bot's directory knows them"
    )
    parser.add_argument("--db", default=None, help="the bot's database: an empty postgresql:// database (default: a new SQLite file)")
    parser.add_argument("--workers", type=int, default=1, help="run `recsys-quiz slack --workers N` (N > 1 needs --db postgresql://...)")
    args = parser.parse_args()
    postgres = bool(args.db and args.db.startswith(("postgresql://", "postgres://")))
    if args.workers > 1 and not postgres:
        parser.error("--workers above 1 needs --db postgresql://...")
    rates = [float(r) for r in args.rates.split(",") if r]
    folder = Path(tempfile.mkdtemp(prefix="recsys-quiz-slack-bench-"))
    database = args.db or str(folder / "slack.db")
    total = args.people + args.paced * len(rates)
    users = [f"U{i:07d}" for i in range(total)]
    print(f"machine: {machine()}")
    began = time.perf_counter()
    if args.daily:
        clicks = await prepare_daily_post(database, FakeSlack.TEAM, len(users))
        print(f"prepared one daily post in C1 for {len(clicks):,} new people in {time.perf_counter() - began:.1f} s")
    else:
        clicks = await prepare_runs(database, "slack", FakeSlack.TEAM, users)
        print(f"prepared {len(clicks):,} runs through the engine in {time.perf_counter() - began:.1f} s")

    fake = FakeSlack()
    for user in users:
        fake.add_user(user, f"Person {user}")
    if args.daily:  # the post as the channel has it, so that the bot's edits of its answer count land (chat.update)
        fake.messages[("C1", POST_TS)] = {"text": "Daily question", "blocks": []}
    await fake.start()
    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "SLACK_APP_TOKEN": "",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "RECSYS_QUIZ_DB": database,
        "LOG_LEVEL": "WARNING",
    }
    command = (
        cli("slack", *(["--workers", str(args.workers)] if args.workers > 1 else []))
        if args.profile is None
        else [sys.executable, "-m", "cProfile", "-o", str(args.profile.resolve()), "-m", "adapters.cli", "slack"]
    )
    bot = subprocess.Popen(command, env=env, cwd=folder)
    url = f"http://127.0.0.1:{port}/slack/events"
    try:
        connector = aiohttp.TCPConnector(limit=args.connections)
        async with aiohttp.ClientSession(connector=connector) as session:
            for _ in range(600):  # until every worker listens
                if listening_sockets(port) == args.workers:
                    break
                if bot.poll() is not None:
                    raise RuntimeError("the bot exited before it listened")
                await asyncio.sleep(0.05)
            else:
                raise RuntimeError("the bot did not start listening")
            if args.seen:
                began = time.perf_counter()
                await burst(session, url, [help_body(fake, user) for user in users], rate=None)
                await wait_feedback(fake, len(users), began)
                print(f"each of {len(users):,} people ran /recsys-quiz help first ({time.perf_counter() - began:.1f} s, untimed)")
            calls_before = len(fake.calls)
            print(f"bot pids {family(bot.pid)}: rss before the bursts {family_rss_mb([bot.pid]):.0f} MB")
            rounds = [(None, args.people), *((rate, args.paced) for rate in rates)]
            offset = 0
            for rate, n in rounds:
                bodies = [click_body(fake, users[i], clicks[i], shared=args.daily) for i in range(offset, offset + n)]
                before = len(fake.posted)
                start = time.perf_counter()
                cpu_bot, cpu_us, cpu_db = family_cpu([bot.pid]), cpu_seconds(), await backends_cpu(args.db if postgres else None)
                elapsed, from_due, from_send, statuses = await burst(session, url, bodies, rate)
                acking_bot, acking_us = family_cpu([bot.pid]) - cpu_bot, cpu_seconds() - cpu_us
                report("all at once" if rate is None else f"paced at {rate:,.0f}/s", n, elapsed, from_due, from_send, statuses)
                # While acknowledging, the load generator shares the machine: if it is the one at 100%, the bot is not measured.
                print(
                    f"  CPU while acknowledging: bot {acking_bot / elapsed:.0%} of a core, "
                    f"fake Slack + load generator {acking_us / elapsed:.0%}"
                )
                done = await wait_feedback(fake, before + n, start)
                feedback = fake.posted[before:]
                cpu_bot, cpu_us = family_cpu([bot.pid]) - cpu_bot, cpu_seconds() - cpu_us
                server = cpu_between(cpu_db, await backends_cpu(args.db if postgres else None))
                good = sum(1 for p in feedback if p.body.get("text", "").startswith(("Correct", "Not the best")))
                print(
                    f"  every feedback reached its response_url {done:.2f} s after the burst began "
                    f"({n / done:,.0f} answers/s end to end); feedback messages: {good} of {n}; "
                    f"bot rss {family_rss_mb([bot.pid]):.0f} MB; CPU used: bot {cpu_bot / done:.0%} of a core "
                    f"({cpu_bot / n * 1000:.2f} ms a click), "
                    + (f"PostgreSQL backends {server / done:.0%} ({server / n * 1000:.2f} ms a click), " if postgres else "")
                    + f"fake Slack + load generator {cpu_us / done:.0%}"
                )
                offset += n
            recorded = await count_rows(database, "daily_answers" if args.daily else "answers")
            print(f"answers in the database: {recorded:,} of {offset:,} clicks: {'all recorded' if recorded == offset else 'MISSING'}")
            # bolt's auth.test comes once, at the first click (--seen: before the bursts); answers make no users.info call.
            methods = Counter(call.method for call in fake.calls[calls_before:])
            print(f"Web API calls during the bursts: {', '.join(f'{m} {n:,}' for m, n in sorted(methods.items())) or 'none'}")
            peak = sum(proc_status(pid)["VmHWM"] for pid in family(bot.pid)) / 1024
            print(f"bot rss after the bursts {family_rss_mb([bot.pid]):.0f} MB (peaks summed over its processes: {peak:.0f} MB)")
    finally:
        stop(bot)
        await fake.close()


if __name__ == "__main__":
    asyncio.run(main())
