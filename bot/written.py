"""Write it yourself: an answer in the person's own words, their checklist of the key points it covered, and its grade."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.actions import ActionIdError, GradeAction, NextAction, TickAction, WriteAction, decode
from bot.content import Deck, Question
from bot.engine import LETTERS
from bot.names import clean_lines
from bot.notices import shared_reply
from bot.origin import Origin
from bot.store import Run, Store
from bot.store.records import WrittenAnswer
from bot.store.rules import owns
from bot.study_text import comes_back
from bot.views import Button, ChecklistPoint, OptionLine, Reply, WritePrompt, WrittenChecklist, WrittenResult, notice

if TYPE_CHECKING:
    from bot.engine import QuizEngine

# The longest answer any surface takes: Discord's text input holds 4,000 characters (Slack's 3,000, the terminal's more).
WRITTEN_MAX = 4000
GRADES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
GRADE_NOTES = {
    1: "Under half the key points: it comes back soon, until you have it.",
    2: "Half of the key points or more, under 80%: it comes back sooner than a good answer would.",
    3: "80% of the key points or more: a good answer.",
    4: "Every key point: an answer an interviewer hopes for.",
}
WRITTEN_SCORING = (
    "A written answer scores no board points, and neither does a pick of this question in this run: the checklist showed "
    "what the best answer covers. Only you can see what you wrote."
)


def ticked_count(ticked: int) -> int:
    return ticked.bit_count()


def _about(deck: Deck, question: Question, position: int, total: int) -> dict[str, Any]:
    """What every card of the written flow says of its question: the deck, the topic, its place in the run, the prompt."""
    return {"deck_title": deck.title, "topic": question.topic, "position": position + 1, "total": total, "prompt": question.prompt}


class Written:
    """Answers written in one's own words: the form, the checklist the person ticks, the grade."""

    def __init__(self, engine: QuizEngine) -> None:
        self.engine = engine
        self.store: Store = engine.store

    async def write(self, origin: Origin, action: WriteAction) -> Reply:
        """The Write button: the form to write in (or, written already, the checklist of what was written)."""
        found = await self._question(origin, action)
        if isinstance(found, Reply):
            return found
        run, deck, question = found
        existing = await self.store.written_for(run.run_id, action.position)
        if existing is not None:
            if existing.graded_at is not None:
                return Reply(view=self._result(existing, deck, run, question, existing.ticked or 0, None), ephemeral=True)
            note = "You wrote an answer to this question already: here it is. Tick the key points it covers."
            return Reply(view=self._checklist(existing, deck, run, question, 0, note), ephemeral=True)
        answers = await self.store.run_answers(run.run_id)
        if action.position < len(answers):
            return notice(
                "You have answered this question",
                "You picked an answer to it in this run already. Write one the next time it comes up, in a review or a new run.",
                "info",
            )
        view = WritePrompt(
            **_about(deck, question, action.position, len(run.plan)),
            submit_action_id=action.encode(),
            key_points=len(question.key_points),
        )
        return Reply(view=view, ephemeral=True)

    async def submit(self, origin: Origin, action_id: object, text: object) -> Reply:
        """What the person wrote: stored (once per question of a run), then shown beside the key points to tick."""
        try:
            action = decode(action_id)
        except ActionIdError:
            action = None
        if not isinstance(action, WriteAction):
            return notice("That form doesn't work", "It does not belong to a question of a run, so nothing was kept.", "warning")
        written = clean_lines(text if isinstance(text, str) else "")
        if not written:
            return notice(
                "Nothing was written", "The answer was empty, so nothing was kept. Click Write my answer to try again.", "warning"
            )
        if len(written) > WRITTEN_MAX:
            return notice(
                "That answer is too long",
                f"It has {len(written):,} characters; an answer takes at most {WRITTEN_MAX:,}. Nothing was kept.",
                "warning",
            )
        found = await self._question(origin, action)
        if isinstance(found, Reply):
            return found
        run, deck, question = found
        stored, created = await self.store.record_written(
            run.run_id, action.position, run.person_id, deck.id, question.id, written, self.engine.now()
        )
        if stored.graded_at is not None:
            return Reply(view=self._result(stored, deck, run, question, stored.ticked or 0, None), ephemeral=True)
        note = None if created else "You had written an answer to this question already; the first one is kept. Here it is."
        return Reply(view=self._checklist(stored, deck, run, question, 0, note), ephemeral=True)

    async def tick(self, origin: Origin, action: TickAction) -> Reply:
        found = await self._written(origin, action.written_id, action.ticked)
        if isinstance(found, Reply):
            return found
        written, run, deck, question = found
        if written.graded_at is not None:
            return Reply(view=self._result(written, deck, run, question, written.ticked or 0, None), ephemeral=True, replace=True)
        return Reply(view=self._checklist(written, deck, run, question, action.ticked), ephemeral=True, replace=True)

    async def grade(self, origin: Origin, action: GradeAction) -> Reply:
        """Grade the written answer by the share of key points ticked (once: a second click shows the grade it got)."""
        found = await self._written(origin, action.written_id, action.ticked)
        if isinstance(found, Reply):
            return found
        written, run, deck, question = found
        from bot.study import written_rating

        rating = written_rating(ticked_count(action.ticked), len(question.key_points))
        outcome = await self.store.grade_written(written.written_id, action.ticked, int(rating), self.engine.now())
        if outcome.status == "no_answer":
            return shared_reply("not_recorded")
        note = None
        if outcome.status == "graded" and not outcome.graded_card:
            note = "Your pick of an answer to this question in this run graded it first, so this grade is for you to see."
        view = self._result(written, deck, run, question, outcome.ticked, outcome.next_due, note)
        return Reply(view=view, ephemeral=True, replace=True)

    # Reading ----------------------------------------------------------------------------------------

    async def _question(self, origin: Origin, action: WriteAction) -> tuple[Run, Deck, Question] | Reply:
        owned = await self.engine.owned_run(origin, action.run_id)
        if isinstance(owned, Reply):
            return owned
        run, deck = owned
        if action.position >= len(run.plan):
            return notice("That button doesn't work", "It does not match a question of this run, so nothing was kept.", "warning")
        question = deck.question(run.plan[action.position].question)
        assert question is not None  # owned_run checked the plan against the deck
        return run, deck, question

    async def _written(self, origin: Origin, written_id: int, ticked: int) -> tuple[WrittenAnswer, Run, Deck, Question] | Reply:
        written = await self.store.written_answer(written_id)
        if written is None:
            return notice("That answer doesn't exist", "Nothing was recorded.", "warning")
        if not owns(written.owner, origin.identity):
            return shared_reply("not_yours")
        owned = await self.engine.owned_run(origin, written.run_id)
        if isinstance(owned, Reply):
            return owned
        run, deck = owned
        question = deck.question(written.question_id)
        if question is None or ticked >= 2 ** len(question.key_points):
            return notice("That button doesn't work", "It does not match this question's key points, so nothing was recorded.", "warning")
        return written, run, deck, question

    # Views ------------------------------------------------------------------------------------------

    @staticmethod
    def _checklist(
        written: WrittenAnswer, deck: Deck, run: Run, question: Question, ticked: int, note: str | None = None
    ) -> WrittenChecklist:
        return checklist_view(deck, question, written.position, len(run.plan), written.written_id, written.text, ticked, note)

    def _result(
        self,
        written: WrittenAnswer,
        deck: Deck,
        run: Run,
        question: Question,
        ticked: int,
        next_due: int | None,
        note: str | None = None,
    ) -> WrittenResult:
        best = LETTERS[run.plan[written.position].order.index(question.correct_option.key)]
        label = "Now pick the best answer" if run.finished_at is None else "Back to the run"
        button = Button(label=label, action_id=NextAction(run_id=run.run_id).encode(), style="primary")
        next_review = comes_back(next_due, self.engine.now())
        return result_view(deck, question, written.position, len(run.plan), best, ticked, next_review, button, note)


def _points(question: Question, ticked: int) -> tuple[ChecklistPoint, ...]:
    return tuple(ChecklistPoint(text=point, ticked=bool(ticked >> i & 1)) for i, point in enumerate(question.key_points))


def checklist_view(
    deck: Deck, question: Question, position: int, total: int, written_id: int, text: str, ticked: int, note: str | None = None
) -> WrittenChecklist:
    """What the person wrote beside the key points, `ticked` ticked: a button per point toggles it, the last grades it."""
    points = _points(question, ticked)
    toggles = tuple(
        Button(
            label=f"{'☑' if point.ticked else '☐'} {point.text}",
            action_id=TickAction(written_id=written_id, ticked=ticked ^ (1 << i)).encode(),
            style="success" if point.ticked else "secondary",
        )
        for i, point in enumerate(points)
    )
    grade = Button(
        label=f"Grade it: {ticked_count(ticked)} of {len(points)} covered",
        action_id=GradeAction(written_id=written_id, ticked=ticked).encode(),
        style="primary",
    )
    return WrittenChecklist(**_about(deck, question, position, total), text=text, points=points, buttons=(*toggles, grade), note=note)


def result_view(
    deck: Deck,
    question: Question,
    position: int,
    total: int,
    best_letter: str,
    ticked: int,
    next_review: str | None,
    button: Button,
    note: str | None = None,
) -> WrittenResult:
    """A graded written answer: its grade by the share of key points ticked, the points, the best answer and why."""
    from bot.study import written_rating

    count = len(question.key_points)
    covered = ticked_count(ticked)
    rating = int(written_rating(covered, count))
    grade_note = f"{covered} of {count} key points ({covered / count:.0%}). {GRADE_NOTES[rating]}"
    return WrittenResult(
        **_about(deck, question, position, total),
        covered=covered,
        total_points=count,
        grade=GRADES[rating],
        grade_note=f"{note} {grade_note}" if note else grade_note,
        points=_points(question, ticked),
        best=OptionLine(letter=best_letter, text=question.correct_option.text),
        explanation=question.explanation,
        next_review=next_review,
        scoring_note=WRITTEN_SCORING,
        buttons=(button,),
    )
