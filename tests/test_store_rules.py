"""The rules every store shares (bot/store/rules.py, study_rules.py), as pure functions at their edges: checks, points, totals, ranks, cards."""

from __future__ import annotations

from typing import Any

from bot.store.protocol import QuestionKey
from bot.store.records import Answer, BoardRow, ClickOutcome, DailyAnswerOutcome, DailyChannel, PlanStep, Run, TeamRow
from bot.store.rules import (
    Accepted,
    Click,
    Credit,
    DailyAnswer,
    ForgetChanges,
    PageWindow,
    TeamChanges,
    TotalChanges,
    check_clicks,
    check_daily_answers,
    claimable,
    earned_by_team,
    fill_answers,
    first_answer_keys,
    forget_changes,
    gradings_of,
    judge,
    owns,
    page_window,
    rank_in,
    ranked_page,
    ranked_teams,
    score_answers,
    team_changes,
    total_changes,
    with_due,
)
from bot.store.study_rules import Grading, PlanRead, StoredCard, grade_cards

KEY = {
    "deck": {
        "q1": QuestionKey(options=frozenset({"a", "b", "c"}), correct="b"),
        "q2": QuestionKey(options=frozenset({"d", "e", "f"}), correct="f"),
    }
}
PLAN = (PlanStep("q1", ("c", "a", "b")), PlanStep("q2", ("d", "e", "f")))
OWNER = ("discord", "g1", "u1")
ME = ("discord", "g1", "u1")


def run(run_id: int = 7, plan: tuple[PlanStep, ...] = PLAN, kind: Any = "deck", person_id: int = 3) -> Run:
    return Run(run_id, person_id, "deck", 1, plan, 100, None, kind)


def click(position: int, option_key: str, run_id: int = 7, identity: tuple[str, str | None, str] = ME, at: int = 500) -> Click:
    return Click(run_id, identity, position, option_key, KEY, at, ("all", "w1"))


# judge and owns ----------------------------------------------------------------------------------------------------


def test_judge_says_right_or_wrong_for_a_click_that_fits_the_run() -> None:
    assert judge(KEY, run(), 0, "b") is True
    assert judge(KEY, run(), 0, "a") is False
    assert judge(KEY, run(), 1, "f") is True


def test_judge_refuses_a_position_past_the_plan_and_an_option_the_question_lacks() -> None:
    assert judge(KEY, run(), 2, "b") is None  # one past the last question
    assert judge(KEY, run(), 0, "f") is None  # an option of another question
    assert judge({}, run(), 0, "b") is None  # a deck the key does not know


def test_judge_refuses_every_click_of_a_run_whose_deck_changed_under_it() -> None:
    gone = (PlanStep("q1", ("c", "a", "b")), PlanStep("q9", ("d", "e", "f")))
    fewer = (PlanStep("q1", ("c", "a", "b")), PlanStep("q2", ("d", "e")))
    more = (PlanStep("q1", ("c", "a", "b", "x")), PlanStep("q2", ("d", "e", "f")))
    renamed = (PlanStep("q1", ("c", "a", "b")), PlanStep("q2", ("d", "e", "g")))
    for plan in (gone, fewer, more, renamed):
        assert judge(KEY, run(plan=plan), 0, "b") is None, plan


def test_owns_takes_the_same_user_in_the_same_space_or_in_their_direct_messages() -> None:
    assert owns(OWNER, ("discord", "g1", "u1"))
    assert owns(OWNER, ("discord", None, "u1"))
    assert not owns(OWNER, ("discord", "g2", "u1"))
    assert not owns(OWNER, ("slack", "g1", "u1"))
    assert not owns(OWNER, ("discord", "g1", "u2"))


# check_clicks, score_answers and what follows ------------------------------------------------------------------------


def test_check_clicks_gives_each_click_its_status_in_order() -> None:
    stored = Answer(7, 0, "q1", "a", False, 0, 400)
    runs = {7: (run(), OWNER), 8: (run(8), OWNER)}
    answered: dict[int, dict[int, Any]] = {7: {0: "row"}}
    clicks = [
        click(0, "b", run_id=99),  # no such run
        click(0, "b", identity=("discord", "g1", "u2")),  # someone else's
        click(0, "z"),  # not an option
        click(0, "b"),  # answered before this batch
        click(1, "f"),  # the current question: recorded
        click(1, "e"),  # a double click within the batch
        click(1, "d", run_id=8),  # ahead of run 8's first question
    ]
    outcomes, accepted, repeats = check_clicks(clicks, runs, answered, lambda row: stored)
    assert [o.status for o in outcomes] == [
        "no_run",
        "not_owner",
        "invalid",
        "already_answered",
        "recorded",
        "already_answered",
        "not_current",
    ]
    assert [o.run for o in outcomes] == [None, run(), run(), run(), run(), run(), run(8)]
    assert outcomes[3].answer == stored and outcomes[5].answer is None
    assert accepted == [Accepted(4, clicks[4], run(), OWNER, True)]
    assert repeats == [(5, 4)]
    assert answered == {7: {0: "row", 1: 4}, 8: {}}


def test_score_answers_scores_a_right_first_answer_of_a_deck_run_once() -> None:
    clicks = [click(0, "b", at=501), click(1, "d", at=502)]
    accepted = [Accepted(0, clicks[0], run(), OWNER, True), Accepted(1, clicks[1], run(), OWNER, False)]
    before: set[tuple[int, str, str]] = set()
    scored = score_answers(accepted, before)
    assert scored.results == [(0, Answer(7, 0, "q1", "b", True, 1, 501, True)), (1, Answer(7, 1, "q2", "d", False, 0, 502, True))]
    assert scored.rows == [(7, 0, 3, "deck", "q1", "b", 1, 1, 501), (7, 1, 3, "deck", "q2", "d", 0, 0, 502)]
    assert scored.firsts == [(3, "deck", "q1", 7, 0), (3, "deck", "q2", 7, 1)]
    assert scored.finished == [(502, 7)]  # the last question finishes the run
    assert scored.credits == [Credit(3, "discord", "g1", 1, ("all", "w1")), Credit(3, "discord", "g1", 0, ("all", "w1"))]
    assert before == {(3, "deck", "q1"), (3, "deck", "q2")}
    again = score_answers(accepted[:1], before)  # a replay: practice
    assert again.results == [(0, Answer(7, 0, "q1", "b", True, 0, 501, False))] and again.firsts == [] and again.finished == []


def test_score_answers_gives_nothing_in_a_review_or_where_the_person_wrote_first() -> None:
    review = [Accepted(0, click(0, "b"), run(kind="review"), OWNER, True)]
    assert score_answers(review, set()).results[0][1].points == 0
    deck = [Accepted(0, click(0, "b"), run(), OWNER, True)]
    written = score_answers(deck, set(), unscored={(7, 0)})
    assert written.results[0][1][5:8] == (0, 500, True)
    assert score_answers(deck, set(), unscored={(7, 1), (8, 0)}).results[0][1].points == 1


def test_first_answer_keys_are_sorted_and_distinct() -> None:
    accepted = [
        Accepted(0, click(1, "f"), run(person_id=5), OWNER, True),
        Accepted(1, click(0, "b"), run(person_id=3), OWNER, True),
        Accepted(2, click(1, "f"), run(person_id=5), OWNER, True),
    ]
    assert first_answer_keys(accepted) == [(3, "deck", "q1"), (5, "deck", "q2")]


def test_gradings_and_due_times_follow_each_answer_to_its_card() -> None:
    accepted = [
        Accepted(2, click(0, "b"), run(person_id=3), OWNER, True),
        Accepted(4, click(1, "d", run_id=8), run(8, person_id=5), OWNER, False),
    ]
    results = [(2, Answer(7, 0, "q1", "b", True, 1, 500)), (4, Answer(8, 1, "q2", "d", False, 0, 600))]
    assert gradings_of(results, accepted) == [Grading((3, "deck", "q1"), (7, 0), 500, True), Grading((5, "deck", "q2"), (8, 1), 600, False)]
    cards = {(5, "deck", "q2"): StoredCard("{}", 1, 1, 10, 9000)}
    dated = with_due(results, accepted, {(7, 0): 7000}, cards)
    assert [(index, answer.next_due) for index, answer in dated] == [(2, 7000), (4, 9000)]
    assert with_due(results[:1], accepted, {}, {})[0][1].next_due is None


def test_fill_answers_puts_each_answer_in_its_outcome_and_a_repeats() -> None:
    outcomes = [ClickOutcome("recorded"), ClickOutcome("already_answered"), ClickOutcome("invalid")]
    answer = Answer(7, 0, "q1", "b", True, 1, 500)
    fill_answers(outcomes, [(0, answer)], [(1, 0)])
    assert outcomes == [ClickOutcome("recorded", answer=answer), ClickOutcome("already_answered", answer=answer), ClickOutcome("invalid")]


# Totals and teams ---------------------------------------------------------------------------------------------------


def test_total_changes_move_people_between_histogram_rows() -> None:
    points_of = {(1, "all"): 4, (2, "all"): 0}
    credits = [
        Credit(1, "discord", "g1", 1, ("all",)),  # 4 -> 5
        Credit(2, "discord", "g1", 0, ("all",)),  # stays at 0: no histogram change
        Credit(3, "discord", "g1", 0, ("all", "w1")),  # new on both boards, at 0
        Credit(3, "discord", "g1", 1, ("all",)),  # then 0 -> 1
    ]
    changes = total_changes(credits, points_of)
    assert changes == TotalChanges(
        totals=[
            (1, "all", "discord", "g1", 1, 1),
            (2, "all", "discord", "g1", 0, 1),
            (3, "all", "discord", "g1", 1, 2),
            (3, "w1", "discord", "g1", 0, 1),
        ],
        histogram=[
            ("discord", "g1", "all", 1, 1),
            ("discord", "g1", "all", 4, -1),
            ("discord", "g1", "all", 5, 1),
            ("discord", "g1", "w1", 0, 1),
        ],
    )
    assert points_of == {(1, "all"): 5, (2, "all"): 0, (3, "all"): 1, (3, "w1"): 0}


def test_earned_by_team_counts_members_points_per_period_and_leaves_others_out() -> None:
    scorers = [Credit(1, "slack", "T1", 1, ("all", "w1")), Credit(2, "slack", "T1", 1, ("all",)), Credit(1, "slack", "T1", 2, ("all",))]
    earned, board_of = earned_by_team(scorers, {1: 10})
    assert earned == {(10, "all", 1): 3, (10, "w1", 1): 1}
    assert board_of == {10: ("slack", "T1")}


def test_team_changes_count_a_member_active_once_per_period() -> None:
    earned = {(10, "all", 1): 3, (10, "all", 2): 1, (10, "w1", 1): 1}
    changes = team_changes(earned, {10: ("slack", "T1")}, active={(10, "all", 1)})
    assert changes == TeamChanges(
        members=[(10, "all", 1, 3), (10, "all", 2, 1), (10, "w1", 1, 1)],
        teams=[(10, "all", 4, 1, "slack", "T1"), (10, "w1", 1, 1, "slack", "T1")],
    )


def test_forget_changes_take_one_person_out_per_totals_row() -> None:
    totals = [("slack", "T1", "all", 3), ("slack", "T1", "w1", 1), ("slack", "T1", "all", 3)]
    changes = forget_changes(totals, [(10, "all", 3), (10, "w1", 1), (10, "all", 2)], [10, 11, 10])
    assert changes == ForgetChanges(
        histogram=[(-2, "slack", "T1", "all", 3), (-1, "slack", "T1", "w1", 1)],
        teams=[(5, 2, 10, "all"), (1, 1, 10, "w1")],
        members=[(2, 10), (1, 11)],
    )


# Boards ---------------------------------------------------------------------------------------------------------------

# A board of 10 people: 2 with 9 points, 5 with 4, 3 with 0.
HISTOGRAM = [(9, 2), (4, 5), (0, 3)]


def test_page_window_enters_the_tie_group_the_page_starts_in() -> None:
    assert page_window(HISTOGRAM, 3, 0) == PageWindow(9, 0, False, 3, 0)
    assert page_window(HISTOGRAM, 3, 2) == PageWindow(4, 2, False, 3, 0)  # the first row with 4 points
    assert page_window(HISTOGRAM, 2, 3) == PageWindow(4, 2, False, 2, 1)  # one row of 4 skipped: 5 rows after the page
    assert page_window(HISTOGRAM, 3, 6) == PageWindow(4, 2, True, 3, 1)  # nearer the end: 1 row after the page
    assert page_window(HISTOGRAM, 3, 8) == PageWindow(0, 7, True, 2, 0)  # the last page runs past the end
    assert page_window(HISTOGRAM, 3, 10) is None
    assert page_window([], 3, 0) is None


def test_page_window_reads_from_the_end_only_when_fewer_rows_follow_than_precede() -> None:
    assert page_window([(1, 4)], 2, 1) == PageWindow(1, 0, False, 2, 1)  # 1 before, 1 after
    assert page_window([(1, 5)], 2, 2) == PageWindow(1, 0, True, 2, 1)  # 2 before, 1 after: read upwards
    assert page_window([(1, 5)], 1, 3) == PageWindow(1, 0, True, 1, 1)


def test_ranked_page_shares_ranks_within_ties_across_the_page_start() -> None:
    rows = [(1, "a", "A", 4), (2, "b", "B", 4), (3, "c", "C", 2), (4, "d", "D", 2), (5, "e", "E", 0)]
    page = ranked_page(rows, above=3, offset=5)
    assert [(r.rank, r.person_id, r.user_id, r.display_name, r.points) for r in page] == [
        (4, 1, "a", "A", 4),
        (4, 2, "b", "B", 4),
        (8, 3, "c", "C", 2),
        (8, 4, "d", "D", 2),
        (10, 5, "e", "E", 0),
    ]
    assert page[0] == BoardRow(rank=4, person_id=1, user_id="a", display_name="A", points=4)
    assert ranked_page([], 0, 0) == []


def test_ranked_teams_share_a_rank_for_equal_averages() -> None:
    def row(team_id: int, average: float) -> dict[str, Any]:
        return {"team_id": team_id, "name": f"T{team_id}", "members": 3, "points": team_id * 2, "active_members": 2, "average": average}

    rows = [row(1, 2.5), row(2, 2.5), row(3, 1.0), row(4, 0.5), row(5, 0.5)]
    page = ranked_teams(rows, first_rank=6, offset=10)
    assert [(rank, team.team_id) for rank, team in page] == [(6, 1), (6, 2), (13, 3), (14, 4), (14, 5)]
    assert page[2][1] == TeamRow(team_id=3, name="T3", members=3, points=6, active_members=2)


def test_rank_in_is_one_plus_the_people_with_more() -> None:
    assert [rank_in(HISTOGRAM, points) for points in (10, 9, 5, 4, 0)] == [1, 1, 3, 3, 8]


# Daily posts ----------------------------------------------------------------------------------------------------------


def test_check_daily_answers_refuses_closed_posts_and_second_answers() -> None:
    ann = ("slack", "T1", "U1", "Ann", 900)
    bob = ("slack", "T1", "U2", "Bob", 901)
    answers = [
        DailyAnswer(1, ann, "b", True, 900, ("all",)),
        DailyAnswer(2, ann, "a", True, 900, ("all",)),  # a closed post
        DailyAnswer(1, ann, "c", False, 905, ("all",)),  # a second answer in the same batch
        DailyAnswer(1, bob, "c", False, 901, ("all", "w1")),
        DailyAnswer(3, bob, "a", True, 902, ("all",)),
    ]
    given: dict[tuple[int, int], DailyAnswerOutcome] = {}
    checked = check_daily_answers(answers, {1: ("slack", "T1"), 3: ("slack", "T1")}, {ann: 11, bob: 12}, given)
    assert checked.outcomes == [
        DailyAnswerOutcome("recorded", "b", True, 1, 11),
        DailyAnswerOutcome("closed"),
        DailyAnswerOutcome("already_answered", "b", True, 1, 11),
        DailyAnswerOutcome("recorded", "c", False, 0, 12),
        DailyAnswerOutcome("recorded", "a", True, 1, 12),
    ]
    assert checked.rows == [(1, 11, "b", 1, 1, 900), (1, 12, "c", 0, 0, 901), (3, 12, "a", 1, 1, 902)]
    assert checked.counts == [(2, 1), (1, 3)]
    assert checked.credits == [
        Credit(11, "slack", "T1", 1, ("all",)),
        Credit(12, "slack", "T1", 0, ("all", "w1")),
        Credit(12, "slack", "T1", 1, ("all",)),
    ]
    assert set(given) == {(1, 11), (1, 12), (3, 12)}


def test_a_post_is_claimable_while_its_channel_is_on_with_the_same_deck_and_rotation() -> None:
    seen = DailyChannel(
        channel_key=1,
        platform="slack",
        space_id="T1",
        channel_id="C1",
        post_time="09:00",
        timezone="UTC",
        deck_id="deck",
        enabled=True,
        rotation={"order": ["q1"]},
        configured_by="U1",
        updated_at=1,
    )
    assert claimable(seen.model_copy(update={"updated_at": 2, "post_time": "10:00"}), seen)
    assert not claimable(seen.model_copy(update={"enabled": False}), seen)
    assert not claimable(seen.model_copy(update={"deck_id": "other"}), seen)
    assert not claimable(seen.model_copy(update={"rotation": {"order": ["q2"]}}), seen)


# Review cards (bot/store/study_rules.py) ----------------------------------------------------------------------------

AT = 1_790_172_800  # Wednesday 23 Sep 2026, 14:13:20 UTC
DAY = 86_400


def test_grade_cards_rates_logs_and_dates_each_answer_in_the_persons_zone() -> None:
    gradings = [
        Grading((5, "deck", "q9"), (9, 9), AT, correct=True),  # a place graded before: grades nothing
        Grading((3, "deck", "q1"), (7, 0), AT, correct=False),  # Again: due in a day
        Grading((3, "deck", "q1"), (8, 0), AT + DAY, correct=True),  # right after a miss: Hard
        Grading((3, "deck", "q2"), (7, 1), AT, rating=4),  # a written answer rated Easy
        Grading((4, "deck", "q1"), (6, 0), AT, correct=True),  # someone without a plan: UTC, Good
        Grading((3, "deck", "q1"), (7, 0), AT + 5, correct=True),  # the same place again: nothing
    ]
    graded = {(9, 9)}
    changes = grade_cards(gradings, {}, {3: PlanRead("Pacific/Kiritimati", None)}, graded)
    # (person, deck, question, last rating, reviews, first review at, last review at), one row per card
    assert [(*row[:3], *row[5:]) for row in changes.cards] == [
        (3, "deck", "q1", 2, 2, AT, AT + DAY),
        (3, "deck", "q2", 4, 1, AT, AT),
        (4, "deck", "q1", 3, 1, AT, AT),
    ]
    assert [row[:9] for row in changes.reviews] == [
        (3, "deck", "q1", 7, 0, "choice", 1, AT, "2026-09-24"),  # already Thursday at UTC+14
        (3, "deck", "q1", 8, 0, "choice", 2, AT + DAY, "2026-09-25"),
        (3, "deck", "q2", 7, 1, "written", 4, AT, "2026-09-24"),
        (4, "deck", "q1", 6, 0, "choice", 3, AT, "2026-09-23"),
    ]
    assert changes.due[(7, 0)] == AT + DAY and changes.due[(8, 0)] > AT + DAY
    assert set(changes.due) == {(7, 0), (8, 0), (7, 1), (6, 0)}
    assert {row[9] for row in changes.reviews} == set(changes.due.values())
    assert graded == {(9, 9), (7, 0), (8, 0), (7, 1), (6, 0)}


def test_grade_cards_goes_on_from_the_stored_card() -> None:
    first = grade_cards([Grading((3, "deck", "q1"), (7, 0), AT, correct=False)], {}, {}, set())
    (row,) = first.cards
    stored = StoredCard(card=row[3], last_rating=1, reviews=5, first_review_at=100, due_at=row[4])
    later = grade_cards([Grading((3, "deck", "q1"), (8, 0), AT + DAY, correct=True)], {(3, "deck", "q1"): stored}, {}, set())
    assert [(*row[:3], *row[5:]) for row in later.cards] == [(3, "deck", "q1", 2, 6, 100, AT + DAY)]  # Hard: missed last time
    good = stored._replace(last_rating=3)
    again = grade_cards([Grading((3, "deck", "q1"), (8, 0), AT + DAY, correct=True)], {(3, "deck", "q1"): good}, {}, set())
    assert again.cards[0][5] == 3  # Good: not missed last time
