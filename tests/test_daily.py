"""Daily posts with an injected clock: local times, DST, exactly once, catch-up, retries, rotation, answers, streaks."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime

import pytest

from bot.actions import DailyAnswerAction, decode
from bot.content import DeckLibrary
from bot.daily import DailyScheduler, DailyTarget, PublishError, streak_of
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.store import Store
from bot.store.records import DailyAnswerOutcome
from bot.views import DailyFeedback, DailyPostView, LeaderboardView, Notice, StatsView
from bot.windows import period_keys
from tests.conftest import FakeClock, QuizDatabase


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


class FakePublisher:
    """Records posts, edits and deletes as a platform would show them; can be told to fail."""

    def __init__(self, prefix: str = "m") -> None:
        self.prefix = prefix  # message ids: m1, m2, ... (another process's publisher can be given its own)
        self.posts: list[tuple[DailyTarget, DailyPostView, str]] = []
        self.edits: list[tuple[str, DailyPostView]] = []
        self.deleted: list[str] = []
        self.failures: list[PublishError] = []
        self.delete_failures: list[PublishError] = []
        self.broken_channels: set[str] = set()

    async def post(self, target: DailyTarget, view: DailyPostView) -> str:
        if target.channel_id in self.broken_channels:
            raise RuntimeError("boom")
        if self.failures:
            raise self.failures.pop(0)
        ref = f"{self.prefix}{len(self.posts) + 1}"
        self.posts.append((target, view, ref))
        return ref

    async def edit(self, target: DailyTarget, message_ref: str, view: DailyPostView) -> None:
        self.edits.append((message_ref, view))

    async def delete(self, target: DailyTarget, message_ref: str) -> None:
        if self.delete_failures:
            raise self.delete_failures.pop(0)
        self.deleted.append(message_ref)

    def channels(self) -> list[str]:
        return [target.channel_id for target, _, _ in self.posts]


def admin(user: str = "lead", space: str = "g1") -> Origin:
    return Origin(platform="discord", space_id=space, user_id=user, display_name=user, is_admin=True)


def member(user: str, space: str = "g1") -> Origin:
    return Origin(platform="discord", space_id=space, user_id=user, display_name=user)


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def daily_engine(store: Store, decks: DeckLibrary, clock: FakeClock, publisher: FakePublisher) -> QuizEngine:
    engine = QuizEngine(store, decks, clock=clock, rng=random.Random(11))
    engine.daily.attach("discord", publisher)
    return engine


async def configure(engine: QuizEngine, channel: str, when: str, zone: str) -> None:
    reply = await engine.daily.configure(admin(), channel, when, zone)
    assert isinstance(reply.view, Notice) and reply.view.title == "Daily question set", reply.view


async def test_posts_at_local_time_in_two_zones(daily_engine: QuizEngine, clock: FakeClock, publisher: FakePublisher) -> None:
    await configure(daily_engine, "berlin", "09:00", "Europe/Berlin")
    await configure(daily_engine, "newyork", "9:00", "America/New_York")
    clock.now = utc("2026-11-27T07:59:59")  # 08:59:59 in Berlin
    await daily_engine.daily.tick()
    assert publisher.channels() == []
    clock.now = utc("2026-11-27T08:00:00")
    await daily_engine.daily.tick()
    assert publisher.channels() == ["berlin"]
    clock.now = utc("2026-11-27T13:59:00")
    await daily_engine.daily.tick()
    assert publisher.channels() == ["berlin"]
    clock.now = utc("2026-11-27T14:00:00")  # 09:00 in New York
    await daily_engine.daily.tick()
    await daily_engine.daily.tick()
    assert publisher.channels() == ["berlin", "newyork"]


@pytest.mark.parametrize(
    ("zone", "day_before", "change_day", "post_time"),
    [
        ("Europe/Berlin", "2026-03-28T08:00:00", "2026-03-29T07:00:00", "09:00"),  # spring forward: CET to CEST
        ("Europe/Berlin", "2026-10-24T07:00:00", "2026-10-25T08:00:00", "09:00"),  # fall back: CEST to CET
        ("America/New_York", "2026-03-07T14:00:00", "2026-03-08T13:00:00", "09:00"),
        ("America/New_York", "2026-10-31T13:00:00", "2026-11-01T14:00:00", "09:00"),
        ("Europe/Berlin", "2026-03-28T01:30:00", "2026-03-29T01:30:00", "02:30"),  # 02:30 does not exist on the 29th
        ("Europe/Berlin", "2026-10-24T00:30:00", "2026-10-25T00:30:00", "02:30"),  # 02:30 happens twice: the first
    ],
)
async def test_posts_once_a_day_at_local_time_across_dst_changes(
    daily_engine: QuizEngine, clock: FakeClock, publisher: FakePublisher, zone: str, day_before: str, change_day: str, post_time: str
) -> None:
    await configure(daily_engine, "c", post_time, zone)
    for due in (utc(day_before), utc(change_day)):
        clock.now = due - 1
        await daily_engine.daily.tick()
        posted = len(publisher.posts)
        clock.now = due
        await daily_engine.daily.tick()
        assert len(publisher.posts) == posted + 1, datetime.fromtimestamp(due, UTC)
        for minutes in (1, 60, 120, 600):
            clock.now = due + minutes * 60
            await daily_engine.daily.tick()
        assert len(publisher.posts) == posted + 1
    assert len(publisher.posts) == 2


async def test_two_schedulers_racing_on_one_database_post_once(database: QuizDatabase, decks: DeckLibrary, clock: FakeClock) -> None:
    publisher = FakePublisher()
    async with await database.open() as store_a, await database.open() as store_b:  # type: ignore[attr-defined]
        engine_a = QuizEngine(store_a, decks, clock=clock, rng=random.Random(1))
        engine_b = QuizEngine(store_b, decks, clock=clock, rng=random.Random(2))
        engine_a.daily.attach("discord", publisher)
        engine_b.daily.attach("discord", publisher)
        await configure(engine_a, "c1", "09:00", "UTC")
        await configure(engine_a, "c2", "09:00", "UTC")
        clock.now = utc("2026-11-27T09:00:00")
        for _ in range(5):
            await asyncio.gather(engine_a.daily.tick(), engine_b.daily.tick(), engine_a.daily.tick())
    assert sorted(publisher.channels()) == ["c1", "c2"]


async def test_a_post_picked_from_a_channel_another_post_has_moved_on_is_not_claimed(
    daily_engine: QuizEngine, store: Store, clock: FakeClock, publisher: FakePublisher
) -> None:
    """The pick is data from the channel as read: a claim refuses it once the rotation moved, so no question is skipped."""
    await configure(daily_engine, "c", "09:00", "UTC")
    seen = await store.daily_channel("discord", "g1", "c")
    assert seen is not None
    clock.now = utc("2026-11-27T09:00:00")
    await daily_engine.daily.tick()  # today's post moves the rotation on
    stale_pick = daily_engine.daily._choose(seen, daily_engine.decks.default)
    assert await store.claim_post(seen, "2026-11-27#2", "2026-11-27", stale_pick, "other", int(clock.now)) is None
    fresh = await store.daily_channel("discord", "g1", "c")
    assert fresh is not None and fresh.rotation != seen.rotation
    claimed = await store.claim_post(
        fresh, "2026-11-27#2", "2026-11-27", daily_engine.daily._choose(fresh, daily_engine.decks.default), "other", int(clock.now)
    )
    newest, first = await store.channel_posts(fresh.channel_key, limit=2)
    assert claimed is not None and claimed.post_id == newest.post_id and claimed.question_id != first.question_id
    assert sorted(await store.slots_of(fresh.channel_key, "2026-11-27")) == ["2026-11-27", "2026-11-27#2"]


async def test_catches_up_the_same_day_after_downtime_but_never_posts_a_past_day(
    daily_engine: QuizEngine, clock: FakeClock, publisher: FakePublisher
) -> None:
    await configure(daily_engine, "c", "09:00", "UTC")
    clock.now = utc("2026-11-27T15:30:00")  # the bot was down at 09:00
    await daily_engine.daily.tick()
    assert len(publisher.posts) == 1
    clock.now = utc("2026-11-29T08:00:00")  # down for all of the 28th
    await daily_engine.daily.tick()
    assert len(publisher.posts) == 1
    clock.now = utc("2026-11-29T09:00:00")
    await daily_engine.daily.tick()
    assert len(publisher.posts) == 2
    assert "Sunday 29 November 2026" in publisher.posts[1][1].date_label


async def test_a_failed_send_is_logged_as_its_attempt_and_its_reason_kept_to_500_characters(
    daily_engine: QuizEngine, store: Store, clock: FakeClock, publisher: FakePublisher, caplog: pytest.LogCaptureFixture
) -> None:
    await configure(daily_engine, "c", "09:00", "UTC")
    reason = "HTTP 500 from the platform: " + "x" * 600
    publisher.failures = [PublishError(reason)]
    clock.now = utc("2026-11-27T09:00:00")
    with caplog.at_level(logging.INFO, logger="bot.daily"):
        await daily_engine.daily.tick()
    (failed,) = await store.failed_posts("discord")
    assert failed.last_error == reason[:500] and len(failed.last_error) == 500
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.daily" and r.levelno == logging.WARNING]
    assert warnings == [f"daily post {failed.post_id} to channel c failed (attempt 1): {reason}"]


async def test_a_second_answer_to_a_daily_post_gets_the_first_one_back_in_full(
    daily_engine: QuizEngine, store: Store, clock: FakeClock, publisher: FakePublisher
) -> None:
    await configure(daily_engine, "c", "09:00", "UTC")
    clock.now = utc("2026-11-27T09:00:00")
    await daily_engine.daily.tick()
    post = publisher.posts[-1][1]
    assert isinstance(post, DailyPostView)
    first_key, other_key = (decode(button.action_id).option_key for button in post.buttons[:2])  # type: ignore[attr-defined]
    post_id = decode(post.buttons[0].action_id).post_id  # type: ignore[attr-defined]
    periods = period_keys(clock.now, UTC)
    first = await store.record_daily_answer(post_id, member("m1"), first_key, True, int(clock.now), periods)
    person_id = await store.person_id(member("m1"))
    assert first == DailyAnswerOutcome(status="recorded", option_key=first_key, correct=True, points=1, person_id=person_id)
    # A second click, on another option and judged wrong, changes nothing and is told the first answer.
    second = await store.record_daily_answer(post_id, member("m1"), other_key, False, int(clock.now) + 5, periods)
    assert second == DailyAnswerOutcome(status="already_answered", option_key=first_key, correct=True, points=1, person_id=person_id)


async def test_failed_send_is_recorded_and_retried_with_backoff(
    daily_engine: QuizEngine, store: Store, clock: FakeClock, publisher: FakePublisher
) -> None:
    await configure(daily_engine, "c", "09:00", "UTC")
    publisher.failures = [PublishError("HTTP 500 from the platform"), PublishError("HTTP 429 rate limited")]
    clock.now = utc("2026-11-27T09:00:00")
    await daily_engine.daily.tick()
    (failed,) = await store.failed_posts("discord")
    assert failed.attempts == 1 and failed.last_error == "HTTP 500 from the platform"
    status = await daily_engine.daily.status(admin(), "c")
    assert "failed (HTTP 500 from the platform)" in status.view.text  # type: ignore[union-attr]
    clock.advance(30)
    await daily_engine.daily.tick()
    assert (await store.failed_posts("discord"))[0].attempts == 1  # not yet: the first wait is a minute
    clock.advance(31)
    await daily_engine.daily.tick()
    (again,) = await store.failed_posts("discord")
    assert again.attempts == 2 and again.next_attempt_at == int(clock.now) + 120  # the wait doubles
    clock.advance(120)
    await daily_engine.daily.tick()
    assert await store.failed_posts("discord") == [] and len(publisher.posts) == 1


async def test_one_broken_channel_does_not_stop_the_others(daily_engine: QuizEngine, clock: FakeClock, publisher: FakePublisher) -> None:
    await configure(daily_engine, "broken", "09:00", "UTC")
    await configure(daily_engine, "fine", "09:00", "UTC")
    publisher.broken_channels = {"broken"}
    clock.now = utc("2026-11-27T09:00:00")
    await daily_engine.daily.tick()
    assert publisher.channels() == ["fine"]


async def test_rotation_posts_every_question_before_any_repeats(
    daily_engine: QuizEngine, clock: FakeClock, publisher: FakePublisher, decks: DeckLibrary
) -> None:
    await configure(daily_engine, "c", "09:00", "UTC")
    for day in range(15):
        clock.now = utc("2026-11-01T09:00:00") + day * 86400
        await daily_engine.daily.tick()
    prompts = [view.prompt for _, view, _ in publisher.posts]
    assert len(prompts) == 15
    every = {q.prompt for q in decks.default.questions}
    for cycle in range(3):
        assert set(prompts[cycle * 5 : cycle * 5 + 5]) == every
    assert all(a != b for a, b in zip(prompts, prompts[1:], strict=False))


async def test_three_people_answer_privately_once_and_the_next_post_reveals_the_results(
    daily_engine: QuizEngine, clock: FakeClock, publisher: FakePublisher, store: Store
) -> None:
    await configure(daily_engine, "c", "09:00", "UTC")
    clock.now = utc("2026-11-27T09:00:00")
    await daily_engine.daily.tick()
    _, post, first_ref = publisher.posts[0]
    assert post.answered == 0 and not post.closed and len(post.buttons) == 4
    picks = {"ann": post.buttons[0], "bo": post.buttons[1], "cy": post.buttons[1]}
    for user, button in picks.items():
        reply = await daily_engine.handle(member(user), button.action_id)
        assert isinstance(reply.view, DailyFeedback) and reply.ephemeral and not reply.replace
        assert reply.view.streak.current == 1
    again = await daily_engine.handle(member("bo"), post.buttons[2].action_id)
    assert isinstance(again.view, Notice) and again.view.title == "Already answered" and "with B" in again.view.text
    foreign = await daily_engine.handle(member("ann", space="other-guild"), post.buttons[0].action_id)
    assert isinstance(foreign.view, Notice) and foreign.view.tone == "warning"
    clock.advance(5)
    await daily_engine.daily.tick()
    assert publisher.edits[-1][0] == first_ref and publisher.edits[-1][1].answered == 3
    edits = len(publisher.edits)
    await daily_engine.daily.tick()
    assert len(publisher.edits) == edits  # nothing changed, nothing edited
    clock.now = utc("2026-11-28T09:00:00")
    await daily_engine.daily.tick()
    revealed = next(view for ref, view in reversed(publisher.edits) if ref == first_ref)
    assert revealed.closed and all(b.disabled for b in revealed.buttons)
    assert [(r.letter, r.picks) for r in revealed.results] == [("A", 1), ("B", 2), ("C", 0), ("D", 0)]
    assert revealed.best_letter in "ABCD" and revealed.explanation
    late = await daily_engine.handle(member("dee"), post.buttons[0].action_id)
    assert isinstance(late.view, Notice) and late.view.title == "This daily question is closed"
    assert await store.person_id(member("dee")) is None  # a click on a closed post writes nothing, not even the person
    assert (await store.daily_tallies(decode(post.buttons[0].action_id).post_id)) == {  # type: ignore[attr-defined]
        decode(post.buttons[0].action_id).option_key: 1,  # type: ignore[attr-defined]
        decode(post.buttons[1].action_id).option_key: 2,  # type: ignore[attr-defined]
    }


async def test_daily_answers_score_once_per_post_and_count_posts_for_streaks(
    daily_engine: QuizEngine, clock: FakeClock, publisher: FakePublisher, decks: DeckLibrary
) -> None:
    await configure(daily_engine, "c", "09:00", "UTC")
    answered_days = [0, 1, 3, 4]
    for day in range(5):
        clock.now = utc("2026-11-02T09:00:00") + day * 86400
        await daily_engine.daily.tick()
        _, post, _ = publisher.posts[-1]
        if day in answered_days:
            button = _correct_button(post, decks)
            reply = await daily_engine.handle(member("me"), button.action_id)
            assert isinstance(reply.view, DailyFeedback) and reply.view.points == 1
    stats = (await daily_engine.stats(member("me"))).view
    assert isinstance(stats, StatsView)
    assert stats.streak is not None and (stats.streak.current, stats.streak.best) == (2, 2)
    assert stats.points == 4
    board = (await daily_engine.leaderboard(member("me"))).view
    assert [(r.name, r.points) for r in board.rows] == [("me", 4)]  # type: ignore[union-attr]


def _correct_button(post: DailyPostView, decks: DeckLibrary):  # type: ignore[no-untyped-def]
    question = next(q for q in decks.default.questions if q.prompt == post.prompt)
    for button in post.buttons:
        action = decode(button.action_id)
        assert isinstance(action, DailyAnswerAction)
        option = question.option(action.option_key)
        if option is not None and option.correct:
            return button
    raise AssertionError("no correct option")


def test_streak_counts_posts_and_an_open_unanswered_post_breaks_nothing() -> None:
    assert (streak_of([]).current, streak_of([]).best) == (0, 0)
    history = [(True, False), (True, False), (False, False), (True, False), (True, False), (False, True)]
    assert (streak_of(history).current, streak_of(history).best) == (2, 2)
    assert streak_of([*history[:-1], (False, False)]).current == 0
    assert streak_of([(True, False)] * 3 + [(True, True)]).current == 4


async def test_admin_commands_refuse_non_admins_and_bad_times_or_zones(daily_engine: QuizEngine, store: Store) -> None:
    refused = await daily_engine.daily.configure(member("pleb"), "c", "09:00", "UTC")
    assert isinstance(refused.view, Notice) and refused.view.title == "Admins only"
    for when, zone, title in [
        ("25:00", "UTC", "That time isn't valid"),
        ("9am", "UTC", "That time isn't valid"),
        ("09:00", "Mars/Olympus", "Unknown timezone"),
        ("09:00", "../etc/passwd", "Unknown timezone"),
    ]:
        reply = await daily_engine.daily.configure(admin(), "c", when, zone)
        assert isinstance(reply.view, Notice) and reply.view.title == title
        assert reply.view.hint == "daily_set"  # each surface adds an example in its own syntax
        assert "09:00" in reply.view.text or "Europe/Berlin" in reply.view.text
    assert await store.daily_channel("discord", "g1", "c") is None
    for call in (daily_engine.daily.switch_off(member("pleb"), "c"), daily_engine.daily.post_now(member("pleb"), "c")):
        reply = await call
        assert isinstance(reply.view, Notice) and reply.view.title == "Admins only"


async def test_status_now_and_off(daily_engine: QuizEngine, clock: FakeClock, publisher: FakePublisher) -> None:
    clock.now = utc("2026-11-27T06:00:00")
    await configure(daily_engine, "c", "09:00", "Europe/Berlin")
    status = (await daily_engine.daily.status(member("anyone"), "c")).view
    assert isinstance(status, Notice)
    assert "09:00 Europe/Berlin" in status.text and "Next post: Fri 27 Nov 2026 09:00 CET" in status.text and "none yet" in status.text
    posted = (await daily_engine.daily.post_now(admin(), "c")).view
    assert isinstance(posted, Notice) and posted.title == "Posted" and len(publisher.posts) == 1
    clock.now = utc("2026-11-27T08:00:00")
    await daily_engine.daily.tick()
    assert len(publisher.posts) == 1  # `daily now` took today's post
    await daily_engine.daily.post_now(admin(), "c")
    assert len(publisher.posts) == 2  # a second `now` the same day is an extra post
    off = (await daily_engine.daily.switch_off(admin(), "c")).view
    assert isinstance(off, Notice) and off.title == "Daily question off"
    clock.now = utc("2026-11-28T08:00:00")
    await daily_engine.daily.tick()
    assert len(publisher.posts) == 2


async def test_scheduler_loop_keeps_ticking_after_an_error(daily_engine: QuizEngine) -> None:
    ticks = 0

    async def failing_tick() -> None:
        nonlocal ticks
        ticks += 1
        raise RuntimeError("database is locked")

    async def stop_after_three(_: float) -> None:
        if ticks >= 3:
            raise asyncio.CancelledError

    daily_engine.daily.tick = failing_tick  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        await DailyScheduler(daily_engine.daily, sleep=stop_after_three).run()
    assert ticks == 3


async def test_a_refused_post_is_tried_again_later_the_same_day(
    daily_engine: QuizEngine, store: Store, clock: FakeClock, publisher: FakePublisher
) -> None:
    await configure(daily_engine, "c", "09:00", "UTC")
    publisher.failures = [PublishError("Missing Access (403)", retryable=False)]
    clock.now = utc("2026-11-27T09:00:00")
    await daily_engine.daily.tick()
    status = (await daily_engine.daily.status(admin(), "c")).view
    assert isinstance(status, Notice) and "trying again at 09:15" in status.text and "daily now" in status.text
    clock.advance(14 * 60)
    await daily_engine.daily.tick()
    assert publisher.posts == []
    clock.advance(60)
    await daily_engine.daily.tick()
    assert len(publisher.posts) == 1 and await store.failed_posts("discord") == []


async def test_two_processes_edit_a_post_count_once(database: QuizDatabase, decks: DeckLibrary, clock: FakeClock) -> None:
    publisher = FakePublisher()
    async with await database.open() as store_a, await database.open() as store_b:  # type: ignore[attr-defined]
        engine_a = QuizEngine(store_a, decks, clock=clock, rng=random.Random(1))
        engine_b = QuizEngine(store_b, decks, clock=clock, rng=random.Random(2))
        for engine in (engine_a, engine_b):
            engine.daily.attach("discord", publisher)
        await configure(engine_a, "c", "09:00", "UTC")
        clock.now = utc("2026-11-27T09:00:00")
        await engine_a.daily.tick()
        _, post, _ = publisher.posts[0]
        await engine_a.handle(member("ann"), post.buttons[0].action_id)
        await asyncio.gather(engine_a.daily.tick(), engine_b.daily.tick())
        await asyncio.gather(engine_a.daily.tick(), engine_b.daily.tick())
    assert [view.answered for _, view in publisher.edits] == [1]


async def test_a_failed_edit_is_tried_again_at_the_next_tick(daily_engine: QuizEngine, clock: FakeClock, publisher: FakePublisher) -> None:
    await configure(daily_engine, "c", "09:00", "UTC")
    clock.now = utc("2026-11-27T09:00:00")
    await daily_engine.daily.tick()
    _, post, _ = publisher.posts[0]
    await daily_engine.handle(member("ann"), post.buttons[0].action_id)
    original_edit = publisher.edit

    async def failing_edit(*_: object) -> None:
        raise PublishError("HTTP 503")

    publisher.edit = failing_edit  # type: ignore[method-assign]
    await daily_engine.daily.tick()
    publisher.edit = original_edit  # type: ignore[method-assign]
    await daily_engine.daily.tick()
    assert [view.answered for _, view in publisher.edits] == [1]


async def test_daily_now_sends_todays_failed_post_instead_of_a_second_one(
    daily_engine: QuizEngine, store: Store, clock: FakeClock, publisher: FakePublisher
) -> None:
    await configure(daily_engine, "c", "09:00", "UTC")
    publisher.failures = [PublishError("Missing Access (403)", retryable=False)]
    clock.now = utc("2026-11-27T09:00:00")
    await daily_engine.daily.tick()
    posted = (await daily_engine.daily.post_now(admin(), "c")).view
    assert isinstance(posted, Notice) and posted.title == "Posted"
    for hours in (1, 2, 5):
        clock.now = utc("2026-11-27T09:00:00") + hours * 3600
        await daily_engine.daily.tick()
    assert len(publisher.posts) == 1 and await store.failed_posts("discord") == []


async def test_zone_names_are_accepted_in_any_case(daily_engine: QuizEngine, store: Store) -> None:
    await configure(daily_engine, "c", "09:00", "europe/berlin")
    channel = await store.daily_channel("discord", "g1", "c")
    assert channel is not None and channel.timezone == "Europe/Berlin"


async def test_an_edit_the_platform_refuses_is_not_retried_every_tick(
    daily_engine: QuizEngine, clock: FakeClock, publisher: FakePublisher
) -> None:
    await configure(daily_engine, "c", "09:00", "UTC")
    clock.now = utc("2026-11-27T09:00:00")
    await daily_engine.daily.tick()
    _, post, _ = publisher.posts[0]
    await daily_engine.handle(member("ann"), post.buttons[0].action_id)
    attempts = 0

    async def deleted(*_: object) -> None:
        nonlocal attempts
        attempts += 1
        raise PublishError("Unknown Message (404)", retryable=False)

    publisher.edit = deleted  # type: ignore[method-assign]
    for _ in range(3):
        await daily_engine.daily.tick()
    assert attempts == 1


async def test_a_channel_answering_at_once_is_counted_once_each_with_points_on_the_board(
    daily_engine: QuizEngine, clock: FakeClock, publisher: FakePublisher, decks: DeckLibrary, database: QuizDatabase
) -> None:
    await configure(daily_engine, "c", "09:00", "UTC")
    clock.now = utc("2026-11-27T09:00:00")
    await daily_engine.daily.tick()
    _, post, _ = publisher.posts[0]
    best = _correct_button(post, decks)
    people = [member(f"m{i}") for i in range(120)]
    # Everyone clicks at once, and every third person twice (a second option).
    clicks = [(p, best if i % 2 else post.buttons[i % 4]) for i, p in enumerate(people)]
    clicks += [(p, post.buttons[(i + 1) % 4]) for i, p in enumerate(people) if i % 3 == 0]
    replies = await asyncio.gather(*(daily_engine.handle(p, b.action_id) for p, b in clicks))
    feedback = [r.view for r in replies if isinstance(r.view, DailyFeedback)]
    assert len(feedback) == 120
    assert sum(isinstance(r.view, Notice) and r.view.title == "Already answered" for r in replies) == 40
    post_id = decode(best.action_id).post_id  # type: ignore[attr-defined]
    assert await database.value("SELECT answer_count FROM daily_posts WHERE post_id = ?", post_id) == 120
    scored = await database.value("SELECT COUNT(*) FROM daily_answers WHERE points = 1")
    assert scored == sum(f.points for f in feedback) >= 60
    assert await database.rows("SELECT SUM(points), SUM(answers) FROM score_totals WHERE period = 'all'") == [(scored, 120)]
    board = (await daily_engine.leaderboard(member("m1"))).view
    assert isinstance(board, LeaderboardView) and board.rows[0].points == 1


async def test_a_channel_answering_at_once_reads_the_post_once_and_each_person_gets_their_own_streak(
    daily_engine: QuizEngine, store: Store, clock: FakeClock, publisher: FakePublisher, decks: DeckLibrary
) -> None:
    await configure(daily_engine, "c", "09:00", "UTC")
    clock.now = utc("2026-11-02T09:00:00")
    await daily_engine.daily.tick()
    _, first_post, _ = publisher.posts[-1]
    await daily_engine.handle(member("regular"), _correct_button(first_post, decks).action_id)
    clock.now += 86400
    await daily_engine.daily.tick()
    _, post, _ = publisher.posts[-1]
    reads: list[int] = []
    read_post = store.daily_post

    async def counted_read(post_id: int):  # type: ignore[no-untyped-def]
        reads.append(post_id)
        return await read_post(post_id)

    store.daily_post = counted_read  # type: ignore[method-assign]
    best = _correct_button(post, decks)
    people = ["regular", *(f"new{i}" for i in range(30))]
    replies = await asyncio.gather(*(daily_engine.handle(member(name), best.action_id) for name in people))
    assert len(reads) == 1  # the clicks that came while it was being read waited for that one read
    views = [reply.view for reply in replies]
    assert all(isinstance(view, DailyFeedback) and view.points == 1 for view in views)
    # The feedback is shared per option, the streak is each person's own.
    assert [(v.streak.current, v.streak.best) for v in views] == [(2, 2)] + [(1, 1)] * 30  # type: ignore[union-attr]


async def test_a_click_on_a_post_id_not_yet_claimed_is_refused_and_the_post_counts_once_claimed(
    daily_engine: QuizEngine, clock: FakeClock, publisher: FakePublisher, decks: DeckLibrary
) -> None:
    await configure(daily_engine, "c", "09:00", "UTC")
    clock.now = utc("2026-11-02T09:00:00")
    await daily_engine.daily.tick()
    _, post, _ = publisher.posts[-1]
    best = _correct_button(post, decks)
    action = decode(best.action_id)
    assert isinstance(action, DailyAnswerAction)
    ahead = DailyAnswerAction(post_id=action.post_id + 1, option_key=action.option_key).encode()
    refused = await daily_engine.handle(member("early"), ahead)
    assert isinstance(refused.view, Notice) and refused.view.title == "That button doesn't work"
    clock.now += 86400
    await daily_engine.daily.tick()  # claims the next post id: a missing post is not remembered as missing
    _, next_post, _ = publisher.posts[-1]
    reply = await daily_engine.handle(member("early"), _correct_button(next_post, decks).action_id)
    assert isinstance(reply.view, DailyFeedback) and reply.view.points == 1


async def test_a_click_that_reaches_two_processes_at_once_is_counted_once(
    database: QuizDatabase, decks: DeckLibrary, clock: FakeClock
) -> None:
    """A retried click delivered to another worker: both processes record it, the database keeps one answer and one point."""
    publisher = FakePublisher()
    async with await database.open() as store_a, await database.open() as store_b:  # type: ignore[attr-defined]
        engine_a = QuizEngine(store_a, decks, clock=clock, rng=random.Random(1))
        engine_b = QuizEngine(store_b, decks, clock=clock, rng=random.Random(2))
        engine_a.daily.attach("discord", publisher)
        await configure(engine_a, "c", "09:00", "UTC")
        clock.now = utc("2026-11-27T09:00:00")
        await engine_a.daily.tick()
        best = _correct_button(publisher.posts[0][1], decks)
        people = [member(f"m{i}") for i in range(60)]
        replies = await asyncio.gather(*(engine.handle(p, best.action_id) for p in people for engine in (engine_a, engine_b)))
    feedback = [r.view for r in replies if isinstance(r.view, DailyFeedback)]
    assert len(feedback) == 60 and all(view.points == 1 for view in feedback)
    assert sum(isinstance(r.view, Notice) and r.view.title == "Already answered" for r in replies) == 60
    assert await database.rows("SELECT COUNT(*), SUM(points) FROM daily_answers") == [(60, 60)]
    assert await database.value("SELECT answer_count FROM daily_posts") == 60
    assert await database.value("SELECT COUNT(*) FROM people WHERE user_id LIKE 'm%'") == 60
    assert await database.rows("SELECT SUM(points), SUM(answers) FROM score_totals WHERE period = 'all'") == [(60, 60)]
    assert await database.rows("SELECT points, people FROM points_histogram WHERE period = 'all' AND people != 0") == [(1, 60)]
