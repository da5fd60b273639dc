"""The weekly digest on a fake clock, on both stores: Mondays at the channel's time, exactly once, the week's figures."""

from __future__ import annotations

import io
import logging
import random
from zoneinfo import ZoneInfo

import pytest

from bot.content import DeckLibrary
from bot.daily import DailyTarget, PublishError
from bot.digest import CHART_TITLE
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.store import Store
from bot.store.records import Claim
from bot.views import DigestView
from tests.conftest import FakeClock
from tests.test_boards import answer_questions
from tests.test_chart import png_size
from tests.test_daily import utc

ZONE = ZoneInfo("Europe/Berlin")


def member(user: str, *, admin: bool = False) -> Origin:
    return Origin(platform="discord", space_id="g1", user_id=user, display_name=user, is_admin=admin)


LEAD = member("lead", admin=True)


class FakeDigestPublisher:
    """Records each digest as the platform would get it; can be told to fail."""

    def __init__(self) -> None:
        self.posts: list[tuple[DailyTarget, DigestView, bytes]] = []
        self.failures: list[Exception] = []

    async def post(self, target: DailyTarget, view: DigestView, chart: bytes) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.posts.append((target, view, chart))
        return f"digest-{len(self.posts)}"


@pytest.fixture
def publisher() -> FakeDigestPublisher:
    return FakeDigestPublisher()


def engine_on(store: Store, decks: DeckLibrary, clock: FakeClock, publisher: FakeDigestPublisher) -> QuizEngine:
    """An engine as one bot process has it: its own digest service (its own instance id) on the shared database."""
    engine = QuizEngine(store, decks, clock=clock, rng=random.Random(4), zone=ZONE)
    engine.digest.attach("discord", publisher)
    return engine


@pytest.fixture
def engine(store: Store, decks: DeckLibrary, clock: FakeClock, publisher: FakeDigestPublisher) -> QuizEngine:
    return engine_on(store, decks, clock, publisher)


async def test_only_admins_switch_it_and_a_bad_channel_changes_nothing(engine: QuizEngine, store: Store) -> None:
    assert (await engine.digest_switch(member("someone"), "c1", True)).view.title == "Admins only"  # type: ignore[union-attr]
    assert (await engine.digest_switch(LEAD, "", True)).view.title == "That channel isn't valid"  # type: ignore[union-attr]
    assert await store.digest_channels("discord") == []
    on = await engine.digest_switch(LEAD, "c1", True)
    assert on.view.title == "Weekly digest on" and "Every Monday at 09:00 Europe/Berlin" in on.view.text  # type: ignore[union-attr]
    assert (await engine.digest_switch(LEAD, "c1", True)).view.title == "Weekly digest is on"  # type: ignore[union-attr]
    await engine.daily.configure(LEAD, "c2", "07:30", "America/New_York")
    daily_time = await engine.digest_switch(LEAD, "c2", True)
    assert "07:30 America/New_York (the daily question's time here)" in daily_time.view.text  # type: ignore[union-attr]
    assert (await engine.digest_switch(LEAD, "c1", False)).view.title == "Weekly digest off"  # type: ignore[union-attr]
    assert (await engine.digest_switch(LEAD, "c1", False)).view.title == "Weekly digest is not on here"  # type: ignore[union-attr]
    assert [c.channel_id for c in await store.digest_channels("discord")] == ["c2"]


async def test_one_digest_each_monday_at_the_channels_time_across_two_processes_and_a_week(
    store: Store, decks: DeckLibrary, clock: FakeClock, publisher: FakeDigestPublisher
) -> None:
    first, second = engine_on(store, decks, clock, publisher), engine_on(store, decks, clock, publisher)
    assert first.digest.instance != second.digest.instance
    clock.now = utc("2026-11-18T12:00:00")  # a Wednesday
    await first.digest_switch(LEAD, "c1", True)
    for user, right in (("ada", [True, True, False]), ("bob", [False, False]), ("cy", [True])):
        await answer_questions(first, decks, member(user), right)
    clock.now = utc("2026-11-23T07:59:00")  # Monday 08:59 in Berlin
    await first.digest.tick()
    await second.digest.tick()
    assert publisher.posts == []
    clock.now = utc("2026-11-23T08:00:00")  # Monday 09:00 in Berlin
    await first.digest.tick()
    await second.digest.tick()
    clock.advance(3600)
    await second.digest.tick()
    assert len(publisher.posts) == 1
    target, view, chart = publisher.posts[0]
    assert target.channel_id == "c1" and view.week == "Week from Monday 16 Nov 2026" and view.timezone == "Europe/Berlin"
    assert [(row.name, row.points) for row in view.people] == [("ada", 2), ("cy", 1), ("bob", 0)]
    assert view.answers == 6
    assert png_size(chart) == (1200, 675) and view.chart_title == CHART_TITLE
    for day in range(1, 7):  # the rest of the week: nothing more
        clock.now = utc("2026-11-23T08:00:00") + day * 86_400
        await first.digest.tick()
    assert len(publisher.posts) == 1
    clock.now = utc("2026-11-30T08:00:00")  # the next Monday: the next week's digest, of an empty week
    await second.digest.tick()
    await first.digest.tick()
    assert len(publisher.posts) == 2
    assert publisher.posts[1][1].week == "Week from Monday 23 Nov 2026" and publisher.posts[1][1].answers == 0
    posts = await store.digest_posts_of((await store.digest_channels("discord"))[0].channel_key, 5)
    assert [(p.week, p.status) for p in posts] == [("2026-11-30", "sent"), ("2026-11-23", "sent")]


async def test_a_failed_digest_is_retried_that_monday_only(
    engine: QuizEngine, store: Store, clock: FakeClock, publisher: FakeDigestPublisher
) -> None:
    clock.now = utc("2026-11-23T07:00:00")
    await engine.digest_switch(LEAD, "c1", True)
    publisher.failures.append(PublishError("Discord is down", retryable=True))
    clock.now = utc("2026-11-23T08:00:00")
    await engine.digest.tick()
    assert publisher.posts == []
    (failed,) = await store.failed_digests("discord")
    assert failed.last_error == "Discord is down" and failed.next_attempt_at == int(clock.now) + 60
    clock.advance(30)
    await engine.digest.tick()
    assert publisher.posts == []  # still waiting
    clock.advance(30)
    await engine.digest.tick()
    assert len(publisher.posts) == 1 and await store.failed_digests("discord") == []
    # A failure that lasts past Monday is given up: Tuesday sends no stale digest.
    clock.now = utc("2026-11-30T08:00:00")
    publisher.failures.append(PublishError("missing permission", retryable=False))
    await engine.digest.tick()
    clock.now = utc("2026-12-01T08:00:00")
    await engine.digest.tick()
    assert len(publisher.posts) == 1


async def test_a_failure_is_logged_as_its_attempt_and_its_reason_kept_to_500_characters(
    engine: QuizEngine, store: Store, clock: FakeClock, publisher: FakeDigestPublisher, caplog: pytest.LogCaptureFixture
) -> None:
    clock.now = utc("2026-11-23T07:00:00")
    await engine.digest_switch(LEAD, "c1", True)
    reason = "Discord is down: " + "x" * 600
    publisher.failures.append(PublishError(reason, retryable=True))
    clock.now = utc("2026-11-23T08:00:00")
    with caplog.at_level(logging.INFO, logger="bot.digest"):
        await engine.digest.tick()
    (failed,) = await store.failed_digests("discord")
    assert failed.last_error == reason[:500] and len(failed.last_error) == 500
    assert failed.attempts == 1  # the failed attempt counts: the next claim is attempt 2
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.digest" and r.levelno == logging.WARNING]
    assert warnings == [f"weekly digest {failed.digest_id} to channel c1 failed (attempt 1): {reason}"]


async def test_digests_abandoned_by_a_stopped_process_are_failed_with_the_reason_kept_to_500_characters(
    engine: QuizEngine, store: Store, clock: FakeClock
) -> None:
    clock.now = utc("2026-11-23T07:00:00")
    await engine.digest_switch(LEAD, "c1", True)
    (channel,) = await store.digest_channels("discord")
    claimed = await store.claim_digest(channel.channel_key, "2026-W48", "stopped-process", 1_000)
    assert claimed is not None
    assert await store.digest_post(claimed.digest_id + 1) is None  # an id that was never claimed reads as nothing
    assert await store.fail_abandoned_digests("discord", 1_001, "y" * 600, 2_000) == 1
    (failed,) = await store.failed_digests("discord")
    assert (failed.digest_id, failed.last_error, failed.next_attempt_at) == (claimed.digest_id, "y" * 500, 2_000)
    assert await store.fail_abandoned_digests("discord", 1_001, "again", 2_000) == 0  # failed already: not claimed


async def test_a_digest_tried_again_by_the_same_process_takes_only_the_new_attempts_result(
    engine: QuizEngine, store: Store, clock: FakeClock
) -> None:
    clock.now = utc("2026-11-23T07:00:00")
    await engine.digest_switch(LEAD, "c1", True)
    (channel,) = await store.digest_channels("discord")
    first = await store.claim_digest(channel.channel_key, "2026-W48", "process-a", 1_000)
    assert first is not None and first.attempts == 0
    assert await store.fail_abandoned_digests("discord", 1_001, "lease passed", 1_100) == 1  # the send seemed stuck
    assert await store.reclaim_digest(first.digest_id, "process-a", 1_100)  # the same process tries again
    # The first attempt's send finishes late: its claim is spent, so only the new attempt's result is written.
    assert await store.mark_digest_sent(first.digest_id, Claim("process-a", 0), "late-message", 1_101) is False
    assert await store.mark_digest_sent(first.digest_id, Claim("process-a", 1), "new-message", 1_102) is True
    sent = await store.digest_post(first.digest_id)
    assert sent is not None and (sent.status, sent.message_ref, sent.attempts) == ("sent", "new-message", 2)


async def test_the_digest_shows_accuracy_per_topic_against_last_week_and_the_most_missed_question(
    engine: QuizEngine, decks: DeckLibrary, clock: FakeClock
) -> None:
    first = decks.default.questions[0]
    clock.now = utc("2026-11-10T12:00:00")  # the week before: ada gets the first question wrong
    await answer_questions(engine, decks, member("ada"), [False])
    clock.now = utc("2026-11-17T12:00:00")  # the week: bob and cy get it wrong, dee right
    for user, right in (("bob", False), ("cy", False), ("dee", True)):
        await answer_questions(engine, decks, member(user), [right])
    await engine.team_create(member("dee"), "Graph Nerds")
    view = await engine.digest.view("discord", "g1", utc("2026-11-23T08:00:00"))
    (topic,) = view.topics
    assert topic.topic == first.topic and topic.this_week == pytest.approx(1 / 3) and topic.last_week == 0.0 and topic.answers == 3
    missed = view.most_missed
    assert missed is not None and missed.prompt == first.prompt and missed.answered == 3
    assert missed.correct_share == pytest.approx(1 / 3)
    assert sum(o.picks for o in missed.options) == 3 and sum(o.share for o in missed.options) == pytest.approx(1.0)
    assert [o.correct for o in missed.options].count(True) == 1 and any(o.top_wrong for o in missed.options)
    assert view.teams == ()  # dee joined after scoring: the team has no points that week


async def test_the_chart_opens_as_a_png_of_the_expected_size(engine: QuizEngine, decks: DeckLibrary, clock: FakeClock) -> None:
    clock.now = utc("2026-11-17T12:00:00")
    await answer_questions(engine, decks, member("ada"), [True, False, True, True, False])
    view = await engine.digest.view("discord", "g1", utc("2026-11-23T08:00:00"))
    from bot.chart import TopicWeek, accuracy_chart

    data = accuracy_chart([TopicWeek(t.topic, t.this_week, t.last_week) for t in view.topics], view.chart_title)
    import matplotlib.image

    assert matplotlib.image.imread(io.BytesIO(data), format="png").shape[:2] == (675, 1200)
    assert len(view.topics) == 5
