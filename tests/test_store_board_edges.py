"""People boards as the store reads them, at their edges: pages clamped at both ends, the asker's standing, empty boards."""

from __future__ import annotations

import pytest

from bot.content import DeckLibrary
from bot.engine import QuizEngine
from bot.store import Store
from bot.store.records import Standing
from tests.conftest import person
from tests.test_engine_edges import button_for, first_card


@pytest.fixture
async def five_people(engine: QuizEngine, decks: DeckLibrary) -> dict[str, int]:
    """p0 and p1 answered the first question right (1 point), p2, p3 and p4 wrong (0); 'lurker' never answered."""
    ids = {}
    for number in range(5):
        origin = person(f"p{number}")
        card = await first_card(engine, origin)
        await engine.handle(origin, button_for(card, decks.default, correct=number < 2))
        person_id = await engine.store.person_id(origin)
        assert person_id is not None
        ids[f"p{number}"] = person_id
    ids["lurker"] = await engine.store.ensure_person(person("lurker"), 1)
    return ids


def rows(board: object) -> list[tuple[int, str, int]]:
    return [(row.rank, row.user_id, row.points) for row in board.rows]  # type: ignore[attr-defined]


async def test_pages_of_a_people_board_rank_ties_together(store: Store, five_people: dict[str, int]) -> None:
    first = await store.people_board("console", "local", "all", 2, 1, "p3")
    assert (first.size, first.page, rows(first)) == (5, 1, [(1, "p0", 1), (1, "p1", 1)])
    assert first.me == Standing(person_id=five_people["p3"], rank=3, points=0)
    second = await store.people_board("console", "local", "all", 2, 2)
    assert (second.page, rows(second), second.me) == (2, [(3, "p2", 0), (3, "p3", 0)], None)
    last = await store.people_board("console", "local", "all", 2, 3, "p0")
    assert (last.page, rows(last)) == (3, [(3, "p4", 0)])
    assert last.me == Standing(person_id=five_people["p0"], rank=1, points=1)


async def test_a_page_before_the_first_or_past_the_last_shows_the_nearest_one(store: Store, five_people: dict[str, int]) -> None:
    for asked, shown in ((0, 1), (-3, 1), (4, 3), (99, 3)):
        board = await store.people_board("console", "local", "all", 2, asked)
        assert board.page == shown, asked
    assert (await store.people_board("console", "local", "all", 5, 2)).page == 1
    whole = await store.people_board("console", "local", "all", 6, 1)
    assert [user for _, user, _ in rows(whole)] == ["p0", "p1", "p2", "p3", "p4"]


async def test_someone_without_points_in_the_window_stands_nowhere_with_zero(store: Store, five_people: dict[str, int]) -> None:
    board = await store.people_board("console", "local", "all", 2, 1, "lurker")
    assert board.me == Standing(person_id=five_people["lurker"], rank=None, points=0)
    assert (await store.people_board("console", "local", "all", 2, 1, "nobody")).me is None
    assert (await store.people_board("console", "elsewhere", "all", 2, 1, "p0")).me is None  # another space's board


async def test_an_empty_board_has_one_empty_page(store: Store, five_people: dict[str, int]) -> None:
    board = await store.people_board("console", "local", "1999-W01", 2, 3, "p0")
    assert (board.size, board.page, board.rows) == (0, 1, ())
    assert board.me == Standing(person_id=five_people["p0"], rank=None, points=0)
