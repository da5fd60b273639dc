"""How Slack spells the bot's commands and hints: words after one slash command, parsed by adapters.slack.commands."""

from __future__ import annotations

from adapters.grammar import Grammar, syntax_table

PREFIX = "/recsys-quiz"

# Each core command as typed after /recsys-quiz; tests run these through the Slack parser.
GRAMMAR = Grammar(
    prefix=PREFIX,
    syntax=syntax_table(
        """
        start           | start [deck]
        tips            | tips [deck]
        leaderboard     | leaderboard [people|teams] [week|month|all]
        stats           | stats
        stats questions | stats questions [deck]
        help            | help
        review          | review [deck]
        interview       | interview YYYY-MM-DD
        interview off   | interview off
        remind          | remind HH:MM Area/City
        remind off      | remind off
        team create     | team create <name>
        team join       | team join <name>
        team leave      | team leave
        team list       | team list
        team show       | team show [name]
        daily set       | daily set HH:MM Area/City [deck]
        daily status    | daily status
        daily now       | daily now
        daily off       | daily off
        digest on       | digest on [#channel]
        digest off      | digest off [#channel]
        export          | export
        forget-me       | forget-me
        admin forget    | admin forget @member
        """
    ),
    hints={
        "start": f"Start a fresh run with `{PREFIX} start`.",
        "admins": "Admins are the workspace's admins and owners, and the people the bot's operator listed.",
        "daily_set": f"For example, in the channel to post to: `{PREFIX} daily set 09:00 Europe/Berlin`.",
        "interview": f"For example: `{PREFIX} interview 2027-01-15`.",
        "remind": f"For example: `{PREFIX} remind 08:30 Europe/Berlin`.",
        "teams": f"Create one with `{PREFIX} team create <name>` or join one with `{PREFIX} team join <name>`.",
        "zone": f"Your Slack profile gives no timezone: set one with a reminder, `{PREFIX} remind 08:30 Europe/Berlin`.",
    },
)
