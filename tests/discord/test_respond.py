"""Responder's fallback when the first response fails: an error notice while Discord's 3 s last, none after, and a log that sums up expired clicks."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from adapters.discord.respond import ExpiredClicks, Responder
from bot.views import Reply, notice
from tests.discord.fake_discord import interaction_snowflake

ANSWER = notice("Help", "How the quiz works.")


class Callbacks:
    """Stands in for InteractionCallbacks: each send raises the next of `failures`, then succeeds."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.sent: list[dict[str, Any]] = []

    async def send(self, interaction: Any, kind: int, data: dict[str, Any], deadline: float) -> None:
        self.sent.append(data)
        if self.failures:
            raise self.failures.pop(0)


def slash_command(age: float) -> Any:
    """What Responder reads of a slash command's discord.Interaction, created `age` seconds ago."""
    interaction_id = int(interaction_snowflake(age))
    followups: list[Any] = []

    async def followup(**message: Any) -> None:
        followups.append(message)

    return SimpleNamespace(
        id=interaction_id,
        created_at=discord.utils.snowflake_time(interaction_id),
        type=discord.InteractionType.application_command,
        message=None,
        response=SimpleNamespace(is_done=lambda: False),
        followup=SimpleNamespace(send=followup, sent=followups),
    )


def http_error(status: int, code: int) -> discord.HTTPException:
    response: Any = SimpleNamespace(status=status, reason="")
    if status >= 500:
        return discord.DiscordServerError(response, {"message": "Bad Gateway", "code": code})
    return discord.HTTPException(response, {"message": "Invalid Form Body", "code": code})


async def answer(callbacks: Callbacks, interaction: Any) -> None:
    async def work() -> Reply:
        return ANSWER

    await Responder(callbacks, defer_after=1.0).answer(interaction, work)  # type: ignore[arg-type]


async def test_a_refused_first_response_within_the_3_s_still_gets_a_notice_that_does_not_say_nothing_was_recorded() -> None:
    callbacks = Callbacks(http_error(400, 50035))
    await answer(callbacks, slash_command(age=0.0))
    assert [data["embeds"][0]["title"] for data in callbacks.sent] == ["Help", "That reply could not be shown"]
    # The work had run: an answer may be on disk, so the notice must not claim otherwise.
    assert "nothing was recorded" not in callbacks.sent[1]["embeds"][0]["description"]


@pytest.mark.parametrize("failure", [TimeoutError(), http_error(502, 0)], ids=["timeout", "server error"])
async def test_no_error_notice_is_sent_once_discords_3_s_are_over(failure: Exception, caplog: pytest.LogCaptureFixture) -> None:
    # A notice through the callback could only meet 10062, and a followup needs an acknowledged interaction.
    callbacks, interaction = Callbacks(failure), slash_command(age=3.5)
    await answer(callbacks, interaction)
    assert len(callbacks.sent) == 1 and interaction.followup.sent == []
    assert any(str(interaction.id) in r.getMessage() and "3 s" in r.getMessage() for r in caplog.records)


async def test_a_timeout_counts_as_the_end_of_the_3_s_whatever_our_clock_says() -> None:
    # The callback's timeout is what was left of the 3 s, so a TimeoutError itself says they are over.
    callbacks, interaction = Callbacks(TimeoutError()), slash_command(age=0.0)
    await answer(callbacks, interaction)
    assert len(callbacks.sent) == 1 and interaction.followup.sent == []


async def test_a_burst_of_expired_clicks_logs_the_first_in_full_and_sums_up_the_rest(caplog: pytest.LogCaptureFixture) -> None:
    expired = ExpiredClicks(summary_after=0.05)
    responder = Responder(Callbacks(*[TimeoutError()] * 20), defer_after=1.0, expired=expired)  # type: ignore[arg-type]

    async def work() -> Reply:
        return ANSWER

    interactions = [slash_command(age=3.5) for _ in range(20)]
    for interaction in interactions:
        await responder.answer(interaction, work)  # type: ignore[arg-type]
    await asyncio.sleep(0.1)
    lines = [r.getMessage() for r in caplog.records if "3 s" in r.getMessage()]
    assert len(lines) == 2, lines
    assert str(interactions[0].id) in lines[0]
    assert lines[1].startswith("19 more interactions") and str(interactions[-1].id) in lines[1]


async def test_expired_clicks_not_yet_summed_up_are_logged_when_the_bot_stops(caplog: pytest.LogCaptureFixture) -> None:
    expired = ExpiredClicks(summary_after=3600)
    for interaction_id in (1, 2, 3):
        expired.record(interaction_id, TimeoutError())
    expired.flush()
    lines = [r.getMessage() for r in caplog.records if "3 s" in r.getMessage()]
    assert len(lines) == 2 and lines[1].startswith("2 more interactions") and "(the latest: 3)" in lines[1]
