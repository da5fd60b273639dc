"""Issue 16 on the fake Slack through the real bolt app: export to a DM with files_upload_v2, forget-me and admin forget,
the App Home tab within Block Kit's limits, and a weekly digest with its chart over a week of a fake clock."""

from __future__ import annotations

import json

import pytest

from adapters.slack.home import HOME_BLOCKS, home_tab
from adapters.slack.render import render
from bot.actions import BoardPageAction, ReviewAction, StartAction, decode
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.store.person_data import FORMAT_VERSION, SECTIONS
from bot.views import Button, DeckProgress, HomeView, LeaderboardRow, QuestionCard, Streak
from tests.conftest import FakeClock
from tests.slack.conftest import SlackSender, settled
from tests.slack.fake_slack import FakeSlack, Posted, block_kit_problems, view_problems
from tests.slack.helpers import best_and_wrong, query, totals
from tests.test_chart import png_size
from tests.test_daily import utc
from tests.view_samples import digest_sample

ADMIN = "UADMIN"
DIGEST_CHANNEL = "C0DIGEST01"  # files.completeUploadExternal takes ids of Slack's shape only
DAY = 86_400


@pytest.fixture(autouse=True)
def people(fake: FakeSlack) -> None:
    fake.add_user(ADMIN, "Root", is_admin=True)


async def answer_one(slack: SlackSender, engine: QuizEngine, user: str = "U1", *, correct: bool = True) -> Posted:
    card = await slack.ask("start", user)
    best, wrong = best_and_wrong(engine, card)
    return await slack.press(best if correct else wrong, user)


def calls(fake: FakeSlack) -> list[str]:
    return [call.method for call in fake.calls]


# Export ---------------------------------------------------------------------------------------


async def test_export_sends_one_json_document_to_the_persons_dm_with_files_upload_v2(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine
) -> None:
    await answer_one(slack, quiz_engine)
    await slack.ask("team create Graph Nerds")
    reply = await slack.ask("export")
    assert reply.problems == [] and reply.body["response_type"] == "ephemeral"
    assert reply.body["text"].startswith("Your data:") and "in your direct messages with recsys-quiz" in reply.body["text"]
    (upload,) = fake.uploads
    assert upload.channel == fake.dms["U1"] and upload.filename.endswith(".json")
    document = json.loads(upload.content)
    assert document["format_version"] == FORMAT_VERSION and document["platform"] == "slack" and document["user_id"] == "U1"
    assert list(document)[-len(SECTIONS) :] == list(SECTIONS)
    assert len(document["answers"]) == 1 and document["team_membership"][0]["team"] == "Graph Nerds"
    assert document["profile"][0]["display_name"] == "Ada"
    made = calls(fake)
    # files_upload_v2's three steps, after opening the DM (a file is shared to a channel id, never a user id).
    assert made[made.index("conversations.open") :][:3] == [
        "conversations.open",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


async def test_an_export_slack_refuses_gets_a_clear_notice(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    fake.fail_next("files.getUploadURLExternal", "missing_scope")
    reply = await slack.ask("export")
    assert reply.body["text"].startswith("The file could not be sent") and "reinstall" in reply.body["text"]
    assert fake.uploads == []


# Forget me ------------------------------------------------------------------------------------


async def test_forget_me_asks_first_and_only_the_askers_confirmation_deletes(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine
) -> None:
    await answer_one(slack, quiz_engine)
    prompt = await slack.ask("forget-me")
    assert prompt.problems == [] and prompt.body["text"].startswith("Delete everything about you?")
    yes, no = prompt.buttons
    assert yes["style"] == "danger" and yes["text"]["text"] == "Delete my data"
    stranger = await slack.press(yes["action_id"], "U2")
    assert stranger.body["text"].startswith("This button belongs to someone else")
    assert await totals(quiz_engine) == (1, 1)
    kept = await slack.press(no["action_id"], "U1")
    assert kept.body["text"].startswith("Nothing was deleted") and kept.body["replace_original"] is True
    deleted = await slack.press(yes["action_id"], "U1")
    assert deleted.body["text"].startswith("Your data is deleted") and deleted.body["replace_original"] is True
    assert await totals(quiz_engine) == (0, 0)
    await slack.ask("export")
    document = json.loads(fake.uploads[-1].content)
    assert all(document[section] == [] for section in SECTIONS)


async def test_an_admin_forgets_a_mentioned_member_who_is_told_on_their_next_command(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine
) -> None:
    await answer_one(slack, quiz_engine, "U1")
    refused = await slack.ask("admin forget <@U1|ada>", "U2")
    assert refused.body["text"].startswith("Admins only")
    usage = await slack.ask("admin forget @ada", ADMIN)  # Slack sent the name, not the id: nothing to look up
    assert usage.body["text"].startswith("Which member?") and "Copy member ID" in usage.body["text"]
    assert await totals(quiz_engine, "U1") == (1, 1)

    done = await slack.ask("admin forget <@U1|ada>", ADMIN)
    assert done.body["text"].startswith("The member's data is deleted") and "next command" in done.body["text"]
    assert await totals(quiz_engine, "U1") == (0, 0)
    told = await slack.ask("stats", "U1")
    assert told.problems == [] and told.blocks[0]["type"] == "context"
    assert "An admin here deleted everything recsys-quiz kept about you" in told.blocks[0]["elements"][0]["text"]
    assert "An admin here" not in (await slack.ask("stats", "U1")).all_text  # told once
    assert query(quiz_engine, "SELECT COUNT(*) FROM forget_notices") == [(0,)]


# App Home -------------------------------------------------------------------------------------


async def test_opening_the_home_tab_publishes_progress_streak_team_and_the_weeks_top_five(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine
) -> None:
    await slack.ask("team create Graph Nerds", "U1")
    await answer_one(slack, quiz_engine, "U1")
    await answer_one(slack, quiz_engine, "U2", correct=False)
    await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D000000009", "tab": "home", "event_ts": "1.2"})
    await fake.wait_until(lambda: bool(fake.published))
    user, view, problems = fake.published[0]
    assert user == "U1" and problems == [] and len(view["blocks"]) <= HOME_BLOCKS
    shown = json.dumps(view)
    assert "Progress per deck" in shown and "RecSys Platform Engineer interview: 1 / 5 completed" in shown
    assert "Graph Nerds, rank 1 of 1 this week" in shown and "*1.* Ada _(you)_: 1 point" in shown and "Grace: 0 points" in shown
    actions = [decode(e["action_id"]) for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert isinstance(actions[0], StartAction) and isinstance(actions[1], BoardPageAction) and actions[1].window == "week"

    # The Messages tab needs nothing published; the Home tab's Start button starts a run in the person's DM.
    await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D000000009", "tab": "messages", "event_ts": "1.3"})
    before = len(fake.posted)
    home_click = slack.click_payload(actions[0].encode(), "U1")
    home_click.pop("response_url"), home_click.pop("channel")
    home_click["container"] = {"type": "view", "view_id": "V000000001"}
    assert (await slack.post(slack.form(home_click))).status == 200
    card = await fake.next_message(before)
    assert card.via == "chat.postMessage" and card.key == "U1" and card.body["text"].startswith("Question 2 of 5")

    # An answer of someone who opened their Home lately publishes it again, with the new figures.
    best, _ = best_and_wrong(quiz_engine, card)
    await slack.press(best, "U1", channel="D000000009", ephemeral=False)
    await settled()
    assert len(fake.published) == 2 and "2 points this week" in json.dumps(fake.published[-1][1])
    await answer_one(slack, quiz_engine, "U2")  # Grace never opened hers: nothing is published for her
    await settled()
    assert [user for user, _, _ in fake.published] == ["U1", "U1"]


def test_a_home_of_many_decks_and_hostile_names_stays_within_block_kits_limits() -> None:
    hostile = "<!channel> <@U1> *bold* & " + "x" * 400
    view = HomeView(
        name=hostile,
        decks=tuple(DeckProgress(deck_title=f"{hostile} {i}", answered=1, total=9, runs_finished=0) for i in range(200)),
        streak=Streak(current=2, best=5),
        points_this_week=3,
        week="This week (from Monday 21 Sep 2026)",
        timezone="UTC",
        team=hostile,
        team_rank=2,
        teams_ranked=3,
        top=tuple(LeaderboardRow(rank=i, name=hostile, points=9 - i) for i in range(1, 6)),
        due_reviews=4,
        buttons=(Button(label="Start", action_id="rq1:s:recsys-platform-engineer", style="primary"),),
    )
    published = home_tab(view).to_dict()  # slack_sdk's models validate the view and its blocks on the way out
    assert view_problems(published) == [] and len(published["blocks"]) <= HOME_BLOCKS
    shown = json.dumps(published)
    assert "<!channel>" not in shown and "<@U1>" not in shown and "&lt;!channel&gt;" in shown
    assert "*Reviews due today:* 4" in shown  # the place study mode fills


# Weekly digest --------------------------------------------------------------------------------


async def test_a_weekly_digest_round_trip_with_its_chart_over_a_week_of_a_fake_clock(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, clock: FakeClock
) -> None:
    # The clock starts on Monday 21 Sep 2026, 14:13 UTC; the boards count weeks in UTC.
    refused = await slack.ask("digest on", "U1", channel=DIGEST_CHANNEL)
    assert refused.body["text"].startswith("Admins only") and fake.channel_messages(DIGEST_CHANNEL) == []
    fake.not_member.add("C0OUTSIDE1")
    outside = await slack.ask("digest on", ADMIN, channel="C0OUTSIDE1")
    assert outside.body["text"].startswith("The bot can't post in this channel") and "/invite" in outside.body["text"]
    on = await slack.ask("digest on", ADMIN, channel=DIGEST_CHANNEL)
    assert on.body["text"].startswith("Weekly digest on") and "09:00 UTC" in on.body["text"]
    (announcement,) = fake.channel_messages(DIGEST_CHANNEL)
    assert "Root turned on the weekly recsys-quiz digest" in announcement.body["text"]

    await quiz_engine.digest.tick()  # Monday after 09:00: last week's digest (an empty week) goes out at once
    assert len(fake.channel_messages(DIGEST_CHANNEL)) == 2 and len(fake.uploads) == 1
    for day in range(3):  # this week: answers on Monday, Tuesday and Wednesday
        await answer_one(slack, quiz_engine, "U1", correct=day != 1)
        await answer_one(slack, quiz_engine, "U2", correct=day == 2)
        clock.advance(DAY)
        await quiz_engine.digest.tick()
    assert len(fake.channel_messages(DIGEST_CHANNEL)) == 2  # nothing more before Monday

    clock.now = utc("2026-09-28T08:59:59")  # the next Monday, a second before 09:00 UTC
    await quiz_engine.digest.tick()
    assert len(fake.channel_messages(DIGEST_CHANNEL)) == 2
    clock.advance(1)
    await quiz_engine.digest.tick()
    await quiz_engine.digest.tick()
    digest = fake.channel_messages(DIGEST_CHANNEL)[-1]
    assert len(fake.channel_messages(DIGEST_CHANNEL)) == 3 and digest.problems == []
    assert digest.body["text"].startswith("Weekly digest, Week from Monday 21 Sep 2026: 6 answers")
    assert "*1.* Ada: 2 points" in digest.all_text and "*2.* Grace: 1 point" in digest.all_text
    assert "*Accuracy per topic*" in digest.all_text and "*Most missed:*" in digest.all_text
    chart = fake.uploads[-1]
    assert chart.channel == DIGEST_CHANNEL and chart.filename.endswith(".png") and png_size(chart.content) == (1200, 675)
    assert "Week from Monday 21 Sep 2026" in (chart.initial_comment or "")
    assert query(quiz_engine, "SELECT week, status FROM digest_posts ORDER BY digest_id") == [
        ("2026-09-21", "sent"),
        ("2026-09-28", "sent"),
    ]

    off = await slack.ask("digest off", ADMIN, channel=DIGEST_CHANNEL)
    assert off.body["text"].startswith("Weekly digest off")
    clock.advance(7 * DAY)
    await quiz_engine.digest.tick()
    assert len(fake.channel_messages(DIGEST_CHANNEL)) == 3


async def test_digest_on_names_another_channel_by_mention(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    on = await slack.ask(f"digest on <#{DIGEST_CHANNEL}|study>", ADMIN, channel="C1")
    assert on.body["text"].startswith("Weekly digest on")
    assert [c.channel_id for c in await quiz_engine.store.digest_channels("slack")] == [DIGEST_CHANNEL]
    plain = await slack.ask("digest on #study", ADMIN, channel="C1")
    assert plain.body["text"].startswith("Which channel?")
    assert len(await quiz_engine.store.digest_channels("slack")) == 1


def test_a_digest_of_hostile_names_and_many_topics_renders_within_block_kits_limits_as_plain_text() -> None:
    message = render(digest_sample())
    assert block_kit_problems(message.payload()) == []
    shown = json.dumps(message.payload())
    assert "<!channel>" not in shown and "<@U123>" not in shown and "&lt;!channel&gt;" in shown
    assert "*Most missed:*" in shown and "*Accuracy per topic*" in shown


async def test_the_home_tab_shows_the_reviews_due_with_a_review_button_that_starts_one(quiz_engine: QuizEngine) -> None:
    origin = Origin(platform="slack", space_id="T1", user_id="U77", display_name="Ann")
    home = await quiz_engine.home(origin)
    assert home.due_reviews is None  # someone new has nothing to review yet
    card = (await quiz_engine.start(origin)).view
    assert isinstance(card, QuestionCard)
    await quiz_engine.handle(origin, card.buttons[0].action_id)
    home = await quiz_engine.home(origin)
    assert home.due_reviews is not None and home.due_reviews >= 0
    review = next(b for b in home.buttons if b.label == "Review")
    assert isinstance(decode(review.action_id), ReviewAction)
    started = (await quiz_engine.handle(origin, review.action_id)).view
    assert started.kind in ("question", "notice")  # a review of what is due, or "all caught up"
