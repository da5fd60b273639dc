"""Start-up and memory: `recsys-quiz play` until its first question appears, and resident memory across answer bursts.

1. `recsys-quiz play` runs as a subprocess with piped stdin (left open, nothing typed); the time is
   taken from the launch until the question card's title ("Question 1 / 5") appears on its stdout.
   The first launch creates and migrates the database; later ones open it and resume the run.
   Python caches compiled modules (__pycache__) on a normal first run. Where PYTHONDONTWRITEBYTECODE
   is set (as in this sandbox) the project's own modules are compiled again at every launch, so the
   launches are timed as they are, and again with the project's bytecode compiled once (as after a
   normal first run; the __pycache__ folders made for that are removed afterwards).
2. In this process, rounds of bench/answers.py-style bursts (each round: new people start a run,
   then all answer at once through the engine and the real store) with VmRSS from /proc/self/status
   after each round: if something cached per person, it would grow round after round.

Run: python -m bench.startup [--launches 10] [--rounds 8] [--people 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import gc
import os
import selectors
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench._common import cli, machine, percentile, proc_status
from bench.answers import burst
from bot.content import default_content_dir, load_decks
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.store import SQLiteStore
from bot.views import QuestionCard

MARKER = b"Question 1 / 5"
TARGET_S = 0.5


def time_to_first_question(db: Path, user: str, timeout: float = 20.0) -> float:
    env = {**os.environ, "COLUMNS": "100"}
    began = time.perf_counter()
    process = subprocess.Popen(
        [*cli("play"), "--db", str(db), "--user", user],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert process.stdout is not None
    seen = b""
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while MARKER not in seen:
                if time.perf_counter() - began > timeout or not selector.select(timeout):
                    raise RuntimeError(f"no question card within {timeout} s; output so far: {seen[-300:]!r}")
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    raise RuntimeError(f"play exited before the first question; output: {seen[-300:]!r}")
                seen += chunk
        return time.perf_counter() - began
    finally:
        process.kill()
        process.wait()


ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "adapters")


def _project_bytecode() -> list[Path]:
    return [pycache for package in PACKAGES for pycache in (ROOT / package).rglob("__pycache__")]


def _compile_project() -> list[Path]:
    """Compile the project's packages into their __pycache__ folders; the folders made."""
    before = set(_project_bytecode())
    for package in PACKAGES:
        compileall.compile_dir(ROOT / package, quiet=1)
    return [pycache for pycache in _project_bytecode() if pycache not in before]


def launches(folder: Path, count: int, label: str) -> None:
    """Time `count` resuming launches and count/2 launches on new databases; print them against the target."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "play.db"
    first = time_to_first_question(db, "bench")
    again = [time_to_first_question(db, "bench") for _ in range(count)]
    fresh = [time_to_first_question(folder / f"fresh{i}.db", "bench") for i in range(max(1, count // 2))]
    print(f"{label}:")
    print(
        f"  play to the first question, new database (created and migrated): first launch {first * 1000:.0f} ms; "
        f"median of {len(fresh)} more {statistics.median(fresh) * 1000:.0f} ms, max {max(fresh) * 1000:.0f} ms"
    )
    print(
        f"  play to the first question, existing database (resume): median of {len(again)} {statistics.median(again) * 1000:.0f} ms, "
        f"p90 {percentile(again, 0.9) * 1000:.0f} ms, max {max(again) * 1000:.0f} ms; target < {TARGET_S * 1000:.0f} ms: "
        f"{'met' if max(again + fresh) < TARGET_S else 'MISSED'}"
    )


async def memory_rounds(rounds: int, people: int, folder: Path) -> list[tuple[int, float, float, float]]:
    """(round, answers/s, VmRSS MB after the round, VmHWM MB) for each round of new people answering at once."""
    decks = load_decks(default_content_dir())
    rows = []
    async with await SQLiteStore.open(folder / "memory.db") as store:
        engine = QuizEngine(store, decks)
        for number in range(1, rounds + 1):
            clicks: list[tuple[Origin, str]] = []
            for start in range(0, people, 500):
                origins = [
                    Origin(platform="bench", space_id="s1", user_id=f"r{number}u{i}", display_name=f"round {number} user {i}")
                    for i in range(start, min(people, start + 500))
                ]
                replies = await asyncio.gather(*(engine.start(o) for o in origins))
                for origin, reply in zip(origins, replies, strict=True):
                    assert isinstance(reply.view, QuestionCard)
                    clicks.append((origin, reply.view.buttons[0].action_id))
            elapsed, _ = await burst(engine, clicks, rate=None)
            del clicks
            gc.collect()
            status = proc_status()
            rows.append((number, people / elapsed, status["VmRSS"] / 1024, status["VmHWM"] / 1024))
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--launches", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=8, help="memory: bursts of new people (0: start-up only)")
    parser.add_argument("--people", type=int, default=5_000, help="memory: people per burst")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="recsys-quiz-startup-"))
    print(f"machine: {machine()}")

    cached = bool(_project_bytecode())
    no_writes = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
    label = "project bytecode cached" if cached or not no_writes else "PYTHONDONTWRITEBYTECODE set: project compiled at every launch"
    launches(folder / "as-is", args.launches, label)
    if no_writes and not cached:
        made = _compile_project()
        try:
            launches(folder / "compiled", args.launches, "project bytecode compiled once, as a normal first run leaves it")
        finally:
            for pycache in made:
                shutil.rmtree(pycache, ignore_errors=True)
    start = time.perf_counter()
    import_only = subprocess.run([*cli("--help")], capture_output=True, check=True)
    del import_only
    print(f"(for scale: `recsys-quiz --help`, interpreter start-up and argparse only, takes {(time.perf_counter() - start) * 1000:.0f} ms)")

    if args.rounds < 1:
        return  # --rounds 0: start-up only
    print(f"memory: {args.rounds} rounds of {args.people:,} new people each answering at once through the engine")
    base = proc_status()
    print(f"  before: rss {base['VmRSS'] / 1024:.0f} MB")
    rows = await memory_rounds(args.rounds, args.people, folder)
    for number, rate, rss, peak in rows:
        print(f"  round {number}: {rate:,.0f} answers/s; rss {rss:.0f} MB (peak so far {peak:.0f} MB)")
    growth = rows[-1][2] - rows[1][2] if len(rows) > 2 else 0.0
    print(f"  rss change from round 2 to round {rows[-1][0]}: {growth:+.1f} MB for {(rows[-1][0] - 2) * args.people:,} more people")


if __name__ == "__main__":
    asyncio.run(main())
