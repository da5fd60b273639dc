"""How Discord spells the bot's commands and hints: slash commands with named options (`name:`)."""

from __future__ import annotations

from adapters.grammar import Grammar, syntax_table

PREFIX = "/recsys-quiz"

# Each core command as Discord's slash command takes it; tests check these against the registered command tree.
GRAMMAR = Grammar(
    prefix=PREFIX,
    syntax=syntax_table(
        """
        start           | start [deck:]
        tips            | tips [deck:]
        leaderboard     | leaderboard [board: people|teams] [window: this week|this month|all time]
        stats           | stats
        stats questions | stats show: questions (admins) [deck:]
        help            | help
        review          | review [deck:]
        interview       | interview set date:
        interview off   | interview off
        remind          | remind set time: timezone:
        remind off      | remind off
        team create     | team create name:
        team join       | team join name:
        team leave      | team leave
        team list       | team list
        team show       | team show [name:]
        daily set       | daily set time: timezone: [channel:] [deck:]
        daily status    | daily status [channel:]
        daily now       | daily now [channel:]
        daily off       | daily off [channel:]
        digest on       | digest on [channel:]
        digest off      | digest off [channel:]
        export          | export
        forget-me       | forget-me
        admin forget    | admin forget member:
        """
    ),
    hints={
        "start": f"Start a fresh run with `{PREFIX} start`.",
        "admins": "Admins are the members with Manage Server in this server.",
        "daily_set": f"For example: `{PREFIX} daily set time:09:00 timezone:Europe/Berlin`.",
        "interview": f"For example: `{PREFIX} interview set date:2027-01-15`.",
        "remind": f"For example: `{PREFIX} remind set time:08:30 timezone:Europe/Berlin`.",
        "teams": f"Create one with `{PREFIX} team create name:` or join one with `{PREFIX} team join name:`.",
        "zone": f"Discord keeps your timezone to itself; a reminder sets it: `{PREFIX} remind set time:08:30 timezone:Europe/Berlin`.",
    },
)
