"""The PostgreSQL store on asyncpg: the same schema, migrations and `Store` Protocol as SQLite, for several processes on one database.

Imported only when RECSYS_QUIZ_DB is a postgresql:// URL, so SQLite users never load asyncpg.
"""

from __future__ import annotations

from bot.store.postgres.base import connect_pool, shown_url
from bot.store.postgres.daily import PostgresDaily
from bot.store.postgres.digests import PostgresDigests
from bot.store.postgres.migrations import MIGRATIONS, SCHEMA_VERSION
from bot.store.postgres.privacy import PostgresPrivacy
from bot.store.postgres.runs import PostgresRuns
from bot.store.postgres.study import PostgresStudy
from bot.store.postgres.summary import PostgresSummary
from bot.store.postgres.teams import PostgresTeams


class PostgresStore(PostgresRuns, PostgresDaily, PostgresDigests, PostgresPrivacy, PostgresSummary, PostgresTeams, PostgresStudy):
    """Runs, answers, points, teams, daily posts, digests, study plans and people in one PostgreSQL database, shared by any
    number of processes."""


__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "PostgresStore", "connect_pool", "shown_url"]
