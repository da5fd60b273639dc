"""The SQLite store: migrations, WAL, and 'recorded once' holding in the database under concurrency."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from pathlib import Path

import pytest

from bot.actions import decode
from bot.content import DeckLibrary
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.store import MIGRATIONS, SCHEMA_VERSION, AnswerKey, SchemaTooNewError, SQLiteStore
from bot.store.migrations import _statements
from bot.views import AnswerFeedback, Notice, QuestionCard
from tests.conftest import person


async def test_migrates_an_empty_file_and_reopens_without_migrating_again(db_path: Path) -> None:
    async with await SQLiteStore.open(db_path) as store:
        assert await store.schema_version() == SCHEMA_VERSION
        person_id = await store.ensure_person(person("kept"), at=1)
    async with await SQLiteStore.open(db_path) as store:
        assert await store.schema_version() == SCHEMA_VERSION
        assert await store.person_id(person("kept")) == person_id
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"people", "runs", "answers", "first_answers"} <= tables


async def test_refuses_a_database_from_a_newer_version(db_path: Path) -> None:
    with sqlite3.connect(db_path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaTooNewError):
        await SQLiteStore.open(db_path)


async def test_database_itself_rejects_a_second_answer_to_one_question(store: SQLiteStore, engine: QuizEngine, db_path: Path) -> None:
    card = (await engine.start(person())).view
    assert isinstance(card, QuestionCard)
    await engine.handle(person(), card.buttons[0].action_id)
    with sqlite3.connect(db_path) as raw, pytest.raises(sqlite3.IntegrityError):
        raw.execute(
            "INSERT INTO answers (run_id, position, person_id, deck_id, question_id, option_key, correct, points, answered_at)"
            " SELECT run_id, position, person_id, deck_id, question_id, option_key, correct, points, answered_at FROM answers"
        )


async def test_200_concurrent_clicks_on_one_question_record_one_answer(engine: QuizEngine, store: SQLiteStore) -> None:
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


async def test_200_concurrent_answers_across_two_stores_on_one_file_each_count_once(db_path: Path, decks: DeckLibrary) -> None:
    # Two stores on one file stand for two bot processes sharing the database.
    async with await SQLiteStore.open(db_path) as store_a, await SQLiteStore.open(db_path) as store_b:
        engine_a, engine_b = QuizEngine(store_a, decks), QuizEngine(store_b, decks)
        origins = [person(f"user{i}") for i in range(100)]
        cards = [(await engine_a.start(o)).view for o in origins]
        tasks = []
        for origin, card in zip(origins, cards, strict=True):
            assert isinstance(card, QuestionCard)
            correct = next(b.action_id for b in card.buttons if decks.default.questions[0].option(decode(b.action_id).option_key).correct)  # type: ignore[attr-defined,union-attr]
            tasks += [engine_a.handle(origin, correct), engine_b.handle(origin, correct)]
        replies = await asyncio.gather(*tasks)
    assert sum(isinstance(r.view, AnswerFeedback) for r in replies) == 100
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("SELECT COUNT(*), SUM(points) FROM answers").fetchone() == (100, 100)
        assert raw.execute("SELECT COUNT(*) FROM first_answers").fetchone() == (100,)
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)


async def test_racing_starts_share_one_open_run(engine: QuizEngine, store: SQLiteStore) -> None:
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


def _tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as raw:
        return {name: sorted(raw.execute(sql).fetchall()) for name, sql in TABLES_KEPT_BY_ANSWERS.items()}


async def test_clicks_recorded_together_keep_every_total_as_clicks_one_by_one_do(tmp_path: Path, decks: DeckLibrary) -> None:
    tables = []
    for together in (False, True):
        path = tmp_path / f"together-{together}.db"
        async with await SQLiteStore.open(path) as store:
            await _play_everyone(QuizEngine(store, decks, clock=lambda: 1_790_000_000.0, rng=random.Random(7)), decks, together)
        tables.append(_tables(path))
    one_by_one, together = tables
    assert len(together["answers"]) == 12 * 2 * len(decks.default.questions)
    for name in TABLES_KEPT_BY_ANSWERS:
        if name in ("answers", "first_answers", "runs"):  # run ids follow the order the runs started in
            assert len(together[name]) == len(one_by_one[name]), name
        else:
            assert together[name] == one_by_one[name], name
    assert sum(row[6] for row in together["answers"]) == sum(row[6] for row in one_by_one["answers"])


async def test_a_grouped_click_that_fails_fails_alone(engine: QuizEngine, store: SQLiteStore) -> None:
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


async def test_team_totals_from_before_version_6_get_their_board_and_average(db_path: Path) -> None:
    with sqlite3.connect(db_path, isolation_level=None) as raw:
        for number, script in enumerate(MIGRATIONS[:5]):
            for statement in _statements(script):
                raw.execute(statement)
            raw.execute(f"PRAGMA user_version = {number + 1}")
        raw.execute(
            "INSERT INTO people (person_id, platform, space_id, user_id, display_name, created_at) VALUES (1, 'slack', 'T1', 'U1', 'a', 0)"
        )
        for team_id, name, points, active in [(1, "Alpha", 7, 3), (2, "Beta", 2, 1), (3, "Gamma", 4, 2)]:
            raw.execute(
                "INSERT INTO teams (team_id, platform, space_id, name, name_key, created_by, created_at) VALUES (?, 'slack', 'T1', ?, ?, 1, 0)",
                (team_id, name, name.casefold()),
            )
            raw.execute(
                "INSERT INTO team_totals (team_id, period, points, active_members) VALUES (?, 'all', ?, ?)", (team_id, points, active)
            )
    async with await SQLiteStore.open(db_path) as store:
        page = await store.team_page("slack", "T1", "all", 10, 0)
        assert [(rank, team.name) for rank, team in page] == [
            (1, "Alpha"),
            (2, "Gamma"),
            (2, "Beta"),
        ]  # ties by average share a rank, more points first
        assert await store.active_team_count("slack", "T1", "all") == 3
        assert await store.team_standing("Gamma", "slack", "T1", "all") == (2, 2.0)
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("SELECT team_id, platform, space_id, average FROM team_totals ORDER BY 1").fetchall() == [
            (1, "slack", "T1", 2.33),
            (2, "slack", "T1", 2.0),
            (3, "slack", "T1", 2.0),
        ]


async def test_every_page_of_a_board_with_big_ties_matches_a_full_sort(db_path: Path) -> None:
    rng = random.Random(3)
    points = [rng.choice([0, 0, 0, 1, 1, 2, 5]) for _ in range(53)]
    async with await SQLiteStore.open(db_path) as store:
        with sqlite3.connect(db_path) as raw:
            for index, total in enumerate(points, start=1):
                raw.execute("INSERT INTO people VALUES (?, 'console', 'local', ?, ?, 0)", (index, f"u{index}", f"user {index}"))
                raw.execute("INSERT INTO score_totals VALUES (?, 'all', 'console', 'local', ?, 1)", (index, total))
            raw.execute(
                "INSERT INTO points_histogram SELECT platform, space_id, period, points, COUNT(*) FROM score_totals GROUP BY 1, 2, 3, 4"
            )
        expected = sorted(((-total, index) for index, total in enumerate(points, start=1)))
        for limit in (5, 10):
            for offset in range(0, 60):
                page = await store.people_page("console", "local", "all", limit, offset)
                assert [(-row.points, row.person_id) for row in page] == expected[offset : offset + limit], (limit, offset)
                for row in page:
                    assert row.rank == 1 + sum(total > row.points for total in points)


async def test_a_read_after_the_store_closed_fails_at_once_instead_of_waiting_forever(db_path: Path) -> None:
    store = await SQLiteStore.open(db_path)
    await store.close()
    with pytest.raises(sqlite3.ProgrammingError):
        await store.person_id(person("late"))


async def test_people_are_told_apart_by_their_exact_ids_even_when_one_holds_a_nul(store: SQLiteStore, db_path: Path) -> None:
    """The batched lookup goes through JSON, which cuts text at a NUL: such a key must never match another person."""
    plain = Origin(platform="slack", space_id="T1", user_id="U1", display_name="Plain")
    tricky = Origin(platform="slack", space_id="T1", user_id="U1\x00B", display_name="Tricky")
    first = await store.ensure_person(plain, 0)
    ids = await asyncio.gather(store.ensure_person(tricky, 1), store.ensure_person(plain, 2), store.ensure_person(tricky, 3))
    assert ids[1] == first and ids[0] == ids[2] != first
    renamed = await store.ensure_person(plain.model_copy(update={"display_name": "Renamed"}), 4)
    assert renamed == first
    with sqlite3.connect(db_path) as raw:
        names = dict(raw.execute("SELECT user_id, display_name FROM people").fetchall())
    assert names == {"U1": "Renamed", "U1\x00B": "Tricky"}
