"""Answer-burst benchmark: N people answer through the engine and store, against a plain sqlite3 insert ceiling.

Three bursts of N people (--people, default 10,000): N answer their run's first question all at
once, N others arrive at `--rate` a second, then N answer one daily question post at once (a
channel's real burst). Latency is from the click (or the burst's start) to the committed reply.

Run: python -m bench.answers [--people 10000] [--rate 10000] [--db postgresql://user@host:5432/empty_database]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from bench._common import backends_cpu, cpu_between, cpu_seconds
from bot.config import parse_database
from bot.content import default_content_dir, load_decks
from bot.daily import DailyTarget
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.runtime import open_store, tune_gc
from bot.store.migrations import MIGRATIONS, _statements, register_functions
from bot.views import AnswerFeedback, DailyFeedback, DailyPostView, QuestionCard


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def prepare(engine: QuizEngine, people: int) -> list[tuple[Origin, str]]:
    """Each person starts a run; their click is the first button of their first question."""
    clicks: list[tuple[Origin, str]] = []
    for start in range(0, people, 500):
        origins = [
            Origin(platform="bench", space_id="s1", user_id=f"u{i}", display_name=f"user {i}")
            for i in range(start, min(people, start + 500))
        ]
        replies = await asyncio.gather(*(engine.start(o) for o in origins))
        for origin, reply in zip(origins, replies, strict=True):
            assert isinstance(reply.view, QuestionCard)
            clicks.append((origin, reply.view.buttons[0].action_id))
    return clicks


class _Channel:
    """A daily-post publisher that keeps the post in memory, as a platform would show it."""

    def __init__(self) -> None:
        self.views: list[DailyPostView] = []

    async def post(self, target: DailyTarget, view: DailyPostView) -> str:
        self.views.append(view)
        return f"m{len(self.views)}"

    async def edit(self, target: DailyTarget, message_ref: str, view: DailyPostView) -> None:
        return None


async def daily_post(engine: QuizEngine, origins: list[Origin]) -> list[tuple[Origin, str]]:
    """A daily question posted to one channel; each person's click is one of its buttons."""
    channel = _Channel()
    engine.daily.attach("bench", channel)
    admin = origins[0].model_copy(update={"is_admin": True})
    await engine.daily.configure(admin, "daily-channel", "09:00", "UTC")
    await engine.daily.post_now(admin, "daily-channel")
    buttons = channel.views[-1].buttons
    return [(origin, buttons[index % len(buttons)].action_id) for index, origin in enumerate(origins)]


# CPU seconds used so far by this process and, on PostgreSQL, by each backend serving its database: sampled around each burst.
CpuSample = tuple[float, dict[int, float]]


async def cpu_now(url: str | None) -> CpuSample:
    return cpu_seconds(), await backends_cpu(url)


async def burst(
    engine: QuizEngine, clicks: list[tuple[Origin, str]], rate: float | None, expect: type = AnswerFeedback
) -> tuple[float, list[float]]:
    """Send the clicks (all at once, or arriving at `rate` a second); return elapsed time and each click's latency."""
    latencies: list[float] = []

    async def click(origin: Origin, action_id: str, arrived: float) -> None:
        reply = await engine.handle(origin, action_id)
        latencies.append(time.perf_counter() - arrived)
        assert isinstance(reply.view, expect), reply.view

    began = time.perf_counter()
    tasks = []
    for index, (origin, action_id) in enumerate(clicks):
        if rate:
            due = began + index / rate
            delay = due - time.perf_counter()
            if delay > 0.001:
                await asyncio.sleep(delay)
            arrived = max(due, began)
        else:
            arrived = began
        tasks.append(asyncio.create_task(click(origin, action_id, arrived)))
    await asyncio.gather(*tasks)
    return time.perf_counter() - began, latencies


def ceiling(path: Path, rows: int) -> float:
    """Rows a second for a plain sqlite3 insert of the same answer rows in 100-row transactions (same pragmas)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    register_functions(db)
    for script in MIGRATIONS:
        for statement in _statements(script):
            db.execute(statement)
    db.execute("INSERT INTO people (platform, space_id, user_id, display_name, created_at) VALUES ('b', 's', 'u', 'u', 0)")
    db.execute("INSERT INTO runs (person_id, deck_id, deck_version, plan, started_at) VALUES (1, 'd', 1, '[]', 0)")
    data = [(1, i, 1, "d", "q", "k", 1, 1, 0) for i in range(rows)]
    began = time.perf_counter()
    for start in range(0, rows, 100):
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO answers (run_id, position, person_id, deck_id, question_id, option_key, correct, points, answered_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            data[start : start + 100],
        )
        db.execute("COMMIT")
    elapsed = time.perf_counter() - began
    db.close()
    return rows / elapsed


async def database_size(store: object) -> int:
    """The PostgreSQL database's size on disk in bytes (tables, indexes, their free space; not the WAL)."""
    (size,) = await store._fetchone("SELECT pg_database_size(current_database())")  # type: ignore[attr-defined]
    return int(size)


def report(label: str, answers: int, elapsed: float, latencies: list[float], since: str, cpu: tuple[CpuSample, CpuSample]) -> float:
    """Print one burst's figures against the targets, with the CPU it took (`cpu`: samples before and after); its answers a second."""
    rate = answers / elapsed
    p99 = percentile(latencies, 0.99) * 1000
    (engine_before, server_before), (engine_after, server_after) = cpu
    server = cpu_between(server_before, server_after)
    print(
        f"{label}: {answers} answers in {elapsed:.2f} s = {rate:,.0f} answers/s; latency from {since} "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {p99:.0f} ms, max {max(latencies) * 1000:.0f} ms; rss {rss_mb():.0f} MB; "
        f"CPU an answer: engine process {(engine_after - engine_before) / answers * 1e6:.0f} µs"
        + (f", PostgreSQL backends {server / answers * 1e6:.0f} µs" if server else "")
    )
    return rate


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000, help="people in each burst")
    parser.add_argument("--rate", type=float, default=10_000, help="arrival rate for the paced burst (clicks a second)")
    parser.add_argument("--dir", type=Path, default=None, help="folder for the database files (default: a temporary one)")
    parser.add_argument(
        "--db", default=None, help="run on this database instead: an empty PostgreSQL one (postgresql://...) or a new SQLite file"
    )
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="recsys-quiz-bench-"))
    database = parse_database(args.db or str(folder / "engine.db"))
    decks = load_decks(default_content_dir())
    tune_gc()  # as the Discord and Slack processes do
    print(f"machine: {os.cpu_count()} cores; people per burst: {args.people}; database: {database.shown}")
    async with await open_store(database) as store:  # type: ignore[attr-defined]
        (existing,) = await store._fetchone("SELECT COUNT(*) FROM answers")
        if existing:
            raise SystemExit(f"bench.answers needs an empty database; {database.shown} holds {existing} answers")
        engine = QuizEngine(store, decks)
        clicks = await prepare(engine, 2 * args.people)
        print(f"prepared {len(clicks)} runs; rss {rss_mb():.0f} MB")
        at_once, paced = clicks[: args.people], clicks[args.people :]
        url = database.url  # None on SQLite: no server to measure
        before = await cpu_now(url)
        elapsed, latencies = await burst(engine, at_once, rate=None)
        burst_rate = report("all at once", len(at_once), elapsed, latencies, "the burst's start", (before, await cpu_now(url)))
        print(f"  (p99 under 250 ms for {len(at_once)} clicks at once would take {len(at_once) / 0.25:,.0f} answers/s)")
        before = await cpu_now(url)
        elapsed, latencies = await burst(engine, paced, rate=args.rate)
        engine_rate = report(f"arriving at {args.rate:,.0f}/s", len(paced), elapsed, latencies, "each click", (before, await cpu_now(url)))
        (count,) = await store._fetchone("SELECT COUNT(*) FROM answers")  # type: ignore[misc]
        assert count == len(clicks), count
        daily = await daily_post(engine, [origin for origin, _ in at_once])
        size_before = await database_size(store) if url else 0
        before = await cpu_now(url)
        elapsed, latencies = await burst(engine, daily, rate=None, expect=DailyFeedback)
        report("one daily post, everyone at once", len(daily), elapsed, latencies, "the burst's start", (before, await cpu_now(url)))
        (count,) = await store._fetchone("SELECT COUNT(*) FROM daily_answers")  # type: ignore[misc]
        assert count == len(daily), count
        if url:
            size = await database_size(store)
            print(
                f"database size {size / 2**20:,.0f} MB for {len(clicks):,} people and runs, {len(clicks):,} answers and "
                f"{len(daily):,} daily answers; the daily post's burst (people known already) added "
                f"{(size - size_before) / 2**20:,.1f} MB = {(size - size_before) / len(daily):,.0f} bytes a click, before any vacuum"
            )
    if database.kind != "sqlite":
        return
    best = max(ceiling(folder / f"ceiling{i}.db", args.people) for i in range(2))
    print(f"ceiling: plain sqlite3, same rows in 100-row transactions: {best:,.0f} rows/s")
    print(f"ratio to the ceiling: all at once {burst_rate / best:.2f}, arriving at {args.rate:,.0f}/s {engine_rate / best:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
