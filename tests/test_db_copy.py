"""`recsys-quiz db copy`: a SQLite install moved into an empty PostgreSQL database reads the same, and a full one is refused."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from pathlib import Path

import pytest

from bot.actions import decode
from bot.config import parse_database, shown_url
from bot.content import DeckLibrary
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.runtime import open_store
from bot.store.copy import CHUNK, TABLES, TargetNotEmptyError, copy_sqlite_to_postgres
from bot.views import DailyPostView
from tests.conftest import FakeClock, PostgresServer, QuizDatabase
from tests.test_boards import answer_questions
from tests.test_daily import FakePublisher, admin, configure, member, utc
from tests.test_terminal import recsys_quiz

pytestmark = pytest.mark.parametrize("database", ["postgresql"], indirect=True)  # needs the server; left out without one

SPACE = ("discord", "g1")
WINDOWS = ("week", "month", "all")


async def fill(path: Path, decks: DeckLibrary, clock: FakeClock) -> list[Origin]:
    """People in teams answer runs and replays on two days, and a channel answers two daily posts."""
    rng = random.Random(4)
    store = await open_store(parse_database(str(path)))
    people = [member(f"m{i}") for i in range(14)]
    try:
        engine = QuizEngine(store, decks, clock=clock, rng=random.Random(9))
        publisher = FakePublisher()
        engine.daily.attach("discord", publisher)
        await engine.team_create(people[0], "Vector Search")
        await engine.team_create(people[1], "Ranking Club")
        for index, origin in enumerate(people[2:], start=2):
            if index % 3:
                await engine.team_join(origin, rng.choice(["Vector Search", "Ranking Club"]))
        await configure(engine, "c", "09:00", "UTC")
        for day in range(2):
            clock.now = utc("2026-11-27T09:00:00") + day * 86_400
            await engine.daily.tick()
            post = publisher.posts[-1][1]
            assert isinstance(post, DailyPostView)
            for index, origin in enumerate(people):
                # Half of them finish their run on the first day and replay on the second (practice, no points).
                count = 5 if day == 0 and index % 2 == 0 else rng.randint(1, 2)
                await answer_questions(engine, decks, origin, [rng.random() < 0.6 for _ in range(count)])
                button = post.buttons[rng.randrange(len(post.buttons))]
                await engine.handle(origin, button.action_id)
        await engine.team_leave(people[4])
        await engine.daily.post_now(admin(), "c")
    finally:
        await store.close()
    return [*people, member("never-played")]


async def read_everything(url: str, decks: DeckLibrary, clock: FakeClock, people: list[Origin]) -> list[object]:
    """Every board (people and teams, each window, every page) and each person's stats, as the engine shows them."""
    store = await open_store(parse_database(url))
    try:
        engine = QuizEngine(store, decks, clock=clock)
        views: list[object] = []
        for scope in ("people", "teams"):
            for window in WINDOWS:
                for page in (1, 2):
                    views.append((await engine.leaderboard(people[0], scope, window, page)).view)
        for origin in people:
            views.append((await engine.stats(origin)).view)
            views.append((await engine.team_show(origin)).view)
        views.append((await engine.question_stats(admin())).view)
        views.append((await engine.team_list(people[0])).view)
        return views
    finally:
        await store.close()


def test_every_table_of_the_schema_is_copied(tmp_path: Path, database: QuizDatabase) -> None:
    path = tmp_path / "schema.db"
    asyncio.run(_open_and_close(path))
    with sqlite3.connect(path) as raw:
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == set(TABLES)


async def _open_and_close(path: Path) -> None:
    await (await open_store(parse_database(str(path)))).close()


def test_a_copied_install_shows_the_same_boards_and_stats_and_a_second_copy_is_refused(
    tmp_path: Path, database: QuizDatabase, postgres_server: PostgresServer, decks: DeckLibrary
) -> None:
    source = tmp_path / "install.db"
    clock = FakeClock()
    people = asyncio.run(fill(source, decks, clock))
    target = asyncio.run(postgres_server.create())

    copied = recsys_quiz("db", "copy", "--to", target, env_db=source)

    assert copied.returncode == 0, copied.stderr
    with sqlite3.connect(source) as raw:
        counts = {table: raw.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TABLES}
    rows = copied.stdout.splitlines()[1:]
    for table in TABLES:
        assert any(row.split() == [table, f"{counts[table]:,}"] for row in rows), (table, copied.stdout)
    assert len({len(row) for row in rows}) == 1, copied.stdout  # one column of names, one of counts, aligned
    assert counts["answers"] > 50 and counts["daily_answers"] > 20 and counts["team_members"] > 3
    before = asyncio.run(read_everything(str(source), decks, clock, people))
    assert asyncio.run(read_everything(target, decks, clock, people)) == before
    people_board, team_board = before[4], before[10]  # all time, first page
    assert len(people_board.rows) == 10 and len(team_board.rows) == 2  # type: ignore[attr-defined]

    # The copy goes on where the source stopped: new rows get new ids, and a button of the old install still works.
    async def go_on() -> None:
        store = await open_store(parse_database(target))
        try:
            engine = QuizEngine(store, decks, clock=clock)
            card = (await engine.start(member("newcomer"))).view
            assert decode(card.buttons[0].action_id).run_id > counts["runs"]  # type: ignore[union-attr,attr-defined]
        finally:
            await store.close()

    asyncio.run(go_on())

    again = recsys_quiz("db", "copy", "--db", str(source), "--to", target)
    assert again.returncode == 2
    assert again.stderr.count("\n") == 1 and "already holds recsys-quiz data" in again.stderr and target in again.stderr
    assert "Traceback" not in again.stderr


def test_copy_refuses_a_target_that_is_not_postgresql_and_a_missing_source(tmp_path: Path, database: QuizDatabase) -> None:
    missing = recsys_quiz("db", "copy", "--db", str(tmp_path / "none.db"), "--to", database.url)
    assert missing.returncode == 2 and "no SQLite database" in missing.stderr
    wrong = recsys_quiz("db", "copy", "--db", str(tmp_path / "none.db"), "--to", str(tmp_path / "other.db"))
    assert wrong.returncode == 2 and "postgresql://" in wrong.stderr
    assert not (tmp_path / "none.db").exists()


async def test_the_copy_returns_the_rows_of_every_table_and_names_what_a_full_target_holds(
    tmp_path: Path, database: QuizDatabase, postgres_server: PostgresServer, decks: DeckLibrary
) -> None:
    # In the test's own process (the command above runs it in a child), so that mutation testing maps it.
    source, clock = tmp_path / "small.db", FakeClock()
    people = [member("m1"), member("m2")]
    store = await open_store(parse_database(str(source)))
    try:
        engine = QuizEngine(store, decks, clock=clock, rng=random.Random(3))
        await engine.team_create(people[0], "Vector Search")
        await answer_questions(engine, decks, people[0], [True, False, True])
        await answer_questions(engine, decks, people[1], [True])
    finally:
        await store.close()
    with sqlite3.connect(source) as raw:
        counts = {table: raw.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TABLES}
    assert (counts["people"], counts["answers"], counts["teams"]) == (2, 4, 1)
    target = await postgres_server.create()

    assert await copy_sqlite_to_postgres(source, target) == counts
    assert await read_everything(target, decks, clock, people) == await read_everything(str(source), decks, clock, people)

    with pytest.raises(TargetNotEmptyError) as refused:
        await copy_sqlite_to_postgres(source, target)
    held = ", ".join(f"{table} {count}" for table, count in counts.items() if count)
    assert str(refused.value) == (
        f"{shown_url(target)} already holds recsys-quiz data ({held}); db copy only fills an empty database, so nothing was copied"
    )
    assert held.startswith("people 2, runs 2, answers 4, ")


async def test_a_table_longer_than_one_chunk_is_copied_and_counted_whole(
    tmp_path: Path, database: QuizDatabase, postgres_server: PostgresServer
) -> None:
    source = tmp_path / "big.db"
    await _open_and_close(source)
    rows = CHUNK + 1  # one row more than a chunk of the copy (20,000 today)
    with sqlite3.connect(source) as raw:
        raw.executemany(
            "INSERT INTO people (platform, space_id, user_id, display_name, created_at) VALUES ('discord', 'g1', ?, ?, 1)",
            ((f"u{number}", f"Person {number}") for number in range(rows)),
        )
    target = await postgres_server.create()
    copied = await copy_sqlite_to_postgres(source, target)
    assert copied["people"] == rows and sum(copied.values()) == rows
    store = await open_store(parse_database(target))
    try:
        assert await store.person_id(member(f"u{rows - 1}")) == rows  # the last row, in the second chunk, kept its id
    finally:
        await store.close()
