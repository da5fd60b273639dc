"""Shared helpers of the benchmarks: percentiles, a process's memory from /proc, free ports, the machine's description."""

from __future__ import annotations

import os
import platform
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def proc_status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of a process in kB, from /proc/<pid>/status (Linux)."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time a process has used so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int | str = "self") -> float:
    return proc_status(pid).get("VmRSS", 0) / 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
        "?",
    )
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "0")
    return (
        f"{os.cpu_count()} cores ({cpu}), {int(mem) / 1024 / 1024:.1f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def cli(*args: str) -> list[str]:
    """The `recsys-quiz` command of this environment (the venv's entry point, else `python -m adapters.cli`)."""
    script = Path(sys.executable).with_name("recsys-quiz")
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "adapters.cli", *args]


async def count_rows(database: str | Path, table: str) -> int:
    """Rows of a table in the bench's database: a SQLite file, or a postgresql:// URL."""
    text = str(database)
    if not text.startswith(("postgresql://", "postgres://")):
        db = sqlite3.connect(f"file:{text}?mode=ro", uri=True)
        try:
            return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        finally:
            db.close()
    import asyncpg

    connection = await asyncpg.connect(text)
    try:
        return int(await connection.fetchval(f"SELECT COUNT(*) FROM {table}"))
    finally:
        await connection.close()


def family(pid: int) -> list[int]:
    """A process and its children: `recsys-quiz slack --workers N` is a supervisor and N workers."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *map(int, children)]


def family_cpu(pids: list[int]) -> float:
    """CPU seconds used so far by these processes and their children (the ones still running)."""
    return sum(cpu_seconds(member) for pid in pids for member in family(pid) if Path(f"/proc/{member}").exists())


def family_rss_mb(pids: list[int]) -> float:
    return sum(rss_mb(member) for pid in pids for member in family(pid) if Path(f"/proc/{member}").exists())


async def backends_cpu(url: str | None) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving the database at `url` (the bot's pooled connections; not
    this query's own), by pid; empty without a URL. Other databases on the same server (other work on this machine)
    are left out; so are the server's shared background processes (WAL writer, checkpointer)."""
    if not url:
        return {}
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid != pg_backend_pid()")
    finally:
        await connection.close()
    return {int(row[0]): cpu_seconds(int(row[0])) for row in rows if Path(f"/proc/{row[0]}").exists()}


def cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU the backends used between two samples: a backend that started meanwhile counts from zero (one that ended
    took its figure with it, which the bots' long-lived pools make rare)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the bot and wait (it closes its database cleanly); kill it if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def prepare_runs(database: str | Path, platform_name: str, spaces: str | list[str], user_ids: list[str]) -> list[str]:
    """Start a run for each user through the real engine (in `spaces`: one for all, or one per user); return the action
    id of each one's first answer button. `database`: a SQLite file or a postgresql:// URL (an empty database)."""
    import asyncio

    from bot.config import parse_database
    from bot.content import default_content_dir, load_decks
    from bot.engine import QuizEngine
    from bot.origin import Origin
    from bot.runtime import open_store
    from bot.views import QuestionCard

    decks = load_decks(default_content_dir())
    space_of = [spaces] * len(user_ids) if isinstance(spaces, str) else spaces
    clicks: list[str] = []
    store = await open_store(parse_database(str(database)))
    try:
        engine = QuizEngine(store, decks)
        for start in range(0, len(user_ids), 500):
            chunk = range(start, min(len(user_ids), start + 500))
            origins = [Origin(platform=platform_name, space_id=space_of[i], user_id=user_ids[i], display_name=user_ids[i]) for i in chunk]
            replies = await asyncio.gather(*(engine.start(o) for o in origins))
            for reply in replies:
                assert isinstance(reply.view, QuestionCard)
                clicks.append(reply.view.buttons[0].action_id)
    finally:
        await store.close()
    return clicks
