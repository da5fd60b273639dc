"""Bad input through the engine, fuzzed: any action id and any team name get a clear reply, never an exception or a partial write."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.actions import ACTION_TYPES, ActionIdError, decode
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.teams import TeamNameError, normalise_team_name
from bot.views import AnswerFeedback, Notice, QuestionCard, Reply
from tests.conftest import QuizDatabase, person

FUZZ = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

SQL = st.sampled_from(
    [
        "'; DROP TABLE answers;--",
        "1 OR 1=1",
        '" OR ""="',
        "1; DELETE FROM people",
        "%",
        "_",
        "\\",
        "\x00",
        "NULL",
        "rq1:a:1:0:x' --",
    ]
)
MARKUP = st.sampled_from(["@everyone", "@here", "<!channel>", "<@U123>", "<#C1>", "*bold*", "`x`", "||spoiler||", "<script>"])
TEXT = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=50),
    st.text(min_size=500, max_size=3000),
    SQL,
    MARKUP,
    st.builds(lambda a, b: a + b, SQL, st.text(max_size=20)),
)
# Ids close to real ones: a real verb, then fields made of digits, slugs, separators and junk.
FIELD = st.one_of(
    st.integers(min_value=-5, max_value=2**64).map(str),
    st.text(alphabet="0123456789abcdefghijklmnopqrstuvwxyz-:", max_size=30),
    SQL,
    st.text(max_size=10),
)
NEAR_MISS = st.builds(
    lambda verb, fields: ":".join(["rq1", verb, *fields]), st.sampled_from(sorted(ACTION_TYPES)), st.lists(FIELD, max_size=5)
)
ACTION_ID = st.one_of(TEXT, NEAR_MISS, st.none(), st.integers(), st.binary(max_size=40), st.lists(st.text(max_size=5), max_size=3))

TABLES = ("people", "runs", "answers", "first_answers", "score_totals", "teams", "team_members", "daily_posts", "daily_answers")


async def counts(database: QuizDatabase) -> dict[str, int]:
    return await database.counts(TABLES)


def _mutate(text: str, position: int, insert: str, delete: int) -> str:
    position %= len(text) + 1
    return text[:position] + insert + text[position + delete :]


_users = itertools.count(1)


def fresh_person() -> Origin:
    return person(f"fuzz{next(_users)}")


@FUZZ
@given(action_id=ACTION_ID)
async def test_any_action_id_gets_a_reply_and_an_undecodable_one_writes_nothing(
    engine: QuizEngine, database: QuizDatabase, action_id: object
) -> None:
    origin = person("ada")
    before = await counts(database)
    reply = await engine.handle(origin, action_id)
    assert isinstance(reply, Reply)
    try:
        decode(action_id)
    except ActionIdError:
        assert isinstance(reply.view, Notice) and "nothing was recorded" in reply.view.text.lower()
        assert await counts(database) == before


@FUZZ
@given(position=st.integers(min_value=0, max_value=100), insert=st.text(max_size=6), delete=st.integers(min_value=0, max_value=4))
async def test_a_real_answer_button_altered_by_a_few_characters_never_records_a_second_answer(
    engine: QuizEngine, database: QuizDatabase, position: int, insert: str, delete: int
) -> None:
    owner = person("owner")
    start = await engine.start(owner)
    if not isinstance(start.view, QuestionCard):  # every question answered: begin again with a fresh run
        start = await engine.start(owner)
    assert isinstance(start.view, QuestionCard)
    card = start.view
    real = card.buttons[0].action_id
    altered = _mutate(real, position, insert, delete)
    before = await counts(database)
    reply = await engine.handle(owner, altered)
    after = await counts(database)
    assert isinstance(reply, Reply)
    if isinstance(reply.view, AnswerFeedback):
        # It still decodes to an answer of this very question (e.g. another option's key): exactly one answer, all of it.
        assert after["answers"] == before["answers"] + 1
        assert after["runs"] == before["runs"]
    else:
        assert isinstance(reply.view, (Notice, QuestionCard))
        assert after["answers"] == before["answers"]
    # Whatever happened, the original button now either records the answer or says it was already given.
    again = await engine.handle(owner, real)
    assert isinstance(again.view, (AnswerFeedback, Notice))
    assert (await counts(database))["answers"] <= before["answers"] + 1


@FUZZ
@given(name=TEXT)
async def test_any_team_name_is_refused_with_a_notice_or_stored_normalised(engine: QuizEngine, database: QuizDatabase, name: str) -> None:
    origin = fresh_person()
    before = await counts(database)
    reply = await engine.team_create(origin, name)
    after = await counts(database)
    assert isinstance(reply.view, Notice)
    try:
        expected = normalise_team_name(name)
    except TeamNameError:
        assert reply.view.title == "Team name not accepted"
        assert after == before  # not even the person was created
        return
    if reply.view.title == "Team created":
        assert after["teams"] == before["teams"] + 1 and after["team_members"] == before["team_members"] + 1
        stored = await database.value("SELECT name FROM teams ORDER BY team_id DESC LIMIT 1")
        assert stored == expected
        assert not any(c in stored for c in "@#<>*_~`|:[]\\")
    else:
        assert reply.view.title == "That name is taken" and after["teams"] == before["teams"]
    for other in (engine.team_join, engine.team_show):
        shown = await other(fresh_person(), name)
        assert isinstance(shown.view, Notice) or type(shown.view).__name__ == "TeamView"


@FUZZ
@given(scope=TEXT, window=TEXT, page=st.integers(min_value=-(2**63), max_value=2**63 - 1))
async def test_any_board_request_gets_a_board_or_a_notice(
    engine: QuizEngine, database: QuizDatabase, scope: str, window: str, page: int
) -> None:
    before = await counts(database)
    reply = await engine.leaderboard(person("ada"), scope, window, page)
    assert isinstance(reply, Reply)
    assert await counts(database) == before


@FUZZ
@given(channel=st.one_of(st.text(min_size=1, max_size=30), SQL), post_time=TEXT, zone=TEXT, deck=st.one_of(st.none(), TEXT))
async def test_any_daily_setup_text_is_refused_with_a_notice_or_configures_one_channel(
    engine: QuizEngine, database: QuizDatabase, channel: str, post_time: str, zone: str, deck: str | None
) -> None:
    admin = Origin(platform="discord", space_id="g1", user_id="lead", display_name="Lead", is_admin=True)
    before = await database.value("SELECT COUNT(*) FROM daily_channels")
    reply = await engine.daily.configure(admin, channel, post_time, zone, deck)
    assert isinstance(reply.view, Notice)
    if reply.view.title == "Daily question set":
        assert len(await database.rows("SELECT post_time, timezone FROM daily_channels WHERE channel_id = ?", channel)) == 1
    else:
        assert reply.view.tone in ("warning", "error"), reply.view
        assert await database.value("SELECT COUNT(*) FROM daily_channels") == before
