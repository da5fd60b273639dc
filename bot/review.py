"""Review sessions and the interview date: what is due for a person today, the review run that asks it, and stats' study lines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.actions import ReviewAction
from bot.content import DeckLibrary
from bot.daily import parse_zone
from bot.engine import REVIEW_RULE
from bot.origin import Origin
from bot.store import Store
from bot.store.records import StudyCard, StudyPlan, StudyState
from bot.store.study_rules import zone_of
from bot.study import FINAL_DAYS, Interview, comes_due, end_of_day, new_allowance
from bot.views import Button, Reply, notice

if TYPE_CHECKING:
    from bot.engine import QuizEngine

SESSION_SIZE = 20  # questions in one review run at most: due ones first, then new ones; the rest wait for the next run
FARTHEST_INTERVIEW = 2 * 365  # days ahead an interview date may be: further is a typo, not a plan
DATE_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OFF_WORDS = {"off", "none", "clear", "stop"}


def plan_zone(plan: StudyPlan | None, origin: Origin | None = None) -> ZoneInfo:
    """The person's timezone: their plan's, else the one their platform profile gives, else UTC."""
    if plan is not None:
        return zone_of(plan.zone)
    if origin is not None and origin.timezone:
        return parse_zone(origin.timezone) or ZoneInfo("UTC")
    return ZoneInfo("UTC")


def interview_of(plan: StudyPlan | None) -> Interview | None:
    if plan is None or not plan.interview_day:
        return None
    return Interview(date.fromisoformat(plan.interview_day), zone_of(plan.zone))


def streak_days(days: tuple[str, ...], today: date) -> tuple[int, int]:
    """(current, best) run of consecutive days with a review, from days newest first; today not reviewed yet breaks nothing."""
    ordered = sorted({date.fromisoformat(d) for d in days})
    best = run = 0
    previous: date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    if previous is None or previous < today - timedelta(days=1):
        return 0, best
    return run, best


@dataclass
class Agenda:
    """What a person has to review at one moment: the cards due by the end of their day, per deck, and the new questions
    they may meet now (per deck, in deck order)."""

    zone: ZoneInfo
    interview: Interview | None
    due: dict[str, list[StudyCard]] = field(default_factory=dict)
    new: dict[str, list[str]] = field(default_factory=dict)
    unseen: int = 0  # questions not yet met in the decks the person studies
    scope: tuple[str, ...] = ()

    @property
    def due_count(self) -> int:
        return sum(len(cards) for cards in self.due.values())

    @property
    def new_count(self) -> int:
        return sum(len(ids) for ids in self.new.values())

    def deck_to_review(self) -> str | None:
        """The deck whose card has been due longest, else the first deck with new questions to meet, else None."""
        waiting = [(cards[0].due_at, deck_id) for deck_id, cards in self.due.items() if cards]
        if waiting:
            return min(waiting)[1]
        return next((deck_id for deck_id in self.scope if self.new.get(deck_id)), None)


def agenda(state: StudyState, decks: DeckLibrary, now: float, origin: Origin | None = None, deck_id: str | None = None) -> Agenda:
    """The person's agenda at `now`. The decks they study are those they have met questions of (the default deck when
    none yet); naming a deck adds it."""
    zone = plan_zone(state.plan, origin)
    interview = interview_of(state.plan)
    at = datetime.fromtimestamp(now, UTC)
    horizon = end_of_day(at, zone)
    known = {deck.id: deck for deck in decks}
    met: dict[str, set[str]] = {}
    for card in state.cards:
        met.setdefault(card.deck_id, set()).add(card.question_id)
    scope = [deck.id for deck in decks if deck.id in met]
    if deck_id is not None and deck_id not in scope:
        scope.append(deck_id)
    if not scope:
        scope = [decks.default.id]
    plan = Agenda(zone=zone, interview=interview, scope=tuple(scope))
    for card in state.cards:
        deck = known.get(card.deck_id)
        if deck is None or deck.question(card.question_id) is None:
            continue  # a question a deck dropped: nothing to ask
        due = comes_due(_utc(card.due_at), _utc(card.last_review_at), at, interview)
        if due < horizon:
            plan.due.setdefault(card.deck_id, []).append(card)
    for cards in plan.due.values():
        cards.sort(key=lambda c: (c.due_at, c.question_id))
    today = at.astimezone(zone).date()
    met_today = sum(1 for card in state.cards if _utc(card.first_review_at).astimezone(zone).date() == today)
    unseen = {deck_id: [q.id for q in known[deck_id].questions if q.id not in met.get(deck_id, set())] for deck_id in scope}
    plan.unseen = sum(len(ids) for ids in unseen.values())
    allowance = new_allowance(plan.unseen, met_today, at, interview)
    for deck_id in scope:
        take = unseen[deck_id][:allowance]
        allowance -= len(take)
        if take:
            plan.new[deck_id] = take
    return plan


def _utc(at: int) -> datetime:
    return datetime.fromtimestamp(at, UTC)


class Reviews:
    """Review sessions, the interview date and the study lines of stats; the review run itself runs on the engine."""

    def __init__(self, engine: QuizEngine) -> None:
        self.engine = engine
        self.store: Store = engine.store
        self.decks: DeckLibrary = engine.decks

    def _now(self) -> int:
        return self.engine.now()

    async def agenda_of(self, person_id: int, origin: Origin | None = None, deck_id: str | None = None) -> tuple[StudyState, Agenda]:
        state = await self.store.study_state(person_id)
        return state, agenda(state, self.decks, self._now(), origin, deck_id)

    # Review sessions ------------------------------------------------------------------------------

    async def review(self, origin: Origin, deck_id: str | None = None) -> Reply:
        """A private review run of what is due today (the deck due longest, or the one named), with new questions paced in."""
        if deck_id is not None and self.decks.get(deck_id) is None:
            return self.engine.unknown_deck(deck_id)
        person_id = await self.store.ensure_person(origin, self._now())
        state, plan = await self.agenda_of(person_id, origin, deck_id)
        chosen = deck_id or plan.deck_to_review()
        due = plan.due.get(chosen, []) if chosen else []
        new = plan.new.get(chosen, []) if chosen else []
        if chosen is None or not (due or new):
            return self._nothing_due(state, plan, chosen)
        deck = self.decks.get(chosen)
        assert deck is not None
        questions = [card.question_id for card in due][:SESSION_SIZE]
        questions += new[: SESSION_SIZE - len(questions)]
        steps = self.engine.plan_steps(deck, questions)
        now = self._now()
        run, created = await self.store.start_run(person_id, deck.id, deck.version, steps, now, kind="review")
        if not created and (not self.engine.plan_fits(run, deck) or self._day(run.started_at, plan) != self._day(now, plan)):
            # Yesterday's unfinished review (or one its deck outgrew) is closed: today's plan asks what is due now.
            await self.store.finish_run(run.run_id, now)
            run, created = await self.store.start_run(person_id, deck.id, deck.version, steps, now, kind="review")
        answers = await self.store.run_answers(run.run_id)
        if created:
            met = sum(1 for question in questions if question in new)
            note = f"Review of {deck.title}: {len(questions) - met} due, {met} new. {REVIEW_RULE}"
        else:
            note = f"Resumed your review where you left off: question {len(answers) + 1} of {len(run.plan)}."
        return Reply(view=self.engine.question_card(deck, run, len(answers), note), ephemeral=True)

    async def review_action(self, origin: Origin, action: ReviewAction) -> Reply:
        """A Review button; one in direct messages may name the space whose reviews it is (a reminder's)."""
        if action.space_id and action.space_id != origin.space_id and origin.direct:
            there = origin.model_copy(update={"space_id": action.space_id, "direct": True})
            if await self.store.person_id(there) is None:
                return notice("Nothing to review there", "You have not answered any questions there yet, so nothing is due.", "info")
            origin = there
        return await self.review(origin)

    def _day(self, at: int, plan: Agenda) -> date:
        return datetime.fromtimestamp(at, plan.zone).date()

    def _nothing_due(self, state: StudyState, plan: Agenda, deck_id: str | None) -> Reply:
        deck = self.decks.get(deck_id) if deck_id else None
        where = f" in {deck.title}" if deck else ""
        later = [card.due_at for card in state.cards if deck is None or card.deck_id == deck.id]
        text = f"Nothing is due for review{where} today, and no new questions are waiting."
        if later:
            text += f" The next one comes back on {datetime.fromtimestamp(min(later), plan.zone):%A %d %B}."
        if plan.due_count or plan.new_count:
            text += " Other decks have questions waiting: review without naming a deck to get them."
        return notice("All caught up", text, "success", hint="start")

    # Interview date -------------------------------------------------------------------------------

    async def set_interview(self, origin: Origin, text: str, zone_name: str | None = None) -> Reply:
        """`YYYY-MM-DD` sets the person's interview day (in their timezone, or in `zone_name` given with it); `off` forgets it."""
        given = text.strip()
        if given.lower() in OFF_WORDS:
            return await self.interview_off(origin)
        day = _parse_day(given)
        if day is None:
            return notice(
                "That isn't a date",
                f"'{given[:40]}' is not a day of the calendar. Give it as YYYY-MM-DD, for example 2027-01-15. Nothing was changed.",
                "warning",
                hint="interview",
            )
        given_zone = parse_zone(zone_name) if zone_name is not None else None
        if zone_name is not None and given_zone is None:
            return notice(
                "Unknown timezone",
                f"'{zone_name[:60]}' is not an IANA timezone. Use a name such as Europe/Berlin or UTC. Nothing was changed.",
                "warning",
                hint="zone",
            )
        person_id = await self.store.ensure_person(origin, self._now())
        state = await self.store.study_state(person_id)
        zone = given_zone or plan_zone(state.plan, origin)
        today = datetime.fromtimestamp(self._now(), zone).date()
        if day < today:
            return notice(
                "That day has passed",
                f"{day:%A %d %B %Y} is before today ({today:%d %B %Y}, {zone.key}). Give a day to come. Nothing was changed.",
                "warning",
                hint="interview",
            )
        if (day - today).days > FARTHEST_INTERVIEW:
            return notice(
                "That day is too far away",
                f"{day:%d %B %Y} is more than two years away; give a day within {FARTHEST_INTERVIEW} days. Nothing was changed.",
                "warning",
                hint="interview",
            )
        plan = await self.store.set_interview(person_id, day.isoformat(), zone.key, self._now(), replace_zone=given_zone is not None)
        state = state.model_copy(update={"plan": plan})
        schedule = agenda(state, self.decks, self._now(), origin)
        left = (day - today).days
        when = "today: good luck" if left == 0 else ("tomorrow" if left == 1 else f"in {left} days")
        text = (
            f"Your interview: {day:%A %d %B %Y} ({zone.key}), {when}. Until then reviews aim higher (95% recall), every question "
            f"you have met comes back at least once in the last {FINAL_DAYS} days before it, and new questions are paced so each "
            f"gets a second review first. Due today: {schedule.due_count}; not yet seen: {schedule.unseen}."
        )
        if zone.key == "UTC" and origin.timezone is None and given_zone is None:
            text += " Your days are counted in UTC."
            return notice("Interview date set", text, "success", _review_button(), hint="zone")
        return notice("Interview date set", text, "success", _review_button())

    async def interview_off(self, origin: Origin) -> Reply:
        person_id = await self.store.person_id(origin)
        state = await self.store.study_state(person_id) if person_id is not None else None
        if state is None or state.plan is None or not state.plan.interview_day:
            return notice("No interview date is set", "There was none to forget, so nothing changed.", "info", hint="interview")
        await self.store.set_interview(state.person_id, None, state.plan.zone, self._now())
        return notice("Interview date forgotten", "Reviews are back to their usual pace.", "success")

    # Stats ----------------------------------------------------------------------------------------

    async def stats_lines(self, origin: Origin) -> tuple[str, ...]:
        """Study figures for stats: the interview (days left), what is due today, what is not yet seen, the study streak."""
        person_id = await self.store.person_id(origin)
        if person_id is None:
            return ()
        state, plan = await self.agenda_of(person_id, origin)
        if not state.cards and state.plan is None:
            return ()
        lines: list[str] = []
        today = datetime.fromtimestamp(self._now(), plan.zone).date()
        if plan.interview is not None:
            left = (plan.interview.day - today).days
            day = f"{plan.interview.day:%a %d %b %Y}"
            if left > 0:
                lines.append(f"Interview: {day}, in {left} day{'s' if left != 1 else ''}.")
            elif left == 0:
                lines.append(f"Interview: today, {day}. Good luck!")
            else:
                lines.append(f"Interview: {day} has passed; reviews are back to their usual pace.")
        # Counted in the decks the person studies (those they have met questions of): a deck never opened is not "left".
        unseen = f"{plan.unseen} question{'s' if plan.unseen != 1 else ''}"
        lines.append(f"Due for review today: {plan.due_count}. Not yet seen in the decks you study: {unseen}.")
        current, best = streak_days(state.review_days, today)
        if best:
            lines.append(f"Study streak: {current} day{'s' if current != 1 else ''} in a row (best {best}).")
        if state.plan is not None and state.plan.remind_time:
            lines.append(f"Reminder: every day at {state.plan.remind_time} ({state.plan.zone}) when reviews are due.")
        elif state.plan is not None and state.plan.remind_off_reason:
            lines.append(f"Reminder: off, because {state.plan.remind_off_reason}.")
        return tuple(lines)


def _parse_day(text: str) -> date | None:
    if not DATE_FORMAT.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _review_button(space_id: str = "") -> tuple[Button, ...]:
    return (Button(label="Review now", action_id=ReviewAction(space_id=space_id).encode(), style="primary"),)
