"""Boards, teams and stats: shared ranks, week and month windows in a timezone, paging, team fairness, names."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.actions import AnswerAction, BoardPageAction, decode
from bot.boards import shared_ranks
from bot.content import DeckLibrary
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.store import Store
from bot.teams import NAME_MAX, TeamNameError, normalise_team_name
from bot.views import (
    LeaderboardView,
    Notice,
    QuestionCard,
    QuestionStatsView,
    StatsView,
    TeamListView,
    TeamView,
)
from tests.conftest import FakeClock, QuizDatabase, person

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str, zone: ZoneInfo = BERLIN) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=zone).timestamp()


async def answer_questions(engine: QuizEngine, decks: DeckLibrary, origin: Origin, correct: list[bool]) -> None:
    """Start (or resume) a run and answer the next len(correct) questions, right or wrong as given."""
    reply = await engine.start(origin)
    for want in correct:
        card = reply.view
        assert isinstance(card, QuestionCard), card
        for button in card.buttons:
            action = decode(button.action_id)
            assert isinstance(action, AnswerAction)
            option = decks.default.questions[action.position].option(action.option_key)
            if option is not None and option.correct == want:
                break
        feedback = await engine.handle(origin, button.action_id)
        reply = await engine.handle(origin, feedback.view.buttons[0].action_id)  # type: ignore[union-attr]


def board_of(reply: object) -> LeaderboardView:
    view = reply.view  # type: ignore[attr-defined]
    assert isinstance(view, LeaderboardView), view
    return view


@pytest.fixture
def berlin_engine(store: Store, decks: DeckLibrary, clock: FakeClock) -> QuizEngine:
    return QuizEngine(store, decks, clock=clock, rng=random.Random(3), zone=BERLIN)


def test_shared_ranks_skip_after_ties() -> None:
    assert shared_ranks([5, 4, 4, 3, 3, 3, 1]) == [1, 2, 2, 4, 4, 4, 7]
    assert shared_ranks([]) == []


async def test_people_board_ranks_ties_together_and_states_window_zone_and_rule(berlin_engine: QuizEngine, decks: DeckLibrary) -> None:
    for name, points in [("ann", 3), ("bo", 2), ("cy", 2), ("di", 1)]:
        await answer_questions(berlin_engine, decks, person(name), [True] * points + [False] * (5 - points))
    board = board_of(await berlin_engine.leaderboard(person("ann"), "people", "all"))
    assert [(r.rank, r.name, r.points) for r in board.rows] == [(1, "ann", 3), (2, "bo", 2), (2, "cy", 2), (4, "di", 1)]
    assert board.rows[0].is_asker and board.footer is None
    assert board.window == "All time" and board.timezone == "Europe/Berlin"
    assert "share a rank" in board.ranking_rule and "first time" in board.ranking_rule


async def test_week_starts_monday_midnight_in_the_boards_timezone(berlin_engine: QuizEngine, decks: DeckLibrary, clock: FakeClock) -> None:
    clock.now = at("2026-11-29T23:30:00")  # Sunday night in Berlin (22:30 UTC)
    await answer_questions(berlin_engine, decks, person("late"), [True, True])
    clock.now = at("2026-11-30T00:30:00")  # Monday 00:30 in Berlin, still Sunday in UTC
    await answer_questions(berlin_engine, decks, person("early"), [True])
    week = board_of(await berlin_engine.leaderboard(person("x"), "people", "week"))
    assert [(r.name, r.points) for r in week.rows] == [("early", 1)]
    assert week.window == "This week (from Monday 30 Nov 2026)"
    month = board_of(await berlin_engine.leaderboard(person("x"), "people", "month"))
    assert [(r.name, r.points) for r in month.rows] == [("late", 2), ("early", 1)]
    clock.now = at("2026-12-01T00:00:01")
    december = board_of(await berlin_engine.leaderboard(person("x"), "people", "month"))
    assert december.rows == () and december.window == "This month (December 2026)"
    everything = board_of(await berlin_engine.leaderboard(person("x"), "people", "all"))
    assert [(r.name, r.points) for r in everything.rows] == [("late", 2), ("early", 1)]


async def test_pages_of_ten_with_own_rank_footer_and_buttons_only_the_asker_can_use(berlin_engine: QuizEngine, decks: DeckLibrary) -> None:
    for index in range(23):
        await answer_questions(berlin_engine, decks, person(f"p{index:02d}"), [index % 4 != 0, index % 3 != 0])
    asker = person("p22")
    first = board_of(await berlin_engine.leaderboard(asker))
    assert (first.page, first.pages, len(first.rows)) == (1, 3, 10)
    assert first.footer is not None and first.footer.startswith("You: rank ")
    previous, following = first.buttons
    assert previous.disabled and not following.disabled
    second = await berlin_engine.handle(asker, following.action_id)
    assert second.replace
    second_board = board_of(second)
    assert second_board.page == 2 and len(second_board.rows) == 10
    assert second_board.rows[0].rank <= 11
    third = board_of(await berlin_engine.handle(asker, second_board.buttons[1].action_id))
    assert len(third.rows) == 3 and third.buttons[1].disabled
    all_rows = [*first.rows, *second_board.rows, *third.rows]
    assert [r.points for r in all_rows] == sorted((r.points for r in all_rows), reverse=True)
    assert [r.rank for r in all_rows] == shared_ranks([r.points for r in all_rows])
    stranger = await berlin_engine.handle(person("p01"), following.action_id)
    assert isinstance(stranger.view, Notice) and stranger.view.title == "This board belongs to someone else"


async def test_unknown_window_or_scope_gets_a_notice(berlin_engine: QuizEngine) -> None:
    for scope, window in [("people", "year"), ("pets", "all")]:
        reply = await berlin_engine.leaderboard(person(), scope, window)
        assert isinstance(reply.view, Notice) and reply.view.tone == "warning"
    tampered = BoardPageAction(scope="people", window="all", page=1, asker="0" * 12).encode().replace(":all:", ":year:")
    reply = await berlin_engine.handle(person(), tampered)
    assert isinstance(reply.view, Notice)


async def test_team_board_ranks_by_points_per_active_member_so_small_teams_compete(berlin_engine: QuizEngine, decks: DeckLibrary) -> None:
    await berlin_engine.team_create(person("solo"), "Solo")
    await berlin_engine.team_create(person("b1"), "Big Group")
    for member in ("b2", "b3", "idle"):
        await berlin_engine.team_join(person(member), "big group")
    await answer_questions(berlin_engine, decks, person("solo"), [True, True, True])
    for member in ("b1", "b2", "b3"):
        await answer_questions(berlin_engine, decks, person(member), [True, True])
    board = board_of(await berlin_engine.leaderboard(person("b1"), "teams", "all"))
    assert [(r.rank, r.name, r.points) for r in board.rows] == [(1, "Solo", 3), (2, "Big Group", 6)]
    assert board.rows[1].detail == "3 active of 4, 2 per active member"
    assert board.rows[1].is_asker and "per active member" in board.ranking_rule


async def test_team_commands_refuse_bad_requests_and_change_nothing(berlin_engine: QuizEngine, store: Store) -> None:
    created = await berlin_engine.team_create(person("a"), "  Vector   Search ")
    assert isinstance(created.view, Notice) and created.view.tone == "success" and "Vector Search" in created.view.text
    cases = [
        (berlin_engine.team_create(person("b"), "vector search"), "That name is taken"),
        (berlin_engine.team_create(person("a"), "Another"), "You're already in a team"),
        (berlin_engine.team_join(person("b"), "Nope"), "No such team"),
        (berlin_engine.team_leave(person("b")), "You're not in a team"),
        (berlin_engine.team_create(person("b"), "   "), "Team name not accepted"),
        (berlin_engine.team_create(person("b"), "@everyone"), "Team name not accepted"),
        (berlin_engine.team_create(person("b"), "x" * (NAME_MAX + 1)), "Team name not accepted"),
    ]
    for call, title in cases:
        reply = await call
        assert isinstance(reply.view, Notice) and reply.view.title == title
    teams = (await berlin_engine.team_list(person("b"))).view
    assert isinstance(teams, TeamListView) and [(t.name, t.members) for t in teams.teams] == [("Vector Search", 1)]
    joined = await berlin_engine.team_join(person("b"), "VECTOR search")
    assert isinstance(joined.view, Notice) and joined.view.title == "Joined"
    shown = (await berlin_engine.team_show(person("b"))).view
    assert isinstance(shown, TeamView) and {m.name for m in shown.members} == {"a", "b"}
    left = await berlin_engine.team_leave(person("a"))
    assert isinstance(left.view, Notice) and left.view.title == "Left the team"


@pytest.mark.parametrize(
    "hostile",
    [
        "@everyone",
        "@here",
        "<!channel>",
        "<@123456>",
        "<#C123>",
        "**bold**",
        "`code`",
        "[link](http://x)",
        "a|b",
        "line\nbreak",
        "\u202etxet",
        "",
    ],
)
def test_markup_and_mention_names_are_refused(hostile: str) -> None:
    with pytest.raises(TeamNameError):
        normalise_team_name(hostile)


@given(st.text(max_size=60))
def test_any_name_is_refused_clearly_or_normalised_to_safe_plain_text(raw: str) -> None:
    try:
        name = normalise_team_name(raw)
    except TeamNameError as error:
        assert str(error)
        return
    assert 2 <= len(name) <= NAME_MAX
    assert name == name.strip() and "  " not in name
    assert not set(name) & set("@#<>*_~`|:[]\\\n\r\t")
    assert normalise_team_name(name) == name


async def test_stats_figures_on_a_known_data_set(berlin_engine: QuizEngine, decks: DeckLibrary) -> None:
    me = person("me")
    await berlin_engine.team_create(me, "Readers")
    await answer_questions(berlin_engine, decks, me, [True, False, True, False, True])  # first run: 3 points
    await answer_questions(berlin_engine, decks, me, [False, False])  # replay: practice
    stats = (await berlin_engine.stats(me)).view
    assert isinstance(stats, StatsView)
    assert (stats.points, stats.answers, stats.team) == (3, 7, "Readers")
    assert [(d.answered, d.total, d.runs_finished) for d in stats.decks] == [(5, 5, 1)]
    accuracy = {t.topic: (t.correct, t.answered) for t in stats.topics}
    assert accuracy["Retrieval architecture"] == (1, 2) and accuracy["ANN indexes"] == (0, 2)
    assert stats.weakest_topic == "ANN indexes"
    assert [w.points for w in stats.windows] == [3, 3, 3]


async def test_question_stats_show_shares_for_admins_only(berlin_engine: QuizEngine, decks: DeckLibrary) -> None:
    for name, first in [("a", True), ("b", False), ("c", False), ("d", True)]:
        await answer_questions(berlin_engine, decks, person(name), [first])
    refused = await berlin_engine.question_stats(person("a"))
    assert isinstance(refused.view, Notice) and refused.view.title == "Admins only"
    admin = Origin(platform="console", space_id="local", user_id="boss", display_name="boss", is_admin=True)
    view = (await berlin_engine.question_stats(admin)).view
    assert isinstance(view, QuestionStatsView)
    first = view.questions[0]
    assert first.answered == 4 and first.correct_share == 0.5
    assert sum(o.picks for o in first.options) == 4
    assert sum(o.top_wrong for o in first.options) == 1
    assert view.questions[1].answered == 0


async def test_team_names_for_autocomplete_match_a_prefix_ignoring_case(berlin_engine: QuizEngine) -> None:
    for user, name in [("a", "Vector Search"), ("b", "vectorised"), ("c", "Ranking Club")]:
        await berlin_engine.team_create(person(user), name)
    assert await berlin_engine.team_names(person("z"), "VEC") == ["Vector Search", "vectorised"]
    assert await berlin_engine.team_names(person("z"), "") == ["Ranking Club", "Vector Search", "vectorised"]
    assert await berlin_engine.team_names(person("z", space="elsewhere"), "") == []


async def test_running_aggregates_agree_with_a_recount_from_the_answers(
    berlin_engine: QuizEngine, decks: DeckLibrary, database: QuizDatabase
) -> None:
    rng = random.Random(5)
    await berlin_engine.team_create(person("t0"), "Alpha")
    await berlin_engine.team_create(person("t1"), "Beta")
    for index in range(12):
        origin = person(f"p{index}")
        if index % 3:
            await berlin_engine.team_join(origin, rng.choice(["Alpha", "Beta"]))
        await answer_questions(berlin_engine, decks, origin, [rng.random() < 0.6 for _ in range(rng.randint(1, 5))])
        if index == 7:
            await berlin_engine.team_leave(origin)
    histogram = await database.rows(
        "SELECT platform, space_id, period, points, people FROM points_histogram WHERE people != 0 ORDER BY 1, 2, 3, 4"
    )
    recount = await database.rows(
        "SELECT platform, space_id, period, points, COUNT(*) FROM score_totals GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    )
    assert histogram == recount
    totals = await database.rows("SELECT person_id, SUM(points), COUNT(*) FROM answers GROUP BY person_id ORDER BY 1")
    assert totals == await database.rows("SELECT person_id, points, answers FROM score_totals WHERE period = 'all' ORDER BY 1")
    members = await database.rows("SELECT t.members, (SELECT COUNT(*) FROM team_members m WHERE m.team_id = t.team_id) FROM teams t")
    assert members and all(kept == counted for kept, counted in members)
    board = board_of(await berlin_engine.leaderboard(person("p0")))
    assert [r.rank for r in board.rows] == shared_ranks([r.points for r in board.rows])
