"""The weekly digest: admins switch it on for a channel; every Monday one post of the group's week, with a chart."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.boards import question_line
from bot.chart import TopicWeek, accuracy_chart
from bot.content import DeckLibrary
from bot.daily import ABANDONED, SEND_LEASE, DailyTarget, PublishError, channel_id_problem, due_instant, failure_of
from bot.notices import shared_reply
from bot.origin import Origin
from bot.store import Claim, DigestChannel, DigestPost, OptionTally, Store
from bot.views import DigestView, LeaderboardRow, QuestionStatsLine, Reply, TopicWeekLine, notice
from bot.windows import period_key

log = logging.getLogger(__name__)

DEFAULT_TIME = "09:00"  # when a channel without a daily question gets its digest, in the boards' timezone
MONDAY = 0
TOP_PEOPLE, TOP_TEAMS = 5, 3
WEEK = timedelta(days=7)
NOTE = (
    "Counts each person's first answer to a question in their own runs (replays come after the explanation) and every "
    "answer to a daily question. People and teams are ranked as on the boards."
)
CHART_TITLE = "Correct answers per topic: this week against the week before"

Chart = Callable[[Sequence[TopicWeek], str], bytes]


class DigestPublisher(Protocol):
    """What an adapter supplies: post a digest and its chart (PNG bytes) to a channel; return a reference to the post."""

    async def post(self, target: DailyTarget, view: DigestView, chart: bytes) -> str: ...


class DigestService:
    """The digest's admin command and its scheduler tick; an adapter attaches a publisher for its platform."""

    def __init__(
        self, store: Store, decks: DeckLibrary, *, clock: Callable[[], float], board_zone: ZoneInfo, chart: Chart = accuracy_chart
    ) -> None:
        self.store = store
        self.decks = decks
        self._clock = clock
        self._board_zone = board_zone
        self._chart = chart
        self.instance = uuid.uuid4().hex[:12]
        self._publishers: dict[str, DigestPublisher] = {}

    def attach(self, platform: str, publisher: DigestPublisher) -> None:
        self._publishers[platform] = publisher

    def _now(self) -> int:
        return int(self._clock())

    # Admin command ------------------------------------------------------------------------------

    async def switch(self, origin: Origin, channel_id: str, on: bool) -> Reply:
        """`digest on|off` for a channel (admins)."""
        if not origin.is_admin:
            return shared_reply("admins_only")
        if problem := channel_id_problem(channel_id):
            return problem
        changed = await self.store.set_digest_channel(origin.platform, origin.space_id, channel_id, on, origin.user_id, self._now())
        if not on:
            if changed:
                return notice("Weekly digest off", "No more weekly digests in this channel. Turn it back on with `digest on`.", "success")
            return notice("Weekly digest is not on here", "There is no weekly digest in this channel to switch off.")
        post_time, zone, why = await self._schedule(origin.platform, origin.space_id, channel_id)
        title = "Weekly digest on" if changed else "Weekly digest is on"
        return notice(
            title,
            f"Every Monday at {post_time} {zone.key} ({why}) this channel gets the group's week: the top people and teams, "
            "accuracy per topic against the week before, the most-missed question and a chart.",
            "success",
        )

    async def _schedule(self, platform: str, space_id: str, channel_id: str) -> tuple[str, ZoneInfo, str]:
        """When a channel's digest posts: at its daily question's time and zone, else 09:00 in the boards' zone."""
        daily = await self.store.daily_channel(platform, space_id, channel_id)
        if daily is not None and daily.enabled:
            return daily.post_time, ZoneInfo(daily.timezone), "the daily question's time here"
        return DEFAULT_TIME, self._board_zone, "no daily question here, so 09:00 in the boards' timezone"

    # Scheduler tick -----------------------------------------------------------------------------

    async def tick(self) -> None:
        """Post what is due and retry failed sends, for every attached platform; one broken channel stops no other."""
        for platform in list(self._publishers):
            now = self._now()
            # The daily posts' lease (bot.daily.SEND_LEASE): a digest still being sent that long after its claim was left
            # by a process that stopped midway; failed now, it is retried like any failed send, on its Monday only.
            abandoned = await self.store.fail_abandoned_digests(platform, now - SEND_LEASE, ABANDONED, now)
            if abandoned:
                log.warning("%d weekly digest(s) on %s were left half-sent by a process that stopped; sending again", abandoned, platform)
            for channel in await self.store.digest_channels(platform):
                try:
                    await self._post_if_due(channel)
                except Exception:
                    log.exception("weekly digest for channel %s failed", channel.channel_id)
            for post in await self.store.failed_digests(platform):
                try:
                    await self._retry(post)
                except Exception:
                    log.exception("retrying weekly digest %s failed", post.digest_id)

    async def _monday(self, channel: DigestChannel | DigestPost) -> tuple[str, float] | None:
        """(this Monday's local date, when it is due) when today is Monday where the channel posts, else None."""
        post_time, zone, _ = await self._schedule(channel.platform, channel.space_id, channel.channel_id)
        today = datetime.fromtimestamp(self._now(), zone).date()
        if today.weekday() != MONDAY:
            return None
        return today.isoformat(), due_instant(today, post_time, zone)

    async def _post_if_due(self, channel: DigestChannel) -> None:
        monday = await self._monday(channel)
        if monday is None or self._now() < monday[1]:
            return
        latest = await self.store.digest_posts_of(channel.channel_key, 1)
        if latest and latest[0].week == monday[0]:
            return  # this week's is claimed already (read first: the claim is a write)
        post = await self.store.claim_digest(channel.channel_key, monday[0], self.instance, self._now())
        if post is not None:  # None: another process (or an earlier run) has this week
            await self._send(post, monday[1])

    async def _retry(self, post: DigestPost) -> None:
        """A failed digest goes again once its wait is over, on its own Monday only."""
        monday = await self._monday(post)
        if monday is None or monday[0] != post.week:
            return
        if await self.store.reclaim_digest(post.digest_id, self.instance, self._now()):
            fresh = await self.store.digest_post(post.digest_id)  # as claimed: its attempts are the claim's
            if fresh is not None:
                await self._send(fresh, monday[1])

    async def _send(self, post: DigestPost, due: float) -> None:
        publisher = self._publishers.get(post.platform)
        target = DailyTarget(platform=post.platform, space_id=post.space_id, channel_id=post.channel_id)
        claim = Claim(self.instance, post.attempts)
        try:
            if publisher is None:
                raise PublishError(f"no publisher for {post.platform} in this process")
            view = await self.view(post.platform, post.space_id, due)
            # Drawing takes a good part of a second: off the event loop, which keeps answering clicks meanwhile.
            chart = await asyncio.to_thread(self._chart, _chart_rows(view), view.chart_title)
            message_ref = await publisher.post(target, view, chart)
        except asyncio.CancelledError:
            # The process is stopping mid-send (a deploy during the chart's drawing or upload): left failed with a retry
            # time, the digest goes out from the next process to tick that Monday rather than after the lease.
            await self._failed(post, claim, PublishError(ABANDONED))
            raise
        except Exception as error:
            await self._failed(post, claim, error)
            return
        if await self.store.mark_digest_sent(post.digest_id, claim, message_ref, self._now()):
            log.info("weekly digest %s sent to channel %s", post.digest_id, post.channel_id)
        else:
            # This process was slower than the lease, and another one took the digest over: the channel may have it twice.
            log.warning(
                "weekly digest %s: message %s went out to channel %s after another process had taken the digest over; "
                "that one's is the digest recorded, this one stays in the channel",
                post.digest_id,
                message_ref,
                post.channel_id,
            )

    async def _failed(self, post: DigestPost, claim: Claim, error: Exception) -> None:
        """Record a failed attempt to be retried after its wait, unless another process took the digest over meanwhile."""
        reason, delay = failure_of(error, post.attempts)
        if await self.store.mark_digest_failed(post.digest_id, claim, reason, self._now() + delay):
            attempt = post.attempts + 1
            log.warning("weekly digest %s to channel %s failed (attempt %d): %s", post.digest_id, post.channel_id, attempt, reason)
        else:
            taken = "weekly digest %s to channel %s failed (%s) after another process took it over"
            log.info(taken, post.digest_id, post.channel_id, reason)

    # The digest itself --------------------------------------------------------------------------

    def covered_week(self, due: float) -> tuple[str, int, int]:
        """The boards' latest week that has ended by `due`: its period key, and its start and end (seconds)."""
        local = datetime.fromtimestamp(due, self._board_zone)
        this_monday = datetime.combine(local.date() - timedelta(days=local.weekday()), datetime.min.time(), self._board_zone)
        start = this_monday - WEEK
        return period_key("week", start.timestamp(), self._board_zone), int(start.timestamp()), int(this_monday.timestamp())

    async def view(self, platform: str, space_id: str, due: float) -> DigestView:
        """The digest of a space for the week that ended by `due`."""
        period, start, end = self.covered_week(due)
        people = await self.store.people_board(platform, space_id, period, TOP_PEOPLE, 1)
        teams = await self.store.team_board(platform, space_id, period, TOP_TEAMS, 1)
        this_week = await self.store.answer_tallies_between(platform, space_id, start, end)
        week_before = await self.store.answer_tallies_between(platform, space_id, start - int(WEEK.total_seconds()), start)
        monday = datetime.fromtimestamp(start, self._board_zone)
        missed = self._most_missed(this_week)
        return DigestView(
            week=f"Week from Monday {monday.day} {monday:%b %Y}",
            timezone=self._board_zone.key,
            answers=sum(t.picks for t in this_week),
            people=tuple(LeaderboardRow(rank=r.rank, name=r.display_name, points=r.points) for r in people.rows),
            teams=tuple(
                LeaderboardRow(rank=rank, name=team.name, points=team.points, detail=f"{team.active_members} active")
                for rank, team in teams.ranked
            ),
            topics=self._topics(this_week, week_before),
            most_missed=missed[1] if missed else None,
            most_missed_deck=missed[0] if missed else None,
            chart_title=CHART_TITLE,
            note=NOTE,
        )

    def _correct_key(self, tally: OptionTally) -> tuple[str, str] | None:
        """(topic, the correct option's key) of the tallied question, or None when its deck no longer has it."""
        deck = self.decks.get(tally.deck_id)
        question = deck.question(tally.question_id) if deck else None
        return (question.topic, question.correct_option.key) if question else None

    def _accuracy(self, tallies: Sequence[OptionTally]) -> dict[str, tuple[int, int]]:
        """topic -> (correct answers, answers)."""
        topics: dict[str, list[int]] = {}
        for tally in tallies:
            found = self._correct_key(tally)
            if found is None:
                continue
            counts = topics.setdefault(found[0], [0, 0])
            counts[0] += tally.picks if tally.option_key == found[1] else 0
            counts[1] += tally.picks
        return {topic: (c, n) for topic, (c, n) in topics.items()}

    def _topics(self, this_week: Sequence[OptionTally], week_before: Sequence[OptionTally]) -> tuple[TopicWeekLine, ...]:
        now, before = self._accuracy(this_week), self._accuracy(week_before)
        return tuple(
            TopicWeekLine(
                topic=topic,
                this_week=now[topic][0] / now[topic][1] if topic in now else None,
                last_week=before[topic][0] / before[topic][1] if topic in before else None,
                answers=now[topic][1] if topic in now else 0,
            )
            for topic in sorted(set(now) | set(before), key=str.casefold)
        )

    def _most_missed(self, tallies: Sequence[OptionTally]) -> tuple[str, QuestionStatsLine] | None:
        """The question with the most wrong answers this week (then the lowest share correct, then deck order), and its deck."""
        by_question: dict[tuple[str, str], dict[str, int]] = {}
        for tally in tallies:
            by_question.setdefault((tally.deck_id, tally.question_id), {})[tally.option_key] = tally.picks
        best: tuple[tuple[int, float], str, QuestionStatsLine] | None = None
        for deck in self.decks:
            for position, question in enumerate(deck.questions, start=1):
                line = question_line(position, question, by_question.get((deck.id, question.id), {}))
                wrong = sum(o.picks for o in line.options if not o.correct)
                rank = (wrong, 1 - line.correct_share)
                if wrong and (best is None or rank > best[0]):
                    best = (rank, deck.title, line)
        return (best[1], best[2]) if best else None


def _chart_rows(view: DigestView) -> list[TopicWeek]:
    return [TopicWeek(t.topic, t.this_week, t.last_week) for t in view.topics]
