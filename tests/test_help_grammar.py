"""Each surface writes the core's commands in its own syntax: its help lists exactly the commands its command tree has."""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

import pytest
from discord import app_commands
from rich.console import Console

from adapters.cli import build_parser
from adapters.console import grammar as console_grammar
from adapters.console.render import render as console_render
from adapters.discord import grammar as discord_grammar
from adapters.discord.commands import build_group
from adapters.discord.render import render as discord_render
from adapters.slack import grammar as slack_grammar
from adapters.slack.commands import VERBS, parse
from adapters.slack.render import render as slack_render
from bot.commands import COMMAND_NAMES
from bot.content import DeckLibrary
from bot.engine import QuizEngine, help_reply
from bot.notices import NOTICE_CODES, shared_notice
from bot.views import HelpView, LeaderboardView
from tests.conftest import person
from tests.discord.test_commands import Handler

# Discord: an embed field holds 1,024 characters, an embed 6,000. Slack: a section 3,000, a message 50 blocks.
DISCORD_FIELD, DISCORD_EMBED = 1024, 6000
SLACK_SECTION, SLACK_BLOCKS = 3000, 50


def help_view(decks: DeckLibrary) -> HelpView:
    view = help_reply(decks).view
    assert isinstance(view, HelpView)
    return view


# Discord ----------------------------------------------------------------------------------------


def discord_leaves(group: app_commands.Group, prefix: str = "") -> dict[str, app_commands.Command[Any, Any, Any]]:
    leaves: dict[str, app_commands.Command[Any, Any, Any]] = {}
    for command in group.commands:
        path = f"{prefix}{command.name}"
        if isinstance(command, app_commands.Group):
            leaves.update(discord_leaves(command, f"{path} "))
        else:
            leaves[path] = command
    return leaves


def test_discord_help_names_registered_commands_and_options_and_every_command_is_in_it(decks: DeckLibrary) -> None:
    leaves = discord_leaves(build_group(Handler(), decks))  # type: ignore[arg-type]
    paths_in_help = set()
    for core_name, syntax in discord_grammar.GRAMMAR.syntax.items():
        words = syntax.split()
        path = " ".join(w for w in words if re.fullmatch(r"[a-z-]+", w) and w not in {"questions"})
        path = (
            " ".join(path.split()[:2])
            if path.split()[0] in {"team", "daily", "digest", "admin", "interview", "remind"}
            else path.split()[0]
        )
        assert path in leaves, (core_name, syntax)
        paths_in_help.add(path)
        parameters = {p.name: p for p in leaves[path].parameters}
        for option in re.findall(r"\[?(\w+):", syntax):
            assert option in parameters, (core_name, option)
        if core_name == "stats questions":
            assert "questions" in [c.value for c in parameters["show"].choices]
    assert paths_in_help == set(leaves)
    assert set(discord_grammar.GRAMMAR.syntax) == COMMAND_NAMES  # Discord offers every command


def test_discord_help_is_complete_within_the_field_and_embed_limits(decks: DeckLibrary) -> None:
    embed = discord_render(help_view(decks)).embed.to_dict()
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    shown = "\n".join(fields.values())
    for core_name in COMMAND_NAMES:
        assert f"`{discord_grammar.GRAMMAR.usage(core_name)}`" in shown, core_name
    assert all(len(value) <= DISCORD_FIELD for value in fields.values())
    assert (
        len(embed.get("title", "")) + len(embed.get("description", "")) + sum(len(k) + len(v) for k, v in fields.items()) <= DISCORD_EMBED
    )
    assert "`/recsys-quiz help`" in shown  # the last command used to be cut off at 1,024 characters


# Slack ------------------------------------------------------------------------------------------

EXAMPLES = {
    "[deck]": "",
    "<name>": "Graph Nerds",
    "[name]": "",
    "HH:MM": "09:00",
    "Area/City": "Europe/Berlin",
    "YYYY-MM-DD": "2027-01-15",
    "[#channel]": "<#C0DIGEST01|study>",  # as Slack sends a channel picked from its suggestions
    "@member": "<@U0123ABCD|ada>",
}


def slack_example(syntax: str) -> str:
    for placeholder, value in EXAMPLES.items():
        syntax = syntax.replace(placeholder, value)
    return re.sub(r"\[(\w+)\|[^\]]*\]", r"\1", syntax)  # [people|teams] -> people


def test_slack_help_parses_to_the_command_it_documents_and_every_parsed_command_is_in_it() -> None:
    for core_name, syntax in slack_grammar.GRAMMAR.syntax.items():
        subcommand = parse(slack_example(syntax))
        assert subcommand.unknown is None and subcommand.command == core_name, (syntax, subcommand)
    parsed = {
        parse(f"{verb} {action}".strip()).command
        for verb in VERBS
        for action in ("", "questions", "create x", "join x", "leave", "list", "show", "set 09:00 UTC", "status", "now", "off")
        + ("on", "forget U0123ABCD")
    }
    assert parsed <= set(slack_grammar.GRAMMAR.syntax)
    assert set(slack_grammar.GRAMMAR.syntax) == COMMAND_NAMES


def test_slack_help_is_complete_within_block_kit_limits(decks: DeckLibrary) -> None:
    message = slack_render(help_view(decks))
    text = "\n".join(b["text"]["text"] for b in message.blocks if b.get("type") == "section")
    for core_name in COMMAND_NAMES:
        assert f"`{slack_grammar.GRAMMAR.usage(core_name).replace('<', '&lt;').replace('>', '&gt;')}`" in text, core_name
    assert len(message.blocks) <= SLACK_BLOCKS
    assert all(len(b["text"]["text"]) <= SLACK_SECTION for b in message.blocks if b.get("type") == "section")


# Terminal ---------------------------------------------------------------------------------------


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))  # noqa: SLF001 - argparse has no public walk
    return dict(action.choices)


def test_terminal_help_names_real_subcommands_and_flags_and_every_subcommand_is_in_it() -> None:
    commands = subcommands(build_parser())
    documented = {syntax.split()[0]: syntax for syntax in console_grammar.GRAMMAR.syntax.values()}
    documented.update({name: syntax for name, (syntax, _) in console_grammar.OPERATOR_SYNTAX.items()})
    assert set(documented) == set(commands)
    for name, syntax in documented.items():
        parsers = [commands[name], *subcommands(commands[name]).values()] if name in {"content", "db"} else [commands[name]]
        flags = {option for parser in parsers for action in parser._actions for option in action.option_strings}  # noqa: SLF001
        for flag in re.findall(r"--[a-z-]+", syntax):
            assert flag in flags, (name, flag)
    assert set(console_grammar.GRAMMAR.syntax) <= COMMAND_NAMES


def test_terminal_help_shows_each_terminal_command(decks: DeckLibrary) -> None:
    console = Console(width=200, record=True)
    console.print(console_render(help_view(decks)))
    shown = console.export_text()
    for core_name in console_grammar.GRAMMAR.syntax:
        assert console_grammar.GRAMMAR.usage(core_name) in shown
    assert "/recsys-quiz" not in shown and "daily set" not in shown


# Shared notices ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", NOTICE_CODES)
def test_every_surface_renders_every_shared_notice_with_its_own_hint(code: str) -> None:
    notice = shared_notice(code)  # type: ignore[arg-type]
    hint = {
        "discord": discord_grammar.GRAMMAR.hints[notice.hint] if notice.hint else "",
        "slack": slack_grammar.GRAMMAR.hints[notice.hint] if notice.hint else "",
        "console": console_grammar.GRAMMAR.hints[notice.hint] if notice.hint else "",
    }
    embed = discord_render(notice).embed
    assert embed.title == notice.title and notice.text in (embed.description or "") and hint["discord"] in (embed.description or "")
    slack = slack_render(notice)
    assert notice.title in slack.text and hint["slack"].replace("`", "") in slack.text.replace("`", "")
    console = Console(width=200, record=True)
    console.print(console_render(notice))
    shown = console.export_text()
    assert notice.title in shown and notice.text in shown and hint["console"] in shown


async def test_an_empty_teams_board_tells_each_surface_how_teams_are_made_there(engine: QuizEngine) -> None:
    reply = await engine.leaderboard(person("ann"), "teams")
    board = reply.view
    assert isinstance(board, LeaderboardView) and not board.rows
    assert board.empty_text == "No team has points in this window yet." and board.empty_hint == "teams"
    discord_text = discord_render(board).embed.description or ""
    assert "No team has points in this window yet. Create one with `/recsys-quiz team create name:`" in discord_text
    slack_text = json.dumps(slack_render(board).blocks)
    assert "No team has points in this window yet. Create one with `/recsys-quiz team create &lt;name&gt;`" in slack_text
    console = Console(width=200, record=True)
    console.print(console_render(board))
    shown = console.export_text()
    assert "No team has points in this window yet. Teams are created and joined on Discord and Slack." in shown
    assert "team create" not in shown  # the terminal has no team commands
