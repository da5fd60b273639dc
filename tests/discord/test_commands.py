"""The `/recsys-quiz` group as a plain object: its subcommands, and deck choices or autocomplete by deck count."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord import app_commands

from adapters.discord.commands import build_group, zone_suggestions
from bot.content import DeckLibrary, default_content_dir, load_decks
from tests.discord.fake_discord import command_problems


class Handler:
    """Stands in for the client; building the group only stores it."""

    engine: Any = None

    async def command(self, interaction: Any, work: Any) -> None:  # pragma: no cover - never called here
        raise AssertionError


def decks(count: int, suffix: str = " " + "x" * 120) -> DeckLibrary:
    seed = load_decks(default_content_dir()).default
    return DeckLibrary([seed.model_copy(update={"id": f"deck-{i}", "title": f"Deck {i}{suffix}"}) for i in range(count)])


def deck_parameter(group: app_commands.Group, name: str) -> app_commands.Parameter:
    command = group.get_command(name)
    assert isinstance(command, app_commands.Command)
    return next(p for p in command.parameters if p.name == "deck")


def test_the_group_has_its_subcommands_and_the_interview_remind_team_daily_digest_and_admin_groups() -> None:
    group = build_group(Handler(), decks(1))  # type: ignore[arg-type]
    assert group.name == "recsys-quiz"
    assert sorted(c.name for c in group.commands) == [
        "admin",
        "daily",
        "digest",
        "export",
        "forget-me",
        "help",
        "interview",
        "leaderboard",
        "remind",
        "review",
        "start",
        "stats",
        "team",
        "tips",
    ]
    team, daily = group.get_command("team"), group.get_command("daily")
    digest, admin = group.get_command("digest"), group.get_command("admin")
    assert isinstance(team, app_commands.Group) and isinstance(daily, app_commands.Group)
    assert isinstance(digest, app_commands.Group) and isinstance(admin, app_commands.Group)
    assert sorted(c.name for c in team.commands) == ["create", "join", "leave", "list", "show"]
    assert sorted(c.name for c in daily.commands) == ["now", "off", "set", "status"]
    assert sorted(c.name for c in digest.commands) == ["off", "on"]
    forget = admin.get_command("forget")
    assert isinstance(forget, app_commands.Command)
    (member,) = forget.parameters
    assert member.name == "member" and member.type is discord.AppCommandOptionType.user and member.required


def test_board_and_window_are_choices_and_the_daily_channel_takes_text_channels_only() -> None:
    group = build_group(Handler(), decks(1))  # type: ignore[arg-type]
    board = group.get_command("leaderboard")
    assert isinstance(board, app_commands.Command)
    choices = {p.name: [c.value for c in p.choices] for p in board.parameters}
    assert choices == {"board": ["people", "teams"], "window": ["week", "month", "all"]}
    daily = group.get_command("daily")
    assert isinstance(daily, app_commands.Group)
    set_ = daily.get_command("set")
    assert isinstance(set_, app_commands.Command)
    channel = next(p for p in set_.parameters if p.name == "channel")
    assert channel.type is discord.AppCommandOptionType.channel and not channel.required
    assert channel.channel_types == [discord.ChannelType.text, discord.ChannelType.news]
    assert [p.name for p in set_.parameters if p.required] == ["time", "timezone"]


def test_timezone_suggestions_are_iana_names_at_most_25_prefix_matches_first() -> None:
    assert zone_suggestions("europe/ber")[0] == "Europe/Berlin"
    assert zone_suggestions("berlin") == ["Europe/Berlin"]
    assert zone_suggestions("new york")[0] == "America/New_York"
    assert len(zone_suggestions("a")) == 25
    assert "UTC" in zone_suggestions("")
    assert zone_suggestions("no/such/zone") == []


def test_up_to_25_decks_are_offered_as_choices_with_names_of_at_most_100() -> None:
    group = build_group(Handler(), decks(25, suffix=""))  # type: ignore[arg-type]
    for name in ("start", "tips", "stats"):
        parameter = deck_parameter(group, name)
        assert [c.value for c in parameter.choices] == [f"deck-{i}" for i in range(25)]
        assert all(len(c.name) <= 100 for c in parameter.choices)
        assert not parameter.autocomplete and not parameter.required
    assert all(len(c.name) == 100 and c.name.endswith("…") for c in deck_parameter(build_group(Handler(), decks(2)), "start").choices)  # type: ignore[arg-type]


def test_decks_whose_choices_would_break_discords_8000_character_limit_get_autocomplete() -> None:
    group = build_group(Handler(), decks(25))  # 25 titles of 100 characters, in four options: over 8000
    parameter = deck_parameter(group, "start")  # type: ignore[arg-type]
    assert parameter.choices == [] and parameter.autocomplete


@pytest.mark.parametrize(("count", "suffix"), [(1, ""), (25, ""), (25, " " + "x" * 120), (40, "")])
def test_the_synced_group_stays_within_discords_command_limits(count: int, suffix: str) -> None:
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    payload = build_group(Handler(), decks(count, suffix)).to_dict(tree)  # type: ignore[arg-type]
    assert command_problems(payload) == []


async def test_more_than_25_decks_are_offered_by_autocomplete() -> None:
    group = build_group(Handler(), decks(30))  # type: ignore[arg-type]
    parameter = deck_parameter(group, "start")
    assert parameter.choices == [] and parameter.autocomplete
    command = group.get_command("start")
    assert isinstance(command, app_commands.Command)
    suggestions = await command._params["deck"].autocomplete(None, "deck 2")  # type: ignore[misc,union-attr]
    assert [c.value for c in suggestions] == ["deck-2"] + [f"deck-{i}" for i in range(20, 30)]


def test_the_fake_knows_discords_command_limits() -> None:
    bad = {
        "name": "Recsys Quiz",
        "description": "d" * 101,
        "type": 1,
        "options": [{"name": "x", "description": "d", "type": 3, "choices": [{"name": "c" * 101, "value": "v" * 8000}]}],
    }
    problems = " | ".join(command_problems(bad))
    for expected in ("bad name", "description of 101", "choice name of 101", "characters in all"):
        assert expected in problems
