"""A daily post whose sender stopped between its claim and the platform's answer goes out once its lease has passed."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

from bot.content import DeckLibrary
from bot.daily import SEND_LEASE, DailyTarget
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.views import DailyPostView, Notice
from tests.conftest import FakeClock, QuizDatabase
from tests.test_daily import FakePublisher, admin, configure


class StuckPublisher:
    """A platform call that never returns: the process sending the post is about to be killed."""

    def __init__(self) -> None:
        self.called = asyncio.Event()

    async def post(self, target: DailyTarget, view: DailyPostView) -> str:
        self.called.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def edit(self, target: DailyTarget, message_ref: str, view: DailyPostView) -> None:
        return None


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
        stuck = StuckPublisher()
        dying.daily.attach("discord", stuck)
        await configure(dying, "c", "09:00", "UTC")
        tick = asyncio.create_task(dying.daily.tick())
        await asyncio.wait_for(stuck.called.wait(), 5)
        tick.cancel()  # the process is gone between the claim and the platform's answer
        await asyncio.gather(tick, return_exceptions=True)
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
        stuck = StuckPublisher()
        engine.daily.attach("discord", stuck)
        await configure(engine, "c", "09:00", "UTC")
        tick = asyncio.create_task(engine.daily.tick())
        await asyncio.wait_for(stuck.called.wait(), 5)
        tick.cancel()
        await asyncio.gather(tick, return_exceptions=True)
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
