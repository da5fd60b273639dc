"""Two bot processes, each running the daily scheduler, on one PostgreSQL database: every channel's post goes out once."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.content import DeckLibrary
from bot.engine import QuizEngine
from bot.origin import Origin
from tests.conftest import QuizDatabase
from tests.processes import Output

REPO = Path(__file__).resolve().parents[1]
CHANNELS = 40
PATIENCE = 60.0  # seconds for the helpers to start and post: a bound for a slow CI machine, normally about a second


async def _helper(url: str) -> tuple[asyncio.subprocess.Process, Output]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.scheduler_process",
        url,
        str(CHANNELS),
        cwd=REPO,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    return process, Output(process.stdout)


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_two_schedulers_in_two_processes_post_each_channel_once(
    new_database: Callable[[], Awaitable[QuizDatabase]], decks: DeckLibrary
) -> None:
    database = await new_database()
    async with await database.open() as store:  # type: ignore[attr-defined]
        engine = QuizEngine(store, decks)
        lead = Origin(platform="discord", space_id="g1", user_id="lead", display_name="lead", is_admin=True)
        for number in range(CHANNELS):
            # Due from midnight UTC: whenever the test runs, every channel's post for today is due at once.
            await engine.daily.configure(lead, f"c{number}", "00:00", "UTC")

    helpers = [await _helper(database.url) for _ in range(2)]
    try:
        for process, output in helpers:
            while "ready" not in output.lines:
                assert process.returncode is None, (await process.stderr.read()).decode()  # type: ignore[union-attr]
                await asyncio.sleep(0.02)
        for process, _ in helpers:  # go: both schedulers race from here
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            await process.stdin.drain()
        codes = await asyncio.wait_for(asyncio.gather(*(process.wait() for process, _ in helpers)), PATIENCE)
        outputs = [await output.finished() for _, output in helpers]
    finally:
        for process, _ in helpers:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert codes == [0, 0], [(await p.stderr.read()).decode()[-2000:] for p, _ in helpers]  # type: ignore[union-attr]
    assert all(text.endswith("done") for text in outputs)
    posted = [line.split()[1] for text in outputs for line in text.splitlines() if line.startswith("posted ")]
    assert Counter(posted) == {f"c{number}": 1 for number in range(CHANNELS)}  # once each, whichever process sent it
    assert all(any(line.startswith("posted ") for line in text.splitlines()) for text in outputs), "one process did all the posting"
    rows = await database.rows("SELECT channel_key, local_date, COUNT(*), MIN(status) FROM daily_posts GROUP BY channel_key, local_date")
    assert len(rows) == CHANNELS and all(count == 1 and status == "sent" for _, _, count, status in rows)
