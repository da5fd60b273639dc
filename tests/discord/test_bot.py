"""The real discord.py client against the fake Discord: commands, clicks, persistence, deadlines and refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.store import SQLiteStore
from tests.discord.conftest import running_bot
from tests.discord.fake_discord import EPHEMERAL, FakeDiscord, user_payload

ALICE = user_payload("1600000000000000001", "alice", global_name="Alice")
BOB = user_payload("1600000000000000002", "bob", global_name="Bob")


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [button["custom_id"] for row in message["components"] for button in row["components"]]


def labels(message: dict[str, Any]) -> list[str]:
    return [button["label"] for row in message["components"] for button in row["components"]]


def embed(message: dict[str, Any]) -> dict[str, Any]:
    assert len(message["embeds"]) == 1
    return message["embeds"][0]


async def test_start_gets_a_private_question_card_with_four_buttons_within_3_seconds(fake: FakeDiscord, db_path: Path) -> None:
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
    assert len(data["components"]) == 1
    assert labels(data) == ["A", "B", "C", "D"]
    assert all(cid.startswith("rq1:a:") for cid in custom_ids(data))
