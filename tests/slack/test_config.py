"""Settings, the manifest and the `recsys-quiz slack` entry point: clear errors that name the missing variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from adapters.cli import main as cli_main
from adapters.slack.config import DEFAULT_API_URL, SlackSettingsError, load_settings

SLACK_VARS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "PORT", "SLACK_API_URL", "SLACK_ADMIN_USER_IDS")
MANIFEST = Path(__file__).resolve().parents[2] / "adapters" / "slack" / "manifest.yaml"
ADAPTER = MANIFEST.parent


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in SLACK_VARS:
        monkeypatch.delenv(name, raising=False)


def test_http_mode_needs_the_bot_token_and_the_signing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SlackSettingsError) as missing:
        load_settings()
    assert "SLACK_BOT_TOKEN is not set" in str(missing.value)
    assert "SLACK_SIGNING_SECRET is not set" in str(missing.value)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    settings = load_settings()
    assert (settings.mode, settings.port, settings.api_url) == ("http", 3000, DEFAULT_API_URL)


def test_an_app_token_means_socket_mode_without_a_signing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    assert load_settings().mode == "socket"


def test_slack_admin_user_ids_is_a_comma_separated_list_of_member_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    assert load_settings().admin_ids == frozenset()
    monkeypatch.setenv("SLACK_ADMIN_USER_IDS", " U012AB3CD, W0ENTERPRISE ,, ")
    assert load_settings().admin_ids == {"U012AB3CD", "W0ENTERPRISE"}


def test_empty_lines_copied_from_env_example_count_as_unset(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-1\nSLACK_SIGNING_SECRET=s\nSLACK_APP_TOKEN=\nSLACK_API_URL=http://127.0.0.1:9/api\n"
    )
    settings = load_settings()
    assert settings.mode == "http"
    assert settings.api_url == "http://127.0.0.1:9/api/"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SLACK_BOT_TOKEN", "xoxp-user-token", "SLACK_BOT_TOKEN must be a bot token"),
        ("SLACK_APP_TOKEN", "xoxb-wrong", "SLACK_APP_TOKEN must be an app-level token"),
        ("PORT", "seventy", "PORT"),
        ("PORT", "70000", "PORT"),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL"),
        ("SLACK_ADMIN_USER_IDS", "U012AB3CD,@alice", "SLACK_ADMIN_USER_IDS: Value error, '@alice' is not a Slack member id"),
    ],
)
def test_a_malformed_setting_is_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv(name, value)
    with pytest.raises(SlackSettingsError, match=re.escape(message)):
        load_settings()


def test_recsys_quiz_slack_without_settings_exits_2_naming_the_variable(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["slack"]) == 2
    assert "SLACK_BOT_TOKEN is not set" in capsys.readouterr().err


def test_the_manifest_has_the_command_interactivity_socket_mode_and_only_the_scopes_used() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/recsys-quiz"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes == {"commands", "chat:write", "users:read", "files:write", "im:write"}
    source = "\n".join(p.read_text() for p in ADAPTER.glob("*.py"))
    # Each scope is there for a call the adapter makes; a dropped call should drop its scope.
    assert "chat_postEphemeral" in source and "chat_postMessage" in source and "chat_update" in source  # chat:write
    assert "users_info" in source  # users:read
    assert "app.command(" in source  # commands
    assert "files_upload_v2" in source  # files:write
    assert "conversations_open" in source  # im:write
    # The Home tab: the event it is published on, and the tab itself.
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert 'app.event("app_home_opened")' in source and "views_publish" in source
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    # Mentions arrive as ids: `admin forget @name`, `digest on #channel`.
    assert manifest["features"]["slash_commands"][0]["should_escape"] is True
