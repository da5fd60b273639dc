"""The commands the bot offers, as data: each adapter renders them in its own syntax and checks them against its command tree."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Audience = Literal["everyone", "admins"]
# Help shows the commands in these groups, in this order (Discord gives each group one embed field of 1,024 characters).
CommandGroup = Literal["Quiz", "Study", "Study groups", "Daily question", "Weekly digest", "Your data"]
GROUPS: tuple[CommandGroup, ...] = ("Quiz", "Study", "Study groups", "Daily question", "Weekly digest", "Your data")


class CommandSpec(BaseModel):
    """One command: its words (`team create`), what it does in platform-neutral words, and who may use it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str
    group: CommandGroup
    audience: Audience = "everyone"


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(name="start", group="Quiz", description="Start a private quiz run of a deck, or resume the one you left."),
    CommandSpec(name="tips", group="Quiz", description="How to structure a strong answer."),
    CommandSpec(name="leaderboard", group="Quiz", description="People or study groups by points: this week, this month or all time."),
    CommandSpec(name="stats", group="Quiz", description="Your progress, accuracy per topic, weakest topic, streak and points."),
    CommandSpec(name="stats questions", group="Quiz", audience="admins", description="How each question of a deck was answered here."),
    CommandSpec(name="help", group="Quiz", description="This help: the commands, the decks and the scoring rule."),
    CommandSpec(name="review", group="Study", description="Review the questions due today, and meet new ones; reviews score no points."),
    CommandSpec(name="interview", group="Study", description="Set your interview day: reviews are planned to have you ready by then."),
    CommandSpec(name="interview off", group="Study", description="Forget the interview day: reviews go back to their usual pace."),
    CommandSpec(name="remind", group="Study", description="A private reminder each day at your time when reviews are due."),
    CommandSpec(name="remind off", group="Study", description="Stop the daily review reminder."),
    CommandSpec(name="team create", group="Study groups", description="Start a study group and join it."),
    CommandSpec(name="team join", group="Study groups", description="Join a study group (one per person)."),
    CommandSpec(name="team leave", group="Study groups", description="Leave your study group."),
    CommandSpec(name="team list", group="Study groups", description="All study groups here."),
    CommandSpec(name="team show", group="Study groups", description="A group's members and points (default: yours)."),
    CommandSpec(
        name="daily set", group="Daily question", audience="admins", description="Post a question to a channel every day at a local time."
    ),
    CommandSpec(name="daily status", group="Daily question", description="When the daily question posts next, and how the last one went."),
    CommandSpec(name="daily now", group="Daily question", audience="admins", description="Post the next daily question at once."),
    CommandSpec(name="daily off", group="Daily question", audience="admins", description="Stop the channel's daily question."),
    CommandSpec(
        name="digest on",
        group="Weekly digest",
        audience="admins",
        description="Every Monday, post the group's week to a channel: top people and teams, accuracy per topic, a chart.",
    ),
    CommandSpec(name="digest off", group="Weekly digest", audience="admins", description="Stop a channel's weekly digest."),
    CommandSpec(name="export", group="Your data", description="Everything the bot keeps about you, as JSON."),
    CommandSpec(name="forget-me", group="Your data", description="Delete everything the bot keeps about you, once you confirm."),
    CommandSpec(
        name="admin forget",
        group="Your data",
        audience="admins",
        description="Delete a member's data here; they are told on their next command.",
    ),
)
COMMAND_NAMES = frozenset(command.name for command in COMMANDS)
