"""The SQLite store: the only package that knows SQL (WAL, a group-commit writer and a reader thread, migrations by PRAGMA user_version)."""

from __future__ import annotations

from bot.store.base import SchemaTooNewError, StoreBase
from bot.store.daily import DailyAnswerOutcome, DailyChannel, DailyPick, DailyPost, DailyStore
from bot.store.migrations import MIGRATIONS, SCHEMA_VERSION
from bot.store.records import (
    Answer,
    BoardRow,
    ClickOutcome,
    OptionTally,
    PlanStep,
    QuestionTally,
    Run,
    TeamChange,
    TeamMember,
    TeamRow,
)
from bot.store.runs import RunStore
from bot.store.scores import ScoreStore
from bot.store.summary import SummaryStore
from bot.store.teams import TeamStore


class SQLiteStore(RunStore, DailyStore, SummaryStore, ScoreStore, TeamStore, StoreBase):
    """Runs, answers, points, teams, daily posts and people in one SQLite file."""


__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Answer",
    "ClickOutcome",
    "BoardRow",
    "DailyAnswerOutcome",
    "DailyChannel",
    "DailyPick",
    "DailyPost",
    "OptionTally",
    "PlanStep",
    "QuestionTally",
    "Run",
    "SQLiteStore",
    "SchemaTooNewError",
    "TeamChange",
    "TeamMember",
    "TeamRow",
]
