"""Team boards and team changes as the store reads and writes them, on both stores: pages, the asker's team off the
page, and what each team command returns."""

from __future__ import annotations

import pytest

from bot.content import DeckLibrary
from bot.engine import QuizEngine
from bot.store import Store
from bot.store.records import TeamChange
from bot.views import Notice
from tests.conftest import person
from tests.test_boards import answer_questions


@pytest.fixture
async def three_teams(engine: QuizEngine, decks: DeckLibrary) -> None:
    """Alpha: p0 with 3 points (3 a member). Beta: p1 with 1 and p2 with 2 (1.5). Gamma: p3 with 1 (1)."""
    for number, (team, right) in enumerate([("Alpha", 3), ("Beta", 1), ("Beta", 2), ("Gamma", 1)]):
        origin = person(f"p{number}")
        created = (await engine.team_create(origin, team)).view
        assert isinstance(created, Notice)
        if created.title != "Team created":
            assert (await engine.team_join(origin, team)).view.title == "Joined"  # type: ignore[union-attr]
        await answer_questions(engine, decks, origin, [True] * right)


def ranked(board: object) -> list[tuple[int, str]]:
    return ranked_rows(board.ranked)  # type: ignore[attr-defined]


def ranked_rows(rows: object) -> list[tuple[int, str]]:
    return [(rank, team.name) for rank, team in rows]  # type: ignore[attr-defined]


async def test_each_page_of_a_team_board_shows_its_own_team(store: Store, three_teams: None) -> None:
    pages = [await store.team_board("console", "local", "all", 1, page) for page in (1, 2, 3)]
    assert [ranked(board) for board in pages] == [[(1, "Alpha")], [(2, "Beta")], [(3, "Gamma")]]
    assert [(board.size, board.page) for board in pages] == [(3, 1), (3, 2), (3, 3)]
    # The tests' window on any offset of the board (the app reads whole pages): as long as asked, from where asked.
    assert ranked_rows(await store.team_page("console", "local", "all", 2, 1)) == [(2, "Beta"), (3, "Gamma")]  # type: ignore[attr-defined]
    assert ranked_rows(await store.team_page("console", "local", "all", 1, 0)) == [(1, "Alpha")]  # type: ignore[attr-defined]


async def test_the_askers_team_off_the_page_comes_with_its_rank_and_average(store: Store, three_teams: None) -> None:
    first = await store.team_board("console", "local", "all", 1, 1, "p2")
    assert (ranked(first), first.my_team, first.my_standing) == ([(1, "Alpha")], "Beta", (2, 1.5))
    on_page = await store.team_board("console", "local", "all", 1, 2, "p1")
    assert (on_page.my_team, on_page.my_standing) == ("Beta", None)  # shown in the rows already
    last = await store.team_board("console", "local", "all", 2, 1, "p3")
    assert (ranked(last), last.my_team, last.my_standing) == ([(1, "Alpha"), (2, "Beta")], "Gamma", (3, 1.0))


async def test_every_team_change_names_the_team_it_concerns(engine: QuizEngine, store: Store) -> None:
    founder = await store.ensure_person(person("founder"), 1)
    joiner = await store.ensure_person(person("joiner"), 1)
    assert await store.create_team(founder, "console", "local", "Vector Search", "vector search", 1) == TeamChange(
        status="ok", team="Vector Search"
    )
    assert await store.create_team(founder, "console", "local", "Other", "other", 2) == TeamChange(
        status="already_in_team", team="Vector Search"
    )
    assert await store.join_team(joiner, "console", "local", "vector search", 3) == TeamChange(status="ok", team="Vector Search")
    assert await store.join_team(joiner, "console", "local", "vector search", 4) == TeamChange(
        status="already_in_team", team="Vector Search"
    )
    assert await store.create_team(joiner, "console", "local", "Vector Search", "vector search", 5) == TeamChange(
        status="already_in_team", team="Vector Search"
    )
    # As people read it: the team they are in, and how to leave it.
    refused = (await engine.team_join(person("joiner"), "Ranking Club")).view
    assert refused == Notice(
        tone="warning", title="You're already in a team", text="You are in Vector Search. Leave it first with `team leave`."
    )
