"""Settings of the Discord adapter, read from the environment and `.env` with pydantic-settings."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TOKEN_HELP = (
    "DISCORD_TOKEN is not set. Get it from the Discord Developer Portal "
    "(https://discord.com/developers/applications > your application > Bot > Reset Token) "
    "and put it in .env or the environment as DISCORD_TOKEN=..."
)


class DiscordSettingsError(ValueError):
    """A Discord setting is missing or malformed; the message names the setting."""


class DiscordSettings(BaseSettings):
    """How to reach Discord and how the bot is split into shards.

    Sharding: the bot always runs as one `discord.AutoShardedClient`. With DISCORD_SHARD_COUNT unset it
    asks Discord (`GET /gateway/bot`) for the recommended count, which is 1 below 2,500 servers; set
    DISCORD_SHARD_COUNT (and DISCORD_SHARD_IDS per process) to split a large bot over several processes.
    """

    # Every setting is DISCORD_ and the field's name in capitals: DISCORD_TOKEN, DISCORD_SHARD_IDS, ...
    model_config = SettingsConfigDict(env_prefix="DISCORD_", env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True)

    token: SecretStr | None = None
    # A development server: commands sync there instantly (global sync can take up to an hour to show).
    guild_id: Annotated[int | None, Field(gt=0)] = None
    # For the invite URL only; by default it is read from the token (its first part is the bot's id).
    client_id: Annotated[int | None, Field(gt=0)] = None
    # A REST proxy in front of Discord (e.g. a shared rate-limit proxy), or the tests' fake Discord.
    api_base: str | None = None
    # A gateway proxy: used instead of the URL Discord hands out. Needs DISCORD_SHARD_COUNT: with the count left to
    # Discord, discord.py connects to the URL that comes with it (GET /gateway/bot, through DISCORD_API_BASE).
    gateway_url: str | None = None
    shard_count: Annotated[int | None, Field(ge=1)] = None
    shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = None

    @field_validator("token", "api_base", "gateway_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("guild_id", "client_id", "shard_count", mode="before")
    @classmethod
    def _blank_number_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("api_base", "gateway_url")
    @classmethod
    def _is_url(cls, value: str | None, info: object) -> str | None:
        if value is None:
            return None
        schemes = ("http://", "https://") if getattr(info, "field_name", "") == "api_base" else ("ws://", "wss://")
        if not value.startswith(schemes):
            raise ValueError(f"must start with {' or '.join(schemes)}")
        return value.rstrip("/") if getattr(info, "field_name", "") == "api_base" else value

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            return tuple(parts) or None
        return value

    @model_validator(mode="after")
    def _shards_fit(self) -> DiscordSettings:
        if self.gateway_url is not None and self.shard_count is None:
            raise ValueError(
                "DISCORD_GATEWAY_URL needs DISCORD_SHARD_COUNT (or --shard-count): without a fixed count discord.py connects to "
                "the gateway that Discord names with its recommended count (GET /gateway/bot, through DISCORD_API_BASE)"
            )
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("DISCORD_SHARD_IDS (or --shard-ids) needs DISCORD_SHARD_COUNT (or --shard-count)")
            bad = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
            if bad:
                raise ValueError(f"DISCORD_SHARD_IDS must be between 0 and DISCORD_SHARD_COUNT-1, not {bad}")
            if len(set(self.shard_ids)) != len(self.shard_ids):
                raise ValueError(f"DISCORD_SHARD_IDS names a shard twice: {','.join(map(str, self.shard_ids))}")
        return self

    @property
    def syncs_commands(self) -> bool:
        """Whether this process syncs the slash commands: the one that runs shard 0 (or all shards), so that a bot
        split over many processes sends Discord one sync at start, not one per process."""
        return self.shard_ids is None or 0 in self.shard_ids

    def require_token(self) -> str:
        """The bot token, or a DiscordSettingsError that says where to get it."""
        if self.token is None or not self.token.get_secret_value():
            raise DiscordSettingsError(TOKEN_HELP)
        return self.token.get_secret_value()

    def application_id(self) -> int:
        """The application (client) id for the invite URL: DISCORD_CLIENT_ID, else read from the token."""
        if self.client_id is not None:
            return self.client_id
        if self.token is None:
            raise DiscordSettingsError(
                "The invite needs the application's id: set DISCORD_CLIENT_ID (Developer Portal > General Information > "
                f"Application ID), or DISCORD_TOKEN, from which it is read. {TOKEN_HELP}"
            )
        client_id = client_id_from_token(self.token.get_secret_value())
        if client_id is None:
            raise DiscordSettingsError(
                "DISCORD_TOKEN does not look like a bot token (its first part should be the bot's id in base64); "
                "check it, or set DISCORD_CLIENT_ID (Developer Portal > General Information > Application ID)"
            )
        return client_id


def client_id_from_token(token: str) -> int | None:
    """The bot user's id, which a bot token carries base64-encoded before its first '.'.

    For every application created since 2019 the bot user's id equals the application id.
    """
    first = token.split(".", 1)[0]
    try:
        decoded = base64.b64decode(first + "=" * (-len(first) % 4), altchars=b"-_", validate=False).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(decoded) if decoded.isdigit() and len(decoded) <= 20 else None


# Settings the command line can give as flags (`recsys-quiz discord --shard-count 4 --shard-ids 0,1`); a flag wins.
FLAGS = {"shard_count": "--shard-count", "shard_ids": "--shard-ids"}


def load_settings(**flags: object) -> DiscordSettings:
    """Read the settings, with the command line's `flags` (see FLAGS; None means not given) over the environment;
    a DiscordSettingsError names every bad one."""
    given = {name: value for name, value in flags.items() if value is not None}
    try:
        return DiscordSettings(**given)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = "; ".join(_problem(e["loc"], str(e["msg"]), given) for e in error.errors())
        raise DiscordSettingsError(f"bad Discord setting: {problems}") from None


def _problem(location: tuple[int | str, ...], message: str, flags: dict[str, object]) -> str:
    """One problem, led by the setting (or flag) it is about; a check of several settings names them itself."""
    message = message.removeprefix("Value error, ")
    if not location:
        return message
    field = str(location[0])
    return f"{FLAGS[field] if field in flags and field in FLAGS else f'DISCORD_{field.upper()}'}: {message}"
