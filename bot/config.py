"""Settings of the core, read from the environment and `.env` with pydantic-settings."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.content import default_content_dir

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
POSTGRES_SCHEMES = ("postgresql", "postgres")
POSTGRES_EXAMPLE = "postgresql://user@host:5432/dbname"
DATABASE_FORMS = f"a file path, sqlite:///path or {POSTGRES_EXAMPLE}"


class Database(NamedTuple):
    """Where the store lives: a SQLite file, or a PostgreSQL database by URL."""

    kind: Literal["sqlite", "postgresql"]
    path: Path | None  # the SQLite file
    url: str | None  # the PostgreSQL URL, password and all

    @property
    def shown(self) -> str:
        """How messages name it: the file, or the URL without its password."""
        return str(self.path) if self.path is not None else shown_url(self.url or "")


def shown_url(url: str) -> str:
    """A database URL without its password, for messages and logs (also one that is not a valid URL)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed "[" of an IPv6 host: blank whatever sits between "user:" and "@"
        return re.sub(r"(://[^/@:]*:)[^@/]*@", r"\1***@", url, count=1)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


def parse_database(text: str) -> Database:
    """RECSYS_QUIZ_DB read: a file path or sqlite:///path keeps SQLite, postgresql://... selects PostgreSQL.

    ValueError, saying what is wrong, for anything else (another scheme, a URL without a database name, a bad port).
    """
    value = text.strip()
    shown = shown_url(value)
    if not value:
        raise ValueError(f"RECSYS_QUIZ_DB is empty: give {DATABASE_FORMS}")
    scheme, separator, rest = value.partition("://")
    if not separator:
        return Database("sqlite", Path(value), None)
    scheme = scheme.lower()
    if scheme == "sqlite":
        # sqlite:///relative/file.db and sqlite:////absolute/file.db, as SQLAlchemy spells them
        if not rest.startswith("/") or not rest[1:]:
            raise ValueError(f"RECSYS_QUIZ_DB {shown!r}: a SQLite URL is sqlite:///relative/path.db or sqlite:////absolute/path.db")
        return Database("sqlite", Path(rest[1:]), None)
    if scheme in POSTGRES_SCHEMES:
        try:
            parts = urlsplit(value)
        except ValueError as error:
            raise ValueError(f"RECSYS_QUIZ_DB {shown!r}: not a valid URL ({error}); write it as {POSTGRES_EXAMPLE}") from None
        try:
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number from 0 to 65535
        except ValueError:
            raise ValueError(f"RECSYS_QUIZ_DB {shown!r}: the port is not a number from 0 to 65535") from None
        if not parts.path.strip("/"):
            raise ValueError(f"RECSYS_QUIZ_DB {shown!r}: name the database, as in {POSTGRES_EXAMPLE}")
        return Database("postgresql", None, value)
    raise ValueError(f"RECSYS_QUIZ_DB {shown!r}: unsupported kind of database {scheme!r}; give {DATABASE_FORMS}")


class CoreSettings(BaseSettings):
    """Where the database and the decks are, and how much to log: RECSYS_QUIZ_DB, RECSYS_QUIZ_CONTENT, RECSYS_QUIZ_TIMEZONE, LOG_LEVEL."""

    model_config = SettingsConfigDict(
        env_prefix="RECSYS_QUIZ_", env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True, frozen=True
    )

    # The database: a SQLite file (path or sqlite:///path) or a postgresql:// URL; see parse_database.
    db: str = "recsys-quiz.db"
    content: Path = Field(default_factory=default_content_dir)
    # LOG_LEVEL is the one setting without the prefix: the name every Python service's operators already use.
    log_level: Annotated[str, Field(validation_alias=AliasChoices("LOG_LEVEL", "log_level"))] = "INFO"
    # Boards count weeks (from Monday 00:00) and months in this IANA timezone.
    timezone: str = "UTC"

    @field_validator("db", mode="before")
    @classmethod
    def _known_database(cls, value: Any) -> str:
        text = os.fspath(value) if isinstance(value, os.PathLike) else value
        if not isinstance(text, str):
            raise ValueError(f"RECSYS_QUIZ_DB must be {DATABASE_FORMS}")
        parse_database(text)
        return text.strip()

    @property
    def database(self) -> Database:
        return parse_database(self.db)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"RECSYS_QUIZ_TIMEZONE must be an IANA zone such as Europe/Berlin, not {value!r}") from None
        return value.strip()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        return level

    def configure_logging(self) -> None:
        logging.basicConfig(level=self.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
