"""Terminal play as a user runs it: `recsys-quiz play` as a subprocess with piped input, then the board."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ANSWER_AND_GO_ON = "a\n\n"
# The console script pip installed beside this interpreter: the command a user types.
SCRIPT = Path(sys.executable).parent / "recsys-quiz"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "adapters.cli"]


def recsys_quiz(*args: str, stdin: str = "", env_db: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    if env_db is not None:
        env["RECSYS_QUIZ_DB"] = str(env_db)
    return subprocess.run([*COMMAND, *args], input=stdin, capture_output=True, text=True, timeout=120, env=env)


def test_play_with_piped_input_goes_through_five_questions_then_the_board_shows_the_player(tmp_path: Path) -> None:
    db = tmp_path / "play.db"
    result = recsys_quiz("play", "--db", str(db), "--user", "ada", stdin=ANSWER_AND_GO_ON * 5)
    assert result.returncode == 0, result.stderr
    for position in range(1, 6):
        assert f"Question {position} / 5" in result.stdout
    assert "Score: " in result.stdout and " / 5" in result.stdout
    assert "Structure for RecSys interview answers" in result.stdout
    board = recsys_quiz("leaderboard", "--db", str(db))
    assert board.returncode == 0, board.stderr
    assert "ada" in board.stdout and "All time" in board.stdout


def test_bad_letters_and_empty_lines_are_refused_with_a_hint_and_change_nothing(tmp_path: Path) -> None:
    db = tmp_path / "bad.db"
    result = recsys_quiz("play", "--db", str(db), "--user", "bo", stdin="z\n\n42\nab\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Type one letter A-D") == 4
    assert "Your answers so far are saved" in result.stdout
    stats = recsys_quiz("stats", "--db", str(db), "--user", "bo")
    assert "Answers: 0" in stats.stdout


def test_eof_mid_run_exits_cleanly_and_the_next_play_resumes(tmp_path: Path) -> None:
    db = tmp_path / "resume.db"
    first = recsys_quiz("play", "--db", str(db), "--user", "cy", stdin=ANSWER_AND_GO_ON * 2)
    assert first.returncode == 0, first.stderr
    assert "Your answers so far are saved; run `recsys-quiz play` again to resume." in flat(first.stdout)
    second = recsys_quiz("play", "--db", str(db), "--user", "cy", stdin=ANSWER_AND_GO_ON * 3)
    assert second.returncode == 0, second.stderr
    assert "Resumed where you left off: question 3 of 5" in second.stdout
    assert "Question 1 / 5" not in second.stdout and "Score: " in second.stdout
    stats = recsys_quiz("stats", "--db", str(db), "--user", "cy")
    assert "Answers: 5" in stats.stdout and "5 / 5 completed" in stats.stdout


def test_numbers_work_as_answers_and_db_comes_from_the_environment(tmp_path: Path) -> None:
    db = tmp_path / "env.db"
    result = recsys_quiz("play", "--user", "di", stdin="4\n\n", env_db=db)
    assert result.returncode == 0, result.stderr
    assert "You chose D" in result.stdout
    assert db.exists()


def test_unknown_deck_says_which_decks_exist(tmp_path: Path) -> None:
    result = recsys_quiz("play", "--db", str(tmp_path / "x.db"), "--deck", "nope", stdin="")
    assert result.returncode == 1
    assert "no deck called 'nope'" in result.stdout and "recsys-platform-engineer" in result.stdout


@pytest.mark.parametrize(
    "entry", ["import bot, bot.engine, bot.store, bot.runtime, bot.config, bot.views", "import adapters.console.play, adapters.cli"]
)
def test_core_and_terminal_never_load_discord_slack_or_asyncpg(entry: str) -> None:
    code = f"{entry}\nimport sys\nprint(sorted(m for m in sys.modules if m.split('.')[0] in ('discord', 'slack_bolt', 'slack_sdk', 'asyncpg')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_play_run_on_sqlite_does_not_import_discord_slack_aiohttp_or_asyncpg_and_collects_again_once_a_card_is_shown(
    tmp_path: Path,
) -> None:
    # Start-up runs with the cyclic collector paused (bot.runtime.collector_paused_for_start_up); every line
    # play reads is asked for with it back on.
    code = (
        "import builtins, gc, sys, runpy\n"
        "states = []\n"
        "real_input = builtins.input\n"
        "def recording_input(prompt=''):\n    states.append(gc.isenabled())\n    return real_input(prompt)\n"
        "builtins.input = recording_input\n"
        "sys.argv = ['recsys-quiz', 'play', '--db', sys.argv[1], '--user', 'ed']\n"
        "try:\n    runpy.run_module('adapters.cli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('COLLECTOR', states, gc.isenabled())\n"
        "print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] in ('discord', 'slack_bolt', 'slack_sdk', 'aiohttp', 'asyncpg')))"
    )
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "i.db")], input="a\n\n", capture_output=True, text=True, timeout=60)
    assert "LOADED []" in result.stdout, result.stdout[-500:] + result.stderr
    assert "COLLECTOR [True, True, True] True" in result.stdout, result.stdout[-500:] + result.stderr


def test_export_prints_the_json_document_and_forget_me_needs_yes_then_export_is_empty(tmp_path: Path) -> None:
    import json

    db = tmp_path / "data.db"
    played = recsys_quiz("play", "--db", str(db), "--user", "dee", stdin=ANSWER_AND_GO_ON * 2)
    assert played.returncode == 0, played.stderr
    exported = recsys_quiz("export", "--db", str(db), "--user", "dee")
    assert exported.returncode == 0, exported.stderr
    document = json.loads(exported.stdout)  # stdout is the document alone
    assert document["format_version"] == 1 and document["platform"] == "console" and document["user_id"] == "dee"
    assert len(document["answers"]) == 2 and document["profile"][0]["display_name"] == "dee"

    unconfirmed = recsys_quiz("forget-me", "--db", str(db), "--user", "dee")
    assert unconfirmed.returncode == 2 and "add --yes" in unconfirmed.stderr
    assert len(json.loads(recsys_quiz("export", "--db", str(db), "--user", "dee").stdout)["answers"]) == 2
    forgotten = recsys_quiz("forget-me", "--db", str(db), "--user", "dee", "--yes")
    assert forgotten.returncode == 0, forgotten.stderr
    assert "Your data is deleted" in forgotten.stdout and "2 answers" in forgotten.stdout
    empty = json.loads(recsys_quiz("export", "--db", str(db), "--user", "dee").stdout)
    assert all(empty[section] == [] for section in ("profile", "runs", "answers", "first_answers", "points"))
    board = recsys_quiz("leaderboard", "--db", str(db))
    assert "dee" not in board.stdout


def flat(text: str) -> str:
    """Terminal output as one line of words: the panels' borders and line wrapping taken out."""
    return " ".join(text.replace("│", " ").split())


def test_typing_w_writes_an_answer_over_several_lines_ticks_its_key_points_and_then_picks(tmp_path: Path) -> None:
    db = tmp_path / "write.db"
    written = "w\nTwo towers, one space.\nIn-batch negatives with logQ.\n\n"
    ticks = "9\n1 2, 3\n"  # a point that is not there gets the usual hint; then three of seven
    result = recsys_quiz("play", "--db", str(db), "--user", "ann", stdin=written + ticks + "\n" + ANSWER_AND_GO_ON)
    assert result.returncode == 0, result.stderr
    shown = flat(result.stdout)
    assert "Your answer: Two towers, one space. In-batch negatives with logQ." in shown
    assert "Type numbers from 1 to 7" in shown
    assert "Again: 3 of 7 key points" in shown and "Comes back for review tomorrow." in shown
    assert "wrote your own answer" in shown or "Not the best answer" in shown  # the pick after it scores nothing
    stats = recsys_quiz("stats", "--db", str(db), "--user", "ann")
    assert "Points: 0" in stats.stdout and "Due for review today: 0" in stats.stdout


def test_a_stopped_review_says_to_run_review_again_and_resumes_there(tmp_path: Path) -> None:
    db = tmp_path / "stopped-review.db"
    first = recsys_quiz("review", "--db", str(db), "--user", "di", stdin=ANSWER_AND_GO_ON * 2)
    assert first.returncode == 0, first.stderr
    assert "Your answers so far are saved; run `recsys-quiz review` again to resume." in flat(first.stdout)
    second = recsys_quiz("review", "--db", str(db), "--user", "di", stdin=ANSWER_AND_GO_ON * 3)
    assert second.returncode == 0, second.stderr
    assert "question 3 of 5" in flat(second.stdout)


def test_review_and_interview_in_the_terminal(tmp_path: Path) -> None:
    db = tmp_path / "review.db"
    first = recsys_quiz("review", "--db", str(db), "--user", "cy", stdin=ANSWER_AND_GO_ON * 5)
    assert first.returncode == 0, first.stderr
    assert "Review of RecSys Platform Engineer interview: 0 due, 5 new." in flat(first.stdout)
    again = recsys_quiz("review", "--db", str(db), "--user", "cy")
    assert again.returncode == 0 and "All caught up" in again.stdout
    past = recsys_quiz("interview", "2001-01-01", "--db", str(db), "--user", "cy")
    assert past.returncode == 1 and "That day has passed" in past.stdout
    nonsense = recsys_quiz("interview", "soon", "--zone", "Mars/Olympus", "--db", str(db), "--user", "cy")
    assert nonsense.returncode == 1 and "That isn't a date" in nonsense.stdout
    bad_zone = recsys_quiz("interview", "2099-01-01", "--zone", "Mars/Olympus", "--db", str(db), "--user", "cy")
    assert bad_zone.returncode == 1 and "Unknown timezone" in bad_zone.stdout and "--zone Europe/Berlin" in flat(bad_zone.stdout)
    off = recsys_quiz("interview", "off", "--db", str(db), "--user", "cy")
    assert off.returncode == 0 and "No interview date is set" in off.stdout
