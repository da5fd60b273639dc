"""`content check` and the deck loader under hostile YAML: a problem line naming the file, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import ContentError, load_decks
from tests.test_content import run_cli, shipped_raw, write_deck

HEAD = "id: x\ntitle: t\ndescription: d\n"
# A tab sends the text through PyYAML's pure-Python parser instead of libyaml's (bot.content.parse_yaml): both are tried.
PARSERS = {"libyaml": "", "pure-python": "#\tcomment\n"}
HOSTILE = {
    "list-nested-10000-deep": "questions: " + "[" * 10_000 + "]" * 10_000 + "\n",
    "mapping-nested-10000-deep": "questions: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n",
    "integer-of-5000-digits": "version: " + "9" * 5_000 + "\nquestions: []\n",
    "negative-integer-of-5000-digits": "version: -" + "1" * 5_000 + "\nquestions: []\n",
}


def write_hostile(directory: Path, body: str, parser: str) -> Path:
    path = directory / "hostile.yaml"
    path.write_text(PARSERS[parser] + HEAD + body, encoding="utf-8")
    return path


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("case", HOSTILE)
def test_the_loader_reports_hostile_yaml_as_a_problem_naming_the_file(tmp_path: Path, case: str, parser: str) -> None:
    write_hostile(tmp_path, HOSTILE[case], parser)
    with pytest.raises(ContentError) as caught:
        load_decks(tmp_path)
    (problem,) = caught.value.messages
    assert problem.startswith("hostile.yaml: ") or "/hostile.yaml: " in problem, problem
    assert len(problem) < 300


@pytest.mark.parametrize("case", HOSTILE)
def test_content_check_prints_a_problem_line_and_exits_1_without_a_traceback(tmp_path: Path, case: str) -> None:
    write_hostile(tmp_path, HOSTILE[case], "libyaml")
    result = run_cli("content", "check", str(tmp_path))
    assert result.returncode == 1, result.stderr[-500:]
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == "1 problem(s) found." and "hostile.yaml: " in lines[0], result.stderr[-500:]


def test_the_problem_says_what_is_wrong(tmp_path: Path) -> None:
    write_hostile(tmp_path, HOSTILE["list-nested-10000-deep"], "libyaml")
    with pytest.raises(ContentError) as deep:
        load_decks(tmp_path)
    assert "nested too deeply" in deep.value.messages[0]
    write_hostile(tmp_path, HOSTILE["integer-of-5000-digits"], "libyaml")
    with pytest.raises(ContentError) as big:
        load_decks(tmp_path)
    assert "line 4" in big.value.messages[0] and "digits" in big.value.messages[0]


@pytest.mark.parametrize("field", ["version", "questions[0].version"])
def test_a_version_too_big_to_store_is_refused_by_the_check_not_by_the_first_run(tmp_path: Path, field: str) -> None:
    raw = shipped_raw()
    target = raw if field == "version" else raw["questions"][0]
    target["version"] = 10**30  # an int SQLite cannot hold: it passed `content check` and then broke every run
    write_deck(tmp_path, raw)
    with pytest.raises(ContentError) as caught:
        load_decks(tmp_path)
    assert any(f"x.yaml: {field}: " in problem for problem in caught.value.messages), caught.value.messages
