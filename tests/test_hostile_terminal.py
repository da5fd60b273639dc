"""The terminal under careless and hostile input: control sequences in names, stdin that is not UTF-8, names too long."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from rich.console import Console

from adapters.console.render import render
from bot.origin import ID_MAX
from bot.views import LeaderboardRow, LeaderboardView, StatsView
from tests.test_terminal import ANSWER_AND_GO_ON, COMMAND, recsys_quiz

# What a terminal obeys: ESC starts CSI (cursor, clear screen) and OSC (window title); BEL ends an OSC; the C1
# forms CSI (U+009B) and OSC (U+009D) do the same on terminals that take 8-bit controls.
TERMINAL_CONTROLS = ("\x1b", "\x07", "\x9b", "\x9d", "\r")
HOSTILE_USER = "\x1b]0;you have been pwned\x07eve\x1b[2J\x1b[H\x9b2J"


def assert_no_terminal_control(text: str) -> None:
    found = [repr(c) for c in TERMINAL_CONTROLS if c in text.replace("\r\n", "\n")]
    assert not found, f"{found} reached the terminal: {text[-300:]!r}"


def test_an_osc_title_or_clear_screen_in_a_name_is_not_printed_by_play_leaderboard_or_stats(tmp_path: Path) -> None:
    db = tmp_path / "hostile.db"
    played = recsys_quiz("play", "--db", str(db), "--user", HOSTILE_USER, stdin=ANSWER_AND_GO_ON * 5)
    assert played.returncode == 0, played.stderr
    board = recsys_quiz("leaderboard", "--db", str(db))
    stats = recsys_quiz("stats", "--db", str(db), "--user", HOSTILE_USER)
    for result in (played, board, stats):
        assert result.returncode == 0, result.stderr
        assert_no_terminal_control(result.stdout + result.stderr)
    assert "eve" in board.stdout and "eve" in stats.stdout
    assert "Answers: 5" in stats.stdout  # the cleaned name is the same player as in `play`


def test_names_stored_before_cleaning_are_still_printed_without_their_controls() -> None:
    # A database written by an earlier version may hold a raw name: the terminal renderer cleans what it prints.
    row = LeaderboardRow(rank=1, name=HOSTILE_USER, points=3, detail="\x1b[31mred\x1b[0m")
    board = LeaderboardView(title="Leaderboard", window="All time", timezone="UTC", ranking_rule="r", rows=(row,), footer=HOSTILE_USER)
    stats = StatsView(name=HOSTILE_USER, decks=(), topics=(), weakest_topic=None, points=1, answers=1, team=HOSTILE_USER)
    for view in (board, stats):
        console = Console(width=100, record=True, force_terminal=False)
        with console.capture() as captured:
            console.print(render(view))
        assert_no_terminal_control(captured.get())
        assert "eve" in captured.get()


def test_play_reads_stdin_that_is_not_utf8_without_a_traceback(tmp_path: Path) -> None:
    # PYTHONIOENCODING=utf-8 makes Python decode stdin strictly as UTF-8; Latin-1 bytes then cannot be decoded.
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "100", "NO_COLOR": "1"}
    stdin = b"\xe9\xff\n" + b"a\n\n" * 5
    result = subprocess.run(
        [*COMMAND, "play", "--db", str(tmp_path / "latin1.db"), "--user", "lat"], input=stdin, capture_output=True, timeout=120, env=env
    )
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 0, stderr
    assert "Traceback" not in stderr and "UnicodeDecodeError" not in stderr
    assert "Type one letter" in result.stdout.decode("utf-8", "replace")  # the bad line was read as a bad answer
    assert "Score: " in result.stdout.decode("utf-8", "replace")


@pytest.mark.parametrize("command", ["play", "stats"])
def test_a_user_name_over_the_limit_says_the_limit_in_one_line(tmp_path: Path, command: str) -> None:
    result = recsys_quiz(command, "--db", str(tmp_path / "long.db"), "--user", "x" * 10_000)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "ValidationError" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"at most {ID_MAX} characters" in lines[0] and "10000" in lines[0], result.stderr
    assert not (tmp_path / "long.db").exists()  # refused before anything was written


@pytest.mark.parametrize("user", ["\x1b\x07", "   ", "\u3164"])
def test_a_user_name_with_nothing_visible_is_refused_in_one_line(tmp_path: Path, user: str) -> None:
    result = recsys_quiz("play", "--db", str(tmp_path / "blank.db"), "--user", user)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == ["recsys-quiz: --user needs at least one visible character"]


@pytest.mark.parametrize("space", ["Console:local", "console:" + "x" * 100, "con sole:local"])
def test_a_bad_space_for_the_leaderboard_says_what_it_takes_in_one_line(tmp_path: Path, space: str) -> None:
    result = recsys_quiz("leaderboard", "--db", str(tmp_path / "space.db"), "--space", space)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "--space" in result.stderr


@pytest.mark.parametrize("command", [("content", "check"), ("help",)])
def test_output_cut_short_by_its_reader_ends_quietly_without_a_traceback(command: tuple[str, ...]) -> None:
    # `recsys-quiz content check | head -1`: the reader closes the pipe after one line.
    process = subprocess.Popen([*COMMAND, *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    first_line = process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read()
    process.wait(timeout=120)
    assert first_line.strip()
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr


def test_a_db_that_is_not_a_database_file_says_to_point_the_setting_at_the_quiz_database(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("shopping list\n" * 100)
    result = recsys_quiz("leaderboard", "--db", str(notes))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "file is not a database. Point RECSYS_QUIZ_DB (or --db) at the quiz's database file" in result.stderr
    assert "writable" not in result.stderr  # permissions are not the problem here
    assert notes.read_text() == "shopping list\n" * 100


def test_a_content_folder_that_is_missing_names_the_setting(tmp_path: Path) -> None:
    env = {**os.environ, "RECSYS_QUIZ_CONTENT": str(tmp_path / "nothere"), "RECSYS_QUIZ_DB": str(tmp_path / "q.db")}
    result = subprocess.run([*COMMAND, "play"], input="", capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "RECSYS_QUIZ_CONTENT" in result.stderr and "nothere: not a folder of deck YAML files" in result.stderr


@pytest.mark.parametrize(
    "command", [("leaderboard",), ("stats", "--user", "ann"), ("export", "--user", "ann"), ("forget-me", "--user", "ann", "--yes")]
)
def test_a_reading_command_on_a_mistyped_db_path_says_so_and_creates_nothing(tmp_path: Path, command: tuple[str, ...]) -> None:
    missing = tmp_path / "typo" / "quizz.db"
    result = recsys_quiz(*command, "--db", str(missing))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert f"there is no database at {missing} (RECSYS_QUIZ_DB or --db): check the path" in result.stderr
    assert not (tmp_path / "typo").exists()
