"""The 3 s clock starts at the raw gateway event: a click is deferred even while discord.py has not yet parsed it,
and still gets exactly one first response, its feedback afterwards, and its answer recorded. Every wait is on the
fake's record of requests, never on a duration."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from adapters.discord.client import DISCORD_CONNECTIONS
from adapters.discord.early import BUSY_BACKLOG, EarlyAcks
from tests.discord.conftest import running_bot
from tests.discord.fake_discord import FakeDiscord
from tests.discord.test_bot import ALICE, custom_ids, start_card


def hold_parsing(client: Any) -> asyncio.Event:
    """Make discord.py's INTERACTION_CREATE parse wait until the returned event is set (as behind a long queue);
    the raw hook still sees each event as it arrives, as in the client."""
    parse = client._connection.parse_interaction_create  # discord.py's own parser, without the client's guard
    release = asyncio.Event()

    async def later(data: Any) -> None:
        await release.wait()
        parse(data)

    def held(data: Any) -> None:
        client.early.arrived(data)
        asyncio.get_running_loop().create_task(later(data))

    client._connection.parsers["INTERACTION_CREATE"] = held
    return release


async def test_a_click_discord_py_has_not_parsed_yet_is_deferred_from_its_raw_event(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path, defer_after=0.05) as client:
        card = await start_card(fake)
        release = hold_parsing(client)
        answer = await fake.click(ALICE, card, custom_ids(card)[0])
        first = await fake.answered(answer)  # while discord.py has not even built the Interaction
        assert first.json["type"] == 6
        release.set()
        feedback = await fake.delivered(answer)
    assert len(answer.responses) == 1  # one first response; the fake also fails a second one
    assert answer.followups[0].method == "PATCH" and feedback["id"] == card["id"]
    assert [button["label"] for row in feedback["components"] for button in row["components"]] == ["Next question"]


async def test_a_command_deferred_from_its_raw_event_is_ephemeral_thinking_then_its_reply(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path, defer_after=0.05) as client:
        release = hold_parsing(client)
        start = await fake.slash(ALICE, "start")
        first = await fake.answered(start)
        release.set()
        card = await fake.delivered(start)
    assert first.json == {"type": 5, "data": {"flags": 64}}
    assert [(c.method, c.path.rsplit("/", 1)[-1]) for c in start.followups] == [("PATCH", "@original")]
    assert card["embeds"][0]["title"].startswith("Question 1 / 5")


async def test_a_quick_answer_is_still_the_only_response_when_its_event_was_seen_raw(fake: FakeDiscord, db_path: Path) -> None:
    async with running_bot(fake, db_path) as client:
        card = await start_card(fake)
        answer = await fake.click(ALICE, card, custom_ids(card)[0])
        await fake.delivered(answer)
        assert client.early.claim(int(answer.id)) is None  # the Responder took the record: nothing left to fire
    assert [r.json["type"] for r in answer.responses] == [7] and answer.followups == []


def _click_event(number: int) -> dict[str, Any]:
    return {"id": str(10_000 + number), "token": f"t{number}", "type": 3}


async def test_behind_a_backlog_of_unanswered_events_a_new_one_is_deferred_at_once() -> None:
    sent: list[int] = []
    acks = EarlyAcks(lambda: None, None, defer_after=3600.0)  # type: ignore[arg-type,return-value]

    async def defer(ack: Any) -> None:
        sent.append(ack.interaction_id)
        ack.deferred.set_result(True)

    acks._defer = defer  # type: ignore[method-assign]
    for number in range(BUSY_BACKLOG + 1):
        acks.arrived(_click_event(number))
    for _ in range(3):
        await asyncio.sleep(0)
    # The first BUSY_BACKLOG wait for their hour; the one behind them is deferred without waiting.
    assert sent == [10_000 + BUSY_BACKLOG]
    await acks.close()


async def test_events_that_are_not_commands_or_clicks_or_lack_an_id_start_no_clock() -> None:
    acks = EarlyAcks(lambda: None, None, defer_after=0.0)  # type: ignore[arg-type,return-value]
    for data in ({"id": "1", "token": "t", "type": 4}, {"token": "t", "type": 3}, {"id": "x", "token": "t", "type": 2}, []):
        acks.arrived(data)
    assert acks.claim(1) is None
    await acks.close()


async def test_responses_share_a_bounded_pool_of_kept_alive_connections(fake: FakeDiscord, db_path: Path) -> None:
    # discord.py's default pool is unlimited: a burst opened a connection per response, and the storm made them late.
    async with running_bot(fake, db_path) as client:
        await start_card(fake)
        assert client.http.connector.limit == DISCORD_CONNECTIONS
