"""Issue 16 on the fake Discord with the real client: the export as an ephemeral attachment, forget-me and admin forget,
and a weekly digest whose chart is attached inside its embed, over a week of a fake clock."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.discord.render import render
from bot.actions import ForgetAction, decode
from bot.store.person_data import FORMAT_VERSION, SECTIONS
from tests.conftest import FakeClock
from tests.discord.conftest import running_bot
from tests.discord.fake_discord import (
    ATTACH_FILES,
    CHANNEL_ID,
    EPHEMERAL,
    GUILD_ID,
    MANAGE_GUILD,
    POSTING,
    FakeDiscord,
    UserRef,
    attachment_problems,
    limit_problems,
    user_payload,
)
from tests.discord.test_bot import ALICE, BOB, SlowEngine, click, custom_ids, embed, labels, start_card
from tests.test_chart import png_size
from tests.view_samples import digest_sample

ADMIN = user_payload("1600000000000000010", "lead", global_name="Lead")
DAY = 86_400


def utc(day: int, hour: int, minute: int = 0) -> float:
    """A time in September 2026 (Monday the 21st, Monday the 28th), UTC: the boards' timezone here."""
    return datetime(2026, 9, day, hour, minute, tzinfo=UTC).timestamp()


async def shown(fake: FakeDiscord, user: dict[str, Any], sub: str, options: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    return await fake.delivered(await fake.slash(user, sub, options, **kw))


async def answer(fake: FakeDiscord, user: dict[str, Any]) -> dict[str, Any]:
    """Start (or resume) a run and answer its next question with the first button."""
    card = await start_card(fake, user)
    return (await click(fake, user, card, custom_ids(card)[0]))[1]


class SlowExport(SlowEngine):
    """The real engine, exporting only after a delay: the export then goes out as a followup after "thinking..."."""

    async def export(self, origin: Any) -> Any:
        await asyncio.sleep(self._delay)
        return await self._engine.export(origin)


async def test_export_is_an_ephemeral_reply_with_the_json_document_attached(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path):
        await answer(fake, ALICE)
        pending = await fake.slash(ALICE, "export")
        message = await fake.delivered(pending)
    response = (await fake.answered(pending)).json
    assert response["type"] == 4 and response["data"]["flags"] & EPHEMERAL
    (sent,) = pending.files
    assert sent.field == "files[0]" and sent.filename.endswith(".json")
    assert response["data"]["attachments"][0]["filename"] == sent.filename
    assert message["attachments"][0]["filename"] == sent.filename and message["flags"] & EPHEMERAL
    document = json.loads(sent.content)
    assert document["format_version"] == FORMAT_VERSION and document["platform"] == "discord"
    assert document["user_id"] == ALICE["id"] and len(document["answers"]) == 1
    assert embed(message)["title"] == "Your data"


async def test_a_slow_export_is_deferred_and_its_file_comes_with_the_followup(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path, defer_after=0.05, wrap=lambda engine: SlowExport(engine, 0.3)):
        pending = await fake.slash(ALICE, "export")
        message = await fake.delivered(pending)
    assert pending.responses[0].json == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert [c.method for c in pending.followups] == ["POST"] and message["flags"] & EPHEMERAL
    (sent,) = pending.files
    assert all(json.loads(sent.content)[section] == [] for section in SECTIONS)


async def test_forget_me_asks_first_and_only_the_askers_click_deletes(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path) as client:
        await answer(fake, ALICE)
        prompt = await shown(fake, ALICE, "forget-me")
        assert labels(prompt) == ["Delete my data", "Keep my data"]
        yes = custom_ids(prompt)[0]
        assert isinstance(decode(yes), ForgetAction)
        _, stranger = await click(fake, BOB, prompt, yes)
        kind, deleted = await click(fake, ALICE, prompt, yes)
        stats = await shown(fake, ALICE, "stats")
        person = await client.engine.store.person_id(_alice_origin())
    assert embed(stranger)["title"] == "This button belongs to someone else"
    assert kind == 7 and embed(deleted)["title"] == "Your data is deleted" and "1 answer," in embed(deleted)["description"]
    assert "Points: **0**" in embed(stats)["description"]
    assert person is None  # nothing of her is left; looking at stats keeps nothing


def _alice_origin() -> Any:
    from bot.origin import Origin

    return Origin(platform="discord", space_id=GUILD_ID, user_id=ALICE["id"], display_name="Alice")


async def test_an_admin_forgets_a_member_by_the_member_option_and_the_member_is_told_once(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path) as client:
        await answer(fake, ALICE)
        refused = await shown(fake, BOB, "admin forget", {"member": UserRef(ALICE)})
        in_dm = await shown(fake, ADMIN, "admin forget", {"member": UserRef(ALICE)}, guild=False)
        done = await shown(fake, ADMIN, "admin forget", {"member": UserRef(ALICE)}, permissions=MANAGE_GUILD)
        told = await shown(fake, ALICE, "stats")
        again = await shown(fake, ALICE, "stats")
        answers = await client.engine.store.person_summary("discord", GUILD_ID, ALICE["id"], ["all"])
    assert embed(refused)["title"] == "Admins only" and embed(in_dm)["title"] == "Admin commands are for servers"
    assert embed(done)["title"] == "The member's data is deleted"
    assert "An admin here deleted everything recsys-quiz kept about you" in told["content"] and told["flags"] & EPHEMERAL
    assert "An admin here" not in again["content"]
    assert answers is None  # no trace of her is left here


async def test_a_weekly_digest_round_trip_with_the_chart_inside_its_embed_on_a_fake_clock(fake: FakeDiscord, db_path: Path) -> None:
    clock = FakeClock(utc(22, 12))  # Tuesday 22 Sep 2026
    async with running_bot(fake, db_path, clock=clock) as client:
        refused = await shown(fake, ALICE, "digest on")
        no_files = await shown(fake, ADMIN, "digest on", permissions=MANAGE_GUILD)  # the bot may not attach files here
        fake.bot_permissions = POSTING | ATTACH_FILES
        on = await shown(fake, ADMIN, "digest on", permissions=MANAGE_GUILD)
        for day in range(3):  # Tuesday to Thursday: Alice answers three questions, Bob one
            await answer(fake, ALICE)
            if day == 1:
                await answer(fake, BOB)
            clock.advance(DAY)
            await client.engine.digest.tick()
        assert fake.channel_posts == []  # not before Monday
        clock.now = utc(28, 8, 59)
        await client.engine.digest.tick()
        assert fake.channel_posts == []
        clock.now = utc(28, 9)
        await client.engine.digest.tick()
        await client.engine.digest.tick()
        for day in range(1, 7):
            clock.now = utc(28, 9) + day * DAY
            await client.engine.digest.tick()
        assert len(fake.channel_posts) == 1
        clock.now = utc(28, 9) + 7 * DAY  # the next Monday: the next week's digest
        await client.engine.digest.tick()
    assert embed(refused)["title"] == "Admins only"
    assert embed(no_files)["title"] == "The bot cannot post there" and "Attach Files" in embed(no_files)["description"]
    assert embed(on)["title"] == "Weekly digest on" and "09:00 UTC" in embed(on)["description"]
    first, second = fake.channel_posts
    assert first.path.endswith(f"/channels/{CHANNEL_ID}/messages")
    digest = first.json["embeds"][0]
    assert digest["title"] == "Weekly digest · Week from Monday 21 Sep 2026"
    assert digest["image"]["url"] == "attachment://recsys-quiz-digest.png"
    assert [f["name"] for f in digest["fields"]][:3] == ["Top people", "Top teams", "Accuracy per topic"]
    assert "Alice" in digest["fields"][0]["value"] and "Bob" in digest["fields"][0]["value"]
    assert first.json["allowed_mentions"] == {"parse": []}
    (chart,) = list(fake.channel_files.values())[0]
    assert chart.field == "files[0]" and first.json["attachments"] == [
        {"id": 0, "filename": chart.filename, "description": digest["footer"]["text"]}
    ]
    assert chart.filename == "recsys-quiz-digest.png" and png_size(chart.content) == (1200, 675)
    assert second.json["embeds"][0]["title"] == "Weekly digest · Week from Monday 28 Sep 2026"


def test_a_digest_of_hostile_names_and_many_topics_fits_one_embed_and_mentions_no_one() -> None:
    rendered = render(digest_sample()).embed.to_dict()
    message = {"embeds": [rendered], "allowed_mentions": {"parse": []}}
    assert limit_problems(message) == []
    assert attachment_problems(message, []) == ["the embed's image attachment://recsys-quiz-digest.png names no attached file"]
    # Names are user text: shown literally (no markdown, no mention); deck text (topics, prompts) is the deck's own.
    for field in rendered["fields"][:2]:
        assert "\\*bold\\*" in field["value"] and "@everyone" not in field["value"].replace("@\u200beveryone", "")
