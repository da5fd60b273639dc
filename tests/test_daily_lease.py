"""A daily post whose sender stopped between its claim and the platform's answer goes out once its lease has passed; a
sender that was only slow finds the post taken over and deletes its own message; a stopped tick leaves the post to retry."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.content import DeckLibrary
from bot.daily import ABANDONED, SEND_LEASE, DailyTarget, PublishError
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.views import DailyPostView, Notice
from tests.conftest import FakeClock, QuizDatabase
from tests.test_daily import FakePublisher, admin, configure, member


class ProcessKilled(BaseException):
    """A SIGKILL between the claim and the platform's answer: no code of the bot runs after it (neither `except Exception`
    nor the handler of a cancelled tick), so the post stays as its claim left it."""


class KilledPublisher(FakePublisher):
    """The process is killed while its platform call is under way."""

    async def post(self, target: DailyTarget, view: DailyPostView) -> str:
        raise ProcessKilled


class HeldCall:
    """A platform call that answers only when the test lets it (`release`): a sender slowed past its lease by a long
    rate-limit wait or a paused machine, or one whose process is stopped meanwhile (its tick cancelled)."""

    def __init__(self) -> None:
        self.called = asyncio.Event()
        self.release = asyncio.Event()

    async def wait(self) -> None:
        self.called.set()
        await self.release.wait()

    async def tick_held(self, tick: Callable[[], Coroutine[Any, Any, None]]) -> asyncio.Task[None]:
        """A scheduler tick, started and now held inside this call."""
        task = asyncio.create_task(tick())
        await asyncio.wait_for(self.called.wait(), 5)
        return task


class StuckPublisher(FakePublisher):
    """Posts once `call` is released."""

    def __init__(self, prefix: str = "m") -> None:
        super().__init__(prefix)
        self.call = HeldCall()

    async def post(self, target: DailyTarget, view: DailyPostView) -> str:
        await self.call.wait()
        return await super().post(target, view)


async def sent_once_after(clock: FakeClock, wait: int, ticks: Sequence[Callable[[], Awaitable[None]]], sent: Callable[[], int]) -> None:
    """Nothing goes out before `wait` seconds have passed; then one send, whichever processes' ticks run, however often."""
    clock.advance(wait - 1)
    for tick in ticks:
        await tick()
    assert sent() == 0
    clock.advance(1)
    await asyncio.gather(*(tick() for tick in ticks))
    for _ in range(3):
        clock.advance(3600)
        for tick in ticks:
            await tick()
    assert sent() == 1


def nine_utc() -> float:
    return datetime(2026, 11, 27, 9, 0, tzinfo=UTC).timestamp()


async def _status(engine: QuizEngine, origin: Origin) -> str:
    view = (await engine.daily.status(origin, "c")).view
    assert isinstance(view, Notice)
    return view.text


async def test_a_post_left_half_sent_by_a_stopped_process_is_sent_once_after_the_lease(
    database: QuizDatabase, decks: DeckLibrary, clock: FakeClock
) -> None:
    clock.now = nine_utc()
    async with await database.open() as store_a:  # type: ignore[attr-defined]
        dying = QuizEngine(store_a, decks, clock=clock, rng=random.Random(1))
        dying.daily.attach("discord", KilledPublisher())
        await configure(dying, "c", "09:00", "UTC")
        with pytest.raises(ProcessKilled):  # the process is gone between the claim and the platform's answer
            await dying.daily.tick()
    assert await database.rows("SELECT status FROM daily_posts") == [("sending",)]

    publisher = FakePublisher()
    async with await database.open() as store_b:  # type: ignore[attr-defined]
        survivor = QuizEngine(store_b, decks, clock=clock, rng=random.Random(2))
        survivor.daily.attach("discord", publisher)
        clock.advance(SEND_LEASE - 1)  # a sender this slow may still be alive: not overtaken
        await survivor.daily.tick()
        assert publisher.posts == []
        assert "being posted" in await _status(survivor, admin())
        clock.advance(1)
        await asyncio.gather(survivor.daily.tick(), survivor.daily.tick())
        assert len(publisher.posts) == 1
        for _ in range(3):
            clock.advance(3600)
            await survivor.daily.tick()
        status = await _status(survivor, admin())
    assert len(publisher.posts) == 1  # once: the lease hands the post over, it does not make a second one
    assert await database.rows("SELECT slot, status, attempts FROM daily_posts") == [("2026-11-27", "sent", 2)]
    assert "Last post: 2026-11-27, posted." in status


async def test_a_post_left_half_sent_on_an_earlier_day_is_not_sent_late(
    database: QuizDatabase, decks: DeckLibrary, clock: FakeClock
) -> None:
    clock.now = nine_utc()
    async with await database.open() as store:  # type: ignore[attr-defined]
        engine = QuizEngine(store, decks, clock=clock, rng=random.Random(1))
        engine.daily.attach("discord", KilledPublisher())
        await configure(engine, "c", "09:00", "UTC")
        with pytest.raises(ProcessKilled):
            await engine.daily.tick()
        publisher = FakePublisher()
        engine.daily.attach("discord", publisher)
        clock.advance(86400 - 3600)  # 08:00 the next day: yesterday's post is abandoned, today's not yet due
        await engine.daily.tick()
        assert publisher.posts == []
        clock.advance(3600)
        await engine.daily.tick()
    assert [target.channel_id for target, _, _ in publisher.posts] == ["c"]
    assert await database.rows("SELECT slot, status FROM daily_posts ORDER BY post_id") == [
        ("2026-11-27", "failed"),
        ("2026-11-28", "sent"),
    ]


@pytest.mark.parametrize("deletable", [True, False], ids=["deleted", "delete-refused"])
async def test_a_sender_slower_than_its_lease_finds_the_post_taken_over_and_its_message_is_not_kept(
    database: QuizDatabase, decks: DeckLibrary, clock: FakeClock, caplog: pytest.LogCaptureFixture, deletable: bool
) -> None:
    clock.now = nine_utc()
    async with await database.open() as store_a, await database.open() as store_b:  # type: ignore[attr-defined]
        slow_engine = QuizEngine(store_a, decks, clock=clock, rng=random.Random(1))
        slow = StuckPublisher("a")
        slow_engine.daily.attach("discord", slow)
        await configure(slow_engine, "c", "09:00", "UTC")
        sending = await slow.call.tick_held(slow_engine.daily.tick)
        clock.advance(SEND_LEASE)  # the first sender is still waiting on the platform (a long 429, a paused VM)
        other = QuizEngine(store_b, decks, clock=clock, rng=random.Random(2))
        fast = FakePublisher("b")
        other.daily.attach("discord", fast)
        await other.daily.tick()  # takes the post over and posts it
        if not deletable:
            slow.delete_failures.append(PublishError("the platform refused the delete", retryable=False))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="bot.daily"):
            slow.call.release.set()  # the slow sender's post goes through after all
            await asyncio.wait_for(sending, 5)
        assert [ref for _, _, ref in fast.posts] == ["b1"]
        assert [ref for _, _, ref in slow.posts] == ["a1"]
        assert slow.deleted == (["a1"] if deletable else [])
        orphan_warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "a1" in r.getMessage()]
        assert len(orphan_warnings) == 1 and ("deleted it" if deletable else "could not be deleted") in orphan_warnings[0].getMessage()
        # The post is the takeover's message: its reference is kept, and the counts go to it alone.
        assert await database.rows("SELECT status, message_ref, attempts FROM daily_posts") == [("sent", "b1", 2)]
        post = fast.posts[0][1]
        await other.handle(member("ann"), post.buttons[0].action_id)
        for engine in (slow_engine, other):
            clock.advance(5)
            await engine.daily.tick()
    edited = [ref for ref, _ in slow.edits + fast.edits]
    assert edited and set(edited) == {"b1"}
    assert len(slow.posts) == len(fast.posts) == 1


async def test_a_tick_cancelled_mid_send_leaves_the_post_failed_and_retried_without_waiting_for_the_lease(
    database: QuizDatabase, decks: DeckLibrary, clock: FakeClock
) -> None:
    clock.now = nine_utc()
    async with await database.open() as store_a:  # type: ignore[attr-defined]
        stopping = QuizEngine(store_a, decks, clock=clock, rng=random.Random(1))
        stuck = StuckPublisher()
        stopping.daily.attach("discord", stuck)
        await configure(stopping, "c", "09:00", "UTC")
        tick = await stuck.call.tick_held(stopping.daily.tick)
        tick.cancel()  # SIGTERM: the scheduler's tick is cancelled while the platform call is under way
        with pytest.raises(asyncio.CancelledError):
            await tick
    retry_at = int(clock.now) + 60
    assert await database.rows("SELECT status, attempts, last_error, next_attempt_at FROM daily_posts") == [
        ("failed", 1, ABANDONED, retry_at)
    ]

    publisher = FakePublisher()
    async with await database.open() as store_b:  # type: ignore[attr-defined]
        restarted = QuizEngine(store_b, decks, clock=clock, rng=random.Random(2))
        restarted.daily.attach("discord", publisher)
        await sent_once_after(clock, 60, [restarted.daily.tick], lambda: len(publisher.posts))  # a minute, not the lease's ten
    assert await database.rows("SELECT status, attempts FROM daily_posts") == [("sent", 2)]
