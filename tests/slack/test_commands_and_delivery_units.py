"""Units: parsing the slash-command text, and delivering a reply through the Web API when there is no response_url."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.commands import Subcommand, parse
from adapters.slack.delivery import Target, deliver
from adapters.slack.render import render
from bot.views import Notice, Reply
from tests.slack.conftest import BOT_TOKEN
from tests.slack.fake_slack import FakeSlack


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Subcommand(verb="help")),
        ("   ", Subcommand(verb="help")),
        ("start", Subcommand(verb="start")),
        ("  START   RecSys-Platform-Engineer ", Subcommand(verb="start", argument="recsys-platform-engineer")),
        ("play", Subcommand(verb="start")),
        ("tips", Subcommand(verb="tips")),
        ("tips other-deck", Subcommand(verb="tips", argument="other-deck")),
        ("leaderboard", Subcommand(verb="leaderboard")),
        ("stats", Subcommand(verb="stats")),
        ("help", Subcommand(verb="help")),
        ("stats please", Subcommand(verb="help", unknown="stats please")),
        ("delete everything", Subcommand(verb="help", unknown="delete everything")),
        ("x" * 100, Subcommand(verb="help", unknown="x" * 40)),
        ("leaderboard teams", Subcommand(verb="leaderboard", scope="teams")),
        ("leaderboard Week", Subcommand(verb="leaderboard", window="week")),
        ("leaderboard month people", Subcommand(verb="leaderboard", window="month")),
        ("top teams all", Subcommand(verb="leaderboard", scope="teams", window="all")),
        ("leaderboard fortnight", Subcommand(verb="leaderboard", window="fortnight")),  # the core names the valid windows
        ("leaderboard teams week extra", Subcommand(verb="help", unknown="leaderboard teams week extra")),
        ("stats questions", Subcommand(verb="stats", action="questions")),
        ("stats questions Other-Deck", Subcommand(verb="stats", action="questions", argument="other-deck")),
        ("team", Subcommand(verb="team", action="list")),
        ("team list", Subcommand(verb="team", action="list")),
        ("team create   Graph  Nerds ", Subcommand(verb="team", action="create", argument="Graph  Nerds")),
        ("team create", Subcommand(verb="team", action="create", argument="")),
        ("team join graph nerds", Subcommand(verb="team", action="join", argument="graph nerds")),
        ("team create a\tb", Subcommand(verb="team", action="create", argument="a\tb")),  # the core refuses the tab
        ("team leave", Subcommand(verb="team", action="leave")),
        ("team leave now", Subcommand(verb="help", unknown="team leave now")),
        ("team show", Subcommand(verb="team", action="show")),
        ("team show Graph Nerds", Subcommand(verb="team", action="show", argument="Graph Nerds")),
        ("team delete x", Subcommand(verb="help", unknown="team delete x")),
        ("daily", Subcommand(verb="daily", action="status")),
        ("daily set 09:00 Europe/Berlin", Subcommand(verb="daily", action="set", post_time="09:00", zone="Europe/Berlin")),
        (
            "daily set 9:30 America/New_York Other-Deck",
            Subcommand(verb="daily", action="set", post_time="9:30", zone="America/New_York", argument="other-deck"),
        ),
        ("daily set", Subcommand(verb="daily", action="set")),
        ("daily set 09:00", Subcommand(verb="daily", action="set", post_time="09:00")),
        ("daily set 09:00 UTC deck more", Subcommand(verb="help", unknown="daily set 09:00 UTC deck more")),
        ("daily off", Subcommand(verb="daily", action="off")),
        ("daily now", Subcommand(verb="daily", action="now")),
        ("daily status", Subcommand(verb="daily", action="status")),
        ("daily explode", Subcommand(verb="help", unknown="daily explode")),
    ],
)
def test_slash_text_parses_to_a_subcommand(text: str, expected: Subcommand) -> None:
    assert parse(text) == expected


@pytest.fixture
async def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)


def _reply(*, ephemeral: bool, replace: bool) -> Reply:
    return Reply(view=Notice(title="Daily question", text="posted"), ephemeral=ephemeral, replace=replace)


@pytest.mark.parametrize(
    ("ephemeral", "replace", "in_ephemeral_message", "method"),
    [
        (True, False, True, "chat.postEphemeral"),
        (False, False, True, "chat.postMessage"),
        (False, True, False, "chat.update"),
        (True, True, True, "chat.postEphemeral"),  # an ephemeral card can only be replaced through a response_url
        (True, True, False, "chat.postEphemeral"),  # a private reply never replaces a shared message (a daily post)
    ],
)
async def test_without_a_response_url_the_web_api_delivers(
    client: AsyncWebClient, fake: FakeSlack, ephemeral: bool, replace: bool, in_ephemeral_message: bool, method: str
) -> None:
    fake.messages[("C1", "1700000000.000100")] = {"text": "the shared message"}  # chat.update needs one to edit
    reply = _reply(ephemeral=ephemeral, replace=replace)
    target = Target(
        response_url=None,
        client=client,
        user_id="U1",
        channel_id="C1",
        from_click=True,
        message_ts="1700000000.000100",
        message_is_ephemeral=in_ephemeral_message,
    )
    assert await deliver(reply, render(reply.view), target) is True
    posted = await fake.next_message(0)
    assert posted.via == method
    assert posted.body["channel"] == "C1"
    assert posted.problems == []


async def test_without_a_response_url_or_a_channel_delivery_reports_failure(client: AsyncWebClient) -> None:
    reply = _reply(ephemeral=True, replace=False)
    target = Target(response_url=None, client=client, user_id="U1", channel_id=None, from_click=False)
    assert await deliver(reply, render(reply.view), target) is False
