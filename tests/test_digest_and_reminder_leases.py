"""Weekly digests and review reminders have the daily posts' lease, on both stores and a fake clock: one left half-sent by
a stopped process goes out once from another process within its own day, a sender slower than the lease writes nothing
over the one that took over, and a tick cancelled mid-send leaves the row to be retried at once."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

import pytest

from bot.content import DeckLibrary
from bot.daily import ABANDONED, SEND_LEASE, DailyTarget
from bot.reminders import RETRY_ATTEMPTS, ReminderTarget
from bot.views import DigestView, Notice
from tests.conftest import FakeClock, QuizDatabase
from tests.test_daily import utc
from tests.test_daily_lease import HeldCall, ProcessKilled, sent_once_after
from tests.test_digest import LEAD, FakeDigestPublisher
from tests.test_digest import engine_on as digest_engine_on
from tests.test_study import FakeSender, at, learner
from tests.test_study import engine_on as study_engine_on

MONDAY_NINE_BERLIN = "2026-11-23T08:00:00"


class KilledDigestPublisher(FakeDigestPublisher):
    """The process is killed while the digest's platform call is under way."""

    async def post(self, target: DailyTarget, view: DigestView, chart: bytes) -> str:
        raise ProcessKilled


class StuckDigestPublisher(FakeDigestPublisher):
    """Posts once `call` is released."""

    def __init__(self) -> None:
        super().__init__()
        self.call = HeldCall()

    async def post(self, target: DailyTarget, view: DigestView, chart: bytes) -> str:
        await self.call.wait()
        await super().post(target, view, chart)
        return "late-digest"


class KilledSender(FakeSender):
    """The process is killed while the reminder's platform call is under way."""

    async def send(self, target: ReminderTarget, view: Notice) -> None:
        raise ProcessKilled


class StuckSender(FakeSender):
    """Sends once `call` is released."""

    def __init__(self) -> None:
        super().__init__()
        self.call = HeldCall()

    async def send(self, target: ReminderTarget, view: Notice) -> None:
        await self.call.wait()
        await super().send(target, view)


async def _digest_claimed_and_killed(database: QuizDatabase, decks: DeckLibrary, clock: FakeClock, claimed_at: str) -> None:
    """A process switches a digest on and is killed sending it at `claimed_at`: the week's row is left being sent."""
    async with await database.open() as store:  # type: ignore[attr-defined]
        dying = digest_engine_on(store, decks, clock, KilledDigestPublisher())
        clock.now = utc("2026-11-23T07:00:00")
        await dying.digest_switch(LEAD, "c1", True)
        clock.now = utc(claimed_at)
        with pytest.raises(ProcessKilled):
            await dying.digest.tick()
    assert await database.rows("SELECT status FROM digest_posts") == [("sending",)]


async def test_a_digest_left_half_sent_is_sent_once_by_another_process_after_the_lease_that_monday(
    database: QuizDatabase, decks: DeckLibrary, clock: FakeClock
) -> None:
    await _digest_claimed_and_killed(database, decks, clock, MONDAY_NINE_BERLIN)
    publisher = FakeDigestPublisher()
    async with await database.open() as store_b, await database.open() as store_c:  # type: ignore[attr-defined]
        survivors = [digest_engine_on(store, decks, clock, publisher) for store in (store_b, store_c)]
        # Not overtaken a second before the lease (a sender this slow may still be alive); then handed over, not doubled.
        await sent_once_after(clock, SEND_LEASE, [engine.digest.tick for engine in survivors], lambda: len(publisher.posts))
    assert publisher.posts[0][1].week == "Week from Monday 16 Nov 2026"
    assert await database.rows("SELECT week, status, attempts, message_ref FROM digest_posts") == [("2026-11-23", "sent", 2, "digest-1")]


async def test_a_digest_left_half_sent_late_on_monday_is_not_sent_on_tuesday(
    database: QuizDatabase, decks: DeckLibrary, clock: FakeClock
) -> None:
    await _digest_claimed_and_killed(database, decks, clock, "2026-11-23T22:55:00")  # Monday 23:55 in Berlin
    publisher = FakeDigestPublisher()
    async with await database.open() as store:  # type: ignore[attr-defined]
        survivor = digest_engine_on(store, decks, clock, publisher)
        clock.advance(SEND_LEASE + 60)  # Tuesday 00:06 in Berlin
        await survivor.digest.tick()
        clock.advance(3600)
        await survivor.digest.tick()
    assert publisher.posts == []
    assert await database.rows("SELECT status, last_error FROM digest_posts") == [("failed", ABANDONED)]


async def test_a_digest_sender_slower_than_its_lease_writes_nothing_over_the_takeover(
    database: QuizDatabase, decks: DeckLibrary, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with await database.open() as store_a, await database.open() as store_b:  # type: ignore[attr-defined]
        slow = StuckDigestPublisher()
        slow_engine = digest_engine_on(store_a, decks, clock, slow)
        clock.now = utc("2026-11-23T07:00:00")
        await slow_engine.digest_switch(LEAD, "c1", True)
        clock.now = utc(MONDAY_NINE_BERLIN)
        sending = await slow.call.tick_held(slow_engine.digest.tick)
        clock.advance(SEND_LEASE)
        fast = FakeDigestPublisher()
        await digest_engine_on(store_b, decks, clock, fast).digest.tick()
        with caplog.at_level(logging.WARNING, logger="bot.digest"):
            slow.call.release.set()
            await asyncio.wait_for(sending, 5)
    assert len(fast.posts) == 1
    assert len(slow.posts) == 1  # the platform took it: it cannot be unsent, but it is not recorded
    late = [r for r in caplog.records if r.levelno == logging.WARNING and "late-digest" in r.getMessage()]
    assert len(late) == 1 and "after another process had taken the digest over" in late[0].getMessage()
    assert await database.rows("SELECT status, attempts, message_ref FROM digest_posts") == [("sent", 2, "digest-1")]


async def test_a_digest_tick_cancelled_mid_send_leaves_it_failed_and_retried_within_a_minute(
    database: QuizDatabase, decks: DeckLibrary, clock: FakeClock
) -> None:
    async with await database.open() as store_a:  # type: ignore[attr-defined]
        stuck = StuckDigestPublisher()
        stopping = digest_engine_on(store_a, decks, clock, stuck)
        clock.now = utc("2026-11-23T07:00:00")
        await stopping.digest_switch(LEAD, "c1", True)
        clock.now = utc(MONDAY_NINE_BERLIN)
        tick = await stuck.call.tick_held(stopping.digest.tick)
        tick.cancel()  # SIGTERM during the upload
        with pytest.raises(asyncio.CancelledError):
            await tick
    assert await database.rows("SELECT status, attempts, last_error, next_attempt_at FROM digest_posts") == [
        ("failed", 1, ABANDONED, int(clock.now) + 60)
    ]
    publisher = FakeDigestPublisher()
    async with await database.open() as store_b:  # type: ignore[attr-defined]
        restarted = digest_engine_on(store_b, decks, clock, publisher)
        await sent_once_after(clock, 60, [restarted.digest.tick], lambda: len(publisher.posts))
    assert await database.rows("SELECT status, attempts FROM digest_posts") == [("sent", 2)]


async def _reminder_claimed_and_killed(database: QuizDatabase, decks: DeckLibrary, clock: FakeClock, remind_time: str) -> None:
    """A person sets a reminder on 4 January 2027 and the process is killed sending it at its time: left being sent."""
    hour, minute = map(int, remind_time.split(":"))
    async with await database.open() as store:  # type: ignore[attr-defined]
        dying = study_engine_on(store, decks, clock, KilledSender())
        clock.now = at(date(2027, 1, 4), 7)
        await dying.remind(learner(), remind_time, "Europe/Berlin")
        clock.now = at(date(2027, 1, 4), hour, minute)
        with pytest.raises(ProcessKilled):
            await dying.reminders.tick()
    assert await database.rows("SELECT local_date, status, attempts FROM study_reminders") == [("2027-01-04", "sending", 1)]


async def test_a_reminder_left_half_sent_is_sent_once_by_another_process_after_the_lease_that_day(
    database: QuizDatabase, decks: DeckLibrary, clock: FakeClock
) -> None:
    await _reminder_claimed_and_killed(database, decks, clock, "08:30")
    sender = FakeSender()
    async with await database.open() as store_b, await database.open() as store_c:  # type: ignore[attr-defined]
        survivors = [study_engine_on(store, decks, clock, sender) for store in (store_b, store_c)]
        await sent_once_after(clock, SEND_LEASE, [engine.reminders.tick for engine in survivors], lambda: len(sender.sent))
        clock.now = at(date(2027, 1, 5), 8, 30)  # the next day's comes at its time, as before
        for engine in survivors:
            await engine.reminders.tick()
    assert [target.user_id for target, _ in sender.sent] == ["ada", "ada"]
    assert await database.rows("SELECT local_date, status, attempts FROM study_reminders ORDER BY local_date") == [
        ("2027-01-04", "sent", 2),
        ("2027-01-05", "sent", 1),
    ]


async def test_a_reminder_left_half_sent_late_in_its_day_is_not_sent_the_next_day_before_its_time(
    database: QuizDatabase, decks: DeckLibrary, clock: FakeClock
) -> None:
    await _reminder_claimed_and_killed(database, decks, clock, "23:55")
    sender = FakeSender()
    async with await database.open() as store:  # type: ignore[attr-defined]
        survivor = study_engine_on(store, decks, clock, sender)
        clock.advance(SEND_LEASE + 60)  # 00:06 on the 5th
        await survivor.reminders.tick()
        clock.advance(3600)
        await survivor.reminders.tick()
        assert sender.sent == []  # the 4th's is stale news
        clock.now = at(date(2027, 1, 5), 23, 55)
        await survivor.reminders.tick()
    assert len(sender.sent) == 1
    assert await database.rows("SELECT local_date, status, last_error FROM study_reminders ORDER BY local_date") == [
        ("2027-01-04", "failed", ABANDONED),
        ("2027-01-05", "sent", None),
    ]


async def test_a_reminder_abandoned_on_its_last_attempt_is_not_tried_again(
    database: QuizDatabase, decks: DeckLibrary, clock: FakeClock
) -> None:
    await _reminder_claimed_and_killed(database, decks, clock, "08:30")
    await database.execute(f"UPDATE study_reminders SET attempts = {RETRY_ATTEMPTS}")  # as if the earlier ones had failed
    sender = FakeSender()
    async with await database.open() as store:  # type: ignore[attr-defined]
        survivor = study_engine_on(store, decks, clock, sender)
        for _ in range(4):
            clock.advance(SEND_LEASE)
            await survivor.reminders.tick()
    assert sender.sent == []
    assert await database.rows("SELECT status, attempts FROM study_reminders") == [("failed", RETRY_ATTEMPTS)]


async def test_a_reminder_sender_slower_than_its_lease_writes_nothing_over_the_takeover(
    database: QuizDatabase, decks: DeckLibrary, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with await database.open() as store_a, await database.open() as store_b:  # type: ignore[attr-defined]
        slow = StuckSender()
        slow_engine = study_engine_on(store_a, decks, clock, slow)
        clock.now = at(date(2027, 1, 4), 7)
        await slow_engine.remind(learner(), "08:30", "Europe/Berlin")
        clock.now = at(date(2027, 1, 4), 8, 30)
        sending = await slow.call.tick_held(slow_engine.reminders.tick)
        clock.advance(SEND_LEASE)
        fast = FakeSender()
        other = study_engine_on(store_b, decks, clock, fast)
        await other.reminders.tick()
        with caplog.at_level(logging.WARNING, logger="bot.reminders"):
            slow.call.release.set()
            await asyncio.wait_for(sending, 5)
    assert len(fast.sent) == len(slow.sent) == 1
    late = [r for r in caplog.records if r.levelno == logging.WARNING and "after another process had taken it over" in r.getMessage()]
    assert len(late) == 1
    assert await database.rows("SELECT status, attempts, claimed_by FROM study_reminders") == [("sent", 2, other.reminders.instance)]


async def test_a_reminder_tick_cancelled_mid_send_leaves_it_failed_and_retried_within_a_minute(
    database: QuizDatabase, decks: DeckLibrary, clock: FakeClock
) -> None:
    async with await database.open() as store_a:  # type: ignore[attr-defined]
        stuck = StuckSender()
        stopping = study_engine_on(store_a, decks, clock, stuck)
        clock.now = at(date(2027, 1, 4), 7)
        await stopping.remind(learner(), "08:30", "Europe/Berlin")
        clock.now = at(date(2027, 1, 4), 8, 30)
        tick = await stuck.call.tick_held(stopping.reminders.tick)
        tick.cancel()
        with pytest.raises(asyncio.CancelledError):
            await tick
    assert await database.rows("SELECT status, attempts, last_error FROM study_reminders") == [("failed", 1, ABANDONED)]
    assert await database.rows("SELECT remind_next_at FROM study_plans") == [(int(clock.now) + 60,)]
    sender = FakeSender()
    async with await database.open() as store_b:  # type: ignore[attr-defined]
        restarted = study_engine_on(store_b, decks, clock, sender)
        await sent_once_after(clock, 60, [restarted.reminders.tick], lambda: len(sender.sent))
    assert await database.rows("SELECT status, attempts FROM study_reminders") == [("sent", 2)]
