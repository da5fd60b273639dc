"""The real discord.py client against the fake Discord: commands, clicks, persistence, deadlines and refusals."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.discord.client import DISCORD_CONNECTIONS
from tests.discord.conftest import running_bot
from tests.discord.fake_discord import EPHEMERAL, GUILD_ID, FakeDiscord, guild_on_shard, user_payload

ALICE = user_payload("1600000000000000001", "alice", global_name="Alice")
BOB = user_payload("1600000000000000002", "bob", global_name="Bob")


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [button["custom_id"] for row in message["components"] for button in row["components"]]


def labels(message: dict[str, Any]) -> list[str]:
    return [button["label"] for row in message["components"] for button in row["components"]]


def embed(message: dict[str, Any]) -> dict[str, Any]:
    assert len(message["embeds"]) == 1
    return message["embeds"][0]


async def test_start_gets_a_private_question_card_with_four_answers_and_write_my_answer_within_3_seconds(
    fake: FakeDiscord, db_path: Path
) -> None:
    async with running_bot(fake, db_path):
        pending = await fake.slash(ALICE, "start")
        response = await fake.answered(pending)
    assert response.at - pending.sent_at < 3.0
    assert response.json["type"] == 4
    data = response.json["data"]
    assert data["flags"] & EPHEMERAL
    card = embed(data)
    assert card["title"].startswith("Question 1 / 5")
    assert [f["name"] for f in card["fields"]] == ["A", "B", "C", "D"]
    assert card["footer"]["text"]
    assert len(data["components"]) == 1  # five buttons: one row
    assert labels(data) == ["A", "B", "C", "D", "Write my answer"]
    assert all(cid.startswith("rq1:a:") for cid in custom_ids(data)[:4]) and custom_ids(data)[4].startswith("rq1:w:")


def run_id_of(message: dict[str, Any]) -> int:
    return int(custom_ids(message)[0].split(":")[2])


async def start_card(fake: FakeDiscord, user: dict[str, Any] = ALICE) -> dict[str, Any]:
    pending = await fake.slash(user, "start")
    return await fake.delivered(pending)


async def click(fake: FakeDiscord, user: dict[str, Any], message: dict[str, Any], custom_id: str) -> tuple[int, dict[str, Any]]:
    """Click and return (response type, the message shown)."""
    pending = await fake.click(user, message, custom_id)
    response = await fake.answered(pending)
    return response.json["type"], await fake.delivered(pending)


async def test_a_click_replaces_the_card_with_feedback_in_words_and_colour(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path):
        card = await start_card(fake)
        kind, feedback = await click(fake, ALICE, card, custom_ids(card)[0])
    assert kind == 7  # the clicked card is updated in place
    assert feedback["id"] == card["id"]
    shown = embed(feedback)
    names = [f["name"] for f in shown["fields"]]
    if shown["title"].startswith("Correct"):
        assert shown["color"] == 0x2ECC71
    else:
        assert shown["title"].startswith("Not the best answer: the best was ")
        assert shown["color"] == 0xE74C3C
        assert any(n.startswith("Best answer: ") for n in names)
        assert any(n.startswith("What A missed") for n in names)
    assert "Why the best answer is best" in names
    assert labels(feedback) == ["Next question"]


async def test_five_questions_end_in_a_score_card_and_old_buttons_then_change_nothing(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path) as client:
        first = card = await start_card(fake)
        for number in range(1, 6):
            assert embed(card)["title"].startswith(f"Question {number} / 5")
            kind, feedback = await click(fake, ALICE, card, custom_ids(card)[number % 4])
            assert kind == 7
            assert labels(feedback) == (["See score"] if number == 5 else ["Next question"])
            kind, card = await click(fake, ALICE, feedback, custom_ids(feedback)[0])
            assert kind == 7
        score = embed(card)
        assert score["title"].startswith("Score: ") and score["title"].endswith(" / 5")
        assert labels(card) == ["Play again"]
        # A button of the finished run: a private notice, nothing new recorded.
        kind, late = await click(fake, ALICE, first, custom_ids(first)[0])
        assert kind == 4 and late["flags"] & EPHEMERAL
        assert embed(late)["title"] == "Already answered"
        assert len(await client.engine.store.run_answers(run_id_of(first))) == 5


async def test_a_double_click_within_milliseconds_is_answered_once_each_and_recorded_once(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path) as client:
        card = await start_card(fake)
        button = custom_ids(card)[1]
        first = await fake.click(ALICE, card, button)
        second = await fake.click(ALICE, card, button)  # right after it (milliseconds), before the first is answered
        await fake.answered(first)
        await fake.answered(second)
        await asyncio.sleep(0.2)  # time for any stray second response to arrive (the fake would fail it)
        answers = await client.engine.store.run_answers(run_id_of(card))
    # Each click is its own interaction: exactly one response to each, through discord.py's InteractionResponse.
    assert len(first.responses) == len(second.responses) == 1 and first.followups == second.followups == []
    kinds = sorted(p.responses[0].json["type"] for p in (first, second))
    assert kinds == [4, 7]  # one feedback in place, one private notice
    notice = next(p.responses[0].json["data"] for p in (first, second) if p.responses[0].json["type"] == 4)
    assert notice["flags"] & EPHEMERAL and embed(notice)["title"] == "Already answered"
    assert len(answers) == 1


async def test_another_persons_click_is_refused_and_records_nothing(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path) as client:
        card = await start_card(fake, ALICE)
        kind, shown = await click(fake, BOB, card, custom_ids(card)[0])
        answers = await client.engine.store.run_answers(run_id_of(card))
    assert kind == 4 and shown["flags"] & EPHEMERAL
    assert embed(shown)["title"] == "This quiz belongs to someone else"
    assert answers == []


def with_button(message: dict[str, Any], custom_id: str) -> dict[str, Any]:
    """The message as if its first button carried `custom_id` (what a tampering client would send)."""
    rows = [dict(row, components=[dict(b) for b in row["components"]]) for row in message["components"]]
    rows[0]["components"][0]["custom_id"] = custom_id
    return dict(message, components=rows)


async def test_a_tampered_custom_id_gets_a_private_notice_and_records_nothing(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path) as client:
        card = await start_card(fake)
        run_id = run_id_of(card)
        tampered = [
            f"rq1:a:{run_id}:0:no-such-option",  # decodes, but matches no option of the run
            f"rq1:a:{run_id}:00:x",  # not canonical
            "rq1:zz:1",  # unknown verb
            "rq2:a:1:0:x",  # another prefix: discord.py would drop it silently
            "not-ours",
        ]
        titles = []
        for custom_id in tampered:
            kind, shown = await click(fake, ALICE, with_button(card, custom_id), custom_id)
            assert kind == 4 and shown["flags"] & EPHEMERAL, custom_id
            titles.append(embed(shown)["title"])
        # A click whose id is not on the message at all (discord.py drops these silently too).
        kind, shown = await click(fake, ALICE, card, f"rq1:n:{run_id}")
        assert kind in (4, 7)
        answers = await client.engine.store.run_answers(run_id)
    assert all(title.startswith("That button") for title in titles), titles
    assert answers == []


async def test_a_button_sent_before_a_restart_still_works(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path):
        card = await start_card(fake)
    async with running_bot(fake, db_path) as client:  # a new process: nothing of the first one is left
        kind, feedback = await click(fake, ALICE, card, custom_ids(card)[2])
        answers = await client.engine.store.run_answers(run_id_of(card))
    assert kind == 7
    assert embed(feedback)["title"].startswith(("Correct", "Not the best answer"))
    assert len(answers) == 1
    assert len(fake.identifies) == 2


EXPECTED_TREE = {
    "name": "recsys-quiz",
    "subcommands": {
        "start": ["deck"],
        "tips": ["deck"],
        "help": [],
        "leaderboard": ["board", "window"],
        "stats": ["show", "deck"],
        "review": ["deck"],
        "interview": {"set": ["date"], "off": []},
        "remind": {"set": ["time", "timezone"], "off": []},
        "team": {"create": ["name"], "join": ["name"], "leave": [], "list": [], "show": ["name"]},
        "daily": {
            "set": ["time", "timezone", "channel", "deck"],
            "off": ["channel"],
            "status": ["channel"],
            "now": ["channel"],
        },
        "export": [],
        "forget-me": [],
        "digest": {"on": ["channel"], "off": ["channel"]},
        "admin": {"forget": ["member"]},
    },
}


def _subtree(options: list[dict[str, Any]]) -> dict[str, Any]:
    # Type 1 is a subcommand (its options listed), type 2 a subcommand group (its subcommands one level down).
    return {
        sub["name"]: _subtree(sub.get("options", [])) if sub["type"] == 2 else [o["name"] for o in sub.get("options", [])]
        for sub in options
        if sub["type"] in (1, 2)
    }


def tree_of(commands: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(commands) == 1
    group = commands[0]
    return {"name": group["name"], "subcommands": _subtree(group["options"])}


async def test_commands_sync_to_the_dev_guild_with_the_expected_tree(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path) as client:
        decks = [d.id for d in client.engine.decks]
    assert list(fake.synced) == [GUILD_ID]
    commands = fake.synced[GUILD_ID]
    assert tree_of(commands) == EXPECTED_TREE
    start = next(sub for sub in commands[0]["options"] if sub["name"] == "start")
    deck = start["options"][0]
    assert deck["required"] is False
    assert [c["value"] for c in deck["choices"]] == decks
    # With the shard count left to Discord: asked through DISCORD_API_BASE, connected where the answer said.
    assert fake.bot_gateway_calls == 1 and fake.identifies[0]["shard"] == [0, 1]


async def test_without_a_dev_guild_commands_sync_globally(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path, guild_id=None):
        pass
    assert list(fake.synced) == ["global"]
    assert tree_of(fake.synced["global"]) == EXPECTED_TREE


async def test_an_unknown_deck_gets_a_notice_and_starts_nothing(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path) as client:
        pending = await fake.slash(ALICE, "start", {"deck": "no-such-deck"})
        shown = await fake.delivered(pending)
        person = await client.engine.store.person_id(alice_origin())
    assert shown["flags"] & EPHEMERAL and embed(shown)["title"] == "Unknown deck"
    assert person is None


async def test_an_unknown_subcommand_or_option_gets_a_notice_and_starts_nothing(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path) as client:
        stale_sub = await fake.slash(ALICE, "daily-old")
        stale_option = await fake.slash(ALICE, "start", {"level": "hard"})
        sub_shown = await fake.delivered(stale_sub)
        option_shown = await fake.delivered(stale_option)
        person = await client.engine.store.person_id(alice_origin())
    assert sub_shown["flags"] & EPHEMERAL and embed(sub_shown)["title"] == "Unknown command"
    assert option_shown["flags"] & EPHEMERAL and embed(option_shown)["title"] == "Unknown option"
    assert "'level'" in embed(option_shown)["description"]
    assert person is None


def alice_origin() -> Any:
    from bot.origin import Origin

    return Origin(platform="discord", space_id=GUILD_ID, user_id=ALICE["id"])


async def test_tips_help_leaderboard_and_stats_answer_privately(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path):
        card = await start_card(fake)
        await click(fake, ALICE, card, custom_ids(card)[0])
        shown = {}
        for sub in ("tips", "help", "leaderboard", "stats"):
            pending = await fake.slash(ALICE, sub)
            response = await fake.answered(pending)
            assert response.json["type"] == 4
            shown[sub] = await fake.delivered(pending)
    assert all(message["flags"] & EPHEMERAL for message in shown.values())
    assert embed(shown["tips"])["title"] == "How to structure your answer" and embed(shown["tips"])["fields"]
    assert [f["name"] for f in embed(shown["help"])["fields"]][:7] == [
        "Quiz",
        "Study",
        "Study groups",
        "Daily question",
        "Weekly digest",
        "Your data",
        "Decks",
    ]
    assert labels(shown["help"]) == ["Start"]
    board = embed(shown["leaderboard"])
    assert "Alice" in board["description"] and "← you" in board["description"]
    assert any(f["name"] == "Window" and "UTC" in f["value"] for f in board["fields"])
    stats = embed(shown["stats"])
    assert stats["author"]["name"] == "Alice" and "answers: **1**" in stats["description"]


HOSTILE = user_payload(
    "1600000000000000666", "mallory", global_name="@everyone <@&130000000000000000> **boss** @here <@1600000000000000001>"
)


async def test_a_hostile_display_name_is_shown_as_text_and_never_mentions(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path):
        card = await start_card(fake, HOSTILE)
        await click(fake, HOSTILE, card, custom_ids(card)[0])
        pending = await fake.slash(ALICE, "leaderboard")
        board = await fake.delivered(pending)
    description = embed(board)["description"]
    for ping in ("@everyone", "@here", "<@&130000000000000000>", "<@1600000000000000001>"):
        assert ping not in description
    assert "@\u200beveryone" in description and "\\*\\*boss\\*\\*" in description
    # Every payload the bot sent said allowed_mentions none (the fake checks each one; here, explicitly too).
    payloads = [
        c.json.get("data") if c.path.endswith("/callback") else c.json
        for c in fake.calls
        if "/callback" in c.path or "/webhooks/" in c.path
    ]
    messages = [p for p in payloads if isinstance(p, dict) and "embeds" in p]
    assert messages and all(m["allowed_mentions"] == {"parse": []} for m in messages)


async def test_a_personal_run_works_in_direct_messages(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path) as client:
        pending = await fake.slash(ALICE, "start", guild=False)
        card = await fake.delivered(pending)
        in_dm = alice_origin().model_copy(update={"space_id": "dm"})
        run, owned = await client.engine.store.owned_run(run_id_of(card), *in_dm.identity)
        person = await client.engine.store.person_id(in_dm)
    assert card["flags"] & EPHEMERAL and embed(card)["title"].startswith("Question 1 / 5")
    assert run is not None and run.person_id == person and owned


class SlowEngine:
    """The real engine, answering only after `delay` seconds (a busy database, say)."""

    def __init__(self, engine: Any, delay: float) -> None:
        self._engine, self._delay = engine, delay

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    async def start(self, origin: Any, deck_id: str | None = None) -> Any:
        await asyncio.sleep(self._delay)
        return await self._engine.start(origin, deck_id)

    async def handle(self, origin: Any, action_id: str) -> Any:
        await asyncio.sleep(self._delay)
        return await self._engine.handle(origin, action_id)


async def test_slow_work_is_deferred_first_and_delivered_after(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path, defer_after=0.05, wrap=lambda engine: SlowEngine(engine, 0.3)):
        start = await fake.slash(ALICE, "start")
        card = await fake.delivered(start)
        answer = await fake.click(ALICE, card, custom_ids(card)[0])
        feedback = await fake.delivered(answer)
        again = await fake.click(ALICE, card, custom_ids(card)[0])  # a double click: a new private notice
        notice = await fake.delivered(again)
    # The command and both clicks: "thinking" (type 5, ephemeral), then the reply as the first followup, which
    # Discord shows in its place (no edit: discord.py's edits carry a `tts` field the edit endpoint does not take).
    for pending in (start, answer, again):
        assert pending.responses[0].json == {"type": 5, "data": {"flags": EPHEMERAL}}
        assert [c.method for c in pending.followups] == ["POST"]
        assert "tts" in pending.followups[0].json and "content" not in pending.followups[0].json
    assert embed(card)["title"].startswith("Question 1 / 5") and card["flags"] & EPHEMERAL
    assert embed(feedback)["title"].startswith(("Correct", "Not the best answer")) and feedback["flags"] & EPHEMERAL
    assert labels(feedback) == ["Next question"]
    assert notice["flags"] & EPHEMERAL and embed(notice)["title"] == "Already answered"


class BrokenEngine(SlowEngine):
    """The real engine whose every call fails, as with a corrupt database."""

    async def start(self, origin: Any, deck_id: str | None = None) -> Any:
        raise RuntimeError("database disk image is malformed")

    async def handle(self, origin: Any, action_id: str) -> Any:
        raise RuntimeError("database disk image is malformed")


async def test_an_error_in_a_handler_is_logged_with_the_interaction_id_and_answered_privately(
    fake: FakeDiscord, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(fake, db_path) as first:
        card = await start_card(fake)
    assert first.is_closed()
    async with running_bot(fake, db_path, wrap=lambda engine: BrokenEngine(engine, 0)):
        command = await fake.slash(ALICE, "start")
        command_shown = await fake.delivered(command)
        button = await fake.click(ALICE, card, custom_ids(card)[0])
        button_shown = await fake.delivered(button)
    for pending, shown in ((command, command_shown), (button, button_shown)):
        assert shown["flags"] & EPHEMERAL
        assert embed(shown)["title"] == "Something went wrong"
        assert "nothing was recorded" in embed(shown)["description"].lower()
        assert any(pending.id in r.getMessage() and r.exc_info for r in caplog.records), pending.id


async def test_the_fake_fails_a_late_answer(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path):
        pending = await fake.slash(ALICE, "help", age=3.5)  # reached the bot 3.5 s after Discord created it
        await asyncio.wait_for(_until(lambda: any(c.path.endswith("/callback") for c in fake.calls)), 5)
    assert not pending.responses
    assert any("answered late" in v for v in fake.violations)
    fake.violations.clear()


async def test_the_fake_fails_a_second_answer_and_a_broken_limit(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path):
        pending = await fake.slash(ALICE, "help")
        await fake.answered(pending)
    url = f"{fake.api_base}/interactions/{pending.id}/{pending.token}/callback"
    too_long = {"type": 4, "data": {"embeds": [{"title": "x" * 300, "description": "y"}], "allowed_mentions": {"parse": []}}}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"type": 4, "data": {"content": "again"}}) as twice:
            assert twice.status == 400
        other = fake.interactions[pending.id] = fake.interactions[pending.id].__class__(
            id=pending.id, token=pending.token, payload=pending.payload, sent_at=time.monotonic()
        )
        async with session.post(url, json=too_long) as response:
            assert response.status == 204 and other.responses
    assert any("answered twice" in v for v in fake.violations)
    assert any("title over 256" in v for v in fake.violations)
    fake.violations.clear()


async def _until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.01)


async def test_the_entry_point_serves_with_settings_from_the_environment_until_sigterm(
    fake: FakeDiscord, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adapters.discord.config import load_settings
    from adapters.discord.main import serve
    from bot.config import CoreSettings

    for name, value in {
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GUILD_ID": GUILD_ID,
        "RECSYS_QUIZ_DB": str(db_path),
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    task = asyncio.create_task(serve(CoreSettings(), settings, settings.require_token()))
    try:
        await asyncio.wait_for(_until(lambda: bool(fake.identifies) or task.done()), 5)
        assert not task.done()
        card = await start_card(fake)
        # SIGTERM (docker stop) ends it cleanly; only sent once serve() has its handler, or it would end pytest.
        assert signal.SIGTERM in asyncio.get_running_loop()._signal_handlers  # type: ignore[attr-defined]
        os.kill(os.getpid(), signal.SIGTERM)
        assert await asyncio.wait_for(task, 5) == 0
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert embed(card)["title"].startswith("Question 1 / 5")
    assert db_path.exists() and list(fake.synced) == [GUILD_ID]
    assert signal.SIGTERM not in asyncio.get_running_loop()._signal_handlers  # type: ignore[attr-defined]


async def test_a_dev_guild_the_bot_is_not_in_is_logged_and_buttons_still_work(
    fake: FakeDiscord, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(fake, db_path):
        card = await start_card(fake)
    fake.forbidden_guilds.add(GUILD_ID)
    async with running_bot(fake, db_path):
        kind, feedback = await click(fake, ALICE, card, custom_ids(card)[0])
    assert kind == 7 and labels(feedback) == ["Next question"]
    assert any("could not sync commands to guild" in r.getMessage() and "--invite" in r.getMessage() for r in caplog.records)
    assert not any("Guilds intent" in r.getMessage() for r in caplog.records)


async def test_a_reply_that_fails_to_render_still_gets_a_notice(
    fake: FakeDiscord, db_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from adapters.discord import respond

    def broken(real: Any) -> Any:
        def render(view: Any) -> Any:
            if getattr(view, "title", "") != "That reply could not be shown":
                raise ValueError("a renderer bug")
            return real(view)

        return render

    monkeypatch.setattr(respond, "render_reply", broken(respond.render_reply))
    async with running_bot(fake, db_path):
        pending = await fake.slash(ALICE, "help")
        shown = await fake.delivered(pending)
    assert shown["flags"] & EPHEMERAL and embed(shown)["title"] == "That reply could not be shown"
    assert any(pending.id in r.getMessage() and r.exc_info for r in caplog.records)


class SlowPublicBoard(SlowEngine):
    """A later feature's public reply (a board posted for the channel), arriving slowly."""

    async def leaderboard(self, origin: Any, *args: Any) -> Any:
        await asyncio.sleep(self._delay)
        reply = await self._engine.leaderboard(origin, *args)
        return reply.model_copy(update={"ephemeral": False})


async def test_a_slow_public_reply_replaces_the_private_thinking_message_with_a_public_one(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path, defer_after=0.05, wrap=lambda engine: SlowPublicBoard(engine, 0.2)):
        pending = await fake.slash(ALICE, "leaderboard")
        shown = await fake.delivered(pending)
    assert pending.responses[0].json == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert [c.method for c in pending.followups] == ["DELETE", "POST"]
    assert not shown["flags"] & EPHEMERAL and embed(shown)["title"] == "Leaderboard: people"


async def test_a_fixed_shard_count_runs_the_given_shards_through_the_gateway_url(fake: FakeDiscord, db_path: Path) -> None:
    # One shard of three in this process (discord.py waits 5 s between identifies of several shards).
    async with running_bot(fake, db_path, shard_count=3, shard_ids=(2,)) as client:
        card = await fake.delivered(await fake.slash(ALICE, "start", guild_id=guild_on_shard(2, 3)))
        shards = sorted(client.shards)
        # A guild of shard 1 has no connection here: Discord sends its interactions to the process that runs shard 1.
        with pytest.raises(AssertionError, match="no connection runs shard 1 of 3"):
            await fake.slash(ALICE, "start", guild_id=guild_on_shard(1, 3))
    assert shards == [2]
    assert [i["shard"] for i in fake.identifies] == [[2, 3]]
    assert fake.bot_gateway_calls == 0  # the count is fixed: no need to ask Discord
    assert embed(card)["title"].startswith("Question 1 / 5")
    assert fake.synced == {}  # commands are synced by the process that runs shard 0


async def test_without_a_count_the_bot_runs_as_many_shards_as_discord_recommends_and_answers_on_each(
    fake: FakeDiscord, db_path: Path
) -> None:
    fake.shards = 2  # GET /gateway/bot recommends two (as Discord does past 2,500 servers)
    async with running_bot(fake, db_path) as client:  # discord.py identifies the second shard 5 s after the first
        cards = [await fake.delivered(await fake.slash(ALICE, "start", guild_id=guild_on_shard(k, 2))) for k in range(2)]
        shards = sorted(client.shards)
    assert fake.bot_gateway_calls == 1 and sorted(i["shard"] for i in fake.identifies) == [[0, 2], [1, 2]]
    assert shards == [0, 1]
    assert [shard for _, (shard, _), _ in fake.dispatched[-2:]] == [0, 1]  # each server's interaction on its shard
    assert all(embed(card)["title"].startswith("Question 1 / 5") for card in cards)


async def test_a_token_discord_refuses_ends_the_command_with_a_clear_error(
    fake: FakeDiscord, db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from adapters.cli import main

    monkeypatch.chdir(db_path.parent)
    for name, value in {
        "DISCORD_TOKEN": "revoked-token",
        "DISCORD_API_BASE": fake.api_base,
        "RECSYS_QUIZ_DB": str(db_path),
    }.items():
        monkeypatch.setenv(name, value)
    code = await asyncio.to_thread(main, ["discord"])  # the real command, with its own event loop
    assert code == 2
    error = capsys.readouterr().err
    assert "DISCORD_TOKEN" in error and "Reset Token" in error
    assert fake.identifies == []


async def test_a_burst_of_clicks_reaches_discord_over_a_bounded_number_of_connections(fake: FakeDiscord, db_path: Path) -> None:
    people = [user_payload(str(1_700_000_000_000_000_000 + i), f"p{i}") for i in range(DISCORD_CONNECTIONS + 50)]
    async with running_bot(fake, db_path) as client:
        assert isinstance(client.http.connector, aiohttp.TCPConnector) and client.http.connector.limit == DISCORD_CONNECTIONS
        cards = [await start_card(fake, user) for user in people]
        fake.connections.clear()
        clicks = [await fake.click(user, card, custom_ids(card)[0]) for user, card in zip(people, cards, strict=True)]
        await asyncio.gather(*(fake.answered(click) for click in clicks))
    assert len(fake.connections) <= DISCORD_CONNECTIONS
