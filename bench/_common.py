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


def count_answers(db_path: Path) -> int:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
    finally:
        db.close()


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the bot and wait (it closes its database cleanly); kill it if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def prepare_runs(db_path: Path, platform_name: str, space_id: str, user_ids: list[str]) -> list[str]:
    """Start a run for each user through the real engine; return the action id of each one's first answer button."""
    import asyncio

    from bot.content import default_content_dir, load_decks
    from bot.engine import QuizEngine
    from bot.origin import Origin
    from bot.store import SQLiteStore
    from bot.views import QuestionCard

    decks = load_decks(default_content_dir())
    clicks: list[str] = []
    async with await SQLiteStore.open(db_path) as store:
        engine = QuizEngine(store, decks)
        for start in range(0, len(user_ids), 500):
            origins = [Origin(platform=platform_name, space_id=space_id, user_id=u, display_name=u) for u in user_ids[start : start + 500]]
            replies = await asyncio.gather(*(engine.start(o) for o in origins))
            for reply in replies:
                assert isinstance(reply.view, QuestionCard)
                clicks.append(reply.view.buttons[0].action_id)
    return clicks
