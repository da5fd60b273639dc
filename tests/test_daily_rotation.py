"""A month of daily posts: a channel on a 30-question deck sees every question once before any repeats."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from bot.content import Deck, DeckLibrary
from bot.engine import QuizEngine
from bot.store import SQLiteStore
from bot.views import DailyPostView, Notice
from tests.conftest import FakeClock
from tests.test_daily import FakePublisher, admin


def month_deck(questions: int = 30) -> Deck:
    """A deck of `questions` distinct questions (the shape is all the rotation looks at)."""

    def option(key: str, correct: bool) -> dict[str, object]:
        return {"key": key, "text": f"Answer {key}.", "correct": correct, **({} if correct else {"misses": "Misses the point."})}

    return Deck.model_validate(
        {
            "id": "month",
            "title": "A month of questions",
            "description": "Thirty questions.",
            "questions": [
                {
                    "id": f"q{n:02d}",
                    "topic": f"Topic {n % 9}",
                    "prompt": f"Question number {n}?",
                    "key_points": ["one", "two", "three", "four"],
                    "sources": ["A paper, Venue 2020"],
                    "options": [option("a", True), option("b", False), option("c", False), option("d", False)],
                    "explanation": "Because.",
                }
                for n in range(questions)
            ],
        }
    )


async def a_month_of_posts(engine: QuizEngine, clock: FakeClock, deck_id: str, days: int) -> list[DailyPostView]:
    """Set a channel up on `deck_id` at 08:30 Berlin time and tick through `days` days (twice a day)."""
    publisher = FakePublisher()
    engine.daily.attach("discord", publisher)
    reply = await engine.daily.configure(admin(), "study", "08:30", "Europe/Berlin", deck_id)
    assert isinstance(reply.view, Notice) and reply.view.title == "Daily question set", reply.view
    first_day = datetime(2027, 1, 4, 7, 30, tzinfo=UTC).timestamp()  # 08:30 in Berlin
    for day in range(days):
        clock.now = first_day + day * 86_400
        await engine.daily.tick()
        clock.now += 3_600  # a later tick the same day posts nothing more
        await engine.daily.tick()
    return [view for _, view, _ in publisher.posts]


async def test_a_channel_on_the_shipped_systems_deck_gets_every_one_of_its_questions_before_any_repeats(
    store: SQLiteStore, decks: DeckLibrary, clock: FakeClock
) -> None:
    systems = decks.get("recsys-platform-systems")
    assert systems is not None and len(systems.questions) >= 25
    size = len(systems.questions)
    engine = QuizEngine(store, decks, clock=clock, rng=random.Random(8))
    prompts = [view.prompt for view in await a_month_of_posts(engine, clock, systems.id, size + 3)]
    assert len(prompts) == size + 3
    assert set(prompts[:size]) == {q.prompt for q in systems.questions}  # 27 days, 27 different questions
    assert prompts[size] != prompts[size - 1]


async def test_a_channel_on_a_30_question_deck_gets_30_different_questions_on_30_days_then_a_new_cycle(
    store: SQLiteStore, decks: DeckLibrary, clock: FakeClock
) -> None:
    library = DeckLibrary([*decks, month_deck()])
    engine = QuizEngine(store, library, clock=clock, rng=random.Random(5))
    posts = await a_month_of_posts(engine, clock, "month", 45)
    prompts = [view.prompt for view in posts]
    assert len(prompts) == 45  # one post a day, no day skipped or doubled
    assert len(set(prompts[:30])) == 30  # the whole deck before anything repeats
    assert set(prompts[:30]) == {q.prompt for q in month_deck().questions}
    assert len(set(prompts[30:])) == 15  # the second cycle repeats nothing within itself either
    assert all(a != b for a, b in zip(prompts, prompts[1:], strict=False))
    assert {view.deck_title for view in posts} == {"A month of questions"}
