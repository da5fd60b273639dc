"""Teams, people and team boards, stats and question stats on the fake Slack, through the real bolt app."""

from __future__ import annotations

import pytest

from bot.engine import QuizEngine
from bot.origin import Origin
from tests.slack.conftest import TEAM, SlackSender
from tests.slack.fake_slack import FakeSlack, Posted
from tests.slack.helpers import best_and_wrong, query


async def _answer_one(slack: SlackSender, engine: QuizEngine, user: str, *, correct: bool = True) -> Posted:
    card = await slack.ask("start", user)
    best, wrong = best_and_wrong(engine, card)
    return await slack.press(best if correct else wrong, user)


def _teams(engine: QuizEngine) -> list[tuple[str, ...]]:
    return query(engine, "SELECT name FROM teams ORDER BY name")


async def test_create_join_answer_and_see_the_team_on_both_boards(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    created = await slack.ask("team create   Graph Nerds ", "U1")
    assert created.body["text"].startswith("Team created: You created Graph Nerds and joined it.")
    joined = await slack.ask("team join graph NERDS", "U2")
    assert joined.body["text"].startswith("Joined: You joined Graph Nerds.")
    await _answer_one(slack, quiz_engine, "U1")
    await _answer_one(slack, quiz_engine, "U2")

    people = await slack.ask("leaderboard", "U1")
    assert people.problems == [] and people.body["response_type"] == "ephemeral"
    assert "*1.* Ada _(you)_: 1 point" in people.all_text and "*1.* Grace: 1 point" in people.all_text  # a tie shares rank 1
    assert "All time" in people.all_text and "equal points share a rank" in people.all_text

    for text in ("leaderboard teams", "leaderboard teams week", "board month team"):
        teams = await slack.ask(text, "U2")
        assert teams.problems == [], text
        assert "*1.* Graph Nerds _(you)_: 2 points · 2 active of 2, 1 per active member" in teams.all_text, text
        assert "points per active member" in teams.all_text
    assert "This week (from Monday 21 Sep 2026)" in (await slack.ask("leaderboard teams week", "U1")).all_text

    listed = await slack.ask("team list", "U1")
    assert "*Graph Nerds* _(yours)_: 2 members, 2 points" in listed.all_text
    shown = await slack.ask("team show", "U2")
    assert "*Graph Nerds*: 2 points · 2 members" in shown.all_text and "• Ada: 1 point" in shown.all_text
    stats = await slack.ask("stats", "U1")
    assert "*Team:* Graph Nerds" in stats.all_text and "This week (from Monday 21 Sep 2026): 1 point" in stats.all_text

    left = await slack.ask("team leave", "U2")
    assert left.body["text"].startswith("Left the team")
    assert "1 member," in (await slack.ask("team list", "U1")).all_text


async def test_only_the_person_who_asked_can_page_a_board(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    for i in range(12):  # twelve people with points: two pages of ten
        origin = Origin(platform="slack", space_id=TEAM, user_id=f"UP{i:02d}", display_name=f"Player {i:02d}")
        card = (await quiz_engine.start(origin)).view
        buttons = card.buttons  # type: ignore[union-attr]
        question = quiz_engine.decks.default.questions[0]
        best = next(b for b in buttons if b.action_id.endswith(f":{question.correct_option.key}"))
        await quiz_engine.handle(origin, best.action_id)
    await _answer_one(slack, quiz_engine, "U1", correct=False)  # on the board with no points: last, on page 2

    board = await slack.ask("leaderboard", "U1")
    assert "Page 1 of 2" in board.all_text
    assert "You: rank 13 of 13, 0 points." in board.all_text  # the asker's own rank in the footer
    assert [b["text"]["text"] for b in board.buttons] == ["Next"]  # Previous is disabled on page 1: Slack shows none

    stranger = await slack.press(board.action_ids[0], "U2")
    assert stranger.body["text"].startswith("This board belongs to someone else")
    assert stranger.body["response_type"] == "ephemeral" and stranger.body["replace_original"] is False

    page_two = await slack.press(board.action_ids[0], "U1")
    assert page_two.body["replace_original"] is True
    assert "Page 2 of 2" in page_two.all_text and "*1.* Player 10: 1 point" in page_two.all_text
    assert "*13.* Ada _(you)_: 0 points" in page_two.all_text and "You: rank" not in page_two.all_text
    assert [b["text"]["text"] for b in page_two.buttons] == ["Previous"]


@pytest.mark.parametrize(
    "name",
    [
        "&lt;!channel&gt;",  # as Slack sends `<!channel>` in slash text
        "<!here>",
        "@here party",
        "&lt;@U2&gt; fans",
        "*bold* team",
        "`code`",
        "~strike~",
        "&lt;https://evil.example|free&gt;",
        "x" * 33,
        "a",
        "   ",
        "",
        "Graph\u202eNerds",  # a bidi override
        "Graph\tNerds",
        "#general",
    ],
)
async def test_a_hostile_or_malformed_team_name_is_refused_and_nothing_changes(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, name: str
) -> None:
    reply = await slack.ask(f"team create {name}", "U1")
    assert reply.problems == []
    assert reply.body["text"].startswith("Team name not accepted"), reply.body["text"]
    assert "Nothing was changed" in reply.body["text"]
    for raw in ("<!channel>", "<!here>", "<@U2>", "<https://"):
        assert raw not in reply.all_text
    assert _teams(quiz_engine) == []


async def test_refusals_for_duplicates_missing_teams_and_leaving_none(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    # Slack sends &, < and > in slash text as entities; the adapter undoes that before the core sees the name.
    assert (await slack.ask("team create R&amp;D Crew", "U1")).body["text"].startswith("Team created")
    assert (await slack.ask("team create r&amp;d crew", "U2")).body["text"].startswith("That name is taken")
    assert (await slack.ask("team join Nobody Here", "U2")).body["text"].startswith("No such team")
    assert (await slack.ask("team leave", "U2")).body["text"].startswith("You're not in a team")
    assert (await slack.ask("team create Second", "U1")).body["text"].startswith("You're already in a team")
    assert (await slack.ask("team show", "U2")).body["text"].startswith("Which team?")
    assert _teams(quiz_engine) == [("R&D Crew",)]
    listed = await slack.ask("team list", "U2")
    assert "*R&amp;D Crew*" in listed.all_text  # shown as text, its & escaped for mrkdwn


async def test_an_unknown_window_gets_a_notice_naming_the_valid_ones(slack: SlackSender, fake: FakeSlack) -> None:
    reply = await slack.ask("leaderboard fortnight", "U1")
    assert reply.body["text"].startswith("Unknown window") and "week, month or all" in reply.body["text"]


async def test_question_stats_are_for_admins(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    fake.add_user("UADMIN", "Root", is_admin=True)
    await _answer_one(slack, quiz_engine, "U1", correct=False)
    await _answer_one(slack, quiz_engine, "U2")
    refused = await slack.ask("stats questions", "U1")
    assert refused.body["text"].startswith("Admins only")
    figures = await slack.ask("stats questions", "UADMIN")
    assert figures.problems == [] and figures.body["response_type"] == "ephemeral"
    assert figures.body["text"].startswith("Question statistics for") and "Q1: 2 people answered · 50% correct" in figures.body["text"]
    assert "fools the most people" in figures.all_text
