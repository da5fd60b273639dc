"""Daily question posts on the fake Slack: admin setup, the shared post, private feedback, one answer each, the reveal."""

from __future__ import annotations

from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.config import load_settings
from adapters.slack.identity import Directory
from adapters.slack.main import build_app
from bot.engine import QuizEngine
from tests.conftest import FakeClock
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM, SlackSender, serving
from tests.slack.fake_slack import FakeSlack, Posted
from tests.slack.helpers import daily_best_and_wrong, daily_buttons, query, totals

ADMIN = "UADMIN"
HOUR = 3600
DAY = 24 * HOUR
# The FakeClock starts on Monday 21 Sep 2026 at 14:13 UTC, 16:13 in Berlin: 17:00 Berlin is 47 minutes away.
SET_UP = "daily set 17:00 Europe/Berlin"


@pytest.fixture(autouse=True)
def people(fake: FakeSlack) -> None:
    fake.add_user(ADMIN, "Root", is_admin=True)
    fake.add_user("U3", "Linus")


async def _configured(engine: QuizEngine, channel: str = "C1") -> bool:
    found = await engine.store.daily_channel("slack", TEAM, channel)
    return found is not None and found.enabled


async def _set_up(slack: SlackSender, fake: FakeSlack, channel: str = "C1") -> Posted:
    reply = await slack.ask(SET_UP, ADMIN, channel=channel)
    assert reply.body["text"].startswith("Daily question set"), reply.body["text"]
    return reply


async def _first_post(slack: SlackSender, fake: FakeSlack, engine: QuizEngine, clock: FakeClock) -> Posted:
    """Set up the daily question in C1, then let the scheduler post it at 17:00 Berlin time."""
    await _set_up(slack, fake)
    await engine.daily.tick()
    assert len(fake.channel_messages("C1")) == 1  # only the confirmation: 17:00 has not come yet
    clock.advance(HOUR)
    await engine.daily.tick()
    post = fake.channel_messages("C1")[-1]
    assert post.problems == []
    return post


async def test_an_admin_sets_up_the_daily_question_and_the_channel_is_told(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine
) -> None:
    reply = await _set_up(slack, fake)
    assert reply.via == "response_url" and reply.body["response_type"] == "ephemeral"
    assert "17:00 Europe/Berlin" in reply.body["text"] and "Next post: Mon 21 Sep 2026 17:00 CEST" in reply.body["text"]
    [confirmation] = fake.channel_messages("C1")
    assert "Root set up the daily recsys-quiz question" in confirmation.body["text"]
    assert "17:00 (Europe/Berlin)" in confirmation.body["text"]
    channel = await quiz_engine.store.daily_channel("slack", TEAM, "C1")
    assert channel is not None and (channel.post_time, channel.timezone, channel.configured_by) == (
        "17:00",
        "Europe/Berlin",
        ADMIN,
    )


@pytest.mark.parametrize("text", [SET_UP, "daily off", "daily now"])
async def test_a_member_who_is_not_an_admin_is_refused_and_nothing_is_posted(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, text: str
) -> None:
    reply = await slack.ask(text, "U1")
    assert reply.body["response_type"] == "ephemeral"
    assert reply.body["text"].startswith("Admins only")
    assert "workspace's admins and owners" in reply.body["text"]
    assert fake.channel_messages("C1") == []
    assert not await _configured(quiz_engine)


async def test_a_workspace_owner_is_an_admin_too(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    fake.add_user("UOWNER", "Owner", is_owner=True)
    reply = await slack.ask(SET_UP, "UOWNER")
    assert reply.body["text"].startswith("Daily question set")
    assert await _configured(quiz_engine)


async def test_users_listed_in_slack_admin_user_ids_are_admins(
    quiz_engine: QuizEngine, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("SLACK_ADMIN_USER_IDS", " U2 , W123ABC")
    settings = load_settings()
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
    app = build_app(quiz_engine, client=client, signing_secret=SIGNING_SECRET, directory=Directory(admin_user_ids=settings.admin_ids))
    async with serving(app, fake) as sender:
        refused = await sender.ask(SET_UP, "U1")
        assert refused.body["text"].startswith("Admins only")
        accepted = await sender.ask(SET_UP, "U2")  # Grace is no workspace admin, but she is listed
        assert accepted.body["text"].startswith("Daily question set")
    assert await _configured(quiz_engine)


async def test_admin_rights_are_checked_at_run_time_not_remembered(fake: FakeSlack) -> None:
    now = [0.0]
    directory = Directory(clock=lambda: now[0])
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
    assert (await directory.origin(client, team_id=TEAM, user_id=ADMIN)).is_admin
    fake.users[ADMIN]["is_admin"] = False  # demoted in the workspace
    now[0] += 601  # past the 10-minute cache
    assert not (await directory.origin(client, team_id=TEAM, user_id=ADMIN)).is_admin


async def test_a_channel_the_bot_is_not_in_is_refused_with_how_to_invite_it(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine
) -> None:
    fake.not_member.add("C2")
    reply = await slack.ask(SET_UP, ADMIN, channel="C2")
    assert reply.body["response_type"] == "ephemeral"
    assert reply.body["text"].startswith("The bot can't post in this channel")
    assert "/invite @recsys-quiz" in reply.body["text"] and "Nothing was set up" in reply.body["text"]
    assert not await _configured(quiz_engine, "C2")


async def test_an_archived_channel_is_refused(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    fake.archived.add("C1")
    reply = await slack.ask(SET_UP, ADMIN)
    assert "archived" in reply.body["text"]
    assert not await _configured(quiz_engine)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("daily set 25:00 Europe/Berlin", "That time isn't valid: '25:00' is not a time of day. Use 24-hour HH:MM"),
        ("daily set 9am Europe/Berlin", "That time isn't valid"),
        ("daily set 09:00 Mars/Olympus", "Unknown timezone: 'Mars/Olympus' is not an IANA timezone"),
        ("daily set 09:00 Europe/Berlin no-such-deck", "Unknown deck"),
        ("daily set 09:00", "How to set up the daily question"),
        ("daily set", "How to set up the daily question"),
    ],
)
async def test_a_bad_time_zone_or_deck_gets_a_notice_showing_the_valid_form(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, text: str, expected: str
) -> None:
    reply = await slack.ask(text, ADMIN)
    assert reply.body["text"].startswith(expected), reply.body["text"]
    assert "daily set 09:00 Europe/Berlin" in reply.body["text"] or "Unknown" in reply.body["text"]
    assert fake.channel_messages("C1") == []  # nothing is announced for a request that will not be set up
    assert not await _configured(quiz_engine)


async def test_the_post_three_answers_private_feedback_one_answer_each_and_the_reveal(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, clock: FakeClock
) -> None:
    post = await _first_post(slack, fake, quiz_engine, clock)
    assert post.body["text"].startswith("Daily question · Monday 21 September 2026:")
    assert [b["text"]["text"] for b in post.buttons] == ["A", "B", "C", "D"]
    assert all(i.startswith("rq1:d:") for i in post.action_ids)
    best, wrong = await daily_best_and_wrong(quiz_engine, post)
    shared = {"channel": "C1", "message_ts": post.ts, "ephemeral": False}

    replies = [
        await slack.press(best, "U1", **shared),
        await slack.press(wrong[0], "U2", **shared),
        await slack.press(best, "U3", **shared),
    ]
    for reply in replies:
        assert reply.via == "response_url" and reply.problems == []
        assert reply.body["response_type"] == "ephemeral"
        assert reply.body["replace_original"] is False  # the shared post stays as it is
        assert "Streak: 1 (best 1)" in reply.body["text"]
    assert replies[0].body["text"].startswith("Correct") and replies[1].body["text"].startswith("Not the best answer")

    again = await slack.press(wrong[1], "U1", **shared)
    assert again.body["text"].startswith("Already answered") and again.body["replace_original"] is False
    post_id = daily_buttons(post)[0].post_id
    assert query(quiz_engine, "SELECT COUNT(*) FROM daily_answers WHERE post_id = ?", post_id) == [(3,)]
    assert [(await totals(quiz_engine, user))[0] for user in ("U1", "U2", "U3")] == [1, 0, 1]  # the daily scoring rule
    assert not [p for p in fake.posted if p.via == "chat.update"]  # no click ever edits the shared post itself

    await quiz_engine.daily.tick()  # the count on the post catches up
    [counted] = fake.channel_messages("C1", via="chat.update")
    assert counted.ts == post.ts and "*3 answers* so far" in counted.all_text and len(counted.buttons) == 4

    clock.advance(DAY)
    await quiz_engine.daily.tick()
    second = fake.channel_messages("C1")[-1]
    assert second.ts != post.ts and "Tuesday 22 September 2026" in second.body["text"] and len(second.buttons) == 4
    reveal = fake.channel_messages("C1", via="chat.update")[-1]
    assert reveal.ts == post.ts and reveal.problems == []
    assert reveal.buttons == [] and not [b for b in reveal.blocks if b["type"] == "actions"]
    assert "(closed): the best answer was" in reveal.body["text"] and "3 answers" in reveal.body["text"]
    assert "67% (2)" in reveal.all_text and "33% (1)" in reveal.all_text
    assert fake.messages[("C1", post.ts)]["text"] == reveal.body["text"]  # what the channel now sees

    late = await slack.press(best, "U2", **shared)
    assert late.body["text"].startswith("This daily question is closed") and late.body["replace_original"] is False
    assert query(quiz_engine, "SELECT COUNT(*) FROM daily_answers WHERE post_id = ?", post_id) == [(3,)]


async def test_without_a_response_url_daily_feedback_is_posted_ephemerally_never_over_the_post(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, clock: FakeClock
) -> None:
    post = await _first_post(slack, fake, quiz_engine, clock)
    best, _ = await daily_best_and_wrong(quiz_engine, post)
    fake.response_url_status = 404  # an expired response_url: the Web API takes over
    reply = await slack.press(best, "U1", channel="C1", message_ts=post.ts, ephemeral=False)
    assert reply.via == "chat.postEphemeral" and reply.body["user"] == "U1"
    assert not fake.channel_messages("C1", via="chat.update")


async def test_status_now_and_off(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, clock: FakeClock) -> None:
    assert (await slack.ask("daily status", "U1")).body["text"].startswith("No daily question here")
    await _set_up(slack, fake)
    status = await slack.ask("daily", "U1")  # anyone may ask
    assert "every day at 17:00 Europe/Berlin" in status.body["text"] and "Last post: none yet" in status.body["text"]
    now = await slack.ask("daily now", ADMIN)
    assert now.body["text"].startswith("Posted")
    assert len(fake.channel_messages("C1")[-1].buttons) == 4
    assert "Last post: 2026-09-21, posted" in (await slack.ask("daily status", ADMIN)).body["text"]
    off = await slack.ask("daily off", ADMIN)
    assert off.body["text"].startswith("Daily question off")
    posts = len(fake.channel_messages("C1"))
    clock.advance(DAY)
    await quiz_engine.daily.tick()
    assert len(fake.channel_messages("C1")) == posts
    assert not await _configured(quiz_engine)


async def test_a_channel_that_removed_the_bot_fails_alone_and_the_others_still_get_their_post(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, clock: FakeClock
) -> None:
    await _set_up(slack, fake, "C1")
    await _set_up(slack, fake, "C2")
    fake.not_member.add("C1")  # someone removed the bot after the setup
    clock.advance(HOUR)
    await quiz_engine.daily.tick()
    assert len(fake.channel_messages("C2")) == 2  # the confirmation and the question
    [(status, error)] = query(
        quiz_engine,
        "SELECT p.status, p.last_error FROM daily_posts p JOIN daily_channels c USING (channel_key) WHERE c.channel_id = 'C1'",
    )
    assert status == "failed" and "not_in_channel" in error and "/invite @recsys-quiz" in error
    status_reply = await slack.ask("daily status", ADMIN, channel="C1")
    assert "/invite @recsys-quiz" in status_reply.body["text"]


async def test_a_rate_limited_post_is_retried_later_and_sent_once(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, clock: FakeClock
) -> None:
    await _set_up(slack, fake)
    # slack_sdk's 429 handler waits Slack's Retry-After (1 s here) and tries once more; when that is refused too,
    # the scheduler records the failure and its own backoff takes over.
    fake.fail_next("chat.postMessage", "ratelimited", "ratelimited")
    clock.advance(HOUR)
    await quiz_engine.daily.tick()
    assert len(fake.channel_messages("C1")) == 1  # only the confirmation went through
    [(status, error)] = query(quiz_engine, "SELECT status, last_error FROM daily_posts")
    assert status == "failed" and "ratelimited" in error
    clock.advance(120)
    await quiz_engine.daily.tick()
    await quiz_engine.daily.tick()
    assert len(fake.channel_messages("C1")) == 2
    assert query(quiz_engine, "SELECT status FROM daily_posts") == [("sent",)]  # one post row, sent once


async def test_a_failed_users_info_is_asked_again_soon_so_an_admin_is_not_locked_out_for_long(fake: FakeSlack) -> None:
    now = [0.0]
    directory = Directory(clock=lambda: now[0])
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
    fake.fail_next("users.info", "ratelimited")
    assert not (await directory.origin(client, team_id=TEAM, user_id=ADMIN)).is_admin
    now[0] += 31
    assert (await directory.origin(client, team_id=TEAM, user_id=ADMIN)).is_admin


async def test_after_a_429_users_info_is_not_called_until_slacks_retry_after_has_passed(fake: FakeSlack) -> None:
    now = [0.0]
    directory = Directory(clock=lambda: now[0])
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
    fake.fail_next("users.info", "ratelimited")  # the fake says Retry-After: 1
    names = [(await directory.origin(client, team_id=TEAM, user_id=f"U{i}", fallback_name=f"p{i}")).display_name for i in range(20)]
    assert names == [f"p{i}" for i in range(20)]  # new people: the payload's names while Slack says wait
    assert len([c for c in fake.calls if c.method == "users.info"]) == 1
    now[0] += 1.5
    assert (await directory.origin(client, team_id=TEAM, user_id=ADMIN)).is_admin
    assert len([c for c in fake.calls if c.method == "users.info"]) == 2
