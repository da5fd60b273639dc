"""Teams, boards and stats on the fake Discord: create and join, both boards, paging only by the asker, the own-rank footer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.engine import QuizEngine
from bot.origin import Origin
from tests.discord.conftest import running_bot
from tests.discord.fake_discord import EPHEMERAL, GUILD_ID, MANAGE_GUILD, FakeDiscord, user_payload
from tests.discord.test_bot import custom_ids, embed, labels, start_card

ALICE = user_payload("1600000000000000001", "alice", global_name="Alice")
BOB = user_payload("1600000000000000002", "bob", global_name="Bob")


async def shown(fake: FakeDiscord, user: dict[str, Any], sub: str, options: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    return await fake.delivered(await fake.slash(user, sub, options, **kw))


def correct_button(engine: QuizEngine, card: dict[str, Any]) -> str:
    """The custom_id of the best answer on a first question card (runs keep the deck's question order)."""
    key = engine.decks.default.questions[0].correct_option.key
    return next(c for c in custom_ids(card) if c.endswith(f":0:{key}"))


async def answer_first_question_right(fake: FakeDiscord, engine: QuizEngine, user: dict[str, Any]) -> None:
    card = await start_card(fake, user)
    await fake.answered(await fake.click(user, card, correct_button(engine, card)))


async def test_a_team_is_created_joined_and_shown_on_both_boards(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path) as client:
        created = await shown(fake, ALICE, "team create", {"name": "Vector Fans"})
        suggestions = await fake.delivered(await fake.autocomplete(BOB, "team join", {"name": "vec"}, focused="name"))
        joined = await shown(fake, BOB, "team join", {"name": "vector fans"})
        for user in (ALICE, BOB):
            await answer_first_question_right(fake, client.engine, user)
        people = await shown(fake, ALICE, "leaderboard", {"board": "people", "window": "week"})
        teams = await shown(fake, BOB, "leaderboard", {"board": "teams", "window": "all"})
        team = await shown(fake, BOB, "team show")
        listing = await shown(fake, ALICE, "team list")
        left = await shown(fake, BOB, "team leave")
        not_in_one = await shown(fake, BOB, "team leave")
    for message in (created, joined, people, teams, team, listing, left, not_in_one):
        assert message["flags"] & EPHEMERAL
    assert embed(created)["title"] == "Team created" and embed(joined)["title"] == "Joined"
    assert suggestions == {"choices": [{"name": "Vector Fans", "value": "Vector Fans"}]}
    board = embed(people)
    assert board["title"] == "Leaderboard: people"
    assert "**1.** Alice: 1 point" in board["description"] and "**1.** Bob: 1 point" in board["description"]
    assert any(f["name"] == "Window" and f["value"].startswith("This week") and "UTC" in f["value"] for f in board["fields"])
    team_board = embed(teams)
    assert team_board["title"] == "Leaderboard: teams"
    assert team_board["description"] == "**1.** Vector Fans: 2 points (2 active of 2, 1 per active member) ← you"
    assert any(f["name"] == "How ranks are counted" and "per active member" in f["value"] for f in team_board["fields"])
    assert embed(team)["title"] == "Team Vector Fans" and "Alice: 1 point" in embed(team)["description"]
    assert "← your team" in embed(listing)["description"]
    assert embed(left)["title"] == "Left the team" and embed(not_in_one)["title"] == "You're not in a team"


async def test_a_team_name_with_mention_or_markup_syntax_is_refused_and_nothing_changes(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path):
        refused = [await shown(fake, ALICE, "team create", {"name": name}) for name in ("@everyone", "**bold**", "   ", "x" * 40)]
        missing = await shown(fake, ALICE, "team join", {"name": "Nobody"})
        in_dm = await shown(fake, ALICE, "team create", {"name": "Loners"}, guild=False)
        listing = await shown(fake, ALICE, "team list")
    assert all(embed(m)["title"] == "Team name not accepted" for m in refused)
    assert embed(in_dm)["title"] == "Teams are for servers"
    assert embed(missing)["title"] == "No such team"
    assert embed(listing)["description"].startswith("No teams yet")


async def seed_people(engine: QuizEngine, count: int) -> None:
    """`count` people with one point each, answered through the engine as a click would be."""
    key = engine.decks.default.questions[0].correct_option.key
    for i in range(count):
        origin = Origin(platform="discord", space_id=GUILD_ID, user_id=f"17000000000000000{i:02d}", display_name=f"Learner {i:02d}")
        card = (await engine.start(origin)).view
        run_id = card.buttons[0].action_id.split(":")[2]  # type: ignore[union-attr]
        await engine.handle(origin, f"rq1:a:{run_id}:0:{key}")


async def test_only_the_asker_can_page_and_their_own_rank_is_in_the_footer(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path) as client:
        await seed_people(client.engine, 12)
        card = await start_card(fake, ALICE)
        wrong = next(c for c in custom_ids(card) if c != correct_button(client.engine, card))
        await fake.answered(await fake.click(ALICE, card, wrong))  # Alice: on the board with 0 points, last
        first = await shown(fake, ALICE, "leaderboard")
        next_id = custom_ids(first)[1]
        stranger = await fake.answered(await fake.click(BOB, first, next_id))
        paged = await fake.answered(await fake.click(ALICE, first, next_id))
    page_one = embed(first)
    assert labels(first) == ["Previous", "Next"]
    assert [b["disabled"] for row in first["components"] for b in row["components"]] == [True, False]
    assert ("Page", "1 / 2") in [(f["name"], f["value"]) for f in page_one["fields"]]
    assert page_one["footer"]["text"].startswith("You: rank 13 of 13")
    assert "Alice" not in page_one["description"]
    # Bob's click on Alice's board: a private notice, and her board stays as it was.
    assert stranger.json["type"] == 4 and stranger.json["data"]["flags"] & EPHEMERAL
    assert embed(stranger.json["data"])["title"] == "This board belongs to someone else"
    # Alice's click: page 2 replaces page 1 in place, with her row marked and no footer needed.
    assert paged.json["type"] == 7
    page_two = embed(paged.json["data"])
    assert "Alice: 0 points ← you" in page_two["description"] and "footer" not in page_two
    assert ("Page", "2 / 2") in [(f["name"], f["value"]) for f in page_two["fields"]]


async def test_stats_questions_are_for_admins_and_stats_show_windows(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path) as client:
        await answer_first_question_right(fake, client.engine, ALICE)
        refused = await shown(fake, ALICE, "stats", {"show": "questions"})
        figures = await shown(fake, ALICE, "stats", {"show": "questions"}, permissions=MANAGE_GUILD)
        mine = await shown(fake, ALICE, "stats")
    assert embed(refused)["title"] == "Admins only"
    table = embed(figures)
    assert table["title"].startswith("Question stats · ")
    assert table["fields"][0]["name"].startswith("1. ") and "1 answered, 100% correct" in table["fields"][0]["name"]
    assert "✓ 100% (1)" in table["fields"][0]["value"]
    fields = {f["name"]: f["value"] for f in embed(mine)["fields"]}
    assert "1 / 5 completed" in next(v for v in fields.values() if "completed" in v)
    assert fields["Points by window (UTC)"].endswith("All time: 1")


async def test_timezone_suggestions_come_from_the_zone_database(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path):
        typed = await fake.autocomplete(ALICE, "daily set", {"time": "09:00", "timezone": "europe/ber"}, focused="timezone")
        suggestions = await fake.delivered(typed)
    assert suggestions["choices"][0] == {"name": "Europe/Berlin", "value": "Europe/Berlin"}
    assert len(suggestions["choices"]) <= 25
