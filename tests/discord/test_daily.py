"""Daily question posts on the fake Discord: admin set-up, the channel post, private answers, the reveal, permissions."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import discord
import pytest

from adapters.discord.daily import DiscordPublisher, publish_error
from bot.daily import DailyTarget, PublishError
from tests.conftest import FakeClock
from tests.discord.conftest import running_bot
from tests.discord.fake_discord import (
    CHANNEL_ID,
    EMBED_LINKS,
    EPHEMERAL,
    GUILD_ID,
    MANAGE_GUILD,
    OTHER_CHANNEL_ID,
    SEND_MESSAGES,
    ChannelRef,
    FakeDiscord,
    Pending,
    user_payload,
)
from tests.discord.test_bot import SlowEngine, custom_ids, embed, labels

ADMIN = user_payload("1600000000000000010", "lead", global_name="Lead")
ALICE = user_payload("1600000000000000001", "alice", global_name="Alice")
BOB = user_payload("1600000000000000002", "bob", global_name="Bob")
CAROL = user_payload("1600000000000000003", "carol", global_name="Carol")
BERLIN = ZoneInfo("Europe/Berlin")


def berlin(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN).timestamp()


async def shown(fake: FakeDiscord, user: dict[str, Any], sub: str, options: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    """The message the bot showed for `/recsys-quiz <sub>`."""
    return await fake.delivered(await fake.slash(user, sub, options, **kw))


async def configure(fake: FakeDiscord, options: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    return await shown(fake, ADMIN, "daily set", {"time": "09:00", "timezone": "Europe/Berlin", **(options or {})}, **kw)


async def test_an_admin_sets_up_the_daily_post_and_everyone_else_gets_a_clear_notice(fake: FakeDiscord, db_path: Path) -> None:
    clock = FakeClock(berlin(23, 7))
    async with running_bot(fake, db_path, clock=clock) as client:
        refused = await shown(fake, ALICE, "daily set", {"time": "09:00", "timezone": "Europe/Berlin"})
        in_dm = await shown(fake, ADMIN, "daily set", {"time": "09:00", "timezone": "Europe/Berlin"}, guild=False)
        bad_time = await configure(fake, {"time": "25:00"}, permissions=MANAGE_GUILD)
        bad_zone = await configure(fake, {"timezone": "Mars/Olympus"}, permissions=MANAGE_GUILD)
        nothing_yet = await client.engine.store.daily_channel("discord", GUILD_ID, CHANNEL_ID)
        accepted = await configure(fake, permissions=MANAGE_GUILD)
        status = await shown(fake, ALICE, "daily status")
        not_off = await shown(fake, ALICE, "daily off")
        not_now = await shown(fake, ALICE, "daily now")
        channel = await client.engine.store.daily_channel("discord", GUILD_ID, CHANNEL_ID)
    for message in (refused, in_dm, bad_time, bad_zone, accepted, status, not_off, not_now):
        assert message["flags"] & EPHEMERAL
    assert embed(refused)["title"] == "Admins only" and "Manage Server" in embed(refused)["description"]
    assert embed(in_dm)["title"] == "Daily questions are for server channels"
    assert embed(bad_time)["title"] == "That time isn't valid" and "HH:MM" in embed(bad_time)["description"]
    assert embed(bad_zone)["title"] == "Unknown timezone" and "Europe/Berlin" in embed(bad_zone)["description"]
    assert nothing_yet is None
    assert embed(accepted)["title"] == "Daily question set"
    assert "09:00 Europe/Berlin" in embed(accepted)["description"] and "Mon 23 Nov 2026 09:00" in embed(accepted)["description"]
    assert embed(status)["title"] == "Daily question status" and "Last post: none yet." in embed(status)["description"]
    assert embed(not_off)["title"] == embed(not_now)["title"] == "Admins only"
    assert channel is not None and channel.enabled and (channel.post_time, channel.timezone) == ("09:00", "Europe/Berlin")
    assert fake.channel_posts == []


async def test_daily_set_is_refused_in_a_channel_the_bot_cannot_post_to(fake: FakeDiscord, db_path: Path) -> None:
    fake.channel_denies[CHANNEL_ID] = EMBED_LINKS  # here: Discord's app_permissions say so
    fake.channel_denies[OTHER_CHANNEL_ID] = SEND_MESSAGES  # elsewhere: read from the guild's roles and the channel
    async with running_bot(fake, db_path, clock=FakeClock(berlin(23, 7))) as client:
        here = await configure(fake, permissions=MANAGE_GUILD)
        there = await configure(fake, {"channel": ChannelRef(OTHER_CHANNEL_ID)}, permissions=MANAGE_GUILD)
        del fake.channel_denies[OTHER_CHANNEL_ID]
        allowed = await configure(fake, {"channel": ChannelRef(OTHER_CHANNEL_ID)}, permissions=MANAGE_GUILD)
        stored = {c: await client.engine.store.daily_channel("discord", GUILD_ID, c) for c in (CHANNEL_ID, OTHER_CHANNEL_ID)}
    assert embed(here)["title"] == embed(there)["title"] == "The bot cannot post there"
    assert "lacks Embed Links" in embed(here)["description"] and f"<#{CHANNEL_ID}>" in embed(here)["description"]
    assert "lacks Send Messages" in embed(there)["description"] and f"<#{OTHER_CHANNEL_ID}>" in embed(there)["description"]
    assert embed(allowed)["title"] == "Daily question set"
    assert stored[CHANNEL_ID] is None and stored[OTHER_CHANNEL_ID] is not None
    # The other channel's permissions were read over REST: the guild's roles, the bot's member, the channel.
    paths = [c.path for c in fake.calls if c.method == "GET"]
    assert any(p.endswith(f"/guilds/{GUILD_ID}") for p in paths) and any(p.endswith(f"/channels/{OTHER_CHANNEL_ID}") for p in paths)


async def test_daily_set_in_a_thread_asks_for_a_text_channel(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path, clock=FakeClock(berlin(23, 7))) as client:
        thread = await configure(fake, permissions=MANAGE_GUILD, channel_type=11)
        stored = await client.engine.store.daily_channel("discord", GUILD_ID, CHANNEL_ID)
    assert embed(thread)["title"] == "Pick a text channel" and stored is None


def daily_message(fake: FakeDiscord, index: int = -1) -> dict[str, Any]:
    post = fake.channel_posts[index]
    message_id = next(m for m in fake.channel_messages.values() if m["embeds"] == post.json["embeds"])["id"]
    return fake.channel_messages[message_id]


async def test_the_post_goes_to_the_channel_each_answer_is_private_once_and_the_next_post_reveals_the_last(
    fake: FakeDiscord, db_path: Path
) -> None:
    clock = FakeClock(berlin(23, 7))
    async with running_bot(fake, db_path, clock=clock) as client:
        daily = client.engine.daily
        await configure(fake, permissions=MANAGE_GUILD)
        await daily.tick()
        assert fake.channel_posts == []  # 07:00 in Berlin: not yet
        clock.now = berlin(23, 9)
        await daily.tick()
        await daily.tick()  # due, but already posted today: nothing more
        assert len(fake.channel_posts) == 1
        post = fake.channel_posts[0]
        message = daily_message(fake)
        buttons = custom_ids(message)

        # Three people answer; each sees private feedback with their streak; the shared post is never replaced.
        feedback = {}
        for user, button in ((ALICE, buttons[0]), (BOB, buttons[1]), (CAROL, buttons[2])):
            pending = await fake.click(user, message, button)
            response = await fake.answered(pending)
            assert response.json["type"] == 4
            feedback[user["username"]] = response.json["data"]
        again = await fake.answered(await fake.click(ALICE, message, buttons[3]))
        post_id = int(buttons[0].split(":")[2])
        tallies = await client.engine.store.daily_tallies(post_id)

        await daily.tick()  # the answer count is edited into the post
        counted = fake.channel_edits[-1].json

        clock.now = berlin(24, 9)
        await daily.tick()
        old = fake.channel_messages[message["id"]]
        late = await fake.answered(await fake.click(BOB, old, buttons[0]))
        stats = await shown(fake, ALICE, "stats")

    # The post: a channel message (not an interaction reply) with the question, four buttons, no mentions; it and
    # every edit carry exactly the fields they set (no `content: null`, no `tts`, which the edit endpoint lacks).
    assert post.path.endswith(f"/channels/{CHANNEL_ID}/messages")
    assert all(set(call.json) == {"embeds", "components", "allowed_mentions"} for call in [*fake.channel_posts, *fake.channel_edits])
    assert post.json["allowed_mentions"] == {"parse": []} and not post.json.get("flags", 0) & EPHEMERAL
    assert embed(post.json)["title"] == "Daily question · Monday 23 November 2026"
    assert labels(message) == ["A", "B", "C", "D"] and all(b.startswith("rq1:d:") for b in buttons)
    for data in feedback.values():
        assert data["flags"] & EPHEMERAL
        card = embed(data)
        assert card["title"].startswith(("Correct", "Not the best answer"))
        assert ("Daily streak", "1 in a row (best 1)") in [(f["name"], f["value"]) for f in card["fields"]]
    assert again.json["type"] == 4 and again.json["data"]["flags"] & EPHEMERAL
    assert embed(again.json["data"])["title"] == "Already answered" and " with A;" in embed(again.json["data"])["description"]
    assert sum(tallies.values()) == 3  # the second click was not counted
    assert embed(counted)["footer"]["text"].startswith("3 answered so far")
    # The next day's post, and the reveal edited into yesterday's: best answer, share per option, buttons disabled.
    assert len(fake.channel_posts) == 2
    assert embed(fake.channel_posts[1].json)["title"] == "Daily question · Tuesday 24 November 2026"
    revealed = embed(old)
    assert revealed["title"].endswith("answer revealed")
    assert [f["name"].split(" · ")[0] for f in revealed["fields"][:4]] == ["A", "B", "C", "D"]
    assert sum("(1)" in f["name"] for f in revealed["fields"][:4]) == 3
    assert revealed["fields"][4]["name"].startswith("Best answer: ")
    assert all(b["disabled"] for row in old["components"] for b in row["components"])
    assert any(c.path.endswith(f"/messages/{message['id']}") for c in fake.channel_edits)
    assert embed(late.json["data"])["title"] == "This daily question is closed" and late.json["data"]["flags"] & EPHEMERAL
    assert ("Daily streak", "1 in a row (best 1)") in [(f["name"], f["value"]) for f in embed(stats)["fields"]]


async def test_daily_now_posts_at_once_and_status_then_names_the_post(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path, clock=FakeClock(berlin(23, 7))):
        await configure(fake, permissions=MANAGE_GUILD)
        now = await shown(fake, ADMIN, "daily now", permissions=MANAGE_GUILD)
        status = await shown(fake, ALICE, "daily status")
        off = await shown(fake, ADMIN, "daily off", permissions=MANAGE_GUILD)
    assert embed(now)["title"] == "Posted" and len(fake.channel_posts) == 1
    assert "Last post: 2026-11-23, posted." in embed(status)["description"]
    assert embed(off)["title"] == "Daily question off"


async def test_a_post_discord_refuses_is_recorded_and_shown_in_status_and_the_scheduler_goes_on(fake: FakeDiscord, db_path: Path) -> None:
    clock = FakeClock(berlin(23, 7))
    async with running_bot(fake, db_path, clock=clock) as client:
        await configure(fake, permissions=MANAGE_GUILD)
        fake.channel_denies[CHANNEL_ID] = SEND_MESSAGES  # someone took the permission away afterwards
        clock.now = berlin(23, 9)
        await client.engine.daily.tick()
        status = await shown(fake, ALICE, "daily status")
        clock.advance(3600)
        await client.engine.daily.tick()  # a refusal is tried again after a while (an admin may fix it) ...
        refused_only = not fake.channel_posts
        fake.channel_denies.clear()
        now = await shown(fake, ADMIN, "daily now", permissions=MANAGE_GUILD)  # ... or the admin fixes it and posts
        clock.advance(3600)
        await client.engine.daily.tick()  # the failed post was the one sent: nothing is posted twice
    assert refused_only and len(fake.channel_refusals) == 2
    assert "failed (Discord refused (403, code 50013)" in embed(status)["description"]
    assert embed(now)["title"] == "Posted" and len(fake.channel_posts) == 1


async def test_a_post_is_deleted_through_the_public_partial_message_and_an_unknown_one_is_refused_for_good(
    fake: FakeDiscord, db_path: Path
) -> None:
    async with running_bot(fake, db_path, clock=FakeClock(berlin(23, 7))) as client:
        await configure(fake, permissions=MANAGE_GUILD)
        await shown(fake, ADMIN, "daily now", permissions=MANAGE_GUILD)
        message_id = daily_message(fake)["id"]
        publisher = DiscordPublisher(client)
        target = DailyTarget(platform="discord", space_id=GUILD_ID, channel_id=CHANNEL_ID)
        await publisher.delete(target, message_id)
        with pytest.raises(PublishError) as gone:
            await publisher.delete(target, message_id)
    assert [call.path for call in fake.channel_deletes] == [f"/api/v10/channels/{CHANNEL_ID}/messages/{message_id}"]
    assert message_id not in fake.channel_messages
    assert gone.value.retryable is False and "404, code 10008" in gone.value.reason


async def test_a_post_that_meets_a_discord_outage_is_retried_later_that_day(fake: FakeDiscord, db_path: Path) -> None:
    clock = FakeClock(berlin(23, 9))
    async with running_bot(fake, db_path, clock=clock) as client:
        await configure(fake, permissions=MANAGE_GUILD)
        fake.channel_post_failures.append(503)
        await client.engine.daily.tick()
        failed = not fake.channel_posts
        clock.advance(60)  # the core's first retry delay
        await client.engine.daily.tick()
    assert failed and len(fake.channel_posts) == 1


@pytest.mark.parametrize(
    ("method", "path", "body", "problem"),
    [
        ("POST", f"/channels/{CHANNEL_ID}/messages", {"content": None, "embeds": [{"title": "t"}]}, "content is null"),
        ("PATCH", f"/channels/{CHANNEL_ID}/messages/{{message}}", {"tts": False, "embeds": [{"title": "t"}]}, "unknown field 'tts'"),
    ],
    ids=["post-null-content", "edit-tts"],
)
async def test_the_fake_refuses_a_field_a_message_endpoint_does_not_take(
    fake: FakeDiscord, db_path: Path, method: str, path: str, body: dict[str, Any], problem: str
) -> None:
    async with running_bot(fake, db_path, clock=FakeClock(berlin(23, 7))):
        await configure(fake, permissions=MANAGE_GUILD)
        await shown(fake, ADMIN, "daily now", permissions=MANAGE_GUILD)
    url = fake.api_base + path.format(message=daily_message(fake)["id"])
    headers = {"Authorization": f"Bot {fake.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, json={**body, "allowed_mentions": {"parse": []}}, headers=headers) as response,
    ):
        assert response.status == 400 and (await response.json())["code"] == 50035
    assert [v.split(": ", 1)[1] for v in fake.violations] == [problem]
    fake.violations.clear()


async def test_the_scheduler_runs_from_login_and_stops_with_the_client(fake: FakeDiscord, db_path: Path) -> None:
    clock = FakeClock(berlin(23, 9, 30))
    async with running_bot(fake, db_path, clock=clock, daily_interval=0.01) as client:
        await configure(fake, permissions=MANAGE_GUILD)
        await asyncio.wait_for(_until(lambda: bool(fake.channel_posts)), 5)
        tasks = list(client.background_tasks)
    assert len(fake.channel_posts) == 1
    assert tasks and all(task.done() for task in tasks)


async def _until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.01)


def _http_error(kind: type[discord.HTTPException], status: int, code: int = 0) -> discord.HTTPException:
    return kind(SimpleNamespace(status=status, reason="x"), {"code": code, "message": "m"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (_http_error(discord.Forbidden, 403, 50013), False),
        (_http_error(discord.NotFound, 404, 10003), False),
        (_http_error(discord.HTTPException, 400, 50035), False),
        (_http_error(discord.HTTPException, 429), True),
        (_http_error(discord.DiscordServerError, 503), True),
        (OSError("connection reset"), True),
    ],
    ids=["forbidden", "not-found", "bad-request", "rate-limited", "server-error", "network"],
)
def test_discord_errors_map_to_publish_errors(error: BaseException, retryable: bool) -> None:
    mapped = publish_error(error)
    assert isinstance(mapped, PublishError) and mapped.retryable is retryable and mapped.reason


async def test_a_slow_daily_answer_is_deferred_then_sent_privately_without_touching_the_post(fake: FakeDiscord, db_path: Path) -> None:
    slow = lambda engine: SlowEngine(engine, 0.3)  # noqa: E731
    async with running_bot(fake, db_path, clock=FakeClock(berlin(23, 7)), defer_after=0.05, wrap=slow):
        await configure(fake, permissions=MANAGE_GUILD)
        await shown(fake, ADMIN, "daily now", permissions=MANAGE_GUILD)
        message = daily_message(fake)
        pending = await fake.click(ALICE, message, custom_ids(message)[0])
        feedback = await fake.delivered(pending)
    assert pending.responses[0].json == {"type": 5, "data": {"flags": EPHEMERAL}}  # "thinking...", privately
    assert [c.method for c in pending.followups] == ["POST"]
    assert feedback["flags"] & EPHEMERAL and embed(feedback)["title"].startswith(("Correct", "Not the best answer"))
    assert fake.channel_messages[message["id"]]["embeds"] == message["embeds"]


async def test_the_fake_fails_a_click_reply_that_replaces_the_shared_post(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path, clock=FakeClock(berlin(23, 7))):
        await configure(fake, permissions=MANAGE_GUILD)
        await shown(fake, ADMIN, "daily now", permissions=MANAGE_GUILD)
    message = daily_message(fake)
    payload = fake._base(3, ALICE) | {"message": message, "data": {"custom_id": custom_ids(message)[0], "component_type": 2}}
    fake.interactions[payload["id"]] = Pending(id=payload["id"], token=payload["token"], payload=payload, sent_at=time.monotonic())
    url = f"{fake.api_base}/interactions/{payload['id']}/{payload['token']}/callback"
    update = {"type": 7, "data": {"embeds": [{"title": "Alice's feedback"}], "allowed_mentions": {"parse": []}}}
    async with aiohttp.ClientSession() as session, session.post(url, json=update) as response:
        assert response.status == 204
    assert any("replaced the shared channel message" in v for v in fake.violations)
    fake.violations.clear()


class ReplacingEngine(SlowEngine):
    """The real engine, but asking to replace the clicked message with every button's reply (a core bug)."""

    async def handle(self, origin: Any, action_id: str) -> Any:
        reply = await self._engine.handle(origin, action_id)
        return reply.model_copy(update={"replace": True, "ephemeral": False})


async def test_even_a_reply_that_asks_to_replace_the_shared_post_is_sent_privately(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path, clock=FakeClock(berlin(23, 7)), wrap=lambda engine: ReplacingEngine(engine, 0)):
        await configure(fake, permissions=MANAGE_GUILD)
        await shown(fake, ADMIN, "daily now", permissions=MANAGE_GUILD)
        message = daily_message(fake)
        response = await fake.answered(await fake.click(ALICE, message, custom_ids(message)[0]))
    assert response.json["type"] == 4 and response.json["data"]["flags"] & EPHEMERAL
    assert fake.channel_messages[message["id"]]["embeds"] == message["embeds"]
