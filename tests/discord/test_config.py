"""Settings and `recsys-quiz discord --invite`: clear errors that name the setting, and the fewest permissions."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from adapters.cli import main
from adapters.discord.config import DiscordSettings, DiscordSettingsError, client_id_from_token, load_settings

BOT_ID = 1100000000000000001
TOKEN = base64.b64encode(str(BOT_ID).encode()).decode().rstrip("=") + ".GhXyZa.secret-part"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real .env or DISCORD_* variable leaks into these tests."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "DISCORD_TOKEN",
        "DISCORD_GUILD_ID",
        "DISCORD_CLIENT_ID",
        "DISCORD_API_BASE",
        "DISCORD_GATEWAY_URL",
        "DISCORD_SHARD_COUNT",
        "DISCORD_SHARD_IDS",
    ):
        monkeypatch.delenv(name, raising=False)


def test_a_missing_token_is_an_error_naming_it_and_where_to_get_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["discord"]) == 2
    error = capsys.readouterr().err
    assert "DISCORD_TOKEN" in error and "Developer Portal" in error and "Reset Token" in error


def test_invite_prints_the_url_with_both_scopes_and_only_the_channel_posts_permissions(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    assert main(["discord", "--invite"]) == 0
    url = urlsplit(capsys.readouterr().out.strip())
    query = parse_qs(url.query)
    assert (url.netloc, url.path) == ("discord.com", "/oauth2/authorize")
    assert query["client_id"] == [str(BOT_ID)]
    assert query["scope"] == ["bot applications.commands"]
    # View Channel (1 << 10), Send Messages (1 << 11), Embed Links (1 << 14): what a daily post needs; Attach Files
    # (1 << 15): the weekly digest's chart. Nothing else.
    assert query["permissions"] == [str((1 << 10) | (1 << 11) | (1 << 14) | (1 << 15))] == ["52224"]


def test_invite_prefers_discord_client_id_and_needs_no_token(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DISCORD_CLIENT_ID", "42424242424242424")
    assert main(["discord", "--invite"]) == 0
    assert parse_qs(urlsplit(capsys.readouterr().out.strip()).query)["client_id"] == ["42424242424242424"]


def test_invite_without_token_or_client_id_says_what_to_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["discord", "--invite"]) == 2
    error = capsys.readouterr().err
    assert "The invite needs the application's id: set DISCORD_CLIENT_ID" in error
    assert "or DISCORD_TOKEN, from which it is read." in error and "Reset Token" in error


def test_the_client_id_is_read_from_the_tokens_first_part() -> None:
    assert client_id_from_token(TOKEN) == BOT_ID
    assert client_id_from_token("not a token") is None


def test_a_bad_setting_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_GUILD_ID", "my-server")
    with pytest.raises(DiscordSettingsError, match="DISCORD_GUILD_ID"):
        load_settings()
    monkeypatch.setenv("DISCORD_GUILD_ID", "")
    monkeypatch.setenv("DISCORD_GATEWAY_URL", "https://not-a-websocket")
    with pytest.raises(DiscordSettingsError, match="DISCORD_GATEWAY_URL"):
        load_settings()


def test_shard_ids_need_a_shard_count_and_must_fit_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_SHARD_IDS", "0,1")
    with pytest.raises(DiscordSettingsError, match="DISCORD_SHARD_COUNT"):
        load_settings()
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "4")
    assert load_settings().shard_ids == (0, 1)
    monkeypatch.setenv("DISCORD_SHARD_IDS", "3,4")
    with pytest.raises(DiscordSettingsError, match="between 0 and"):
        load_settings()


def test_settings_are_read_from_dot_env(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"DISCORD_TOKEN={TOKEN}\nDISCORD_GUILD_ID=1200000000000000001\nDISCORD_API_BASE=http://127.0.0.1:1/api/v10/\n"
    )
    settings = DiscordSettings()
    assert settings.require_token() == TOKEN
    assert settings.guild_id == 1200000000000000001
    assert settings.api_base == "http://127.0.0.1:1/api/v10"


def test_shard_flags_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "4")
    monkeypatch.setenv("DISCORD_SHARD_IDS", "0,1")
    settings = load_settings(shard_count="8", shard_ids="6,7")
    assert (settings.shard_count, settings.shard_ids) == (8, (6, 7))
    assert not settings.syncs_commands  # the process that runs shard 0 syncs the commands
    unchanged = load_settings(shard_count=None, shard_ids=None)
    assert (unchanged.shard_count, unchanged.shard_ids) == (4, (0, 1)) and unchanged.syncs_commands


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        ({"shard_count": "many"}, "--shard-count"),
        ({"shard_count": "0"}, "--shard-count"),
        ({"shard_ids": "0,1"}, "--shard-count"),
        ({"shard_count": "2", "shard_ids": "1,1"}, "names a shard twice"),
        ({"shard_count": "2", "shard_ids": "2"}, "between 0 and"),
    ],
)
def test_a_bad_shard_flag_is_refused_in_one_line_naming_it(
    flags: dict[str, str], named: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    argv = ["discord"] + [part for name, value in flags.items() for part in (f"--{name.replace('_', '-')}", value)]
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert named in error and "\n" not in error
