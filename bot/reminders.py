"""Daily review reminders: opt-in, one private message a day when reviews are due, claimed in the database before it is sent."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ConfigDict

from bot.actions import ReviewAction
from bot.daily import ABANDONED, SEND_LEASE, PublishError, due_instant, parse_post_time, parse_zone, reason_of
from bot.origin import Origin
from bot.review import Agenda
from bot.store import Claim, Store
from bot.store.records import Reminder
from bot.store.study_rules import zone_of
from bot.views import Button, Notice, Reply, notice

if TYPE_CHECKING:
    from bot.engine import QuizEngine

log = logging.getLogger(__name__)

RETRY_FIRST_DELAY = 60  # seconds before a failed reminder is tried again, doubling each time
RETRY_ATTEMPTS = 5  # attempts at one day's reminder at most; each retry stays within that day


class ReminderTarget(BaseModel):
    """Whom a reminder goes to: a person of a platform's space, by their user id there."""

    model_config = ConfigDict(frozen=True)

    platform: str
    space_id: str
    user_id: str


class RecipientRefused(PublishError):
    """The platform will not deliver to this person (their direct messages are closed to the bot, they left): their
    reminders are switched off, and `reason` is what their next command tells them."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, retryable=False)


class ReminderSender(Protocol):
    """What an adapter supplies: a private message to one person, with the view's buttons."""

    async def send(self, target: ReminderTarget, view: Notice) -> None: ...


class Reminders:
    """Setting reminders up, and the scheduler's tick that sends each person's once a day."""

    def __init__(self, engine: QuizEngine) -> None:
        self.engine = engine
        self.store: Store = engine.store
        self.instance = uuid.uuid4().hex[:12]
        self._senders: dict[str, ReminderSender] = {}

    def attach(self, platform: str, sender: ReminderSender) -> None:
        """Let this process send reminders on a platform (its scheduler then sends them)."""
        self._senders[platform] = sender

    # Commands -------------------------------------------------------------------------------------

    async def configure(self, origin: Origin, remind_time: str, zone_name: str) -> Reply:
        normal_time = parse_post_time(remind_time)
        if normal_time is None:
            return notice(
                "That time isn't valid",
                f"'{remind_time[:40]}' is not a time of day. Use 24-hour HH:MM, for example 08:30. Nothing was changed.",
                "warning",
                hint="remind",
            )
        zone = parse_zone(zone_name)
        if zone is None:
            return notice(
                "Unknown timezone",
                f"'{zone_name[:60]}' is not an IANA timezone. Use a name such as Europe/Berlin, America/New_York or UTC. "
                "Nothing was changed.",
                "warning",
                hint="remind",
            )
        now = self.engine.now()
        person_id = await self.store.ensure_person(origin, now)
        next_at = _next_time(now, normal_time, zone.key)
        await self.store.set_reminder(person_id, normal_time, zone.key, next_at, now)
        first = datetime.fromtimestamp(next_at, zone)
        return notice(
            "Reminder set",
            f"Every day at {normal_time} ({zone.key}) you get a private message when reviews are due, with a button to start. "
            f"The next one: {first:%a %d %b %H:%M}. Your study days (and interview day) now count in {zone.key} too.",
            "success",
        )

    async def switch_off(self, origin: Origin) -> Reply:
        person_id = await self.store.person_id(origin)
        state = await self.store.study_state(person_id) if person_id is not None else None
        if state is None or state.plan is None or not state.plan.remind_time:
            return notice("Reminders are not on", "There was no reminder to stop, so nothing changed.", "info", hint="remind")
        await self.store.set_reminder(state.person_id, None, state.plan.zone, None, self.engine.now())
        return notice("Reminders off", "No more daily reminders. Your reviews still wait for you whenever you come.", "success")

    async def notice_for(self, origin: Origin) -> Reply | None:
        """Why the person's reminders went off, the first time they use a command after (None otherwise)."""
        reason = await self.store.take_study_notice(origin.platform, origin.space_id, origin.user_id)
        if reason is None:
            return None
        because = f" ({reason})" if reason else ""  # a platform may refuse without saying why
        return notice(
            "Your reminders are off",
            f"Your daily review reminder could not be delivered{because}, so reminders were switched off. "
            "Turn them back on once you can get private messages from the bot.",
            "warning",
            hint="remind",
        )

    # Scheduler tick -------------------------------------------------------------------------------

    async def tick(self) -> None:
        """Send the reminders due now on every platform this process sends on; one person's trouble never stops the others."""
        now = self.engine.now()
        for platform, sender in list(self._senders.items()):
            # The daily posts' lease (bot.daily.SEND_LEASE): a reminder still being sent that long after its claim was left
            # by a process that stopped midway; failed now and due again at once, it goes out if that is still its day.
            abandoned = await self.store.fail_abandoned_reminders(platform, now - SEND_LEASE, ABANDONED, now, RETRY_ATTEMPTS)
            if abandoned:
                log.warning("%d reminder(s) on %s were left half-sent by a process that stopped; sending them again", abandoned, platform)
            for reminder in await self.store.reminders_due(platform, now):
                try:
                    await self._remind(reminder, sender, now)
                except Exception:
                    log.exception("reminder for person %s failed", reminder.person_id)

    async def _remind(self, reminder: Reminder, sender: ReminderSender, now: int) -> None:
        zone = zone_of(reminder.zone)
        today = datetime.fromtimestamp(now, zone).date()
        today_at = int(due_instant(today, reminder.remind_time, zone))
        if now < today_at:
            # Due before today's time: a day gone by while no process ran (or yesterday's retry). That day's reminder
            # is left out (stale news), and today's comes at its time.
            await self.store.claim_reminder(reminder, None, today_at, self.instance, now)
            return
        tomorrow_at = int(due_instant(today + timedelta(days=1), reminder.remind_time, zone))
        day = today.isoformat()
        attempt = await self.store.claim_reminder(reminder, day, tomorrow_at, self.instance, now)
        if not attempt:
            return  # another process has it, it was sent today, or the person changed it meanwhile
        claim = Claim(self.instance, attempt)
        person = Origin(platform=reminder.platform, space_id=reminder.space_id, user_id=reminder.user_id)
        target = ReminderTarget(platform=reminder.platform, space_id=reminder.space_id, user_id=reminder.user_id)
        try:
            _, agenda = await self.engine.reviews.agenda_of(reminder.person_id, person)
            if not (agenda.due_count or agenda.new_count):
                await self.store.finish_reminder(reminder.person_id, day, claim, "nothing_due")
                return
            await sender.send(target, reminder_view(agenda, reminder.space_id, today))
        except asyncio.CancelledError:
            # The process is stopping (its scheduler's tick is cancelled): left failed with a retry time, the reminder goes
            # out from the next process to tick that day rather than after the lease.
            await self._failed(reminder.person_id, day, claim, PublishError(ABANDONED), now, tomorrow_at)
            raise
        except RecipientRefused as refused:
            log.info("reminder to person %s refused (%s): reminders switched off", reminder.person_id, refused.reason)
            await self.store.refuse_reminders(reminder.person_id, day, claim, refused.reason, now)
        except Exception as error:
            await self._failed(reminder.person_id, day, claim, error, now, tomorrow_at)
        else:
            if not await self.store.finish_reminder(reminder.person_id, day, claim, "sent"):
                # This process was slower than the lease, and another one took the reminder over: the person may have it twice.
                log.warning("reminder to person %s for %s went out after another process had taken it over", reminder.person_id, day)

    async def _failed(self, person_id: int, day: str, claim: Claim, error: Exception, now: int, tomorrow_at: int) -> None:
        """Record a failed attempt, tried again later that day while attempts are left, unless another process took it over."""
        reason = reason_of(error)
        retry_at = now + RETRY_FIRST_DELAY * 2 ** (claim.attempt - 1)
        retryable = not isinstance(error, PublishError) or error.retryable
        again = retryable and claim.attempt < RETRY_ATTEMPTS and retry_at < tomorrow_at
        retry = (tomorrow_at, retry_at) if again else None
        if await self.store.finish_reminder(person_id, day, claim, "failed", reason, retry):
            retrying = ", will retry" if again else ""
            log.warning("reminder to person %s failed (attempt %d%s): %s", person_id, claim.attempt, retrying, reason)
        else:
            log.info("reminder to person %s failed (%s) after another process took it over", person_id, reason)


def _next_time(now: int, remind_time: str, zone_name: str) -> int:
    """The first instant after `now` at `remind_time` in the zone: today's if it is still ahead, else tomorrow's."""
    zone = zone_of(zone_name)
    today = datetime.fromtimestamp(now, zone).date()
    at = int(due_instant(today, remind_time, zone))
    return at if at > now else int(due_instant(today + timedelta(days=1), remind_time, zone))


def reminder_view(agenda: Agenda, space_id: str, today: date) -> Notice:
    """The reminder: what is due, the interview's days left, and a Review button for the space the reviews are in."""
    parts = [f"{agenda.due_count} question{'s' if agenda.due_count != 1 else ''} due for review today"]
    if agenda.new_count:
        parts.append(f"{agenda.new_count} new one{'s' if agenda.new_count != 1 else ''} to meet")
    text = " and ".join(parts) + "."
    if agenda.interview is not None and agenda.interview.day > today:
        left = (agenda.interview.day - today).days
        text += f" Your interview is {'tomorrow' if left == 1 else f'in {left} days'}."
    # The button names the space, so that from direct messages it reviews what is due there; an id no action id can
    # carry leaves it to the space clicked in (on a platform whose direct messages share the space, the same one).
    try:
        review = ReviewAction(space_id=space_id)
    except ValueError:
        review = ReviewAction()
    return Notice(title="Time to review", text=text, buttons=(Button(label="Review", action_id=review.encode(), style="primary"),))
