"""The Responder's fallbacks, through the real client and the fake: an error notice while Discord's 3 s last,
nothing after them, a log that sums up expired clicks, and replays dropped."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from adapters.discord.respond import ExpiredClicks, RecentInteractions
from tests.discord.conftest import running_bot
from tests.discord.fake_discord import EPHEMERAL, FakeDiscord, user_payload
from tests.discord.test_bot import SlowEngine

ALICE = user_payload("1600000000000000001", "alice", global_name="Alice")


def title(message: dict[str, object]) -> str:
    return message["embeds"][0]["title"]  # type: ignore[index,no-any-return]


async def test_a_refused_first_response_within_the_3_s_still_gets_a_notice_that_does_not_say_nothing_was_recorded(
    fake: FakeDiscord, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake.callback_failures.append((400, 50035))  # Discord refuses the card (a limit we missed, say)
    async with running_bot(fake, db_path):
        pending = await fake.slash(ALICE, "start")
        shown = await fake.delivered(pending)
    assert len(pending.responses) == 1 and shown["flags"] & EPHEMERAL
    assert title(shown) == "That reply could not be shown"
    # The work had run: an answer may be on disk, so the notice must not claim otherwise.
    assert "nothing was recorded" not in shown["embeds"][0]["description"]
    assert any(pending.id in r.getMessage() and r.levelno == logging.ERROR and r.exc_info for r in caplog.records)


async def test_no_error_notice_is_sent_once_discords_3_s_are_over(
    fake: FakeDiscord, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(fake, db_path):
        pending = await fake.slash(ALICE, "help", age=3.5)  # reached the bot 3.5 s after Discord created it
        await asyncio.wait_for(_until(lambda: any(pending.id in r.getMessage() for r in caplog.records)), 5)
    # One try (our clock may be ahead of Discord's), refused as Discord refuses it; then no notice, no followup.
    assert pending.responses == [] and pending.followups == []
    assert [v.split(":")[0] for v in fake.violations] == [f"interaction {pending.id} answered late"]
    assert any(pending.id in r.getMessage() and "3 s" in r.getMessage() for r in caplog.records)
    fake.violations.clear()


async def test_a_response_discord_has_not_answered_by_the_end_of_the_3_s_is_given_up(
    fake: FakeDiscord, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(fake, db_path):
        fake.callback_hold = 1.0  # Discord takes longer to answer than the 0.5 s left of this interaction's 3 s
        pending = await fake.slash(ALICE, "help", age=2.5)
        await asyncio.wait_for(_until(lambda: any(pending.id in r.getMessage() for r in caplog.records)), 5)
        await asyncio.wait_for(_until(lambda: bool(fake.violations)), 5)  # the fake, still holding it, then sees it late
    assert pending.responses == [] and pending.followups == []
    assert any(pending.id in r.getMessage() and "TimeoutError" in r.getMessage() for r in caplog.records)
    assert [v.split(":")[0] for v in fake.violations] == [f"interaction {pending.id} answered late"]
    fake.violations.clear()


async def test_a_deferral_that_misses_the_3_s_is_logged_as_expired_and_nothing_more_is_sent(
    fake: FakeDiscord, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    slow = lambda engine: SlowEngine(engine, 0.3)  # noqa: E731
    async with running_bot(fake, db_path, defer_after=0.05, wrap=slow):
        card = await fake.delivered(await fake.slash(ALICE, "start"))
        fake.callback_hold = 1.0  # the deferral reaches Discord after the click's 3 s
        pending = await fake.click(ALICE, card, card["components"][0]["components"][0]["custom_id"], age=2.5)
        await asyncio.wait_for(_until(lambda: bool(fake.violations)), 5)
        await asyncio.sleep(0.5)  # the work finishes; nothing may follow it
        fake.callback_hold = 0.0
    callbacks = [c for c in fake.calls if c.path.endswith(f"/interactions/{pending.id}/{pending.token}/callback")]
    assert [c.json["type"] for c in callbacks] == [5] and pending.followups == []
    assert [r.getMessage() for r in caplog.records if pending.id in r.getMessage()] == [
        f"interaction {pending.id}: no first response within Discord's 3 s (TimeoutError()); nothing was shown"
    ]
    fake.violations.clear()  # the late deferral, as the fake saw it


def test_a_burst_of_expired_clicks_logs_the_first_in_full_and_sums_up_the_rest(caplog: pytest.LogCaptureFixture) -> None:
    async def burst() -> None:
        expired = ExpiredClicks(summary_after=0.0)
        for interaction_id in range(1, 21):
            expired.record(interaction_id, TimeoutError())
        await asyncio.sleep(0.01)  # the summary's timer

    asyncio.run(burst())
    lines = [r.getMessage() for r in caplog.records if "3 s" in r.getMessage()]
    assert len(lines) == 2, lines
    assert "interaction 1:" in lines[0]
    assert lines[1].startswith("19 more interactions") and "(the latest: 20)" in lines[1]


async def test_expired_clicks_not_yet_summed_up_are_logged_when_the_bot_stops(caplog: pytest.LogCaptureFixture) -> None:
    expired = ExpiredClicks(summary_after=3600)
    for interaction_id in (1, 2, 3):
        expired.record(interaction_id, TimeoutError())
    expired.flush()
    lines = [r.getMessage() for r in caplog.records if "3 s" in r.getMessage()]
    assert len(lines) == 2 and lines[1].startswith("2 more interactions") and "(the latest: 3)" in lines[1]


def test_an_interaction_id_counts_as_new_once_within_the_window_and_again_after_it() -> None:
    now = [0.0]
    recent = RecentInteractions(window=60.0, clock=lambda: now[0])
    assert recent.first_time(1) and recent.first_time(2)
    assert not recent.first_time(1)
    now[0] = 61.0
    assert recent.first_time(1)


def test_the_replay_memory_stays_bounded() -> None:
    recent = RecentInteractions(size=100, clock=lambda: 0.0)
    for interaction_id in range(1000):
        recent.first_time(interaction_id)
    assert recent.first_time(0)  # forgotten: only the latest 100 are kept


async def _until(condition: object) -> None:
    while not condition():  # type: ignore[operator]
        await asyncio.sleep(0.01)
