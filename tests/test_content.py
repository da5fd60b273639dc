"""Deck validation: the shipped deck is sound, and broken decks fail naming the file and the field."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content import ContentError, DeckLibrary, default_content_dir, load_decks

SHIPPED = default_content_dir() / "recsys-platform-engineer.yaml"


def shipped_raw() -> dict[str, Any]:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def write_deck(directory: Path, raw: dict[str, Any], name: str = "x.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_decks(directory)
    return caught.value.messages


def test_shipped_deck_has_the_five_seed_questions_with_four_options_and_one_correct(decks: DeckLibrary) -> None:
    deck = decks.get("recsys-platform-engineer")
    assert deck is not None and deck is decks.default
    assert [q.topic for q in deck.questions] == ["Retrieval architecture", "ANN indexes", "Feature stores", "Evaluation", "A/B testing"]
    assert len(deck.tips) == 4
    for question in deck.questions:
        assert len(question.options) == 4
        assert sum(o.correct for o in question.options) == 1
        assert all(len(o.text) <= 900 for o in question.options)


def test_shipped_texts_never_name_a_letter_because_options_are_shuffled(decks: DeckLibrary) -> None:
    letter_reference = re.compile(r"\b(option|answer|choice)s?\s+[A-E]\b", re.IGNORECASE)
    for deck in decks:
        for question in deck.questions:
            texts = [question.explanation, *(o.text for o in question.options), *(o.misses or "" for o in question.options)]
            assert not any(letter_reference.search(t) for t in texts), question.id


def test_hnsw_answer_covers_every_point_the_seed_lists(decks: DeckLibrary) -> None:
    question = decks.default.question("hnsw-vs-ivf-pq")
    assert question is not None
    best = question.correct_option.text
    for point in ["efConstruction", "efSearch", "Voronoi", "one-byte", "32×", "4d/m", "ScaNN", "10M", "billions", "re-rank"]:
        assert point.lower() in best.lower(), point


def test_two_tower_best_answer_names_logq_correction(decks: DeckLibrary) -> None:
    question = decks.default.question("two-tower-retrieval")
    assert question is not None
    assert "logq" in question.correct_option.text.lower()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: [o.update(correct=False) for o in d["questions"][2]["options"]],
            "questions[2].options: exactly one option must be correct, found 0",
        ),
        (
            lambda d: [o.update(correct=True) for o in d["questions"][1]["options"][:2]],
            "questions[1].options: exactly one option must be correct, found 2",
        ),
        (lambda d: d["questions"][0].pop("explanation"), "questions[0].explanation: Field required"),
        (lambda d: d["questions"][3].update(id=d["questions"][0]["id"]), "questions: question ids must be unique"),
        (
            lambda d: d["questions"][4]["options"][0].update(text="x" * 1001),
            "questions[4].options[0].text: String should have at most 1000 characters",
        ),
        (
            lambda d: d["questions"][0]["options"][1].update(key=d["questions"][0]["options"][0]["key"]),
            "questions[0].options: option keys must be unique",
        ),
        (lambda d: d.update(id="Not A Slug"), "id: String should match pattern"),
        (lambda d: d.update(surprise=1), "surprise: Extra inputs are not permitted"),
    ],
    ids=[
        "no-correct",
        "two-correct",
        "missing-explanation",
        "duplicate-question-ids",
        "option-too-long",
        "duplicate-keys",
        "bad-id",
        "unknown-key",
    ],
)
def test_broken_deck_fails_naming_file_and_field(tmp_path: Path, mutate: Any, expected: str) -> None:
    raw = copy.deepcopy(shipped_raw())
    mutate(raw)
    write_deck(tmp_path, raw)
    problems = problems_of(tmp_path)
    assert any(f"x.yaml: {expected}" in p for p in problems), problems


def test_wrong_option_without_misses_is_rejected(tmp_path: Path) -> None:
    raw = shipped_raw()
    wrong = next(o for o in raw["questions"][1]["options"] if not o.get("correct"))
    wrong.pop("misses")
    write_deck(tmp_path, raw)
    assert any("questions[1].options: " in p and "needs `misses`" in p for p in problems_of(tmp_path))


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: x\ntitle: [unclosed\n", encoding="utf-8")
    (problem,) = problems_of(tmp_path)
    assert "bad.yaml: line " in problem and "malformed YAML" in problem


def test_second_deck_is_just_another_file_and_ids_must_differ(tmp_path: Path) -> None:
    raw = shipped_raw()
    write_deck(tmp_path, raw, "a.yaml")
    second = copy.deepcopy(raw)
    second["id"] = "second-deck"
    second["title"] = "Second deck"
    write_deck(tmp_path, second, "b.yaml")
    library = load_decks(tmp_path)
    assert [d.id for d in library] == ["recsys-platform-engineer", "second-deck"]
    write_deck(tmp_path, raw, "c.yaml")
    assert any("c.yaml: id: deck id 'recsys-platform-engineer' is already used by" in p for p in problems_of(tmp_path))


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adapters.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def test_content_check_passes_on_shipped_decks() -> None:
    result = run_cli("content", "check")
    assert result.returncode == 0, result.stderr
    assert "ok  recsys-platform-engineer" in result.stdout


def test_content_check_exits_non_zero_with_the_messages(tmp_path: Path) -> None:
    raw = shipped_raw()
    for option in raw["questions"][2]["options"]:
        option["correct"] = True
    write_deck(tmp_path, raw)
    result = run_cli("content", "check", str(tmp_path))
    assert result.returncode == 1
    assert "x.yaml: questions[2].options: exactly one option must be correct, found 4" in result.stderr


def test_shipped_texts_use_no_markup_a_chat_would_format(decks: DeckLibrary) -> None:
    # Slack's mrkdwn and Discord's markdown would turn these into bold, code, strike-through, links or quotes.
    marks = re.compile(r"[*`<>|]|~[^~]*~")  # one tilde ("~10M") is just a tilde
    for deck in decks:
        for question in deck.questions:
            texts = [question.prompt, question.explanation, *question.key_points, *question.sources]
            texts += [t for o in question.options for t in (o.text, o.misses or "")]
            assert not [t for t in texts if marks.search(t)], question.id
