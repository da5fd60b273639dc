"""Settings of the Slack surface (environment / `.env`), with errors that name the missing variable."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

EVENTS_PATH = "/slack/events"
DEFAULT_API_URL = "https://slack.com/api/"
# Slack member ids: U… (or W… on Enterprise Grid), as "Copy member ID" in a profile gives them.
USER_ID = re.compile(r"^[UW][A-Z0-9]{1,63}$")


class SlackSettingsError(ValueError):
    """A Slack setting is missing or malformed; the message names the environment variable."""


class SlackSettings(BaseSettings):
    """Tokens, the mode (Socket Mode when SLACK_APP_TOKEN is set, else HTTP) and where the Web API is."""

    # env_ignore_empty: a line like `SLACK_APP_TOKEN=` copied from .env.example means "not set".
    # Every setting is SLACK_ and the field's name in capitals (SLACK_BOT_TOKEN, ...), but PORT and HOST: the names
    # hosting platforms set for a web process.
    model_config = SettingsConfigDict(
        env_prefix="SLACK_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        frozen=True,
        env_ignore_empty=True,
    )

    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    port: Annotated[int, Field(ge=1, le=65535, validation_alias=AliasChoices("PORT", "port"))] = 3000
    # HTTP mode listens on every interface by default: Slack (or the tunnel in front) must reach it.
    host: Annotated[str, Field(min_length=1, validation_alias=AliasChoices("HOST", "host"))] = "0.0.0.0"
    api_url: str = DEFAULT_API_URL
    # Comma-separated member ids who may run the admin commands besides the workspace's admins and owners.
    # A plain string: pydantic-settings would expect JSON for a list.
    admin_user_ids: str = ""

    @field_validator("api_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"  # slack_sdk joins method names onto it

    @field_validator("admin_user_ids")
    @classmethod
    def _member_ids(cls, value: str) -> str:
        ids = [part.strip() for part in value.split(",") if part.strip()]
        wrong = [i for i in ids if not USER_ID.match(i)]
        if wrong:
            raise ValueError(
                f"{', '.join(repr(w) for w in wrong)} is not a Slack member id (U… or W…; a profile's ⋮ menu > Copy member ID)"
            )
        return ",".join(ids)

    @property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(i for i in self.admin_user_ids.split(",") if i)

    @property
    def mode(self) -> Literal["socket", "http"]:
        return "socket" if self.app_token is not None else "http"


def env_name(field: str) -> str:
    """The environment variable a field is read from."""
    return field.upper() if field in ("port", "host") else f"SLACK_{field.upper()}"


def check(settings: SlackSettings) -> SlackSettings:
    """The settings if they are enough to run; otherwise SlackSettingsError naming every missing variable."""
    problems: list[str] = []
    bot = settings.bot_token.get_secret_value() if settings.bot_token else ""
    if not bot:
        problems.append("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions page")
    elif not bot.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
    if settings.app_token is not None:
        if not settings.app_token.get_secret_value().startswith("xapp-"):
            problems.append("SLACK_APP_TOKEN must be an app-level token starting with xapp- (Basic Information > App-Level Tokens)")
    elif settings.signing_secret is None:
        problems.append(
            "SLACK_SIGNING_SECRET is not set: HTTP mode needs it (Basic Information > Signing Secret); "
            "or set SLACK_APP_TOKEN to use Socket Mode"
        )
    if problems:
        raise SlackSettingsError("; ".join(problems))
    return settings


def load_settings(**overrides: object) -> SlackSettings:
    """Read and check the settings; SlackSettingsError names what is missing or wrong."""
    try:
        settings = SlackSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = []
        for e in error.errors():
            field = str(e["loc"][0]) if e["loc"] else ""
            problems.append(f"{env_name(field)}: {e['msg']}")
        raise SlackSettingsError("; ".join(problems)) from None
    return check(settings)
