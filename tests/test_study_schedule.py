"""The review schedule on fsrs: grades from answers, an interview date that bends intervals towards it, and new questions paced."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fsrs import Rating

from bot.study import Interview, answer_rating, due_at, new_allowance, review, written_rating

BERLIN = ZoneInfo("Europe/Berlin")


def test_answers_grade_again_good_and_hard_after_an_earlier_miss() -> None:
    assert answer_rating(correct=False, missed_before=False) is Rating.Again
    assert answer_rating(correct=False, missed_before=True) is Rating.Again
    assert answer_rating(correct=True, missed_before=False) is Rating.Good
    assert answer_rating(correct=True, missed_before=True) is Rating.Hard


@pytest.mark.parametrize(
    ("covered", "total", "rating"),
    [
        (0, 5, Rating.Again),
        (2, 5, Rating.Again),
        (1, 2, Rating.Hard),
        (3, 5, Rating.Hard),
        (4, 5, Rating.Good),
        (6, 7, Rating.Good),
        (5, 5, Rating.Easy),
    ],
)
def test_written_answers_grade_by_the_share_of_key_points_covered(covered: int, total: int, rating: Rating) -> None:
    assert written_rating(covered, total) is rating


def test_a_right_answer_comes_back_later_than_a_wrong_one_and_easy_later_still() -> None:
    at = datetime(2027, 1, 4, 9, 0, tzinfo=BERLIN)
    waits = {rating: due_at(review(None, rating, at)) - at for rating in (Rating.Again, Rating.Hard, Rating.Good, Rating.Easy)}
    assert waits[Rating.Again] == timedelta(days=1)
    assert waits[Rating.Again] <= waits[Rating.Hard] < waits[Rating.Good] < waits[Rating.Easy]


def test_an_interview_ahead_raises_retention_so_intervals_shrink() -> None:
    at = datetime(2027, 1, 4, 9, 0, tzinfo=BERLIN)
    far = Interview(date(2027, 6, 1), BERLIN)
    card = review(None, Rating.Good, at)
    card_with_interview = review(None, Rating.Good, at, far)
    later, later_with_interview = due_at(card), due_at(card_with_interview)
    assert due_at(review(card_with_interview, Rating.Good, later_with_interview, far)) - later_with_interview < (
        due_at(review(card, Rating.Good, later)) - later
    )


def test_thirty_days_with_an_interview_on_day_20_review_every_question_in_the_last_three_days_then_go_back_to_normal() -> None:
    start = datetime(2027, 3, 1, 8, 0, tzinfo=BERLIN)  # a Monday, 08:00 local
    interview = Interview(date(2027, 3, 21), BERLIN)  # day 20
    rng = random.Random(3)
    questions = [f"q{n}" for n in range(32)]
    cards: dict[str, dict[str, Any]] = {}
    reviews: dict[str, list[datetime]] = {q: [] for q in questions}
    for day in range(30):
        now = start + timedelta(days=day)
        due = [q for q in questions if q in cards and due_at(cards[q]) <= now]
        unseen = [q for q in questions if q not in cards]
        new = unseen[: new_allowance(len(unseen), 0, now, interview)]
        for question in due + new:
            correct = rng.random() < 0.8
            cards[question] = review(cards.get(question), answer_rating(correct, False), now, interview)
            reviews[question].append(now)
    window = (interview.final_window, interview.begins)
    for question, times in reviews.items():
        before = [t for t in times if t < interview.begins]
        assert len(before) >= 2, (question, before)  # met early enough for a second review before the day
        assert any(window[0] <= t < window[1] for t in times), (question, times)
    # After the day the plan is fsrs's own again: a review then schedules as if no date had been set.
    after = start + timedelta(days=25)
    for card in list(cards.values())[:5]:
        assert review(card, Rating.Good, after, interview) == review(card, Rating.Good, after)


def test_new_questions_are_paced_five_a_day_without_a_date_and_spread_before_the_final_window_with_one() -> None:
    at = datetime(2027, 3, 1, 8, 0, tzinfo=BERLIN)
    assert new_allowance(30, 0, at) == 5
    assert new_allowance(30, 4, at) == 1
    assert new_allowance(30, 5, at) == 0
    assert new_allowance(0, 0, at) == 0
    in_ten_days = Interview(date(2027, 3, 11), BERLIN)  # 10 days left, 7 before the final window
    assert new_allowance(28, 0, at, in_ten_days) == 4
    tomorrow = Interview(date(2027, 3, 2), BERLIN)
    assert new_allowance(28, 0, at, tomorrow) == 28  # past the point of pacing: everything now
    past = Interview(date(2027, 2, 1), BERLIN)
    assert new_allowance(28, 0, at, past) == 5  # a date gone by plans as if there were none
