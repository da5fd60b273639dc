"""Faults: a locked or read-only database, a full disk, the platform refusing a daily post; nothing recorded is lost."""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import pytest
from slack_sdk.web.async_client import AsyncWebClient

import bot.store.base
from adapters.slack.daily import SlackDailyPublisher
from adapters.slack.main import build_app
from bot.content import DeckLibrary
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.store import SQLiteStore
from bot.views import AnswerFeedback, DailyFeedback, Notice, QuestionCard
from tests.conftest import FakeClock, person

LOCK_WAIT_MS = 50  # the store's busy timeout in these tests: a lock is noticed at once instead of after 10 s


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.store.base, "BUSY_TIMEOUT_MS", LOCK_WAIT_MS)


@pytest.fixture
def locker(db_path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection to the same file (another process, a backup tool...), able to hold the write lock."""
    connection = sqlite3.connect(db_path, isolation_level=None)
    yield connection
    if connection.in_transaction:
        connection.execute("ROLLBACK")
    connection.close()


async def first_card(engine: QuizEngine, origin: Origin) -> QuestionCard:
    reply = await engine.start(origin)
    assert isinstance(reply.view, QuestionCard)
    return reply.view


def table_counts(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(path)
    try:
        return {
            table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("people", "runs", "answers", "first_answers", "score_totals")
        }
    finally:
        connection.close()


def consistent(path: Path) -> None:
    """integrity_check is ok and every person's totals match their answers (no half-written answer)."""
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        mismatched = connection.execute(
            """SELECT COUNT(*) FROM people AS p
               LEFT JOIN score_totals AS t ON t.person_id = p.person_id AND t.period = 'all'
               WHERE COALESCE(t.answers, 0) != (SELECT COUNT(*) FROM answers AS a WHERE a.person_id = p.person_id)
                                             + (SELECT COUNT(*) FROM daily_answers AS d WHERE d.person_id = p.person_id)
                  OR COALESCE(t.points, 0) != (SELECT COALESCE(SUM(points), 0) FROM answers AS a WHERE a.person_id = p.person_id)
                                            + (SELECT COALESCE(SUM(points), 0) FROM daily_answers AS d WHERE d.person_id = p.person_id)"""
        ).fetchone()[0]
        assert mismatched == 0
        orphans = connection.execute(
            """SELECT COUNT(*) FROM answers AS a WHERE NOT EXISTS (SELECT 1 FROM first_answers AS f
               WHERE f.person_id = a.person_id AND f.deck_id = a.deck_id AND f.question_id = a.question_id)"""
        ).fetchone()[0]
        assert orphans == 0
    finally:
        connection.close()


# Locked ------------------------------------------------------------------------------------------


async def test_an_answer_while_another_connection_holds_the_write_lock_records_nothing_and_works_after(
    short_busy_timeout: None,
    db_path: Path,
    decks: DeckLibrary,
    clock: FakeClock,
    locker: sqlite3.Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with await SQLiteStore.open(db_path) as store:
        engine = QuizEngine(store, decks, clock=clock, rng=random.Random(1))
        people = [person(f"u{i}") for i in range(20)]
        cards = [await first_card(engine, p) for p in people]
        before = table_counts(db_path)
        locker.execute("BEGIN IMMEDIATE")
        with caplog.at_level(logging.ERROR, logger="bot.store.base"):
            results = await asyncio.gather(
                *(engine.handle(p, c.buttons[0].action_id) for p, c in zip(people, cards, strict=True)), return_exceptions=True
            )
        assert all(isinstance(r, sqlite3.OperationalError) and "locked" in str(r) for r in results), results
        # Operators see why: one line for each batch that could not start.
        logged = [r.getMessage() for r in caplog.records if r.name == "bot.store.base"]
        assert logged and set(logged) == {"cannot start a write transaction: database is locked"}
        # Reads go on while the lock is held (WAL): the board and the run still show, and show nothing new.
        assert await store.run_answers(int(cards[0].buttons[0].action_id.split(":")[2])) == []
        locker.execute("ROLLBACK")
        assert table_counts(db_path) == before
        # The same buttons work once the lock is gone: the answer is recorded once, as a first answer.
        again = await asyncio.gather(*(engine.handle(p, c.buttons[0].action_id) for p, c in zip(people, cards, strict=True)))
        assert all(isinstance(r.view, AnswerFeedback) for r in again)
        assert table_counts(db_path)["answers"] == 20
    consistent(db_path)


async def test_slack_tells_the_person_nothing_was_recorded_while_the_database_is_locked(
    short_busy_timeout: None, db_path: Path, decks: DeckLibrary, clock: FakeClock, locker: sqlite3.Connection
) -> None:
    from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, serving
    from tests.slack.fake_slack import FakeSlack

    fake = FakeSlack()
    fake.add_user("U1", "Ada")
    await fake.start()
    try:
        async with await SQLiteStore.open(db_path) as store:
            engine = QuizEngine(store, decks, clock=clock, rng=random.Random(1))
            app = build_app(engine, client=AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url), signing_secret=SIGNING_SECRET)
            async with serving(app, fake) as slack:
                card = await slack.ask("start")
                button = card.action_ids[0]
                locker.execute("BEGIN IMMEDIATE")
                refused = await slack.press(button)
                assert "nothing was recorded" in refused.body["text"].lower()
                assert refused.body.get("replace_original") is not True  # the question card stays, to be clicked again
                locker.execute("ROLLBACK")
                assert table_counts(db_path)["answers"] == 0
                feedback = await slack.press(button)
                assert feedback.body["text"].startswith(("Correct", "Not the best")), feedback.body["text"]
                assert table_counts(db_path)["answers"] == 1
    finally:
        await fake.close()


@pytest.fixture
def _discord_endpoints() -> Iterator[None]:
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


async def test_discord_tells_the_person_nothing_was_recorded_while_the_database_is_locked(
    short_busy_timeout: None, _discord_endpoints: None, db_path: Path, locker: sqlite3.Connection
) -> None:
    from tests.discord.conftest import running_bot
    from tests.discord.fake_discord import FakeDiscord, user_payload

    alice = user_payload("1600000000000000001", "alice", global_name="Alice")
    fake = FakeDiscord()
    await fake.start()
    try:
        async with running_bot(fake, db_path):
            card = await fake.delivered(await fake.slash(alice, "start"))
            button = card["components"][0]["components"][0]["custom_id"]
            locker.execute("BEGIN IMMEDIATE")
            pending = await fake.click(alice, card, button)
            refused = await fake.delivered(pending)
            texts = " ".join(str(e.get("description", "")) + str(e.get("title", "")) for e in refused["embeds"]).lower()
            assert "nothing was recorded" in texts
            locker.execute("ROLLBACK")
            assert table_counts(db_path)["answers"] == 0
            feedback = await fake.delivered(await fake.click(alice, card, button))
            assert feedback["embeds"][0]["title"].startswith(("Correct", "Not the best"))
            assert table_counts(db_path)["answers"] == 1
        assert fake.violations == []
    finally:
        await fake.stop()


# Read-only ---------------------------------------------------------------------------------------


async def test_a_database_that_turns_read_only_refuses_writes_clearly_and_recovers(
    db_path: Path, decks: DeckLibrary, clock: FakeClock
) -> None:
    async with await SQLiteStore.open(db_path) as store:
        engine = QuizEngine(store, decks, clock=clock, rng=random.Random(1))
        ada = person("ada")
        card = await first_card(engine, ada)
        kept = await engine.handle(ada, card.buttons[0].action_id)
        assert isinstance(kept.view, AnswerFeedback)
        nxt = await engine.handle(ada, kept.view.buttons[0].action_id)
        assert isinstance(nxt.view, QuestionCard)
        writer = store._writer._connection  # the writer thread is idle between writes
        writer.execute("PRAGMA query_only = ON")  # what a read-only remount or file looks like to SQLite
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await engine.handle(ada, nxt.view.buttons[0].action_id)
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await engine.start(person("bea"))
        # Reading still works: the person's earlier answer and points are all there.
        assert len(await store.run_answers(int(card.buttons[0].action_id.split(":")[2]))) == 1
        writer.execute("PRAGMA query_only = OFF")
        again = await engine.handle(ada, nxt.view.buttons[0].action_id)
        assert isinstance(again.view, AnswerFeedback)
    consistent(db_path)
    assert table_counts(db_path)["answers"] == 2


@pytest.fixture
def read_only_file(monkeypatch: pytest.MonkeyPatch, db_path: Path) -> Path:
    """The database file opened read-only by every connection (as a file the process may not write: tests often run as root)."""
    real_connect = sqlite3.connect

    def connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if Path(str(database)) == db_path:
            kwargs.pop("uri", None)
            return real_connect(f"file:{database}?mode=ro", *args, uri=True, **kwargs)
        return real_connect(database, *args, **kwargs)

    return_path = db_path
    asyncio.run(_create(db_path))
    monkeypatch.setattr(sqlite3, "connect", connect)
    return return_path


async def _create(path: Path) -> None:
    async with await SQLiteStore.open(path):
        pass


def test_a_read_only_database_file_opens_for_reading_and_refuses_the_first_write_with_sqlites_readonly_error(
    read_only_file: Path, decks: DeckLibrary
) -> None:
    async def use_it() -> None:
        async with await SQLiteStore.open(read_only_file) as store:
            engine = QuizEngine(store, decks)
            board = await engine.leaderboard(person("ada"))  # reading works
            assert board.view.rows == ()  # type: ignore[union-attr]
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                await engine.start(person("ada"))
            assert await store.person_id(person("ada")) is None

    asyncio.run(use_it())


def test_play_on_a_read_only_database_says_so_in_one_line(read_only_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from adapters.cli import main

    code = main(["play", "--db", str(read_only_file), "--user", "ada"])
    error = capsys.readouterr().err
    assert code != 0
    assert "read" in error.lower() and str(read_only_file) in error
    assert "Traceback" not in error


# Full disk ---------------------------------------------------------------------------------------


async def test_an_injected_disk_full_error_fails_that_write_only_and_the_writer_goes_on(
    db_path: Path, decks: DeckLibrary, clock: FakeClock
) -> None:
    async with await SQLiteStore.open(db_path) as store:
        engine = QuizEngine(store, decks, clock=clock, rng=random.Random(1))
        people = [person(f"u{i}") for i in range(30)]
        cards = [await first_card(engine, p) for p in people]
        committed = await engine.handle(people[0], cards[0].buttons[0].action_id)
        assert isinstance(committed.view, AnswerFeedback)

        def full(db: sqlite3.Connection) -> None:
            db.execute("INSERT INTO people (platform, space_id, user_id, display_name, created_at) VALUES ('x', 'x', 'x', 'x', 0)")
            raise sqlite3.OperationalError("database or disk is full")

        # The failing write is queued among concurrent answers, so it shares their group commit.
        results = await asyncio.gather(
            store._write(full),
            *(engine.handle(p, c.buttons[0].action_id) for p, c in zip(people[1:], cards[1:], strict=True)),
            return_exceptions=True,
        )
        assert isinstance(results[0], sqlite3.OperationalError) and "full" in str(results[0])
        assert all(isinstance(r.view, AnswerFeedback) for r in results[1:]), results[1:]  # type: ignore[union-attr]
        assert await store.person_id(Origin(platform="x", space_id="x", user_id="x")) is None  # undone, not half-written
        # The writer thread is still there and still commits.
        later = await engine.start(person("late"))
        assert isinstance(later.view, QuestionCard)
    consistent(db_path)
    assert table_counts(db_path)["answers"] == 30


async def test_a_really_full_database_fails_the_answers_keeps_the_earlier_ones_and_takes_them_again_later(
    db_path: Path, decks: DeckLibrary, clock: FakeClock
) -> None:
    async with await SQLiteStore.open(db_path) as store:
        engine = QuizEngine(store, decks, clock=clock, rng=random.Random(1))
        people = [person(f"u{i}") for i in range(200)]
        cards = [await first_card(engine, p) for p in people]
        earlier = await asyncio.gather(*(engine.handle(p, c.buttons[0].action_id) for p, c in zip(people[:20], cards[:20], strict=True)))
        assert all(isinstance(r.view, AnswerFeedback) for r in earlier)
        row = await store._fetchone("PRAGMA page_count")
        assert row is not None
        # SQLite's own SQLITE_FULL: the file may not grow past its current size, as on a full disk.
        await store._write(lambda db: db.execute(f"PRAGMA max_page_count = {int(row[0])}"))
        results = await asyncio.gather(
            *(engine.handle(p, c.buttons[0].action_id) for p, c in zip(people[20:], cards[20:], strict=True)),
            return_exceptions=True,
        )
        failed = [i for i, r in enumerate(results, start=20) if isinstance(r, Exception)]
        assert failed, "the database never filled up: the test needs more answers"
        assert all(isinstance(results[i - 20], sqlite3.OperationalError) and "full" in str(results[i - 20]) for i in failed)
        consistent(db_path)
        assert table_counts(db_path)["answers"] == 200 - len(failed)  # the 20 earlier ones and any that fitted
        await store._write(lambda db: db.execute("PRAGMA max_page_count = 1073741823"))  # space freed
        retried = await asyncio.gather(*(engine.handle(people[i], cards[i].buttons[0].action_id) for i in failed))
        assert all(isinstance(r.view, AnswerFeedback) for r in retried)
    consistent(db_path)
    assert table_counts(db_path)["answers"] == 200


# The platform refusing a daily post --------------------------------------------------------------


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


async def test_slack_answering_429_then_500_to_a_daily_post_is_recorded_retried_and_loses_no_answer(
    db_path: Path, decks: DeckLibrary, clock: FakeClock
) -> None:
    from tests.slack.fake_slack import FakeSlack

    fake = FakeSlack()
    await fake.start()
    try:
        async with await SQLiteStore.open(db_path) as store:
            engine = QuizEngine(store, decks, clock=clock, rng=random.Random(5))
            engine.daily.attach("slack", SlackDailyPublisher(AsyncWebClient(token="xoxb-test", base_url=fake.api_url)))
            lead = Origin(platform="slack", space_id=FakeSlack.TEAM, user_id="ULEAD", display_name="Lead", is_admin=True)
            members = [Origin(platform="slack", space_id=FakeSlack.TEAM, user_id=f"U{i}", display_name=f"M{i}") for i in range(3)]
            set_reply = await engine.daily.configure(lead, "C1", "09:00", "UTC")
            assert isinstance(set_reply.view, Notice) and set_reply.view.title == "Daily question set", set_reply.view
            clock.now = utc("2026-11-26T09:00:00")
            await engine.daily.tick()
            (first,) = fake.channel_messages("C1")
            answers = [await engine.handle(m, first.action_ids[0]) for m in members]
            assert all(isinstance(a.view, DailyFeedback) for a in answers)
            points = [await store.person_totals(await store.person_id(m)) for m in members]  # type: ignore[arg-type]

            # The next day Slack rate-limits the post, then fails with a 500.
            fake.fail_next("chat.postMessage", "ratelimited", 500)
            clock.now = utc("2026-11-27T09:00:00")
            await engine.daily.tick()
            (failed,) = await store.failed_posts("slack")
            assert failed.attempts == 1 and "slow down" in (failed.last_error or "")
            status = await engine.daily.status(lead, "C1")
            assert "failed" in status.view.text  # type: ignore[union-attr]  # the admin can see why
            clock.advance(61)
            await engine.daily.tick()
            (failed,) = await store.failed_posts("slack")
            assert failed.attempts == 2 and "500" in (failed.last_error or "")
            clock.advance(121)
            await engine.daily.tick()
            assert await store.failed_posts("slack") == []
            assert len(fake.channel_messages("C1")) == 2  # posted once, not once per attempt
            # Yesterday's answers and points are untouched by the failures.
            assert [await store.person_totals(await store.person_id(m)) for m in members] == points  # type: ignore[arg-type]
        consistent(db_path)
    finally:
        await fake.close()
