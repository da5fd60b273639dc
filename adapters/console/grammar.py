"""How the terminal spells the bot's commands and hints: `recsys-quiz` subcommands and their flags (adapters.cli)."""

from __future__ import annotations

from adapters.grammar import Grammar, syntax_table

PREFIX = "recsys-quiz"

# The core commands the terminal offers, as its argparse takes them; study groups, daily posts, digests and reminders
# live in chats.
GRAMMAR = Grammar(
    prefix=PREFIX,
    syntax=syntax_table(
        """
        start       | play [--deck ID] [--user NAME]
        tips        | tips [--deck ID]
        leaderboard | leaderboard [--teams] [--window week|month|all] [--space PLATFORM:ID]
        stats       | stats [--user NAME]
        help        | help
        review        | review [--deck ID] [--user NAME]
        interview     | interview YYYY-MM-DD [--zone AREA/CITY] [--user NAME]
        interview off | interview off [--user NAME]
        export      | export [--user NAME]
        forget-me   | forget-me --user NAME --yes
        """
    ),
    hints={
        "start": f"Run `{PREFIX} play` for a fresh run.",
        "admins": "Admin commands are on Discord and Slack.",
        "daily_set": "The daily question is set up on Discord or Slack.",
        "interview": f"For example: `{PREFIX} interview 2027-01-15 --zone Europe/Berlin`.",
        # The terminal sends no messages: reminders live on Discord and Slack.
        "remind": "Daily reminders are sent on Discord and Slack.",
        # Teams belong to a chat's study group: the terminal shows their boards but has no team commands.
        "teams": "Teams are created and joined on Discord and Slack.",
        "zone": f"Give your timezone with the date: `{PREFIX} interview 2027-01-15 --zone Europe/Berlin`.",
    },
)

# The terminal's own commands: what an operator runs besides playing (name: syntax, what it does).
OPERATOR_SYNTAX: dict[str, tuple[str, str]] = {
    "content": ("content check [DIR]", "Check the decks: schema, and that the best answer can't be spotted by its surface."),
    "discord": ("discord [--invite]", "Run the Discord bot (or print its invite URL)."),
    "slack": ("slack", "Run the Slack app (Socket Mode or HTTP)."),
    "db": ("db copy --to postgresql://... [--db PATH]", "Copy a SQLite database into an empty PostgreSQL database."),
}
