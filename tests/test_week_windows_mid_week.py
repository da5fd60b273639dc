"""Week and month windows seen from the middle of a week: the "from Monday" label, and keys across month and year ends."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.content import DeckLibrary
from bot.engine import QuizEngine
from bot.store import SQLiteStore
from bot.windows import period_key, period_keys, window_label
from tests.conftest import FakeClock, person
from tests.test_boards import answer_questions, board_of

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")


def at(text: str, zone: ZoneInfo = BERLIN) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=zone).timestamp()


@pytest.mark.parametrize(
    ("instant", "label", "week", "month"),
    [
        ("2026-09-24T15:00:00", "This week (from Monday 21 Sep 2026)", "week:2026-09-21", "month:2026-09"),  # Thursday
        ("2026-09-27T23:59:59", "This week (from Monday 21 Sep 2026)", "week:2026-09-21", "month:2026-09"),  # Sunday, last second
        ("2026-10-01T09:00:00", "This week (from Monday 28 Sep 2026)", "week:2026-09-28", "month:2026-10"),  # Thursday, new month
        ("2027-01-01T12:00:00", "This week (from Monday 28 Dec 2026)", "week:2026-12-28", "month:2027-01"),  # Friday, new year
    ],
)
def test_a_mid_week_instant_falls_in_the_week_from_the_monday_before(instant: str, label: str, week: str, month: str) -> None:
    moment = at(instant)
    assert window_label("week", moment, BERLIN) == label
    assert period_key("week", moment, BERLIN) == week
    assert period_key("month", moment, BERLIN) == month
    assert period_key("all", moment, BERLIN) == "all"
    assert period_keys(moment, BERLIN) == ("all", week, month)


def test_the_week_is_the_one_of_the_boards_timezone() -> None:
    sunday_night_utc = at("2026-09-27T22:30:00", UTC)  # already Monday 00:30 in Berlin
    assert window_label("week", sunday_night_utc, UTC) == "This week (from Monday 21 Sep 2026)"
    assert window_label("week", sunday_night_utc, BERLIN) == "This week (from Monday 28 Sep 2026)"
    assert period_keys(sunday_night_utc, UTC)[1] == "week:2026-09-21"
    assert period_keys(sunday_night_utc, BERLIN)[1] == "week:2026-09-28"


def test_month_and_all_time_labels() -> None:
    assert window_label("month", at("2026-09-24T15:00:00"), BERLIN) == "This month (September 2026)"
    assert window_label("all", at("2026-09-24T15:00:00"), BERLIN) == "All time"


def test_an_unknown_window_is_a_value_error_naming_it() -> None:
    with pytest.raises(ValueError, match="^unknown window 'year'$"):
        period_key("year", at("2026-09-24T15:00:00"), BERLIN)


async def test_a_board_asked_for_on_a_thursday_counts_from_monday_and_drops_the_week_before(store: SQLiteStore, decks: DeckLibrary) -> None:
    clock = FakeClock(start=at("2026-09-20T18:00:00"))  # Sunday: the week before
    engine = QuizEngine(store, decks, clock=clock, rng=random.Random(3), zone=BERLIN)
    await answer_questions(engine, decks, person("before"), [True, True])
    clock.now = at("2026-09-22T10:00:00")  # Tuesday
    await answer_questions(engine, decks, person("tuesday"), [True])
    clock.now = at("2026-09-24T15:00:00")  # Thursday
    week = board_of(await engine.leaderboard(person("x"), "people", "week"))
    assert week.window == "This week (from Monday 21 Sep 2026)"
    assert [(row.name, row.points) for row in week.rows] == [("tuesday", 1)]
    month = board_of(await engine.leaderboard(person("x"), "people", "month"))
    assert month.window == "This month (September 2026)"
    assert [(row.name, row.points) for row in month.rows] == [("before", 2), ("tuesday", 1)]
