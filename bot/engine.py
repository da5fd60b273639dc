"""The quiz engine: platform-neutral use cases (start, answer, next, tips, help, boards, stats) that return views."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import cachetools

from bot.actions import (
    Action,
    ActionIdError,
    AnswerAction,
    BoardPageAction,
    DailyAnswerAction,
    ForgetAction,
    GradeAction,
    NextAction,
    ReviewAction,
    StartAction,
    TickAction,
    TipsAction,
    WriteAction,
    decode,
)
from bot.commands import COMMANDS
from bot.content import Deck, DeckLibrary, Question
from bot.notices import shared_reply
from bot.origin import Origin
from bot.store import Answer, AnswerKey, PlanStep, QuestionKey, Run, Store
from bot.study_text import comes_back
from bot.views import (
    AnswerFeedback,
    Button,
    DeckLine,
    HelpView,
    OptionLine,
    QuestionCard,
    Reply,
    ScoreCard,
    TipLine,
    TipsView,
    TopicResult,
    notice,
)
from bot.windows import period_keys

if TYPE_CHECKING:
    from bot.boards import Boards
    from bot.daily import DailyService
    from bot.digest import DigestService
    from bot.privacy import PrivacyService
    from bot.reminders import Reminders
    from bot.review import Reviews
    from bot.views import HomeView
    from bot.written import Written

log = logging.getLogger(__name__)

LETTERS = "ABCDE"
SCORING_RULE = (
    "A correct answer scores 1 point the first time you ever answer that question. "
    "Later runs of the same deck are practice: they show feedback but score nothing, so replays cannot farm points. "
    "A correct answer to a daily post scores 1 point, once per person per post."
)

# Reviews (bot.review) score nothing: said on the first card of a review and on its score card.
REVIEW_RULE = (
    "Reviews score no board points, so boards stay fair; they count for your study streak and your stats. "
    "A wrong answer comes back tomorrow, a right one later, and later still each time you get it right."
)

DECK_UPDATED_NOTE = (
    "This deck was updated since you began your last run, so a fresh run starts with the new version. "
    "Points you already earned stay, and so does your first answer to each question."
)

ActionHandler = Callable[[Origin, Any], Awaitable[Reply]]


def _letter(index: int) -> str:
    return LETTERS[index]


# Plan steps remembered as fitting their deck at most: a deck's questions times their option orders.
FITTING_STEPS_LIMIT = 65_536
# Verdicts kept at most: every (question, place, option, letters, points) of a deck is a few thousand.
VERDICT_CACHE_SIZE = 4096


def feedback_verdict(
    deck: Deck,
    question_id: str,
    position: int,
    total: int,
    option_key: str,
    chosen_letter: str,
    best_letter: str,
    points: int,
    correct: bool,
    first: bool,
    kind: str = "deck",
) -> AnswerFeedback:
    question = deck.question(question_id)
    assert question is not None  # callers checked the run's plan against the deck
    chosen = question.option(option_key)
    assert chosen is not None
    best = question.correct_option
    return AnswerFeedback(
        deck_title=deck.title,
        topic=question.topic,
        position=position + 1,
        total=total,
        prompt=question.prompt,
        correct=correct,
        chosen=OptionLine(letter=chosen_letter, text=chosen.text),
        best=OptionLine(letter=best_letter, text=best.text),
        explanation=question.explanation,
        missed=chosen.misses,
        key_points=question.key_points,
        sources=question.sources,
        points=points,
        scoring_note=scoring_note(points=points, first=first, review=kind == "review", correct=correct),
        buttons=(),  # the run's own button is added per answer
    )


def scoring_note(*, points: int, first: bool, review: bool = False, correct: bool = False) -> str:
    """What this answer did to the person's points, and why."""
    if review:
        return "Review: no points (reviews keep boards fair); it counts for your study streak and your stats."
    if first and correct and not points:  # the one way a right first answer in a deck run scores nothing
        return "No points: you wrote your own answer to this question first, and its checklist showed what the best answer covers."
    if points:
        return f"+{points} point: your first answer to this question, and the best one."
    if not first:
        return "Practice: you answered this question in an earlier run, so this answer scores no points."
    return "No points: not the best answer. Your first answer to a question is the one that counts; replay it any time for practice."


class QuizEngine:
    """Holds the store and the decks; every method takes an Origin and returns a Reply."""

    def __init__(
        self,
        store: Store,
        decks: DeckLibrary,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        zone: ZoneInfo | None = None,
    ) -> None:
        self.store = store
        self.decks = decks
        self._clock = clock
        self._rng = rng or random.SystemRandom()
        # Boards count weeks (from Monday) and months in this timezone.
        self.zone = zone or ZoneInfo("UTC")
        # Plan steps known to fit their deck, and feedback verdicts: both bounded by the decks, never by the people.
        self._fitting_steps: cachetools.LRUCache[tuple[str, PlanStep], bool] = cachetools.LRUCache(maxsize=FITTING_STEPS_LIMIT)
        self._verdicts: cachetools.LRUCache[tuple[Any, ...], AnswerFeedback] = cachetools.LRUCache(maxsize=VERDICT_CACHE_SIZE)
        self._handlers: dict[type[Action], ActionHandler] = {
            AnswerAction: self._answer,
            NextAction: self._next,
            StartAction: lambda origin, action: self.start(origin, action.deck_id),
            TipsAction: lambda origin, action: self.tips(action.deck_id),
            BoardPageAction: lambda origin, action: self.boards.page(origin, action),
            DailyAnswerAction: lambda origin, action: self.daily.answer(origin, action),
            ForgetAction: lambda origin, action: self.privacy.confirm(origin, action),
            ReviewAction: lambda origin, action: self.reviews.review_action(origin, action),
            WriteAction: lambda origin, action: self.written.write(origin, action),
            TickAction: lambda origin, action: self.written.tick(origin, action),
            GradeAction: lambda origin, action: self.written.grade(origin, action),
        }

    @cached_property
    def answer_key(self) -> AnswerKey:
        """What the store checks a click against: each deck's questions, their option keys and the correct one."""
        return {deck.id: {q.id: QuestionKey(options=q.keys, correct=q.correct_option.key) for q in deck.questions} for deck in self.decks}

    # Built (and imported) on first use: a terminal run reaches its first question without either.
    @cached_property
    def boards(self) -> Boards:
        from bot.boards import Boards

        return Boards(self.store, self.decks, self.zone, self._clock, SCORING_RULE)

    @cached_property
    def daily(self) -> DailyService:
        from bot.daily import DailyService

        return DailyService(self.store, self.decks, clock=self._clock, rng=self._rng, board_zone=self.zone)

    @cached_property
    def digest(self) -> DigestService:
        from bot.digest import DigestService

        return DigestService(self.store, self.decks, clock=self._clock, board_zone=self.zone)

    @cached_property
    def privacy(self) -> PrivacyService:
        from bot.privacy import PrivacyService

        return PrivacyService(self.store, self._clock)

    @cached_property
    def reviews(self) -> Reviews:
        from bot.review import Reviews

        return Reviews(self)

    @cached_property
    def written(self) -> Written:
        from bot.written import Written

        return Written(self)

    @cached_property
    def reminders(self) -> Reminders:
        from bot.reminders import Reminders

        return Reminders(self)

    def now(self) -> int:
        return int(self._clock())

    # Entry points -------------------------------------------------------------------------------

    async def handle(self, origin: Origin, action_id: object) -> Reply:
        """Carry out the action a button carries; a bad id gets a clear notice, never an exception."""
        try:
            action = decode(action_id)
        except ActionIdError as error:
            return notice(
                "That button doesn't work",
                f"It does not carry a valid recsys-quiz action ({error}), so nothing was recorded.",
                tone="warning",
                hint="start",
            )
        handler = self._handlers.get(type(action))
        if handler is None:
            return notice("That button isn't available", "This action is not supported here. Nothing was recorded.", tone="warning")
        return await handler(origin, action)

    async def start(self, origin: Origin, deck_id: str | None = None) -> Reply:
        """Start a personal run of a deck, or resume the open one at its first unanswered question."""
        deck = self.decks.get(deck_id)
        if deck is None:
            return self.unknown_deck(deck_id)
        person_id = await self.store.ensure_person(origin, self.now())
        run, created = await self.store.start_run(person_id, deck.id, deck.version, self._new_plan(deck), self.now())
        note = None
        if not created and not self.plan_fits(run, deck):
            # The deck was edited since this run began (a question or option went away): close it, start afresh.
            # A run whose questions and option keys all still exist resumes below, on the deck's new texts.
            log.info("closing run %s: deck %s changed since it started", run.run_id, deck.id)
            await self.store.finish_run(run.run_id, self.now())
            run, created = await self.store.start_run(person_id, deck.id, deck.version, self._new_plan(deck), self.now())
            note = DECK_UPDATED_NOTE
        answers = await self.store.run_answers(run.run_id)
        position = len(answers)
        if not created:
            note = f"Resumed where you left off: question {position + 1} of {len(run.plan)}."
        return Reply(view=self.question_card(deck, run, position, note), ephemeral=True)

    async def tips(self, deck_id: str | None = None) -> Reply:
        return tips_reply(self.decks, deck_id)

    def help(self) -> Reply:
        return help_reply(self.decks)

    async def leaderboard(self, origin: Origin, scope: str = "people", window: str = "all", page: int = 1) -> Reply:
        """A people or team board of the asker's space for a window (week, month, all)."""
        return await self.boards.leaderboard(origin, scope, window, page)

    async def stats(self, origin: Origin) -> Reply:
        """The asker's progress per deck, accuracy per topic, weakest topic, points per window."""
        view = await self.boards.stats(origin)
        study = await self.reviews.stats_lines(origin)
        return Reply(view=view.model_copy(update={"lines": view.lines + study}) if study else view, ephemeral=True)

    async def home(self, origin: Origin) -> HomeView:
        """The person's home page (a surface that has one publishes it): progress, streak, team rank, the week's top five,
        and the reviews due today with a Review button."""
        from bot.home import home_view

        view = await home_view(self.boards, origin)
        person_id = await self.store.person_id(origin)
        if person_id is None:
            return view
        _, plan = await self.reviews.agenda_of(person_id, origin)
        review = Button(label="Review", action_id=ReviewAction().encode(), style="primary" if plan.due_count else "secondary")
        return view.model_copy(update={"due_reviews": plan.due_count, "buttons": (*view.buttons, review)})

    async def export(self, origin: Origin) -> Reply:
        """Everything kept about the person, as a JSON file delivered privately with a notice."""
        return await self.privacy.export(origin)

    def forget_me(self, origin: Origin) -> Reply:
        """Asks before deleting: the confirmation's buttons carry the answer."""
        return self.privacy.forget_prompt(origin)

    async def admin_forget(self, origin: Origin, user_id: str) -> Reply:
        return await self.privacy.admin_forget(origin, user_id)

    async def digest_switch(self, origin: Origin, channel_id: str, on: bool) -> Reply:
        return await self.digest.switch(origin, channel_id, on)

    async def question_stats(self, origin: Origin, deck_id: str | None = None) -> Reply:
        """For admins: how each question was answered in this space."""
        return await self.boards.question_stats(origin, deck_id)

    async def review(self, origin: Origin, deck_id: str | None = None) -> Reply:
        """A private review of the questions due today (reviews score no points)."""
        return await self.reviews.review(origin, deck_id)

    async def interview(self, origin: Origin, day: str, zone: str | None = None) -> Reply:
        """Set the person's interview day (YYYY-MM-DD; `zone`, when given, becomes their timezone), or forget it (off)."""
        return await self.reviews.set_interview(origin, day, zone)

    async def interview_off(self, origin: Origin) -> Reply:
        return await self.reviews.interview_off(origin)

    async def remind(self, origin: Origin, remind_time: str, zone: str) -> Reply:
        """A private reminder each day at a local time when reviews are due."""
        return await self.reminders.configure(origin, remind_time, zone)

    async def remind_off(self, origin: Origin) -> Reply:
        return await self.reminders.switch_off(origin)

    async def submit_written(self, origin: Origin, action_id: object, text: object) -> Reply:
        """The text a person wrote in the form a Write button opened (the form carries that button's action id)."""
        return await self.written.submit(origin, action_id, text)

    async def command_notice(self, origin: Origin) -> Reply | None:
        """What the person's next command must tell them besides its answer (their reminders were switched off), once."""
        return await self.reminders.notice_for(origin)

    async def team_create(self, origin: Origin, name: str) -> Reply:
        return await self.boards.team_create(origin, name)

    async def team_join(self, origin: Origin, name: str) -> Reply:
        return await self.boards.team_join(origin, name)

    async def team_leave(self, origin: Origin) -> Reply:
        return await self.boards.team_leave(origin)

    async def team_list(self, origin: Origin) -> Reply:
        return await self.boards.team_list(origin)

    async def team_names(self, origin: Origin, prefix: str = "", limit: int = 25) -> list[str]:
        """Team names for autocomplete (plain strings, no points)."""
        return await self.boards.team_names(origin, prefix, limit)

    async def team_show(self, origin: Origin, name: str | None = None) -> Reply:
        return await self.boards.team_show(origin, name)

    # Buttons ------------------------------------------------------------------------------------

    @staticmethod
    def _refusal(status: str) -> Reply:
        if status == "no_run":
            return notice("That quiz run doesn't exist", "Nothing was recorded.", "warning", hint="start")
        if status == "not_owner":
            return shared_reply("not_yours")
        return notice("This run's deck has changed", "The questions of this run are no longer available.", "warning", hint="start")

    async def owned_run(self, origin: Origin, run_id: int) -> tuple[Run, Deck] | Reply:
        run, owned = await self.store.owned_run(run_id, *origin.identity)
        if run is None or not owned:
            return self._refusal("no_run" if run is None else "not_owner")
        deck = self.decks.get(run.deck_id)
        if deck is None or not self.plan_fits(run, deck):
            return self._refusal("deck_changed")
        return run, deck

    async def _answer(self, origin: Origin, action: AnswerAction) -> Reply:
        at = self.now()
        outcome = await self.store.answer_click(
            action.run_id, origin.identity, action.position, action.option_key, self.answer_key, at, period_keys(at, self.zone)
        )
        run = outcome.run
        if outcome.status in ("no_run", "not_owner") or run is None:
            return self._refusal(outcome.status)
        deck = self.decks.get(run.deck_id)
        if outcome.status == "invalid" or deck is None:
            if deck is None or not self.plan_fits(run, deck):
                return self._refusal("deck_changed")
            return notice("That button doesn't work", "It does not match this run's question, so nothing was recorded.", "warning")
        if outcome.status == "recorded" and outcome.answer is not None:
            return Reply(view=self._feedback(deck, run, action.position, outcome.answer), ephemeral=True, replace=True)
        continue_button = (Button(label="Continue", action_id=NextAction(run_id=run.run_id).encode(), style="primary"),)
        if outcome.status == "already_answered" and outcome.answer is not None:
            chosen = run.plan[action.position].order.index(outcome.answer.option_key)
            return notice(
                "Already answered",
                f"You answered question {action.position + 1} with {_letter(chosen)}; an answer counts once, so nothing changed.",
                buttons=continue_button,
            )
        return notice("Not this question yet", "Answer the questions in order; nothing was recorded.", "warning", continue_button)

    async def _next(self, origin: Origin, action: NextAction) -> Reply:
        owned = await self.owned_run(origin, action.run_id)
        if isinstance(owned, Reply):
            return owned
        run, deck = owned
        answers = await self.store.run_answers(run.run_id)
        if len(answers) < len(run.plan):
            return Reply(view=self.question_card(deck, run, len(answers)), ephemeral=True, replace=True)
        return Reply(view=self._score_card(deck, run, answers), ephemeral=True, replace=True)

    # Views --------------------------------------------------------------------------------------

    def question_card(self, deck: Deck, run: Run, position: int, note: str | None = None) -> QuestionCard:
        step = run.plan[position]
        question = self._question(deck, step)
        options = [question.option(key) for key in step.order]
        return QuestionCard(
            deck_title=deck.title,
            topic=question.topic,
            position=position + 1,
            total=len(run.plan),
            prompt=question.prompt,
            options=tuple(OptionLine(letter=_letter(i), text=o.text) for i, o in enumerate(options) if o),
            buttons=tuple(
                Button(
                    label=_letter(i),
                    action_id=AnswerAction(run_id=run.run_id, position=position, option_key=key).encode(),
                    style="primary",
                )
                for i, key in enumerate(step.order)
            ),
            note=note,
            more_buttons=(Button(label="Write my answer", action_id=WriteAction(run_id=run.run_id, position=position).encode()),),
        )

    def _feedback(self, deck: Deck, run: Run, position: int, answer: Answer) -> AnswerFeedback:
        step = run.plan[position]
        chosen_letter = _letter(step.order.index(answer.option_key))
        best_letter = _letter(step.order.index(self._question(deck, step).correct_option.key))
        # Every answer's feedback is built on the hot path. All of it but the run's button depends on the content
        # and the run's shape alone, so it is built once per (question, place, option, letters, points): bounded
        # by the decks, not by the number of people.
        key = (
            deck.id,
            step.question,
            position,
            len(run.plan),
            answer.option_key,
            chosen_letter,
            best_letter,
            answer.points,
            answer.correct,
            answer.first,
            run.kind,
        )
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._verdicts[key] = feedback_verdict(deck, *key[1:])
        label = "See score" if position == len(run.plan) - 1 else "Next question"
        button = Button(label=label, action_id=NextAction(run_id=run.run_id).encode(), style="primary")
        return verdict.model_copy(update={"buttons": (button,), "next_review": comes_back(answer.next_due, self.now())})

    def _score_card(self, deck: Deck, run: Run, answers: list[Answer]) -> ScoreCard:
        by_topic: dict[str, list[int]] = {}
        for answer in answers:
            question = self._question(deck, run.plan[answer.position])
            counts = by_topic.setdefault(question.topic, [0, 0])
            counts[0] += int(answer.correct)
            counts[1] += 1
        if run.kind == "review":
            note, again = REVIEW_RULE, Button(label="Review more", action_id=ReviewAction().encode(), style="primary")
        else:
            note, again = SCORING_RULE, Button(label="Play again", action_id=StartAction(deck_id=deck.id).encode(), style="primary")
        return ScoreCard(
            deck_title=deck.title,
            score=sum(a.correct for a in answers),
            total=len(run.plan),
            points=sum(a.points for a in answers),
            topics=tuple(TopicResult(topic=t, correct=c, total=n) for t, (c, n) in by_topic.items()),
            tips=_tip_lines(deck),
            scoring_note=note,
            buttons=(again,),
        )

    # Helpers ------------------------------------------------------------------------------------

    def _new_plan(self, deck: Deck) -> list[PlanStep]:
        """The deck's questions in order, each with its options in a fresh random order for this run."""
        return self.plan_steps(deck, [question.id for question in deck.questions])

    def plan_steps(self, deck: Deck, question_ids: list[str]) -> list[PlanStep]:
        """These questions of the deck, in this order, each with its options in a fresh random order."""
        plan = []
        for question_id in question_ids:
            question = deck.question(question_id)
            assert question is not None  # callers pick questions of the deck
            keys = [o.key for o in question.options]
            self._rng.shuffle(keys)
            plan.append(PlanStep(question=question.id, order=tuple(keys)))
        return plan

    def plan_fits(self, run: Run, deck: Deck) -> bool:
        """Whether every step of the run still matches the deck (its question is there with the same options)."""
        for step in run.plan:
            known = (deck.id, step)
            if known in self._fitting_steps:  # every click checks its run's whole plan
                continue
            question = deck.question(step.question)
            if question is None or len(step.order) != len(question.options) or not question.keys.issuperset(step.order):
                return False
            self._fitting_steps[known] = True
        return True

    @staticmethod
    def _question(deck: Deck, step: PlanStep) -> Question:
        question = deck.question(step.question)
        assert question is not None  # callers checked _plan_fits
        return question

    def unknown_deck(self, deck_id: str | None) -> Reply:
        return unknown_deck(self.decks, deck_id)


def unknown_deck(decks: DeckLibrary, deck_id: str | None) -> Reply:
    known = ", ".join(f"{d.id} ({d.title})" for d in decks)
    return notice("Unknown deck", f"There is no deck called '{deck_id}'. Decks: {known}.", "warning")


def tips_reply(decks: DeckLibrary, deck_id: str | None = None) -> Reply:
    """A deck's answer-structure tips (the first deck's by default); needs no database."""
    deck = decks.get(deck_id)
    if deck is None:
        return unknown_deck(decks, deck_id)
    return Reply(view=TipsView(deck_title=deck.title, tips=_tip_lines(deck)), ephemeral=True)


def help_reply(decks: DeckLibrary) -> Reply:
    """The commands (as data: each surface writes them in its own syntax), the decks and the scoring rule; needs no database."""
    view = HelpView(
        intro=(
            "recsys-quiz asks real RecSys Platform Engineer interview questions. Pick the best-structured "
            "answer with the buttons; every answer gets feedback on what the others miss."
        ),
        commands=COMMANDS,
        decks=tuple(DeckLine(id=d.id, title=d.title, questions=len(d.questions)) for d in decks),
        scoring_rule=SCORING_RULE,
        buttons=(Button(label="Start", action_id=StartAction(deck_id=decks.default.id).encode(), style="primary"),),
    )
    return Reply(view=view, ephemeral=True)


def _tip_lines(deck: Deck) -> tuple[TipLine, ...]:
    return tuple(TipLine(title=t.title, text=t.text) for t in deck.tips)
