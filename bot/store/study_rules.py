"""What every store decides the same way when an answer grades a review card: the rating, the card after it, the review
logged, and the person's local day. Pure functions over what the store read in the answer's own transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

CardKey = tuple[int, str, str]  # (person, deck, question)
RunPlace = tuple[int, int]  # (run, position): a question of a run grades its card once


class StoredCard(NamedTuple):
    """A card as the store holds it: fsrs's JSON, its last rating, reviews so far and when it was first reviewed."""

    card: str
    last_rating: int
    reviews: int
    first_review_at: int
    due_at: int


class PlanRead(NamedTuple):
    """The part of a person's study plan grading reads: their timezone and interview day."""

    zone: str
    interview_day: str | None


class Grading(NamedTuple):
    """One answer to grade a card with: a pick (`correct` set) or a written answer (`rating` set)."""

    key: CardKey
    place: RunPlace
    at: int
    correct: bool | None = None
    rating: int | None = None


class CardChanges(NamedTuple):
    """What grading writes: cards (upserted whole), reviews logged, and each graded place's new due time."""

    # study_cards rows: (person, deck, question, card JSON, due at, last rating, reviews, first review at, last review at)
    cards: list[tuple[int, str, str, str, int, int, int, int, int]]
    # study_reviews rows: (person, deck, question, run, position, source, rating, at, local day, due at)
    reviews: list[tuple[int, str, str, int, int, str, int, int, str, int]]
    due: dict[RunPlace, int]


@lru_cache(maxsize=1024)  # every grading asks; people share a few hundred zones at most
def zone_of(name: str | None) -> ZoneInfo:
    """The zone of a stored name; UTC for none (a person who never set one) or one this machine does not know."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def grade_cards(
    gradings: Sequence[Grading],
    cards: Mapping[CardKey, StoredCard],
    plans: Mapping[int, PlanRead],
    graded: set[RunPlace],
) -> CardChanges:
    """The cards after these answers, in order. A place of a run already graded (`graded`, updated in place) grades
    nothing: the first of a pick and a written answer to a question of a run is the one that counts. (A pick is recorded
    once per place, so only a place with a written answer can have been graded before: stores read `graded` for those.)"""
    from fsrs import Rating  # fsrs only once someone answers: `recsys-quiz play` reaches its first card without it

    from bot.study import Interview, answer_rating, review

    changes = CardChanges([], [], {})
    current: dict[CardKey, StoredCard] = dict(cards)
    for grading in gradings:
        if grading.place in graded:
            continue
        graded.add(grading.place)
        person_id, deck_id, question_id = grading.key
        plan = plans.get(person_id)
        zone = zone_of(plan.zone if plan else None)
        interview = Interview(date.fromisoformat(plan.interview_day), zone) if plan and plan.interview_day else None
        before = current.get(grading.key)
        if grading.rating is not None:
            rating = Rating(grading.rating)
        else:
            rating = answer_rating(bool(grading.correct), missed_before=before is not None and before.last_rating == Rating.Again)
        at = datetime.fromtimestamp(grading.at, UTC)
        # orjson: a card is read and written on every answer, in the answer's transaction.
        state: dict[str, Any] = review(orjson.loads(before.card) if before else None, rating, at, interview)
        due_at = int(datetime.fromisoformat(state["due"]).timestamp())
        card_json = orjson.dumps(state).decode()
        first = before.first_review_at if before else grading.at
        reviews = (before.reviews if before else 0) + 1
        current[grading.key] = StoredCard(card_json, int(rating), reviews, first, due_at)
        changes.cards.append((person_id, deck_id, question_id, card_json, due_at, int(rating), reviews, first, grading.at))
        source = "written" if grading.rating is not None else "choice"
        local_day = at.astimezone(zone).date().isoformat()
        changes.reviews.append((person_id, deck_id, question_id, *grading.place, source, int(rating), grading.at, local_day, due_at))
        changes.due[grading.place] = due_at
    # One row per card, its last state: a card graded twice in one batch is written once.
    latest = {row[:3]: row for row in changes.cards}
    changes.cards[:] = list(latest.values())
    return changes
