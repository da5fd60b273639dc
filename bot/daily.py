"""Daily question posts: admin commands, the claim-then-send scheduler tick, answers, reveals and streaks."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import re
import uuid
import zoneinfo
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import cachetools
from pydantic import BaseModel, ConfigDict

from bot.actions import DailyAnswerAction
from bot.content import Deck, DeckLibrary, Question
from bot.notices import shared_reply
from bot.origin import Origin
from bot.store import Claim, DailyChannel, DailyPick, DailyPost, Store
from bot.views import (
    Button,
    DailyFeedback,
    DailyPostView,
    OptionLine,
    OptionResult,
    Reply,
    Streak,
    notice,
)
from bot.windows import period_keys

log = logging.getLogger(__name__)

LETTERS = "ABCDE"
TIME_FORMAT = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
# Failed sends are retried with doubling waits, capped, and only within the post's own local day.
RETRY_FIRST_DELAY = 60
RETRY_MAX_DELAY = 3600
RETRY_AFTER_REFUSAL = 900
# A claimed post still being sent after this long was abandoned: the process sending it stopped (a crash, a SIGKILL)
# between its claim and recording the platform's answer, and with no lease the channel's post for that day would
# never go out. Far longer than any send takes (the platforms' clients give up within a minute or two), so a live
# sender is never overtaken; the one case it can double: a process killed in the instant after the platform took
# the post and before it was recorded, which then goes out again once this has passed. A sender that was slower than
# this all the same (a long rate-limit wait, a paused machine) finds on its return that it lost its claim
# (bot.store.records.Claim): its message is deleted and the one of the process that took over stays the post.
# Weekly digests and review reminders have the same lease.
SEND_LEASE = 600
ABANDONED = "the bot stopped while sending it"
DAILY_SCORING = "A correct daily answer scores 1 point; each daily post scores once per person."


# A channel's whole burst answers one post, so these stay small; they are bounded all the same (cleared when
# full), as a process runs for months: what a click is checked against per post, and feedback per post and option.
ANSWERABLE_CACHE_SIZE = 1024
VERDICT_CACHE_SIZE = 4096


class _Answerable(NamedTuple):
    """The parts of a daily post an answer is checked against and shown with: fixed when the post is claimed."""

    post_id: int
    platform: str
    space_id: str
    deck_id: str
    question_id: str
    option_order: tuple[str, ...]
    local_date: str


class DailyTarget(BaseModel):
    """A channel a daily post goes to."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    platform: str
    space_id: str
    channel_id: str


class PublishError(Exception):
    """The platform refused or failed a post or an edit; `reason` is shown to admins and logged."""

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


def reason_of(error: Exception) -> str:
    """Why a send (or a delete) failed, as shown to admins and logged."""
    return error.reason if isinstance(error, PublishError) else f"{type(error).__name__}: {error}"


def failure_of(error: Exception, attempts: int) -> tuple[str, int]:
    """Why a send failed, as shown to admins, and how many seconds to wait before the next attempt (doubling, capped)."""
    reason = reason_of(error)
    delay = min(RETRY_FIRST_DELAY * 2**attempts, RETRY_MAX_DELAY)
    if isinstance(error, PublishError) and not error.retryable:
        # A refusal (missing permission, bot not in the channel) may be fixed by an admin the same day.
        delay = max(delay, RETRY_AFTER_REFUSAL)
    return reason, delay


class DailyPublisher(Protocol):
    """What an adapter supplies: post a view to a channel, edit that post later, and delete a post that must not stay."""

    async def post(self, target: DailyTarget, view: DailyPostView) -> str:
        """Send the view; return a reference to the message (its id) for later edits."""
        ...

    async def edit(self, target: DailyTarget, message_ref: str, view: DailyPostView) -> None: ...

    async def delete(self, target: DailyTarget, message_ref: str) -> None:
        """Delete a message this bot posted; PublishError when the platform will not."""
        ...


CHANNEL_ID_MAX = 64  # as Origin's ids: Discord's snowflakes and Slack's channel ids are far shorter


def channel_id_problem(channel_id: str) -> Reply | None:
    """A notice when a channel id cannot be one (empty, too long, control characters, which no database key may hold), else None."""
    if 0 < len(channel_id) <= CHANNEL_ID_MAX and channel_id.isprintable():
        return None
    return notice("That channel isn't valid", "It is not a channel id the bot can use, so nothing was changed.", "warning")


def parse_post_time(text: str) -> str | None:
    """'9:00' or '09:00' as 'HH:MM', or None when it is not a time of day."""
    match = TIME_FORMAT.match(text.strip())
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else None


@functools.cache
def _zone_names() -> dict[str, str]:
    return {name.casefold(): name for name in zoneinfo.available_timezones()}


def parse_zone(text: str) -> ZoneInfo | None:
    """An IANA zone by name, ignoring case ('europe/berlin' is Europe/Berlin), or None."""
    name = _zone_names().get(text.strip().casefold())
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def due_instant(day: date, post_time: str, zone: ZoneInfo) -> float:
    """When a channel's post for a local day is due. A time skipped by a DST change falls an hour later."""
    hour, minute = map(int, post_time.split(":"))
    local = datetime.combine(day, time(hour, minute), tzinfo=zone)
    # zoneinfo gives a non-existent wall time the offset from before the change, which lands after the gap.
    return local.timestamp()


def streak_of(history: list[tuple[bool, bool]]) -> Streak:
    """Current and best run of consecutive posts answered; a still-open post not yet answered breaks nothing."""
    best = run = 0
    for answered, _ in history:
        run = run + 1 if answered else 0
        best = max(best, run)
    current = 0
    entries = list(history)
    if entries and not entries[-1][0] and entries[-1][1]:
        entries.pop()  # today's post is still open: the person can still answer it
    for answered, _ in reversed(entries):
        if not answered:
            break
        current += 1
    return Streak(current=current, best=best)


def post_card(
    deck: Deck, question: Question, option_order: tuple[str, ...], post_id: int, day: date, answered: int, closed: bool = False
) -> DailyPostView:
    """A daily post as the channel sees it before the reveal: the question, its options in the post's order, its buttons."""
    options = [question.option(key) for key in option_order]
    buttons = tuple(
        Button(
            label=LETTERS[i],
            action_id=DailyAnswerAction(post_id=post_id, option_key=key).encode(),
            style="primary",
            disabled=closed,
        )
        for i, key in enumerate(option_order)
    )
    return DailyPostView(
        deck_title=deck.title,
        date_label=f"Daily question · {day:%A %d %B %Y}",
        topic=question.topic,
        prompt=question.prompt,
        options=tuple(OptionLine(letter=LETTERS[i], text=o.text) for i, o in enumerate(options) if o),
        buttons=buttons,
        answered=answered,
    )


class DailyService:
    """The daily-question use cases; an adapter attaches a publisher for its platform to post."""

    def __init__(
        self,
        store: Store,
        decks: DeckLibrary,
        *,
        clock: Callable[[], float],
        rng: random.Random,
        board_zone: ZoneInfo,
    ) -> None:
        self.store = store
        self.decks = decks
        self._clock = clock
        self._rng = rng
        self._board_zone = board_zone
        self.instance = uuid.uuid4().hex[:12]
        self._publishers: dict[str, DailyPublisher] = {}
        self._answerables: dict[int, asyncio.Future[_Answerable | None]] = {}
        # One verdict per (post, option, points), shared by everyone who chose it; bounded by the posts answered lately.
        self._verdicts: cachetools.LRUCache[tuple[int, str, int], DailyFeedback] = cachetools.LRUCache(maxsize=VERDICT_CACHE_SIZE)

    def attach(self, platform: str, publisher: DailyPublisher) -> None:
        """Let this process post and edit daily questions on a platform."""
        self._publishers[platform] = publisher

    def _now(self) -> int:
        return int(self._clock())

    # Admin commands -----------------------------------------------------------------------------

    async def configure(self, origin: Origin, channel_id: str, post_time: str, zone_name: str, deck_id: str | None = None) -> Reply:
        if not origin.is_admin:
            return shared_reply("admins_only")
        if problem := channel_id_problem(channel_id):
            return problem
        normal_time = parse_post_time(post_time)
        if normal_time is None:
            return notice(
                "That time isn't valid",
                f"'{post_time}' is not a time of day. Use 24-hour HH:MM, for example 09:00.",
                "warning",
                hint="daily_set",
            )
        zone = parse_zone(zone_name)
        if zone is None:
            return notice(
                "Unknown timezone",
                f"'{zone_name}' is not an IANA timezone. Use a name such as Europe/Berlin, America/New_York or UTC.",
                "warning",
                hint="daily_set",
            )
        deck = self.decks.get(deck_id)
        if deck is None:
            return notice("Unknown deck", f"There is no deck called '{deck_id}'.", "warning")
        channel = await self.store.set_daily_channel(
            origin.platform, origin.space_id, channel_id, normal_time, zone.key, deck.id, origin.user_id, self._now()
        )
        return notice("Daily question set", self._describe(channel, deck), "success")

    async def switch_off(self, origin: Origin, channel_id: str) -> Reply:
        if not origin.is_admin:
            return shared_reply("admins_only")
        if problem := channel_id_problem(channel_id):
            return problem
        if await self.store.disable_daily_channel(origin.platform, origin.space_id, channel_id, self._now()):
            return notice("Daily question off", "No more daily posts in this channel. Turn it back on with `daily set`.", "success")
        return notice("Daily question is not on here", "There is no daily post in this channel to switch off.", "info")

    async def status(self, origin: Origin, channel_id: str) -> Reply:
        if problem := channel_id_problem(channel_id):
            return problem
        channel = await self.store.daily_channel(origin.platform, origin.space_id, channel_id)
        if channel is None or not channel.enabled:
            return notice("No daily question here", "An admin can start one with `daily set`, giving a time and a timezone.", "info")
        deck = self.decks.get(channel.deck_id)
        posts = await self.store.channel_posts(channel.channel_key, limit=1)
        lines = [self._describe(channel, deck)]
        if posts:
            last = posts[0]
            if last.status == "failed" and last.next_attempt_at is not None:
                retry = datetime.fromtimestamp(last.next_attempt_at, ZoneInfo(channel.timezone))
                state = f"failed ({last.last_error}); trying again at {retry:%H:%M}, or run `daily now` once it is fixed"
            else:
                state = {"sent": "posted", "sending": "being posted", "failed": f"failed ({last.last_error})"}[last.status]
            lines.append(f"Last post: {last.local_date}, {state}.")
        else:
            lines.append("Last post: none yet.")
        return notice("Daily question status", "\n".join(lines))

    async def post_now(self, origin: Origin, channel_id: str) -> Reply:
        """Post the channel's next question at once (admins); today's scheduled post then counts as done."""
        if not origin.is_admin:
            return shared_reply("admins_only")
        if problem := channel_id_problem(channel_id):
            return problem
        channel = await self.store.daily_channel(origin.platform, origin.space_id, channel_id)
        if channel is None or not channel.enabled:
            return notice("No daily question here", "Set one up first with `daily set`, giving a time and a timezone.", "warning")
        today = datetime.fromtimestamp(self._now(), ZoneInfo(channel.timezone)).date()
        failed = [p for p in await self.store.failed_posts(channel.platform) if p.channel_key == channel.channel_key]
        if failed and failed[-1].local_date == today.isoformat():
            # Today's post failed earlier (say, a missing permission the admin just fixed): send that one now,
            # rather than a second post that the retry would later double.
            retried = await self._retry(failed[-1], now=True)
            if retried is None:
                return notice("Not posted", "Another process is sending this post right now; try again in a moment.", "warning")
            return self._posted_notice(retried)
        taken = set(await self.store.slots_of(channel.channel_key, today.isoformat()))
        slot = today.isoformat()
        extra = 2
        while slot in taken:
            slot = f"{today.isoformat()}#{extra}"
            extra += 1
        post = await self._claim_and_send(channel, slot, today)
        if post is None:
            return notice("Not posted", "Another post for this channel is being sent right now; try again in a moment.", "warning")
        return self._posted_notice(post)

    @staticmethod
    def _posted_notice(post: DailyPost) -> Reply:
        if post.status != "sent":
            return notice(
                "Could not post",
                f"The platform refused the post: {post.last_error}. It will be tried again; check that the bot can post here.",
                "error",
            )
        return notice("Posted", "The next daily question is in the channel.", "success")

    def _describe(self, channel: DailyChannel, deck: Deck | None) -> str:
        zone = ZoneInfo(channel.timezone)
        now = self._now()
        today = datetime.fromtimestamp(now, zone).date()
        due = due_instant(today, channel.post_time, zone)
        if due <= now:
            due = due_instant(today + timedelta(days=1), channel.post_time, zone)
        next_post = datetime.fromtimestamp(due, zone)
        title = deck.title if deck else channel.deck_id
        return (
            f"Posts in this channel every day at {channel.post_time} {channel.timezone} from the deck {title}. "
            f"Next post: {next_post:%a %d %b %Y %H:%M %Z}."
        )

    # Scheduler tick -----------------------------------------------------------------------------

    async def tick(self) -> None:
        """Post what is due, retry failed sends, refresh counts and reveals, for every attached platform."""
        for platform in list(self._publishers):
            now = self._now()
            abandoned = await self.store.fail_abandoned(platform, now - SEND_LEASE, ABANDONED, now)
            if abandoned:
                log.warning("%d daily post(s) on %s were left half-sent by a process that stopped; sending them again", abandoned, platform)
            for channel in await self.store.enabled_channels(platform):
                try:
                    await self._post_if_due(channel)
                except Exception:
                    # One broken channel must not stop the others.
                    log.exception("daily post for channel %s failed", channel.channel_id)
            for post in await self.store.failed_posts(platform):
                try:
                    await self._retry(post)
                except Exception:
                    log.exception("retrying daily post %s failed", post.post_id)
            for post in await self.store.posts_to_refresh(platform):
                try:
                    await self._refresh(post)
                except Exception:
                    log.exception("refreshing daily post %s failed", post.post_id)

    async def _post_if_due(self, channel: DailyChannel) -> None:
        zone = ZoneInfo(channel.timezone)
        now = self._now()
        today = datetime.fromtimestamp(now, zone).date()
        if now < due_instant(today, channel.post_time, zone):
            return
        if today.isoformat() in await self.store.slots_of(channel.channel_key, today.isoformat()):
            return
        await self._claim_and_send(channel, today.isoformat(), today)

    async def _claim_and_send(self, channel: DailyChannel, slot: str, today: date) -> DailyPost | None:
        deck = self.decks.get(channel.deck_id)
        if deck is None:
            log.error("daily channel %s uses deck %s, which is not loaded", channel.channel_id, channel.deck_id)
            return None
        # The question is picked from the channel as read; the claim refuses it if another post moved the rotation on since.
        post = await self.store.claim_post(channel, slot, today.isoformat(), self._choose(channel, deck), self.instance, self._now())
        if post is None:
            return None  # another process (or an earlier run) has this slot, or is posting to this channel right now
        return await self._send(post)

    async def _retry(self, post: DailyPost, now: bool = False) -> DailyPost | None:
        """Send a failed post again when its wait is over (or at once), on its own local day only."""
        channel = await self.store.daily_channel(post.platform, post.space_id, post.channel_id)
        if channel is None or not channel.enabled:
            return None
        today = datetime.fromtimestamp(self._now(), ZoneInfo(channel.timezone)).date()
        if post.local_date != today.isoformat():
            return None  # a day's post is only ever sent on its own day
        if not await self.store.reclaim_failed(post.post_id, self.instance, self._now(), ignore_wait=now):
            return None
        fresh = await self.store.daily_post(post.post_id)
        return await self._send(fresh) if fresh is not None else None

    async def _send(self, post: DailyPost) -> DailyPost:
        publisher = self._publishers.get(post.platform)
        target = DailyTarget(platform=post.platform, space_id=post.space_id, channel_id=post.channel_id)
        claim = Claim(self.instance, post.attempts)
        try:
            if publisher is None:
                raise PublishError(f"no publisher for {post.platform} in this process")
            view = await self.post_view(post)
            message_ref = await publisher.post(target, view)
        except asyncio.CancelledError:
            # The process is stopping (its scheduler's tick is cancelled): left failed with a retry time, the post goes out
            # from the next process to tick rather than after the lease.
            await self._failed(post, claim, PublishError(ABANDONED))
            raise
        except Exception as error:
            await self._failed(post, claim, error)
        else:
            if await self.store.mark_sent(post.post_id, claim, message_ref, self._now()):
                await self.store.close_earlier_posts(post.channel_key, post.post_id, self._now())
                log.info("daily post %s sent to channel %s", post.post_id, post.channel_id)
                # Reveal the previous post(s) now rather than at the next tick.
                for earlier in await self.store.posts_to_refresh(post.platform):
                    if earlier.channel_key == post.channel_key and earlier.post_id != post.post_id:
                        await self._refresh(earlier)
            else:
                await self._orphaned(publisher, target, post, message_ref)
        updated = await self.store.daily_post(post.post_id)
        assert updated is not None
        return updated

    async def _failed(self, post: DailyPost, claim: Claim, error: Exception) -> None:
        """Record a failed attempt to be retried after its wait, unless another process took the post over meanwhile."""
        reason, delay = failure_of(error, post.attempts)
        if await self.store.mark_failed(post.post_id, claim, reason, self._now() + delay):
            log.warning("daily post %s to channel %s failed (attempt %d): %s", post.post_id, post.channel_id, post.attempts + 1, reason)
        else:
            log.info("daily post %s to channel %s failed (%s) after another process took it over", post.post_id, post.channel_id, reason)

    async def _orphaned(self, publisher: DailyPublisher, target: DailyTarget, post: DailyPost, message_ref: str) -> None:
        """This process posted after its lease had passed and another process had taken the post over: that one's message
        is the post (counts and the reveal go to it), so this one is deleted, and never recorded."""
        try:
            await publisher.delete(target, message_ref)
        except Exception as error:
            log.warning(
                "daily post %s: message %s went out to channel %s after another process had taken the post over, and could "
                "not be deleted (%s); it stays, without answer counts or the reveal",
                post.post_id,
                message_ref,
                post.channel_id,
                reason_of(error),
            )
        else:
            log.warning(
                "daily post %s: message %s went out to channel %s after another process had taken the post over; deleted it",
                post.post_id,
                message_ref,
                post.channel_id,
            )

    async def _refresh(self, post: DailyPost) -> None:
        publisher = self._publishers.get(post.platform)
        if publisher is None or post.message_ref is None:
            return
        view = await self.post_view(post)
        # Claim the edit first: with several bot processes on one database only one of them sends it.
        if not await self.store.claim_refresh(post, view.answered, view.closed):
            return
        target = DailyTarget(platform=post.platform, space_id=post.space_id, channel_id=post.channel_id)
        try:
            await publisher.edit(target, post.message_ref, view)
        except PublishError as error:
            if error.retryable:
                log.warning("editing daily post %s failed, will try again: %s", post.post_id, error.reason)
                await self.store.release_refresh(post)
            else:  # the message is gone or the bot lost access: retrying every tick would only burn rate limits
                log.warning("editing daily post %s refused, giving up on this edit: %s", post.post_id, error.reason)
        except Exception as error:
            log.warning("editing daily post %s failed, will try again: %s", post.post_id, error)
            await self.store.release_refresh(post)

    def _choose(self, channel: DailyChannel, deck: Deck) -> DailyPick:
        """Every question of the deck once per cycle, in a fresh order each cycle."""
        state = channel.rotation or {}
        ids = [q.id for q in deck.questions]
        order = [q for q in state.get("order", []) if q in ids]
        position = int(state.get("next", 0))
        cycle = int(state.get("cycle", 0))
        if state.get("deck") != deck.id or position >= len(order) or sorted(order) != sorted(ids):
            last = order[position - 1] if 0 < position <= len(order) else None
            order = ids[:]
            self._rng.shuffle(order)
            if last is not None and len(order) > 1 and order[0] == last:
                order[0], order[1] = order[1], order[0]  # no question twice in a row across cycles
            position, cycle = 0, cycle + 1
        question = deck.question(order[position])
        assert question is not None
        keys = [o.key for o in question.options]
        self._rng.shuffle(keys)
        rotation = {"deck": deck.id, "cycle": cycle, "order": order, "next": position + 1}
        return DailyPick(question_id=question.id, option_order=tuple(keys), cycle=cycle, rotation=rotation)

    # Views and answers --------------------------------------------------------------------------

    def _question(self, post: DailyPost | _Answerable) -> tuple[Deck, Question] | None:
        deck = self.decks.get(post.deck_id)
        question = deck.question(post.question_id) if deck else None
        if deck is None or question is None or sorted(post.option_order) != sorted(o.key for o in question.options):
            return None
        return deck, question

    async def post_view(self, post: DailyPost) -> DailyPostView:
        found = self._question(post)
        if found is None:
            raise PublishError(f"deck {post.deck_id} no longer has question {post.question_id}", retryable=False)
        deck, question = found
        closed = post.closed_at is not None
        base = post_card(deck, question, post.option_order, post.post_id, date.fromisoformat(post.local_date), post.answer_count, closed)
        if not closed:
            return base
        tallies = await self.store.daily_tallies(post.post_id)
        total = sum(tallies.values())
        results = tuple(
            OptionResult(
                letter=LETTERS[i],
                picks=tallies.get(key, 0),
                share=tallies.get(key, 0) / total if total else 0.0,
                correct=key == question.correct_option.key,
            )
            for i, key in enumerate(post.option_order)
        )
        return base.model_copy(
            update={
                "closed": True,
                "answered": total,
                "best_letter": LETTERS[post.option_order.index(question.correct_option.key)],
                "results": results,
                "explanation": question.explanation,
            }
        )

    async def answer(self, origin: Origin, action: DailyAnswerAction) -> Reply:
        post = await self._answerable(action.post_id)
        if post is None or post.platform != origin.platform or post.space_id != origin.space_id:
            return notice("That button doesn't work", "It does not belong to a daily question here, so nothing was recorded.", "warning")
        found = self._question(post)
        if found is None or action.option_key not in post.option_order:
            return notice("That button doesn't work", "It does not match this daily question, so nothing was recorded.", "warning")
        deck, question = found
        option = question.option(action.option_key)
        assert option is not None
        at = self._now()
        periods = period_keys(at, self._board_zone)
        outcome = await self.store.record_daily_answer(post.post_id, origin, option.key, option.correct, at, periods)
        if outcome.status == "closed":
            return notice(
                "This daily question is closed",
                "The answer was revealed when the next question went out. Try today's question, or `start` a run of your own.",
                "info",
            )
        if outcome.status == "already_answered" and outcome.option_key is not None:
            letter = LETTERS[post.option_order.index(outcome.option_key)]
            return notice("Already answered", f"You answered this daily question with {letter}; one answer per person, so nothing changed.")
        assert outcome.person_id is not None  # recorded: the person was written with the answer
        streak = streak_of(await self.store.daily_history(outcome.person_id, origin.platform, origin.space_id))
        verdict = self._daily_verdict(post, deck, question, option.key, outcome.points)
        return Reply(view=verdict.model_copy(update={"streak": streak}), ephemeral=True, replace=False)

    async def _answerable(self, post_id: int) -> _Answerable | None:
        """What a click on a post is checked against: read once per post, as none of it changes after the claim.

        A channel answers a post all at once, so the clicks that arrive while the read is under way wait for
        that one read rather than each making their own.
        """
        lookup = self._answerables.get(post_id)
        if lookup is None:
            if len(self._answerables) >= ANSWERABLE_CACHE_SIZE:
                self._answerables.clear()
            lookup = self._answerables[post_id] = asyncio.ensure_future(self._read_answerable(post_id))
            lookup.add_done_callback(functools.partial(self._forget_unless_found, post_id))
        if lookup.done():
            return lookup.result()
        return await asyncio.shield(lookup)  # one click's cancellation must not cancel the others' read

    async def _read_answerable(self, post_id: int) -> _Answerable | None:
        post = await self.store.daily_post(post_id)
        if post is None:
            return None
        return _Answerable(post.post_id, post.platform, post.space_id, post.deck_id, post.question_id, post.option_order, post.local_date)

    def _forget_unless_found(self, post_id: int, lookup: asyncio.Future[_Answerable | None]) -> None:
        """A post that was not found (ids are the database's: it may be claimed later) or a failed read is read again next time."""
        if lookup.cancelled() or lookup.exception() is not None or lookup.result() is None:
            if self._answerables.get(post_id) is lookup:
                del self._answerables[post_id]

    def _daily_verdict(self, post: _Answerable, deck: Deck, question: Question, option_key: str, points: int) -> DailyFeedback:
        """The feedback on an answer to a post, without the person's streak: the same for everyone who chose that option."""
        key = (post.post_id, option_key, points)
        verdict = self._verdicts.get(key)
        if verdict is None:
            option = question.option(option_key)
            assert option is not None
            best = question.correct_option
            verdict = self._verdicts[key] = DailyFeedback(
                deck_title=deck.title,
                date_label=f"Daily question · {date.fromisoformat(post.local_date):%A %d %B %Y}",
                topic=question.topic,
                correct=option.correct,
                chosen=OptionLine(letter=LETTERS[post.option_order.index(option.key)], text=option.text),
                best=OptionLine(letter=LETTERS[post.option_order.index(best.key)], text=best.text),
                explanation=question.explanation,
                missed=option.misses,
                key_points=question.key_points,
                sources=question.sources,
                points=points,
                scoring_note=f"+{points} point. {DAILY_SCORING}" if points else f"No points this time. {DAILY_SCORING}",
                streak=Streak(current=0, best=0),  # each answer's own streak replaces it
            )
        return verdict


class Ticking(Protocol):
    """A service with a scheduler tick: the daily posts, the review reminders."""

    async def tick(self) -> None: ...


class DailyScheduler:
    """Runs a service's tick (daily posts, reminders) and `also`'s (such as the weekly digest's) every few seconds until
    cancelled; the ticks hold no state between runs."""

    def __init__(
        self,
        service: Ticking,
        interval: float = 5.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        also: Sequence[Callable[[], Awaitable[None]]] = (),
    ) -> None:
        # Daily posts every few seconds: answer counts are edited at most this often, well within Discord's and Slack's
        # rate limits. Reminders need less (a minute late is on time).
        self.service = service
        self.interval = interval
        self._sleep = sleep
        self._ticks = (service.tick, *also)

    async def run(self) -> None:
        while True:
            for tick in self._ticks:
                try:
                    await tick()
                except Exception:
                    log.exception("%s failed; trying again in %.0f s", getattr(tick, "__qualname__", "a scheduler tick"), self.interval)
            await self._sleep(self.interval)
