"""Export and forget-me on both stores: every person-owned table is declared, forgetting leaves no trace of the person,
and the boards then equal a rebuild from the answers that remain."""

from __future__ import annotations

import json
import random
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from bot.actions import DailyAnswerAction, ForgetAction, decode
from bot.content import DeckLibrary
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.privacy import CONFIRM_TTL, identity_hash
from bot.store import Store
from bot.store.person_data import EXEMPT, FORMAT_VERSION, PERSON_TABLES, SECTIONS, to_positional
from bot.views import DailyPostView, Notice
from bot.windows import period_keys
from tests.conftest import FakeClock, QuizDatabase
from tests.test_boards import answer_questions
from tests.test_daily import FakePublisher, utc

SPACE = "g1"
ZONE = ZoneInfo("Europe/Berlin")


def member(user: str, *, admin: bool = False, space: str = SPACE) -> Origin:
    return Origin(platform="discord", space_id=space, user_id=user, display_name=f"name-of-{user}", is_admin=admin)


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def world(store: Store, decks: DeckLibrary, clock: FakeClock, publisher: FakePublisher) -> QuizEngine:
    engine = QuizEngine(store, decks, clock=clock, rng=random.Random(3), zone=ZONE)
    engine.daily.attach("discord", publisher)
    return engine


async def populate(engine: QuizEngine, decks: DeckLibrary, clock: FakeClock, publisher: FakePublisher) -> None:
    """Five people over two weeks: runs, teams (one created by the person to forget), two daily posts answered."""
    clock.now = utc("2026-11-23T10:00:00")
    lead = member("lead", admin=True)
    assert (await engine.daily.configure(lead, "c1", "09:00", "Europe/Berlin")).view.title == "Daily question set"  # type: ignore[union-attr]
    # The person to forget sets up a daily channel and a digest as an admin, creates a team others join, and plays.
    forgotten = member("U-FORGET-ME", admin=True)
    await engine.daily.configure(forgotten, "c2", "10:00", "UTC")
    await engine.digest_switch(forgotten, "c3", True)
    await engine.team_create(forgotten, "Alpha")
    await engine.team_create(member("solo-creator"), "Solo")
    await engine.team_join(member("p1"), "Alpha")
    await engine.team_join(member("p2"), "Alpha")
    rng = random.Random(9)
    for day in range(9):
        clock.now = utc("2026-11-23T10:00:00") + day * 86_400
        await engine.daily.tick()
        post = publisher.posts[-1][1] if publisher.posts else None
        for user in ("U-FORGET-ME", "p1", "p2", "p3", "lead"):
            origin = member(user)
            await answer_questions(engine, decks, origin, [rng.random() < 0.6])
            if isinstance(post, DailyPostView) and post.buttons and rng.random() < 0.8:
                await engine.handle(origin, rng.choice(post.buttons).action_id)
    await engine.team_leave(member("p2"))  # p2's points stay with Alpha


async def people_ids(database: QuizDatabase, user: str) -> list[int]:
    return [row[0] for row in await database.rows("SELECT person_id FROM people WHERE user_id = ?", user)]


async def tables_and_columns(database: QuizDatabase) -> dict[str, list[tuple[str, str]]]:
    """Every table of the schema, with (column, type) of each column."""
    if database.kind == "sqlite":
        names = [r[0] for r in await database.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {name: [(r[1], r[2].upper()) for r in await database.rows(f"PRAGMA table_info({name})")] for name in names}
    rows = await database.rows(
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name != 'recsys_quiz_schema' ORDER BY table_name, ordinal_position"
    )
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        tables.setdefault(table, []).append((column, kind.upper()))
    return tables


async def columns_naming_a_person(database: QuizDatabase) -> set[tuple[str, str]]:
    """(table, column) for every column named person_id or referencing people."""
    found = {
        (table, column) for table, columns in (await tables_and_columns(database)).items() for column, _ in columns if column == "person_id"
    }
    if database.kind == "sqlite":
        for table in await tables_and_columns(database):
            found |= {(table, row[3]) for row in await database.rows(f"PRAGMA foreign_key_list({table})") if row[2] == "people"}
    else:
        found |= set(
            await database.rows(
                """SELECT k.table_name, k.column_name FROM information_schema.referential_constraints AS r
                   JOIN information_schema.key_column_usage AS k ON k.constraint_name = r.constraint_name
                   JOIN information_schema.constraint_column_usage AS u ON u.constraint_name = r.unique_constraint_name
                   WHERE u.table_name = 'people'"""
            )
        )
    return found


async def test_every_table_with_a_column_naming_a_person_is_declared_or_exempt(database: QuizDatabase, store: Store) -> None:
    declared = {(t.table, t.held_by) for t in PERSON_TABLES}
    naming = await columns_naming_a_person(database)
    assert {table for table, _ in naming} == {"people", "runs", "answers", "first_answers", "score_totals", "teams", "team_members"} | {
        "team_member_periods",
        "daily_answers",
        "study_cards",
        "study_reviews",
        "written_answers",
        "study_plans",
        "study_reminders",
    }
    missing = {(table, column) for table, column in naming if (table, column) not in declared and table not in EXEMPT}
    assert missing == set(), f"add these to bot/store/person_data.PERSON_TABLES (or EXEMPT, saying why): {sorted(missing)}"
    schema = await tables_and_columns(database)
    for table in PERSON_TABLES:  # and each declaration names a real column
        assert table.held_by in {column for column, _ in schema[table.table]}, table.table
    assert len(SECTIONS) == len(set(SECTIONS))


def test_named_parameters_become_postgresql_positions_once_each() -> None:
    sql, names = to_positional("SELECT 1 WHERE a = :person AND b = :space AND c = :person AND d = 'x::text'")
    assert sql == "SELECT 1 WHERE a = $1 AND b = $2 AND c = $1 AND d = 'x::text'" and names == ("person", "space")


async def test_export_then_forget_then_export_is_empty(
    world: QuizEngine, decks: DeckLibrary, clock: FakeClock, publisher: FakePublisher
) -> None:
    await populate(world, decks, clock, publisher)
    reply = await world.export(member("U-FORGET-ME"))
    assert reply.attachment is not None and reply.attachment.filename.endswith(".json")
    document = json.loads(reply.attachment.content)
    assert document["format_version"] == FORMAT_VERSION and document["user_id"] == "U-FORGET-ME"
    assert [key for key in document if key in SECTIONS] == list(SECTIONS)
    for section in ("profile", "runs", "answers", "first_answers", "points", "teams_created", "team_membership", "team_points"):
        assert document[section], section
    assert document["daily_answers"] and document["daily_channels_set_up"] and document["digest_channels_set_up"]
    assert document["profile"][0]["display_name"] == "name-of-U-FORGET-ME"
    assert isinstance(document["runs"][0]["plan"], list)  # JSON columns are decoded, not strings in a string
    assert {row["team"] for row in document["team_membership"]} == {"Alpha"}

    prompt = world.forget_me(member("U-FORGET-ME"))
    yes = next(b for b in prompt.view.buttons if b.label == "Delete my data")  # type: ignore[union-attr]
    done = await world.handle(member("U-FORGET-ME"), yes.action_id)
    assert isinstance(done.view, Notice) and done.view.title == "Your data is deleted" and done.replace

    again = json.loads((await world.export(member("U-FORGET-ME"))).attachment.content)  # type: ignore[union-attr]
    assert all(again[section] == [] for section in SECTIONS)
    assert "Nothing is stored about you" in (await world.export(member("U-FORGET-ME"))).view.text  # type: ignore[union-attr]


async def test_after_forgetting_no_table_holds_the_persons_ids_and_the_boards_equal_a_rebuild(
    world: QuizEngine, decks: DeckLibrary, clock: FakeClock, publisher: FakePublisher, database: QuizDatabase, store: Store
) -> None:
    await populate(world, decks, clock, publisher)
    posts = [row[0] for row in await database.rows("SELECT post_id FROM daily_posts ORDER BY post_id")]
    tallies_before = {post: await store.daily_tallies(post) for post in posts}
    counts_before = await database.rows("SELECT post_id, answer_count FROM daily_posts ORDER BY post_id")
    forgotten_ids = await people_ids(database, "U-FORGET-ME")
    assert forgotten_ids

    outcome = await store.forget_person("discord", "U-FORGET-ME", None, None, int(clock.now))
    assert outcome.people == 1 and outcome.rows["answers"] > 0

    # No table holds the person's ids: no person-id column their id, no text column their user id or name.
    schema = await tables_and_columns(database)
    naming = await columns_naming_a_person(database)
    for table, columns in schema.items():
        for column, kind in columns:
            if (table, column) in naming:
                held = await database.rows(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", forgotten_ids[0])
                assert held == [(0,)], (table, column)
            if "TEXT" in kind or "CHAR" in kind:
                held = await database.rows(
                    f"SELECT COUNT(*) FROM {table} WHERE {column} = ? OR {column} = ?", "U-FORGET-ME", "name-of-U-FORGET-ME"
                )
                assert held == [(0,)], (table, column)

    # Boards equal a rebuild from the answers that remain (runs' and daily posts'), weeks and months in the boards' zone.
    answers = await database.rows("SELECT person_id, points, answered_at FROM answers")
    answers += await database.rows("SELECT person_id, points, answered_at FROM daily_answers")
    board_of = dict(await database.rows("SELECT person_id, space_id FROM people"))
    rebuilt: Counter[tuple[int, str]] = Counter()
    answered: Counter[tuple[int, str]] = Counter()
    for person_id, points, at in answers:
        for period in period_keys(at, ZONE):
            rebuilt[(person_id, period)] += points
            answered[(person_id, period)] += 1
    totals = await database.rows("SELECT person_id, period, points, answers FROM score_totals")
    assert {(p, period): (points, n) for p, period, points, n in totals} == {k: (rebuilt[k], answered[k]) for k in answered}
    histogram = Counter(("discord", board_of[p], period, points) for (p, period), points in rebuilt.items())
    stored = await database.rows("SELECT platform, space_id, period, points, people FROM points_histogram WHERE people != 0")
    assert {row[:4]: row[4] for row in stored} == dict(histogram)
    # Team totals equal the sum of what the remaining members earned for them; member counts equal the members.
    team_rows = await database.rows("SELECT team_id, period, points, active_members, average FROM team_totals")
    earned = await database.rows("SELECT team_id, period, SUM(points), COUNT(*) FROM team_member_periods GROUP BY team_id, period")
    assert {(t, p): (points, active) for t, p, points, active, _ in team_rows} == {(t, p): (s, n) for t, p, s, n in earned}
    assert all(average == round(points / active, 2) for _, _, points, active, average in team_rows)
    members = await database.rows("SELECT t.members, (SELECT COUNT(*) FROM team_members m WHERE m.team_id = t.team_id) FROM teams t")
    assert all(kept == counted for kept, counted in members)
    # Alpha passed to a member; the forgotten person's answers to daily posts stay as anonymous counts.
    assert await database.value("SELECT COUNT(*) FROM teams WHERE name = 'Alpha'") == 1
    assert {post: await store.daily_tallies(post) for post in posts} == tallies_before
    assert await database.rows("SELECT post_id, answer_count FROM daily_posts ORDER BY post_id") == counts_before
    assert await database.value("SELECT SUM(answers) FROM daily_anonymous_answers") > 0
    # The people board reads the rebuilt totals: its order and points are the recount's.
    board = await store.people_board("discord", SPACE, "all", 10, 1)
    expected = sorted((-rebuilt[(i, "all")], i) for (i, period) in answered if period == "all" and board_of[i] == SPACE)
    assert [(row.person_id, row.points) for row in board.rows] == [(i, -points) for points, i in expected]


async def test_a_team_nobody_else_was_in_goes_with_its_creator(
    world: QuizEngine, decks: DeckLibrary, store: Store, database: QuizDatabase
) -> None:
    creator = member("creator")
    await world.team_create(creator, "Lonely")
    await answer_questions(world, decks, creator, [True, True])
    assert await database.value("SELECT COUNT(*) FROM team_totals") > 0
    await store.forget_person("discord", "creator", SPACE, None, 1)
    assert await database.value("SELECT COUNT(*) FROM teams") == 0
    assert await database.value("SELECT COUNT(*) FROM team_totals") == 0
    assert await database.value("SELECT COUNT(*) FROM points_histogram WHERE people != 0") == 0


async def test_an_admin_forgets_a_member_here_who_is_told_once_on_their_next_command(
    world: QuizEngine, decks: DeckLibrary, database: QuizDatabase
) -> None:
    target = member("U-TARGET")
    await answer_questions(world, decks, target, [True])
    await answer_questions(world, decks, member("U-TARGET", space="g2"), [True])  # the same user in another server stays
    refused = await world.admin_forget(member("someone"), "U-TARGET")
    assert refused.view.title == "Admins only"  # type: ignore[union-attr]
    assert await database.value("SELECT COUNT(*) FROM people WHERE user_id = 'U-TARGET'") == 2

    done = await world.admin_forget(member("lead", admin=True), "U-TARGET")
    assert done.view.title == "The member's data is deleted" and "next command" in done.view.text  # type: ignore[union-attr]
    assert await database.rows("SELECT space_id FROM people WHERE user_id = 'U-TARGET'") == [("g2",)]
    # Only a hash of who they were is kept for the notice.
    assert await database.rows("SELECT identity_hash FROM forget_notices") == [(identity_hash("discord", SPACE, "U-TARGET"),)]

    assert await world.privacy.pending_notice(member("U-TARGET", space="g2")) is None  # another server's person is not told
    line = await world.privacy.pending_notice(target)
    assert line is not None and "An admin here deleted everything" in line
    assert await world.privacy.pending_notice(target) is None  # told once
    assert await database.value("SELECT COUNT(*) FROM forget_notices") == 0

    nothing = await world.admin_forget(member("lead", admin=True), "U-NOBODY")
    assert nothing.view.title == "Nothing to delete"  # type: ignore[union-attr]
    bad = await world.admin_forget(member("lead", admin=True), "\x00")
    assert bad.view.title == "Which member?"  # type: ignore[union-attr]
    assert await database.value("SELECT COUNT(*) FROM forget_notices") == 0


async def test_the_confirmation_works_for_the_asker_only_and_not_once_it_is_old(
    world: QuizEngine, decks: DeckLibrary, clock: FakeClock, database: QuizDatabase
) -> None:
    me = member("me")
    await answer_questions(world, decks, me, [True])
    prompt = world.forget_me(me)
    assert isinstance(prompt.view, Notice) and prompt.view.tone == "warning"
    yes, no = prompt.view.buttons
    assert decode(yes.action_id) == ForgetAction(choice="yes", asker=decode(yes.action_id).asker, issued=int(clock.now))  # type: ignore[attr-defined]
    stranger = await world.handle(member("stranger"), yes.action_id)
    assert stranger.view.title == "This button belongs to someone else"  # type: ignore[union-attr]
    kept = await world.handle(me, no.action_id)
    assert kept.view.title == "Nothing was deleted" and kept.replace  # type: ignore[union-attr]
    clock.advance(CONFIRM_TTL + 1)
    late = await world.handle(me, yes.action_id)
    assert late.view.title == "This confirmation has expired"  # type: ignore[union-attr]
    assert await database.value("SELECT COUNT(*) FROM answers") == 1
    fresh = world.forget_me(me).view.buttons[0]  # type: ignore[union-attr]
    assert (await world.handle(me, fresh.action_id)).view.title == "Your data is deleted"  # type: ignore[union-attr]
    assert await database.value("SELECT COUNT(*) FROM answers") == 0


async def test_a_forgotten_persons_daily_answer_keeps_the_reveal_true(
    world: QuizEngine, clock: FakeClock, publisher: FakePublisher, store: Store
) -> None:
    clock.now = utc("2026-11-23T10:00:00")
    await world.daily.configure(member("lead", admin=True), "c1", "09:00", "Europe/Berlin")
    await world.daily.tick()
    post = publisher.posts[-1][1]
    action = decode(post.buttons[0].action_id)
    assert isinstance(action, DailyAnswerAction)
    for user in ("a", "b"):
        await world.handle(member(user), post.buttons[0].action_id)
    await store.forget_person("discord", "a", SPACE, None, int(clock.now))
    clock.advance(86_400)
    await world.daily.tick()  # the next post reveals this one
    revealed = publisher.edits[-1][1]
    assert revealed.closed and revealed.answered == 2
    assert [r.picks for r in revealed.results if r.letter == "A"] == [2]


def test_every_export_section_has_words_for_the_summary_a_person_reads() -> None:
    from bot.privacy import SECTION_WORDS

    assert set(SECTION_WORDS) == set(SECTIONS)  # a new section gets its words, never shows as a raw key
