"""The SQLite store: migrations, WAL, and 'recorded once' holding in the database under concurrency."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.actions import decode
from bot.content import DeckLibrary
from bot.engine import QuizEngine
from bot.store import SCHEMA_VERSION, SchemaTooNewError, SQLiteStore
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
