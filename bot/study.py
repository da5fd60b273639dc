"""Spaced review on the fsrs package: how an answer grades a card, when the card comes back, and how an interview date bends both."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from fsrs import Card, Rating, Scheduler

RETENTION = 0.9  # fsrs's default: the chance of recalling a card when it comes due
INTERVIEW_RETENTION = 0.95  # with an interview ahead: shorter intervals, more reviews
FINAL_DAYS = 3  # every question is reviewed at least once in the last three days before the interview
NEW_PER_DAY = 5  # questions first met in a day's review when no interview date is set
NEW_CARD_ID = 1  # fsrs keeps an id on each card; ours are keyed by person and question, so the id carries nothing


@cache
def _scheduler(retention: float) -> Scheduler:
    # No learning steps of minutes: a chat quiz is met once or twice a day, so every interval is whole days.
    # No fuzzing: the plan must be the same on every process that computes it, and in tests.
    return Scheduler(desired_retention=retention, learning_steps=(), relearning_steps=(), enable_fuzzing=False)


def answer_rating(correct: bool, missed_before: bool) -> Rating:
    """A multiple-choice answer: wrong is Again, right is Good, right after an earlier miss is Hard."""
    if not correct:
        return Rating.Again
    return Rating.Hard if missed_before else Rating.Good


def written_rating(covered: int, total: int) -> Rating:
    """An answer written in one's own words, graded by the share of the key points it covered."""
    if total <= 0:
        raise ValueError("a question has at least one key point")
    share = covered / total
    if share < 0.5:
        return Rating.Again
    if share < 0.8:
        return Rating.Hard
    return Rating.Good if share < 1 else Rating.Easy


@dataclass(frozen=True)
class Interview:
    """A person's interview day in their timezone; reviews bend towards it until it begins."""

    day: date
    zone: ZoneInfo

    @property
    def begins(self) -> datetime:
        return datetime.combine(self.day, time(0, 0), tzinfo=self.zone)

    @property
    def final_window(self) -> datetime:
        """When the last FINAL_DAYS before the interview begin: every question is due again by then."""
        return self.begins - timedelta(days=FINAL_DAYS)

    def ahead(self, at: datetime) -> bool:
        return at < self.begins

    def days_left(self, at: datetime) -> int:
        """Whole local days from `at` until the interview day (0 on the day itself or after)."""
        return max((self.day - at.astimezone(self.zone).date()).days, 0)


def review(card_state: dict[str, Any] | None, rating: Rating, at: datetime, interview: Interview | None = None) -> dict[str, Any]:
    """The card after this review, as fsrs's JSON-ready dict; `None` is a question met for the first time.

    With an interview ahead the card is scheduled for a higher retention, and a review before the final window
    never sets the next one past the window's start: so every question comes due in the last FINAL_DAYS days.
    Once the interview has begun the card is scheduled as usual again.
    """
    # A new card is made with an id and a due time of our own: fsrs's defaults read the wall clock, and its id
    # sleeps a millisecond to stay unique, which a review written inside a database transaction must not do.
    card = Card.from_dict(card_state) if card_state else Card(card_id=NEW_CARD_ID, due=at.astimezone(UTC))
    preparing = interview is not None and interview.ahead(at)
    # fsrs takes and gives UTC times only.
    card, _ = _scheduler(INTERVIEW_RETENTION if preparing else RETENTION).review_card(card, rating, at.astimezone(UTC))
    if interview is not None and at < interview.final_window and card.due > interview.final_window:
        card.due = interview.final_window.astimezone(UTC)
    return card.to_dict()


def due_at(card_state: dict[str, Any]) -> datetime:
    return Card.from_dict(card_state).due


def new_allowance(unseen: int, met_today: int, at: datetime, interview: Interview | None = None) -> int:
    """How many questions a person may meet for the first time now, having met `met_today` already today.

    With an interview ahead the unseen questions are spread over the days before the final window, so each gets
    its first answer and one more review before the day; past that point, all of them at once.
    """
    if unseen <= 0:
        return 0
    if interview is None or not interview.ahead(at):
        return max(NEW_PER_DAY - met_today, 0)
    days = interview.days_left(at) - FINAL_DAYS
    if days <= 0:
        return unseen
    return max(math.ceil((unseen + met_today) / days) - met_today, 0)


def end_of_day(at: datetime, zone: ZoneInfo) -> datetime:
    """Midnight after `at` in `zone`: reviews are planned by the day, so a card due before it is due today."""
    return datetime.combine(at.astimezone(zone).date() + timedelta(days=1), time(0, 0), tzinfo=zone)


def comes_due(due: datetime, last_review: datetime, at: datetime, interview: Interview | None = None) -> datetime:
    """When a card is due as planned at `at`: its own due time, or, with an interview ahead, the start of the final window
    when its last review came before that window and its due time after it (a date set after the review still brings
    the card back in the window; review() caps the cards reviewed with the date known)."""
    if interview is not None and interview.ahead(at) and last_review < interview.final_window < due:
        return interview.final_window
    return due
