"""The store contract, on SQLite and on PostgreSQL: migrations, 'recorded once' holding in the database under
concurrency (several stores on one database stand for several processes), grouped writes, boards."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.actions import decode
from bot.content import DeckLibrary
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.store import MIGRATIONS, SCHEMA_VERSION, AnswerKey, SchemaTooNewError, SQLiteStore, Store
from bot.store.migrations import _statements
from bot.store.postgres.migrations import MIGRATIONS as PG_MIGRATIONS
from bot.store.postgres.migrations import VERSION_TABLE
from bot.views import AnswerFeedback, Notice, QuestionCard
from tests.conftest import QuizDatabase, person


def integrity_errors() -> tuple[type[Exception], ...]:
    import asyncpg

    return (sqlite3.IntegrityError, asyncpg.UniqueViolationError)


def test_both_stores_have_the_same_migrations_in_order() -> None:
    assert len(PG_MIGRATIONS) == len(MIGRATIONS) == SCHEMA_VERSION


async def test_migrates_a_new_database_and_reopens_without_migrating_again(new_database: Callable[[], Awaitable[QuizDatabase]]) -> None:
    database = await new_database()
    store = await database.open()
    try:
        assert await store.schema_version() == SCHEMA_VERSION  # type: ignore[attr-defined]
        person_id = await store.ensure_person(person("kept"), at=1)
    finally:
        await store.close()
    store = await database.open()
    try:
        assert await store.schema_version() == SCHEMA_VERSION  # type: ignore[attr-defined]
        assert await store.person_id(person("kept")) == person_id
    finally:
        await store.close()
    if database.kind == "sqlite":
        assert await database.value("PRAGMA journal_mode") == "wal"
        tables = {row[0] for row in await database.rows("SELECT name FROM sqlite_master WHERE type = 'table'")}
    else:
        tables = {row[0] for row in await database.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
    assert {"people", "runs", "answers", "first_answers"} <= tables


async def test_refuses_a_database_from_a_newer_version(new_database: Callable[[], Awaitable[QuizDatabase]]) -> None:
    database = await new_database()
    await (await database.open()).close()
    if database.kind == "sqlite":
        await database.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    else:
        await database.execute(f"UPDATE {VERSION_TABLE} SET version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaTooNewError):
        await database.open()


async def test_database_itself_rejects_a_second_answer_to_one_question(engine: QuizEngine, database: QuizDatabase) -> None:
    card = (await engine.start(person())).view
    assert isinstance(card, QuestionCard)
    await engine.handle(person(), card.buttons[0].action_id)
    with pytest.raises(integrity_errors()):
        await database.execute(
            "INSERT INTO answers (run_id, position, person_id, deck_id, question_id, option_key, correct, points, answered_at)"
            " SELECT run_id, position, person_id, deck_id, question_id, option_key, correct, points, answered_at FROM answers"
        )


async def test_200_concurrent_clicks_on_one_question_record_one_answer(engine: QuizEngine, store: Store) -> None:
    origin = person("clicker")
    card = (await engine.start(origin)).view
    assert isinstance(card, QuestionCard)
    buttons = [card.buttons[i % 4].action_id for i in range(200)]
    replies = await asyncio.gather(*(engine.handle(origin, b) for b in buttons))
    feedback = [r for r in replies if isinstance(r.view, AnswerFeedback)]
    notices = [r for r in replies if isinstance(r.view, Notice)]
    assert len(feedback) == 1 and len(notices) == 199
    assert all(n.view.title == "Already answered" for n in notices)  # type: ignore[union-attr]
    run_id = decode(buttons[0]).run_id  # type: ignore[attr-defined]
    assert len(await store.run_answers(run_id)) == 1


async def test_200_concurrent_answers_across_two_stores_on_one_database_each_count_once(database: QuizDatabase, decks: DeckLibrary) -> None:
    # Two stores on one database stand for two bot processes sharing it.
    store_a, store_b = await database.open(), await database.open()
    try:
        engine_a, engine_b = QuizEngine(store_a, decks), QuizEngine(store_b, decks)
        origins = [person(f"user{i}") for i in range(100)]
        cards = [(await engine_a.start(o)).view for o in origins]
        tasks = []
        for origin, card in zip(origins, cards, strict=True):
            assert isinstance(card, QuestionCard)
            correct = next(b.action_id for b in card.buttons if decks.default.questions[0].option(decode(b.action_id).option_key).correct)  # type: ignore[attr-defined,union-attr]
            tasks += [engine_a.handle(origin, correct), engine_b.handle(origin, correct)]
        replies = await asyncio.gather(*tasks)
    finally:
        await store_a.close()
        await store_b.close()
    assert sum(isinstance(r.view, AnswerFeedback) for r in replies) == 100
    assert await database.rows("SELECT COUNT(*), SUM(points) FROM answers") == [(100, 100)]
    assert await database.value("SELECT COUNT(*) FROM first_answers") == 100
    assert await database.rows("SELECT SUM(points), SUM(answers) FROM score_totals WHERE period = 'all'") == [(100, 100)]
    assert await database.rows("SELECT points, people FROM points_histogram WHERE period = 'all' AND people != 0") == [(1, 100)]
    if database.kind == "sqlite":
        assert await database.value("PRAGMA integrity_check") == "ok"


async def test_racing_starts_share_one_open_run(engine: QuizEngine) -> None:
    origin = person("racer")
    cards = [r.view for r in await asyncio.gather(*(engine.start(origin) for _ in range(20)))]
    run_ids = {decode(c.buttons[0].action_id).run_id for c in cards}  # type: ignore[union-attr,attr-defined]
    assert len(run_ids) == 1


# Grouped answer writes ---------------------------------------------------------------------------

TABLES_KEPT_BY_ANSWERS = {
    "answers": "SELECT run_id, position, person_id, question_id, option_key, correct, points, answered_at FROM answers",
    "first_answers": "SELECT f.person_id, f.question_id, a.run_id, a.position FROM first_answers f JOIN answers a USING (answer_id)",
    "runs": "SELECT run_id, person_id, finished_at FROM runs",
    "score_totals": "SELECT person_id, period, points, answers FROM score_totals",
    "points_histogram": "SELECT platform, space_id, period, points, people FROM points_histogram WHERE people != 0",
    "team_member_periods": "SELECT team_id, period, person_id, points FROM team_member_periods",
    "team_totals": "SELECT team_id, period, points, active_members FROM team_totals",
}


async def _play_everyone(engine: QuizEngine, decks: DeckLibrary, together: bool) -> None:
    """Twelve people (eight in teams) play two runs each, double-clicking each first click; in turn or all at once."""
    origins = [person(f"p{i}") for i in range(12)]
    await engine.team_create(person("captain"), "Alpha")
    for origin in origins[:8]:
        await engine.team_join(origin, "Alpha")

    async def play(index: int, origin: Origin) -> None:
        for run in range(2):  # the second run is practice: replays score nothing
            card = (await engine.start(origin)).view
            while isinstance(card, QuestionCard):
                # Pick by option key, not by button: plans are shuffled in whatever order the runs start.
                keys = sorted(decode(b.action_id).option_key for b in card.buttons)  # type: ignore[attr-defined]
                pick = keys[(index + run + card.position) % len(keys)]
                button = next(b.action_id for b in card.buttons if decode(b.action_id).option_key == pick)  # type: ignore[attr-defined]
                replies = await asyncio.gather(engine.handle(origin, button), engine.handle(origin, button))
                feedback = next(r.view for r in replies if isinstance(r.view, AnswerFeedback))
                card = (await engine.handle(origin, feedback.buttons[0].action_id)).view

    if together:
        await asyncio.gather(*(play(i, o) for i, o in enumerate(origins)))
    else:
        for index, origin in enumerate(origins):
            await play(index, origin)


async def _tables(database: QuizDatabase) -> dict[str, list[tuple[object, ...]]]:
    return {name: sorted(await database.rows(sql)) for name, sql in TABLES_KEPT_BY_ANSWERS.items()}


async def test_clicks_recorded_together_keep_every_total_as_clicks_one_by_one_do(
    new_database: Callable[[], Awaitable[QuizDatabase]], decks: DeckLibrary
) -> None:
    tables = []
    for together in (False, True):
        database = await new_database()
        store = await database.open()
        try:
            await _play_everyone(QuizEngine(store, decks, clock=lambda: 1_790_000_000.0, rng=random.Random(7)), decks, together)
        finally:
            await store.close()
        tables.append(await _tables(database))
    one_by_one, together = tables
    assert len(together["answers"]) == 12 * 2 * len(decks.default.questions)
    for name in TABLES_KEPT_BY_ANSWERS:
        if name in ("answers", "first_answers", "runs"):  # run ids follow the order the runs started in
            assert len(together[name]) == len(one_by_one[name]), name
        else:
            assert together[name] == one_by_one[name], name
    assert sum(row[6] for row in together["answers"]) == sum(row[6] for row in one_by_one["answers"])


async def test_a_grouped_click_that_fails_fails_alone(engine: QuizEngine, store: Store) -> None:
    cards = {}
    for name in ("a", "b", "c"):
        card = (await engine.start(person(name))).view
        assert isinstance(card, QuestionCard)
        cards[name] = decode(card.buttons[0].action_id)

    class BrokenKey(dict):  # type: ignore[type-arg]
        """An answer key that cannot be read: the click checked against it fails, and only that click."""

        def get(self, *_: object) -> None:
            raise RuntimeError("answer key unreadable")

    def key_of(name: str) -> AnswerKey:
        return BrokenKey() if name == "b" else engine.answer_key

    outcomes = await asyncio.gather(
        *(
            store.answer_click(cards[n].run_id, ("console", "local", n), 0, cards[n].option_key, key_of(n), 1, ("all",))  # type: ignore[attr-defined]
            for n in ("a", "b", "c")
        ),
        return_exceptions=True,
    )
    assert [o.status if not isinstance(o, BaseException) else str(o) for o in outcomes] == ["recorded", "answer key unreadable", "recorded"]
    assert [len(await store.run_answers(cards[n].run_id)) for n in ("a", "b", "c")] == [1, 0, 1]  # type: ignore[attr-defined]


async def test_team_totals_from_before_version_6_get_their_board_and_average(new_database: Callable[[], Awaitable[QuizDatabase]]) -> None:
    database = await new_database()
    if database.kind == "sqlite":
        statements = [statement for script in MIGRATIONS[:5] for statement in _statements(script)] + ["PRAGMA user_version = 5"]
    else:
        statements = [
            f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)",
            f"INSERT INTO {VERSION_TABLE} VALUES (5)",
            *PG_MIGRATIONS[:5],
        ]
    statements.append(
        "INSERT INTO people (person_id, platform, space_id, user_id, display_name, created_at) VALUES (1, 'slack', 'T1', 'U1', 'a', 0)"
    )
    for team_id, name, points, active in [(1, "Alpha", 7, 3), (2, "Beta", 2, 1), (3, "Gamma", 4, 2)]:
        statements.append(
            "INSERT INTO teams (team_id, platform, space_id, name, name_key, created_by, created_at) "
            f"VALUES ({team_id}, 'slack', 'T1', '{name}', '{name.casefold()}', 1, 0)"
        )
        statements.append(
            f"INSERT INTO team_totals (team_id, period, points, active_members) VALUES ({team_id}, 'all', {points}, {active})"
        )
    await database.execute(*statements)
    store = await database.open()
    try:
        page = await store.team_page("slack", "T1", "all", 10, 0)  # type: ignore[attr-defined]
        assert [(rank, team.name) for rank, team in page] == [
            (1, "Alpha"),
            (2, "Gamma"),
            (2, "Beta"),
        ]  # ties by average share a rank, more points first
        assert await store.active_team_count("slack", "T1", "all") == 3  # type: ignore[attr-defined]
        assert await store.team_standing("Gamma", "slack", "T1", "all") == (2, 2.0)  # type: ignore[attr-defined]
    finally:
        await store.close()
    assert await database.rows("SELECT team_id, platform, space_id, average FROM team_totals ORDER BY 1") == [
        (1, "slack", "T1", 2.33),
        (2, "slack", "T1", 2.0),
        (3, "slack", "T1", 2.0),
    ]


async def test_every_page_of_a_board_with_big_ties_matches_a_full_sort(store: Store, database: QuizDatabase) -> None:
    rng = random.Random(3)
    points = [rng.choice([0, 0, 0, 1, 1, 2, 5]) for _ in range(53)]
    statements = []
    for index, total in enumerate(points, start=1):
        statements.append(f"INSERT INTO people VALUES ({index}, 'console', 'local', 'u{index}', 'user {index}', 0)")
        statements.append(f"INSERT INTO score_totals VALUES ({index}, 'all', 'console', 'local', {total}, 1)")
    statements.append(
        "INSERT INTO points_histogram SELECT platform, space_id, period, points, COUNT(*) FROM score_totals GROUP BY 1, 2, 3, 4"
    )
    await database.execute(*statements)
    expected = sorted(((-total, index) for index, total in enumerate(points, start=1)))
    for limit in (5, 10):
        for offset in range(0, 60):
            page = await store.people_page("console", "local", "all", limit, offset)  # type: ignore[attr-defined]
            assert [(-row.points, row.person_id) for row in page] == expected[offset : offset + limit], (limit, offset)
            for row in page:
                assert row.rank == 1 + sum(total > row.points for total in points)


async def test_a_read_after_the_store_closed_fails_at_once_instead_of_waiting_forever(database: QuizDatabase) -> None:
    import asyncpg

    store = await database.open()
    await store.close()
    with pytest.raises((sqlite3.ProgrammingError, asyncpg.InterfaceError)):
        await asyncio.wait_for(store.person_id(person("late")), timeout=10)


async def test_people_are_told_apart_by_their_exact_ids_even_when_one_holds_a_nul(db_path: Path) -> None:
    """SQLite: the batched lookup goes through JSON, which cuts text at a NUL: such a key must never match another person.
    (PostgreSQL cannot store a NUL in text at all.)"""
    store = await SQLiteStore.open(db_path)
    plain = Origin(platform="slack", space_id="T1", user_id="U1", display_name="Plain")
    tricky = Origin(platform="slack", space_id="T1", user_id="U1\x00B", display_name="Tricky")
    first = await store.ensure_person(plain, 0)
    ids = await asyncio.gather(store.ensure_person(tricky, 1), store.ensure_person(plain, 2), store.ensure_person(tricky, 3))
    assert ids[1] == first and ids[0] == ids[2] != first
    renamed = await store.ensure_person(plain.model_copy(update={"display_name": "Renamed"}), 4)
    assert renamed == first
    await store.close()
    with sqlite3.connect(db_path) as raw:
        names = dict(raw.execute("SELECT user_id, display_name FROM people").fetchall())
    assert names == {"U1": "Renamed", "U1\x00B": "Tricky"}


async def test_version_7_rekeys_teams_by_look_alike_and_the_older_keeps_the_name_on_both_stores(
    new_database: Callable[[], Awaitable[QuizDatabase]],
) -> None:
    from bot.teams import team_name_key

    database = await new_database()
    if database.kind == "sqlite":
        statements = [statement for script in MIGRATIONS[:6] for statement in _statements(script)] + ["PRAGMA user_version = 6"]
    else:
        statements = [
            f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)",
            f"INSERT INTO {VERSION_TABLE} VALUES (6)",
            *PG_MIGRATIONS[:6],
        ]
    statements.append(
        "INSERT INTO people (person_id, platform, space_id, user_id, display_name, created_at) VALUES (1, 'console', 'local', 'a', 'a', 0)"
    )
    for team_id, space, name in [
        (1, "local", "Team"),
        (2, "local", "\u0422\u0435am"),
        (3, "local", "Mango"),
        (4, "other", "\u0422\u0435am"),
    ]:
        statements.append(
            "INSERT INTO teams (team_id, platform, space_id, name, name_key, created_by, created_at) "
            f"VALUES ({team_id}, 'console', '{space}', '{name}', '{name.casefold()}', 1, 0)"
        )
    await database.execute(*statements)
    store = await database.open()
    await store.close()
    keys = dict(await database.rows("SELECT team_id, name_key FROM teams"))
    team = team_name_key("Team")
    assert keys == {1: team, 2: team + "#2", 3: team_name_key("Mango"), 4: team}  # the older "Team" keeps the key
