"""The `/recsys-quiz` slash command group: start, tips, help, leaderboard, stats, review, and the interview, remind, team and daily
subcommand groups."""

from __future__ import annotations

import functools
import logging
import zoneinfo
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Protocol

import discord
from discord import app_commands

from adapters.discord.daily import DIGEST_NEEDED, cannot_post_text
from adapters.discord.limits import CHOICE_NAME, CHOICES, clip
from adapters.discord.origin import UnreadableInteraction, origin_of
from bot.content import DeckLibrary
from bot.daily import parse_post_time, parse_zone
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.views import Reply, notice

log = logging.getLogger(__name__)

GROUP_NAME = "recsys-quiz"
OriginWork = Callable[[Origin], Awaitable[Reply]]
DECK_OPTIONS = 5  # start, tips, stats, review and daily set each take a deck
DECK_CHOICES_BUDGET = 5000


class CommandHandler(Protocol):
    engine: QuizEngine

    async def command(self, interaction: discord.Interaction, work: OriginWork) -> None: ...

    async def missing_permissions(self, interaction: discord.Interaction, channel_id: int, needed: dict[str, str] = ...) -> list[str]: ...


def _leaf_options(options: object) -> Iterator[dict[str, Any]]:
    for option in options if isinstance(options, list) else ():
        if not isinstance(option, dict):
            continue  # Discord sends objects; anything else names no option
        if option.get("type") in (1, 2):  # a subcommand or a subcommand group: its options are one level down
            yield from _leaf_options(option.get("options", []))
        else:
            yield option


def _unknown_options(interaction: discord.Interaction, known: set[str]) -> list[str]:
    """Options Discord sent that this command does not have (a client still showing an older command)."""
    data = interaction.data if isinstance(interaction.data, dict) else {}
    given = [str(option.get("name")) for option in _leaf_options(data.get("options", []))]
    return [name for name in given if name not in known]


# Discord's application command option types and the JSON values it sends for them: a string for text, snowflakes
# (users, channels, roles, mentionables, attachments) and autocomplete's half-typed text; a number for integers.
_VALUE_TYPES: dict[int, tuple[type, ...]] = {3: (str,), 4: (int,), 5: (bool,), 6: (str,), 7: (str,), 8: (str,), 9: (str,), 10: (int, float)}


def _mistyped_options(interaction: discord.Interaction) -> list[str]:
    """Options whose value is not of the type Discord declares for them (an event Discord would not send)."""
    data = interaction.data if isinstance(interaction.data, dict) else {}
    mistyped = []
    for option in _leaf_options(data.get("options", [])):
        expected = _VALUE_TYPES.get(option.get("type"))  # type: ignore[arg-type]
        value = option.get("value")
        if option.get("focused"):
            expected = (str,)  # what the person has typed so far, whatever the option's type
        if expected is not None and (not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected)):
            mistyped.append(str(option.get("name")))
    return mistyped


def offers_suggestions(interaction: discord.Interaction) -> bool:
    """Whether the option an autocomplete interaction is focused on has suggestions here (an app showing an older
    version of the command may ask for an option that now has fixed choices, or is gone)."""
    command = interaction.command  # None for a command this process does not know
    data = interaction.data if isinstance(interaction.data, dict) else {}
    focused = next((o.get("name") for o in _leaf_options(data.get("options", [])) if o.get("focused")), None)
    if not isinstance(command, app_commands.Command) or focused is None:
        return False
    return any(parameter.name == focused and parameter.autocomplete for parameter in command.parameters)


def stale_command_reply(names: list[str]) -> Reply:
    return notice(
        "Unknown option",
        f"This command has no option {', '.join(repr(n) for n in names)}; your Discord app may show an old "
        "version of it (press Ctrl+R to reload). Nothing was recorded.",
        "warning",
    )


NO_DAILY_IN_DMS = notice(
    "Daily questions are for server channels",
    "Direct messages have no daily question and no admins: run `/recsys-quiz daily ...` in a channel of your server.",
    "warning",
)
NO_TEAMS_IN_DMS = notice(
    "Teams are for servers",
    "A study group belongs to a server: run `/recsys-quiz team ...` in a channel of your server.",
    "warning",
)
NO_DIGEST_IN_DMS = notice(
    "The weekly digest is for server channels",
    "Direct messages have no digest and no admins: run `/recsys-quiz digest ...` in a channel of your server.",
    "warning",
)
NO_ADMIN_IN_DMS = notice(
    "Admin commands are for servers",
    "Direct messages have no admins: run `/recsys-quiz admin ...` in a channel of your server.",
    "warning",
)
NOT_A_TEXT_CHANNEL = notice(
    "Pick a text channel",
    "The daily question and the weekly digest are posted to a text or announcement channel, not a thread, voice or forum "
    "channel. Run the command there, or name one with the channel option. Nothing was changed.",
    "warning",
)
TEXT_CHANNELS = (discord.ChannelType.text, discord.ChannelType.news)


def _deck_choices(decks: DeckLibrary) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=clip(f"{d.title} ({d.id})", CHOICE_NAME), value=d.id) for d in decks]


@functools.cache
def _zones() -> tuple[str, ...]:
    # Read once: available_timezones() walks the tzdata package.
    return tuple(sorted(zoneinfo.available_timezones()))


def zone_suggestions(current: str) -> list[str]:
    """Up to 25 IANA zone names (Discord's limit for suggestions): those starting with the text first, then containing it."""
    needle = current.strip().casefold().replace(" ", "_")
    zones = _zones()
    if not needle:
        common = [
            "UTC",
            "Europe/London",
            "Europe/Berlin",
            "America/New_York",
            "America/Los_Angeles",
            "Asia/Kolkata",
            "Asia/Tokyo",
        ]
        return [z for z in common if z in zones][:CHOICES]
    starts = [z for z in zones if z.casefold().startswith(needle) or z.casefold().split("/")[-1].startswith(needle)]
    contains = [z for z in zones if needle in z.casefold() and z not in starts]
    return (starts + contains)[:CHOICES]


class PostableChannel(app_commands.Transformer):
    """A text or announcement channel option, as Discord resolves it (no guild cache needed)."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return list(TEXT_CHANNELS)

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> Any:
        return value


ChannelOption = app_commands.Transform[app_commands.AppCommandChannel, PostableChannel]


def build_group(handler: CommandHandler, decks: DeckLibrary) -> app_commands.Group:
    """The command group, with the decks as choices (Discord allows 25; more decks get autocomplete)."""
    group = app_commands.Group(name=GROUP_NAME, description="Practise RecSys Platform Engineer interview questions")
    choices = _deck_choices(decks)
    # Discord refuses a command whose names, descriptions, values and choices add up to over 8000 characters,
    # and five options list the decks: they get choices only while those fit in DECK_CHOICES_BUDGET (the rest
    # of the group takes about 2300), and autocomplete otherwise, as beyond 25 decks.
    choice_characters = sum(len(c.name) + len(c.value) for c in choices) * DECK_OPTIONS
    use_choices = len(choices) <= CHOICES and choice_characters <= DECK_CHOICES_BUDGET

    async def run(interaction: discord.Interaction, known: set[str], work: OriginWork) -> None:
        unknown = _unknown_options(interaction, known)
        mistyped = _mistyped_options(interaction)
        if unknown:

            async def refuse(_: Origin) -> Reply:
                return stale_command_reply(unknown)

            await handler.command(interaction, refuse)
        elif mistyped:

            async def unreadable(_: Origin) -> Reply:
                raise UnreadableInteraction(f"option {', '.join(map(repr, mistyped))} is not of the type Discord declares for it")

            await handler.command(interaction, unreadable)
        else:
            await handler.command(interaction, work)

    async def deck_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        needle = str(current).lower()  # what the person typed so far; str() for an event that carried something else
        return [c for c in choices if needle in c.name.lower()][:CHOICES]

    def deck_option(function: Any) -> Any:
        return (app_commands.choices(deck=choices) if use_choices else app_commands.autocomplete(deck=deck_autocomplete))(function)

    @group.command(name="start", description="Start a private quiz run, or resume the one you left")
    @app_commands.describe(deck="Which deck (default: the first)")
    @deck_option
    async def start(interaction: discord.Interaction, deck: str | None = None) -> None:
        await run(interaction, {"deck"}, lambda origin: handler.engine.start(origin, deck))

    @group.command(name="tips", description="How to structure a strong answer")
    @app_commands.describe(deck="Which deck's tips (default: the first)")
    @deck_option
    async def tips(interaction: discord.Interaction, deck: str | None = None) -> None:
        await run(interaction, {"deck"}, lambda origin: handler.engine.tips(deck))

    @group.command(name="help", description="What this bot does, its commands and decks")
    async def help_(interaction: discord.Interaction) -> None:
        async def work(_: Origin) -> Reply:
            return handler.engine.help()

        await run(interaction, set(), work)

    @group.command(name="leaderboard", description="Who has the most points in this server: people or teams, by window")
    @app_commands.describe(board="People or teams (default: people)", window="This week, this month or all time (default: all)")
    @app_commands.choices(
        board=[app_commands.Choice(name="people", value="people"), app_commands.Choice(name="teams", value="teams")],
        window=[
            app_commands.Choice(name="this week", value="week"),
            app_commands.Choice(name="this month", value="month"),
            app_commands.Choice(name="all time", value="all"),
        ],
    )
    async def leaderboard(interaction: discord.Interaction, board: str = "people", window: str = "all") -> None:
        await run(interaction, {"board", "window"}, lambda origin: handler.engine.leaderboard(origin, board, window))

    @group.command(name="stats", description="Your progress, accuracy per topic, weakest topic, streak and points")
    @app_commands.describe(show="Your own stats, or (admins) how each question was answered here", deck="For questions: which deck")
    @app_commands.choices(
        show=[app_commands.Choice(name="mine", value="mine"), app_commands.Choice(name="questions (admins)", value="questions")]
    )
    @deck_option
    async def stats(interaction: discord.Interaction, show: str = "mine", deck: str | None = None) -> None:
        async def work(origin: Origin) -> Reply:
            if show == "questions":
                return await handler.engine.question_stats(origin, deck)
            return await handler.engine.stats(origin)

        await run(interaction, {"show", "deck"}, work)

    @group.command(name="export", description="Everything the bot keeps about you, as a JSON file only you see")
    async def export(interaction: discord.Interaction) -> None:
        await run(interaction, set(), handler.engine.export)

    @group.command(name="forget-me", description="Delete everything the bot keeps about you (asks first)")
    async def forget_me(interaction: discord.Interaction) -> None:
        async def work(origin: Origin) -> Reply:
            return handler.engine.forget_me(origin)

        await run(interaction, set(), work)

    @group.command(name="review", description="Review the questions due today, privately (reviews score no points)")
    @app_commands.describe(deck="Which deck (default: the one due longest)")
    @deck_option
    async def review(interaction: discord.Interaction, deck: str | None = None) -> None:
        await run(interaction, {"deck"}, lambda origin: handler.engine.review(origin, deck))

    group.add_command(_interview_group(handler, run))
    group.add_command(_remind_group(handler, run))
    group.add_command(_team_group(handler, run))
    group.add_command(_daily_group(handler, run, deck_option))
    group.add_command(_digest_group(handler, run))
    group.add_command(_admin_group(handler, run))
    return group


Run = Callable[[discord.Interaction, set[str], OriginWork], Awaitable[None]]


def _in_server_only(run: Run, refusal: Reply) -> Run:
    """`run`, except that in direct messages (no server: no admins, no channels, no teams) the answer is `refusal`."""

    async def guarded(interaction: discord.Interaction, known: set[str], work: OriginWork) -> None:
        async def refuse(_: Origin) -> Reply:
            return refusal

        await run(interaction, known, work if interaction.guild_id is not None else refuse)

    return guarded


async def _timezone_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=z, value=z) for z in zone_suggestions(str(current))]


def _interview_group(handler: CommandHandler, run: Run) -> app_commands.Group:
    interview = app_commands.Group(name="interview", description="Your interview day: reviews are planned to have you ready by then")

    @interview.command(name="set", description="Set your interview day: every question comes back in the last three days before it")
    @app_commands.describe(date="The day, as YYYY-MM-DD, e.g. 2027-01-15 (in your reminder's timezone, else UTC)")
    async def set_(interaction: discord.Interaction, date: str) -> None:
        await run(interaction, {"date"}, lambda origin: handler.engine.interview(origin, date))

    @interview.command(name="off", description="Forget your interview day: reviews go back to their usual pace")
    async def off(interaction: discord.Interaction) -> None:
        await run(interaction, set(), handler.engine.interview_off)

    return interview


def _remind_group(handler: CommandHandler, run: Run) -> app_commands.Group:
    remind = app_commands.Group(name="remind", description="A direct message each day at your time when reviews are due")

    @remind.command(name="set", description="A direct message each day at this local time when reviews are due")
    @app_commands.describe(time="Local time, 24-hour HH:MM, e.g. 08:30", timezone="IANA timezone, e.g. Europe/Berlin")
    @app_commands.autocomplete(timezone=_timezone_autocomplete)
    async def set_(interaction: discord.Interaction, time: str, timezone: str) -> None:
        await run(interaction, {"time", "timezone"}, lambda origin: handler.engine.remind(origin, time, timezone))

    @remind.command(name="off", description="Stop the daily review reminder")
    async def off(interaction: discord.Interaction) -> None:
        await run(interaction, set(), handler.engine.remind_off)

    return remind


def _team_group(handler: CommandHandler, run: Run) -> app_commands.Group:
    team = app_commands.Group(name="team", description="Study groups: create, join, leave, list, show")
    run = _in_server_only(run, NO_TEAMS_IN_DMS)

    async def team_names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        # Discord waits 3 s for suggestions and shows at most 25; a failure shows none rather than an error.
        # The names starting with what was typed (or a look-alike of it), read from an index: one per keystroke.
        try:
            names = await handler.engine.team_names(origin_of(interaction), str(current), CHOICES)
        except UnreadableInteraction as error:
            log.warning("interaction %s: %s; no team name suggestions", interaction.id, error)
            return []
        except Exception:
            log.exception("interaction %s: team name suggestions failed", interaction.id)
            return []
        return [app_commands.Choice(name=clip(n, CHOICE_NAME), value=n) for n in names]

    @team.command(name="create", description="Start a study group and join it")
    @app_commands.describe(name="2 to 32 letters, digits, spaces and - . ' & + ! ? ( ) , /")
    async def create(interaction: discord.Interaction, name: str) -> None:
        await run(interaction, {"name"}, lambda origin: handler.engine.team_create(origin, name))

    @team.command(name="join", description="Join a study group (one per person)")
    @app_commands.describe(name="The team's name")
    @app_commands.autocomplete(name=team_names)
    async def join(interaction: discord.Interaction, name: str) -> None:
        await run(interaction, {"name"}, lambda origin: handler.engine.team_join(origin, name))

    @team.command(name="leave", description="Leave your study group")
    async def leave(interaction: discord.Interaction) -> None:
        await run(interaction, set(), handler.engine.team_leave)

    @team.command(name="list", description="All study groups in this server")
    async def list_(interaction: discord.Interaction) -> None:
        await run(interaction, set(), handler.engine.team_list)

    @team.command(name="show", description="A group's members and points (default: your own)")
    @app_commands.describe(name="The team's name (default: yours)")
    @app_commands.autocomplete(name=team_names)
    async def show(interaction: discord.Interaction, name: str | None = None) -> None:
        await run(interaction, {"name"}, lambda origin: handler.engine.team_show(origin, name))

    return team


CHANNEL_HELP = "Which channel (default: this one)"


def channel_of(interaction: discord.Interaction, channel: app_commands.AppCommandChannel | None) -> int:
    """The channel option's channel, or the one the command was typed in."""
    return channel.id if channel is not None else int(interaction.channel_id or 0)


def is_text_channel(interaction: discord.Interaction, channel: app_commands.AppCommandChannel | None) -> bool:
    """Whether the channel posts go to is a text one: the option offers text channels only; typed in a thread or a voice
    channel's chat, "here" is not one."""
    here_kind = getattr(interaction.channel, "type", None) if channel is None else None
    return here_kind is None or here_kind in TEXT_CHANNELS


def _daily_group(handler: CommandHandler, run: Run, deck_option: Callable[[Any], Any]) -> app_commands.Group:
    daily = app_commands.Group(name="daily", description="A question posted to a channel every day (set up by admins)")
    channel_help = CHANNEL_HELP

    in_server = _in_server_only(run, NO_DAILY_IN_DMS)

    @daily.command(name="set", description="Admins: post a question to a channel every day at a local time")
    @app_commands.describe(
        time="Local time, 24-hour HH:MM, e.g. 09:00",
        timezone="IANA timezone, e.g. Europe/Berlin",
        channel=channel_help,
        deck="Which deck (default: the first)",
    )
    @app_commands.autocomplete(timezone=_timezone_autocomplete)
    @deck_option
    async def set_(
        interaction: discord.Interaction, time: str, timezone: str, channel: ChannelOption | None = None, deck: str | None = None
    ) -> None:
        channel_id = channel_of(interaction, channel)
        text_channel = is_text_channel(interaction, channel)

        async def work(origin: Origin) -> Reply:
            service = handler.engine.daily
            if origin.is_admin and not text_channel:
                return NOT_A_TEXT_CHANNEL
            # The core refuses non-admins and says what a valid time and zone look like; only a request it
            # would accept is worth the permission check (which may take REST calls for another channel).
            if origin.is_admin and parse_post_time(time) is not None and parse_zone(timezone) is not None:
                missing = await handler.missing_permissions(interaction, channel_id)
                if missing:
                    return notice("The bot cannot post there", cannot_post_text(channel_id, missing), "warning")
            return await service.configure(origin, str(channel_id), time, timezone, deck)

        await in_server(interaction, {"time", "timezone", "channel", "deck"}, work)

    @daily.command(name="off", description="Admins: stop the daily question in a channel")
    @app_commands.describe(channel=channel_help)
    async def off(interaction: discord.Interaction, channel: ChannelOption | None = None) -> None:
        channel_id = str(channel_of(interaction, channel))
        await in_server(interaction, {"channel"}, lambda origin: handler.engine.daily.switch_off(origin, channel_id))

    @daily.command(name="status", description="When a channel's daily question posts next, and how the last one went")
    @app_commands.describe(channel=channel_help)
    async def status(interaction: discord.Interaction, channel: ChannelOption | None = None) -> None:
        channel_id = str(channel_of(interaction, channel))
        await in_server(interaction, {"channel"}, lambda origin: handler.engine.daily.status(origin, channel_id))

    @daily.command(name="now", description="Admins: post the next daily question at once")
    @app_commands.describe(channel=channel_help)
    async def now(interaction: discord.Interaction, channel: ChannelOption | None = None) -> None:
        channel_id = str(channel_of(interaction, channel))
        await in_server(interaction, {"channel"}, lambda origin: handler.engine.daily.post_now(origin, channel_id))

    return daily


def _digest_group(handler: CommandHandler, run: Run) -> app_commands.Group:
    digest = app_commands.Group(name="digest", description="The group's week posted to a channel every Monday (set up by admins)")
    in_server = _in_server_only(run, NO_DIGEST_IN_DMS)

    @digest.command(name="on", description="Admins: every Monday, post the group's week to a channel, with a chart")
    @app_commands.describe(channel=CHANNEL_HELP)
    async def on(interaction: discord.Interaction, channel: ChannelOption | None = None) -> None:
        channel_id = channel_of(interaction, channel)
        text_channel = is_text_channel(interaction, channel)

        async def work(origin: Origin) -> Reply:
            if origin.is_admin and not text_channel:
                return NOT_A_TEXT_CHANNEL
            if origin.is_admin:  # the core refuses everyone else; only an admin's request is worth the check
                missing = await handler.missing_permissions(interaction, channel_id, DIGEST_NEEDED)
                if missing:
                    text = cannot_post_text(channel_id, missing, DIGEST_NEEDED, "digest on")
                    return notice("The bot cannot post there", text, "warning")
            return await handler.engine.digest_switch(origin, str(channel_id), True)

        await in_server(interaction, {"channel"}, work)

    @digest.command(name="off", description="Admins: stop a channel's weekly digest")
    @app_commands.describe(channel=CHANNEL_HELP)
    async def off(interaction: discord.Interaction, channel: ChannelOption | None = None) -> None:
        channel_id = str(channel_of(interaction, channel))
        await in_server(interaction, {"channel"}, lambda origin: handler.engine.digest_switch(origin, channel_id, False))

    return digest


def _admin_group(handler: CommandHandler, run: Run) -> app_commands.Group:
    admin = app_commands.Group(name="admin", description="Admins: look after members' data in this server")
    in_server = _in_server_only(run, NO_ADMIN_IN_DMS)

    @admin.command(name="forget", description="Admins: delete a member's data here; they are told on their next command")
    @app_commands.describe(member="The member whose data to delete")
    async def forget(interaction: discord.Interaction, member: discord.User) -> None:
        await in_server(interaction, {"member"}, lambda origin: handler.engine.admin_forget(origin, str(member.id)))

    return admin
