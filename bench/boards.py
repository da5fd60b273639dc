"""Board and stats latency at scale: 100,000 people and 1,000,000 answers in one space, read through the real store.

The data is written straight into the real schema with plain sqlite3 (executemany, no fsync), consistent
with what the engine would have written: runs, answers, first_answers, score_totals (all / week / month),
teams with members and their totals, the points histogram. Then engine.leaderboard (first page, a middle page, the asker's
own-rank footer), the team board and engine.stats are timed through the real store: SQLite, or with --db a
PostgreSQL database (empty: the generated SQLite file is moved into it with `db copy`'s code, then analysed).

Run: python -m bench.boards [--people 100000] [--answers-per-person 10] [--teams 1000] [--calls 200] [--db postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import parse_database
from bot.content import Deck, default_content_dir, load_decks
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.runtime import open_store, tune_gc
from bot.store import SQLiteStore
from bot.teams import team_name_key
from bot.views import LeaderboardView, StatsView
from bot.windows import period_keys

PLATFORM = "bench"
SPACE = "s1"
NOW = 1_795_000_000  # a fixed instant: every answer falls in this week and month, so all three boards are full
TARGET_MS = 10.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def generate(path: Path, deck: Deck, people: int, per_person: int, teams: int, seed: int = 7) -> int:
    """Fill the (already migrated) database; returns the number of answers written."""
    rng = random.Random(seed)
    questions = [q.id for q in deck.questions]
    runs_per_person = max(1, per_person // len(questions))
    periods = period_keys(NOW, ZoneInfo("UTC"))
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO people (person_id, platform, space_id, user_id, display_name, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        ((p, PLATFORM, SPACE, f"u{p}", f"user {p}", NOW - 86_400) for p in range(1, people + 1)),
    )
    plan = (
        "["
        + ",".join(f'{{"question": "{q}", "order": {list(o.key for o in deck.questions[i].options)}}}' for i, q in enumerate(questions))
        + "]"
    )
    plan = plan.replace("'", '"')
    runs: list[tuple[int, int, str, int, str, int, int]] = []
    answers: list[tuple[int, int, int, int, str, str, str, int, int, int]] = []
    firsts: list[tuple[int, str, str, int]] = []
    totals: list[tuple[int, str, str, str, int, int]] = []
    correct_key = {q.id: q.correct_option.key for q in deck.questions}
    wrong_key = {q.id: next(o.key for o in q.options if not o.correct) for q in deck.questions}
    # Team membership: every other person is in one of `teams` teams.
    members: dict[int, int] = {p: 1 + (p // 2) % teams for p in range(1, people + 1) if teams and p % 2 == 0}
    team_points: dict[int, int] = {}
    team_active: dict[int, int] = {}
    member_periods: list[tuple[int, str, int, int]] = []
    run_id = answer_id = 0
    skill = [rng.random() for _ in range(people + 1)]
    for person in range(1, people + 1):
        points = count = 0
        for r in range(runs_per_person):
            run_id += 1
            finished = NOW - 3600
            runs.append((run_id, person, deck.id, deck.version, plan, NOW - 7200, finished))
            for position, question in enumerate(questions):
                if count >= per_person:
                    break
                answer_id += 1
                count += 1
                correct = rng.random() < skill[person]
                first = r == 0
                scored = int(correct and first)
                points += scored
                key = correct_key[question] if correct else wrong_key[question]
                answers.append((answer_id, run_id, position, person, deck.id, question, key, int(correct), scored, NOW - 3600))
                if first:
                    firsts.append((person, deck.id, question, answer_id))
        for period in periods:
            totals.append((person, period, PLATFORM, SPACE, points, count))
        team = members.get(person)
        if team is not None and points:
            team_points[team] = team_points.get(team, 0) + points
            team_active[team] = team_active.get(team, 0) + 1
            member_periods.extend((team, period, person, points) for period in periods)
        if len(answers) >= 200_000:
            _flush(db, runs, answers, firsts, totals)
    _flush(db, runs, answers, firsts, totals)
    db.executemany(
        "INSERT INTO teams (team_id, platform, space_id, name, name_key, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        ((t, PLATFORM, SPACE, f"Team {t}", team_name_key(f"Team {t}"), 2 * t, NOW - 86_400) for t in range(1, teams + 1)),
    )
    db.executemany(
        "INSERT INTO team_members (person_id, team_id, joined_at) VALUES (?, ?, ?)",
        ((p, t, NOW - 86_400) for p, t in members.items()),
    )
    db.executemany("INSERT INTO team_member_periods (team_id, period, person_id, points) VALUES (?, ?, ?, ?)", member_periods)
    db.executemany(
        """INSERT INTO team_totals (team_id, period, points, active_members, platform, space_id, average)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ROUND(CAST(?3 AS REAL) / ?4, 2))""",
        ((t, period, team_points[t], team_active[t], PLATFORM, SPACE) for t in team_points for period in periods),
    )
    # The aggregates the engine keeps in each answer's transaction, derived here in one go.
    db.execute(
        """INSERT INTO points_histogram (platform, space_id, period, points, people)
           SELECT platform, space_id, period, points, COUNT(*) FROM score_totals GROUP BY platform, space_id, period, points"""
    )
    db.execute("UPDATE teams SET members = (SELECT COUNT(*) FROM team_members AS m WHERE m.team_id = teams.team_id)")
    db.execute("COMMIT")
    db.execute("ANALYZE")
    (written,) = db.execute("SELECT COUNT(*) FROM answers").fetchone()
    db.close()
    return int(written)


def _flush(db: sqlite3.Connection, runs: list, answers: list, firsts: list, totals: list) -> None:  # type: ignore[type-arg]
    db.executemany(
        "INSERT INTO runs (run_id, person_id, deck_id, deck_version, plan, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        runs,
    )
    db.executemany(
        "INSERT INTO answers (answer_id, run_id, position, person_id, deck_id, question_id, option_key, correct, points, answered_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        answers,
    )
    db.executemany("INSERT INTO first_answers (person_id, deck_id, question_id, answer_id) VALUES (?, ?, ?, ?)", firsts)
    db.executemany("INSERT INTO score_totals (person_id, period, platform, space_id, points, answers) VALUES (?, ?, ?, ?, ?, ?)", totals)
    for rows in (runs, answers, firsts, totals):
        rows.clear()


async def timed(
    name: str, calls: int, make: Callable[[int], Awaitable[object]], check: Callable[[object], None]
) -> tuple[str, float, float]:
    latencies: list[float] = []
    for i in range(calls):
        began = time.perf_counter()
        result = await make(i)
        latencies.append((time.perf_counter() - began) * 1000)
        check(result)
    return name, statistics.median(latencies), percentile(latencies, 0.99)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--answers-per-person", type=int, default=10)
    parser.add_argument("--teams", type=int, default=1_000)
    parser.add_argument("--calls", type=int, default=200, help="timed calls per query")
    parser.add_argument("--dir", type=Path, default=None, help="folder for the database (default: a temporary one)")
    parser.add_argument("--db", default=None, help="read from an empty PostgreSQL database (postgresql://...) the data is copied into")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="recsys-quiz-boards-"))
    path = folder / "boards.db"
    decks = load_decks(default_content_dir())
    async with await SQLiteStore.open(path):
        pass  # create and migrate the schema exactly as the bot does
    began = time.perf_counter()
    answers = generate(path, decks.default, args.people, args.answers_per_person, args.teams)
    print(f"generated {args.people:,} people, {answers:,} answers, {args.teams:,} teams in {time.perf_counter() - began:.1f} s ({path})")
    database = parse_database(str(path))
    if args.db:
        from bot.store.copy import copy_sqlite_to_postgres

        database = parse_database(args.db)
        assert database.url is not None
        began = time.perf_counter()
        await copy_sqlite_to_postgres(path, database.url)
        print(f"copied into {database.shown}, vacuumed and analysed in {time.perf_counter() - began:.1f} s")
    tune_gc()  # as the bot processes do; generating the data left this process with millions of objects behind it

    rng = random.Random(3)
    people = args.people

    def asker(i: int) -> Origin:
        user = rng.randint(1, people)
        return Origin(platform=PLATFORM, space_id=SPACE, user_id=f"u{user}", display_name=f"user {user}")

    def board(result: object) -> None:
        assert isinstance(result.view, LeaderboardView) and result.view.rows, result  # type: ignore[attr-defined]

    def stats(result: object) -> None:
        assert isinstance(result.view, StatsView) and result.view.answers, result  # type: ignore[attr-defined]

    async with await open_store(database) as store:  # type: ignore[attr-defined]
        engine = QuizEngine(store, decks, clock=lambda: float(NOW))
        pages = (await engine.leaderboard(asker(0))).view.pages  # type: ignore[attr-defined]
        results = [
            await timed("people board, first page + own-rank footer", args.calls, lambda i: engine.leaderboard(asker(i)), board),
            await timed(
                f"people board, middle page ({pages // 2} of {pages})",
                args.calls,
                lambda i: engine.leaderboard(asker(i), "people", "all", pages // 2),
                board,
            ),
            await timed(
                "people board, random page",
                args.calls,
                lambda i: engine.leaderboard(asker(i), "people", "week", rng.randint(1, pages)),
                board,
            ),
            await timed("people board, last page", args.calls, lambda i: engine.leaderboard(asker(i), "people", "month", pages), board),
            await timed("team board, first page", args.calls, lambda i: engine.leaderboard(asker(i), "teams", "all"), board),
            await timed("stats", args.calls, lambda i: engine.stats(asker(i)), stats),
        ]
    print(f"{'call':<50} {'p50 ms':>8} {'p99 ms':>8}  target < {TARGET_MS:g} ms")
    for name, p50, p99 in results:
        print(f"{name:<50} {p50:8.2f} {p99:8.2f}  {'met' if p99 < TARGET_MS else 'MISSED'}")


if __name__ == "__main__":
    asyncio.run(main())
