"""Discord burst: button clicks dispatched as INTERACTION_CREATE into `recsys-quiz discord` (its own process).

The bot runs as a real process (the `recsys-quiz discord` entry point: discord.py's AutoShardedClient)
with DISCORD_API_BASE pointed at the fake Discord of tests/discord/fake_discord.py (whose GET /gateway/bot
names its own gateway), which runs in this process and sends the clicks over the gateway websocket. Each
person has a run prepared through the engine; the click is on the first button of their first question, on
a message that carries that button (as Discord sends it). Reported: clicks acknowledged per second (the
first response) and answers shown per second end to end (the reply the person sees, after a deferral its
followup), time from dispatch to the interaction callback p50/p99/max, the bot's CPU per click, answers in
the database, the fake's record of late (> 3 s) or broken responses, and the bot's resident memory.

With --shards N the bot is N processes, `recsys-quiz discord --shard-count N --shard-ids k` for k = 0..N-1, and the
people are spread over N guilds, one on each shard, which the fake gateway routes to their shard's connection as
Discord does; that needs --db postgresql://... (an empty database). The bot's CPU is then that of all N processes,
and the PostgreSQL server's own CPU is reported beside it.

Run: python -m bench.discord_burst [--people 10000] [--rates 200,1000] [--paced 2000] [--db postgresql://...] [--shards N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._common import (
    backends_cpu,
    cli,
    count_rows,
    cpu_between,
    cpu_seconds,
    family_cpu,
    family_rss_mb,
    machine,
    percentile,
    prepare_runs,
    proc_status,
    stop,
)
from tests.discord.fake_discord import DEADLINE, EPHEMERAL, GUILD_ID, FakeDiscord, Pending, guild_on_shard, user_payload


def message_with(fake: FakeDiscord, custom_id: str) -> dict[str, Any]:
    """The ephemeral question card as Discord would send it back with a click: one row holding the button."""
    row = {"type": 1, "components": [{"type": 2, "style": 1, "label": "A", "custom_id": custom_id}]}
    return fake._message({"components": [row], "embeds": [{"title": "Question 1 / 5"}]}, flags=EPHEMERAL)


async def burst(
    fake: FakeDiscord, clicks: list[tuple[dict[str, Any], dict[str, Any], str, str]], rate: float | None
) -> tuple[float, list[Pending]]:
    began = time.perf_counter()
    pendings: list[Pending] = []
    for index, (user, message, custom_id, guild) in enumerate(clicks):
        if rate:
            delay = began + index / rate - time.perf_counter()
            if delay > 0.001:
                await asyncio.sleep(delay)
        pendings.append(await fake.click(user, message, custom_id, guild_id=guild))
    last_answer = await settled(pendings, lambda p: p.answered.is_set())
    return last_answer - began, pendings


async def settled(pendings: list[Pending], done: Callable[[Pending], bool], quiet: float = 3.0) -> float:
    """Wait until every click is `done`, or until none has become done for `quiet` seconds: the bot gives up
    on a click whose first response cannot reach Discord within its 3 s (real Discord refuses it then), so
    such a click is never answered and waiting for it would never end. Returns when the last one became done."""
    count, since = -1, time.perf_counter()
    while True:
        now_done = sum(1 for p in pendings if done(p))
        if now_done == len(pendings):
            return time.perf_counter()
        if now_done != count:
            count, since = now_done, time.perf_counter()
        elif time.perf_counter() - since > quiet:
            return since
        await asyncio.sleep(0.1)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10_000, help="clicks in the all-at-once burst")
    parser.add_argument("--rates", default="200,1000", help="paced bursts (clicks a second), each of --paced clicks")
    parser.add_argument("--paced", type=int, default=2_000, help="clicks per paced burst")
    parser.add_argument("--profile", type=Path, default=None, help="run the bot under cProfile, writing its stats here")
    parser.add_argument("--db", default=None, help="the bot's database: an empty postgresql:// database (default: a new SQLite file)")
    parser.add_argument("--shards", type=int, default=1, help="N processes of one shard each (N > 1 needs --db postgresql://...)")
    args = parser.parse_args()
    postgres = bool(args.db and args.db.startswith(("postgresql://", "postgres://")))
    if args.shards > 1 and not postgres:
        parser.error("--shards above 1 needs --db postgresql://...")
    rates = [float(r) for r in args.rates.split(",") if r]
    folder = Path(tempfile.mkdtemp(prefix="recsys-quiz-discord-bench-"))
    database = args.db or str(folder / "discord.db")
    total = args.people + args.paced * len(rates)
    users = [user_payload(str(1_600_000_000_000_000_000 + i), f"user{i}") for i in range(total)]
    print(f"machine: {machine()}")
    began = time.perf_counter()
    guilds = [GUILD_ID if args.shards == 1 else guild_on_shard(i % args.shards, args.shards) for i in range(total)]
    custom_ids = await prepare_runs(database, "discord", guilds, [u["id"] for u in users])
    print(f"prepared {len(custom_ids):,} runs through the engine in {time.perf_counter() - began:.1f} s")

    # The fake refuses a late callback (as Discord does) without recording it; here every callback is
    # accepted and recorded so that lateness can be measured, and counted against Discord's 3 s below.
    fake = FakeDiscord(deadline=float("inf"), shards=args.shards)
    await fake.start()
    env = {
        **os.environ,
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GUILD_ID": GUILD_ID,
        "RECSYS_QUIZ_DB": database,
        "LOG_LEVEL": "WARNING",
    }
    if args.shards > 1:
        env["DISCORD_GATEWAY_URL"] = fake.gateway_url  # a fixed shard count connects where this says
    commands = []
    for shard in range(args.shards):
        flags = ["--shard-count", str(args.shards), "--shard-ids", str(shard)] if args.shards > 1 else []
        if args.profile is None:
            commands.append(cli("discord", *flags))
        else:
            profile = args.profile.resolve().with_suffix(f".{shard}{args.profile.suffix}")
            commands.append([sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "adapters.cli", "discord", *flags])
    bots = [subprocess.Popen(command, env=env, cwd=folder) for command in commands]
    pids = [bot.pid for bot in bots]
    try:
        for _ in range(600):
            if len(fake.identifies) == args.shards:
                break
            if any(bot.poll() is not None for bot in bots):
                raise RuntimeError("the bot exited before connecting")
            await asyncio.sleep(0.05)
        else:
            raise RuntimeError("the bot did not connect to the fake gateway")
        await asyncio.sleep(2.5)  # discord.py waits guild_ready_timeout (2 s) before it is ready
        print(f"bot pids {pids}: rss before the bursts {family_rss_mb(pids):.0f} MB")
        offset = 0
        for rate, n in [(None, args.people), *((rate, args.paced) for rate in rates)]:
            clicks = [(users[i], message_with(fake, custom_ids[i]), custom_ids[i], guilds[i]) for i in range(offset, offset + n)]
            cpu_bot, cpu_us, cpu_db = family_cpu(pids), cpu_seconds(), await backends_cpu(args.db if postgres else None)
            began_round = time.perf_counter()
            elapsed, pendings = await burst(fake, clicks, rate)
            cpu_bot, cpu_us = family_cpu(pids) - cpu_bot, cpu_seconds() - cpu_us
            latencies = [p.responses[0].at - p.sent_at for p in pendings if p.responses]
            kinds: dict[int, int] = {}
            for p in pendings:
                kind = p.responses[0].json.get("type") if p.responses else None
                kinds[kind] = kinds.get(kind, 0) + 1  # type: ignore[index]
            unanswered = sum(1 for p in pendings if not p.responses)  # given up after Discord's 3 s: as late as late gets
            late = sum(1 for v in latencies if v > DEADLINE) + unanswered
            # Deferred clicks get their message by a later edit: wait for every one before the next round starts.
            await settled(pendings, lambda p: p.delivered.is_set() or not p.responses)
            undelivered = sum(1 for p in pendings if not p.delivered.is_set())
            delivered_after = time.perf_counter() - began_round
            server = cpu_between(cpu_db, await backends_cpu(args.db if postgres else None))
            shown = [p.delivered_at - p.sent_at for p in pendings if p.delivered_at is not None]
            first_sent = min(p.sent_at for p in pendings)
            last_shown = max((p.delivered_at for p in pendings if p.delivered_at is not None), default=first_sent)
            label = "all at once" if rate is None else f"paced at {rate:,.0f}/s"
            print(
                f"{label}: {n - unanswered} of {n} clicks answered in {elapsed:.2f} s = "
                f"{(n - unanswered) / elapsed:,.0f} clicks/s; dispatch to callback p50 {statistics.median(latencies) * 1000:.0f} ms, "
                f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms; later than 3 s: {late} "
                f"(of which given up by the bot, no response: {unanswered}); "
                f"response types {kinds} (7 = feedback in place, 5 = deferred); CPU: bot {cpu_bot / elapsed:.0%} of a core, "
                f"fake Discord {cpu_us / elapsed:.0%}; bot CPU per click {cpu_bot / n * 1000:.2f} ms; "
                + (f"PostgreSQL backends' CPU per click {server / n * 1000:.2f} ms (until every reply was shown); " if postgres else "")
                + f"bot rss {family_rss_mb(pids):.0f} MB"
            )
            print(
                f"  answers shown end to end: {len(shown)} in {last_shown - first_sent:.2f} s = "
                f"{len(shown) / max(last_shown - first_sent, 1e-9):,.0f} answers/s, dispatch to shown p99 "
                f"{percentile(shown, 0.99) * 1000:.0f} ms; every reply shown {delivered_after:.2f} s after the round began; "
                f"not delivered: {undelivered} (given up included)"
            )
            offset += n
        await asyncio.sleep(1)  # deferred replies (if any) finish
        recorded = await count_rows(database, "answers")
        print(f"answers in the database: {recorded:,} of {offset:,} clicks: {'all recorded' if recorded == offset else 'MISSING'}")
        violations = [v for v in fake.violations if "answered late" not in v]
        print(f"fake Discord saw {len(violations)} rule violations" + (f", e.g. {violations[:3]}" if violations else ""))
        peak = sum(proc_status(pid)["VmHWM"] for pid in pids) / 1024
        print(f"bot rss after the bursts {family_rss_mb(pids):.0f} MB (peaks summed over its processes: {peak:.0f} MB)")
    finally:
        for bot in bots:
            stop(bot)
        await fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
