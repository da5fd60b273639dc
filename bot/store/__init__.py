"""The stores: the only package that knows SQL. The `Store` Protocol the core depends on, the records it returns, and the
SQLite store (WAL, a group-commit writer and a reader thread, migrations by PRAGMA user_version); the PostgreSQL store
is in bot.store.postgres, imported only when a PostgreSQL URL is used."""

from __future__ import annotations

from bot.store.base import StoreBase
from bot.store.daily import DailyStore
from bot.store.digests import DigestStore
from bot.store.errors import DatabaseUnavailableError, ForeignDatabaseError, SchemaTooNewError, StoreError
from bot.store.migrations import MIGRATIONS, SCHEMA_VERSION
from bot.store.privacy import PrivacyStore
from bot.store.protocol import AnswerKey, QuestionKey, Store
from bot.store.records import (
    Answer,
    BoardRow,
    Claim,
    ClickOutcome,
    DailyAnswerOutcome,
    DailyChannel,
    DailyPick,
    DailyPost,
    DigestChannel,
    DigestPost,
    ForgetOutcome,
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
from bot.store.study import StudyStore
from bot.store.summary import SummaryStore
from bot.store.teams import TeamStore


class SQLiteStore(RunStore, DailyStore, DigestStore, PrivacyStore, SummaryStore, ScoreStore, TeamStore, StudyStore, StoreBase):
    """Runs, answers, points, teams, daily posts, digests, study plans and people in one SQLite file."""


__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Answer",
    "AnswerKey",
    "ClickOutcome",
    "DatabaseUnavailableError",
    "ForeignDatabaseError",
    "StoreError",
    "BoardRow",
    "Claim",
    "DailyAnswerOutcome",
    "DailyChannel",
    "DailyPick",
    "DailyPost",
    "DigestChannel",
    "DigestPost",
    "ForgetOutcome",
    "OptionTally",
    "PlanStep",
    "QuestionKey",
    "QuestionTally",
    "Run",
    "SQLiteStore",
    "SchemaTooNewError",
    "Store",
    "TeamChange",
    "TeamMember",
    "TeamRow",
]
