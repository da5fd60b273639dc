"""Two `recsys-quiz discord` processes, one shard each of two, on one PostgreSQL database and the fake gateway: every
interaction goes to its guild's shard, is answered by the process that runs that shard, and is recorded once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import QuizDatabase
from tests.discord.fake_discord import GUILD_ID, FakeDiscord, Pending, guild_on_shard, shard_of, user_payload
from tests.processes import Output, until

SHARDS = 2
PEOPLE = 12  # per guild: each starts a run and answers its first question
STARTUP = 40.0  # seconds for a process to import discord.py, log in and identify: a bound for a slow CI machine
ANSWER = 10.0  # seconds to wait for one reply (Discord's own limit on the first response is 3 s, checked by the fake)


def _custom_ids(message: dict[str, Any]) -> list[str]:
    return [button["custom_id"] for row in message["components"] for button in row["components"]]


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord(shards=SHARDS)
    await server.start()
    yield server
    await server.stop()
    assert server.violations == [], "the bot broke Discord's rules"


async def _run_shard(fake: FakeDiscord, port: int, shard_id: int, database: str, cwd: Path) -> tuple[asyncio.subprocess.Process, Output]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "RECSYS_QUIZ_"))}
    env.update(
        DISCORD_TOKEN=fake.token,
        DISCORD_API_BASE=fake.api_base_at(port),
        DISCORD_GATEWAY_URL=fake.gateway_url_at(port),  # a fixed count connects here: each process on its own port
        DISCORD_GUILD_ID=GUILD_ID,
        RECSYS_QUIZ_DB=database,
        LOG_LEVEL="WARNING",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "adapters.cli",
        "discord",
        "--shard-count",
        str(SHARDS),
        "--shard-ids",
        str(shard_id),
        env=env,
        cwd=cwd,
        stderr=asyncio.subprocess.PIPE,
    )
    return process, Output(process.stderr)


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_two_processes_with_a_shard_each_answer_exactly_their_shards_interactions(
    new_database: Callable[[], Awaitable[QuizDatabase]], fake: FakeDiscord, tmp_path: Path
) -> None:
    database = await new_database()
    ports = [fake.port, await fake.listen_again()]  # process k talks to the fake on ports[k] only
    processes = [await _run_shard(fake, ports[k], k, database.url, tmp_path) for k in range(SHARDS)]
    try:
        shards_up = lambda: sorted(tuple(i["shard"]) for i in fake.identifies) == [(0, SHARDS), (1, SHARDS)]  # noqa: E731
        for process, errors in processes:
            await until(lambda p=process, e=errors: shards_up() or _alive(p, e), STARTUP, "both shards identified")
        await until(shards_up, STARTUP, "both shards identified")
        guilds = [guild_on_shard(k, SHARDS) for k in range(SHARDS)]
        assert [shard_of(g, SHARDS) for g in guilds] == [0, 1]

        people = [
            (guild, user_payload(str(1_700_000_000_000_000_000 + k * 1000 + i), f"p{k}-{i}"))
            for k, guild in enumerate(guilds)
            for i in range(PEOPLE)
        ]
        starts = await asyncio.gather(*(_ready_slash(fake, user, guild) for guild, user in people))
        cards = await asyncio.gather(*(fake.delivered(pending, ANSWER) for pending in starts))
        clicks = [
            await fake.click(user, card, _custom_ids(card)[0], guild_id=guild) for (guild, user), card in zip(people, cards, strict=True)
        ]
        shown = await asyncio.gather(*(fake.delivered(pending, ANSWER) for pending in clicks))
        for pending in [*starts, *clicks]:
            shard = shard_of(pending.payload["guild_id"], SHARDS)
            # Dispatched on that shard's connection (the fake routes as Discord does) and answered by the process
            # that runs the shard: its callback came in on that process's port.
            assert [(s, p) for i, s, p in fake.dispatched if i == pending.id] == [((shard, SHARDS), ports[shard])]
            assert [call.port for call in pending.responses] == [ports[shard]], pending.id
        assert all(message["embeds"][0]["title"].startswith(("Correct", "Not the best")) for message in shown)
        # The commands are the bot's, not a shard's: only the process that runs shard 0 synced them.
        assert {call.port for call in fake.calls if call.method == "PUT"} == {ports[0]}
        for process, _ in processes:
            process.send_signal(signal.SIGTERM)
        codes = await asyncio.wait_for(asyncio.gather(*(process.wait() for process, _ in processes)), 30)
    finally:
        for process, _ in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert codes == [0, 0], [await errors.finished() for _, errors in processes]
    rows = await database.rows(
        "SELECT p.space_id, COUNT(*) FROM answers AS a JOIN people AS p ON p.person_id = a.person_id GROUP BY p.space_id ORDER BY p.space_id"
    )
    assert rows == sorted((guild, PEOPLE) for guild in guilds)


def _alive(process: asyncio.subprocess.Process, errors: Output) -> bool:
    if process.returncode is not None:
        raise AssertionError(f"recsys-quiz discord ended early: {errors.text}")
    return False


async def _ready_slash(fake: FakeDiscord, user: dict[str, Any], guild: str) -> Pending:
    """`/recsys-quiz start` in `guild`, once the process running its shard answers (discord.py is ready a moment
    after it identified; until then the interaction may go unanswered, as Discord would let it)."""
    for _ in range(int(STARTUP / ANSWER) + 1):
        pending = await fake.slash(user, "start", guild_id=guild)
        try:
            await fake.answered(pending, ANSWER)
            return pending
        except TimeoutError:
            continue
    raise AssertionError(f"nobody answered in guild {guild}")
