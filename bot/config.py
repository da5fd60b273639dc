"""Settings of the core, read from the environment and `.env` with pydantic-settings."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.content import default_content_dir

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class CoreSettings(BaseSettings):
    """Where the database and the decks are, and how much to log."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True, frozen=True)

    db_path: Annotated[Path, Field(validation_alias=AliasChoices("RECSYS_QUIZ_DB", "db_path"))] = Path("recsys-quiz.db")
    content_dir: Annotated[Path, Field(validation_alias=AliasChoices("RECSYS_QUIZ_CONTENT", "content_dir"))] = Field(
        default_factory=default_content_dir
    )
    log_level: Annotated[str, Field(validation_alias=AliasChoices("LOG_LEVEL", "log_level"))] = "INFO"
    # Boards count weeks (from Monday 00:00) and months in this IANA timezone.
    timezone: Annotated[str, Field(validation_alias=AliasChoices("RECSYS_QUIZ_TIMEZONE", "timezone"))] = "UTC"

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
