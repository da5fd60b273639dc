"""`content check`'s guard: a deck whose best answer is found by length, digits or citations alone fails, with figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content import Deck, DeckLibrary
from bot.content_guard import GuardReport, cites_a_paper, digit_count, guard

FILLER = "I would measure it on our own traffic and explain the trade-off to the team in plain words. "


def text_of(length: int, digits: int = 0, cite: bool = False) -> str:
    """An option text of exactly `length` characters with `digits` digits in it (and a citation when asked)."""
    head = ("Yi et al. showed it. " if cite else "") + ("7" * digits + " " if digits else "")
    body = (head + FILLER * 20)[: length - 1] + "."  # no trailing space: the loader strips it
    assert len(body) == length and digit_count(body) == digits
    return body


def question(index: int, best: dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any]:
    options = [{"key": "best", "correct": True, "text": text_of(**best)}]
    options += [{"key": f"other-{i}", "text": text_of(**o), "misses": "Leaves out the point that matters."} for i, o in enumerate(others)]
    return {
        "id": f"q{index}",
        "topic": "Topic",
        "prompt": "Why?",
        "key_points": ["one", "two", "three", "four"],
        "sources": ["A source, Venue 2020"],
        "options": options,
        "explanation": "Because.",
    }


def deck(questions: list[dict[str, Any]]) -> Deck:
    return Deck.model_validate({"id": "d", "title": "D", "description": "D", "questions": questions})


EVEN = [{"length": 640, "digits": 4}, {"length": 660, "digits": 5}, {"length": 620, "digits": 3}]
# Four option shapes; a fair deck gives its best answer each of them in turn, so no length or digit rank finds it.
SHAPES = [{"length": 700, "digits": 6}, {"length": 670, "digits": 2}, {"length": 640, "digits": 5}, {"length": 610, "digits": 4}]


def fair_question(index: int, shape: int | None = None) -> dict[str, Any]:
    best = SHAPES[index % 4 if shape is None else shape]
    return question(index, best, [shape for shape in SHAPES if shape is not best])


def wins(report: GuardReport, strategy: str) -> int:
    return next(f.wins for f in report.strategies if f.name == strategy)


def test_the_second_longest_option_being_best_too_often_fails_as_well() -> None:
    second = {"length": 690, "digits": 4}
    report = guard(deck([question(i, second, [SHAPES[0], *EVEN[1:]]) for i in range(5)]))
    assert wins(report, "pick the second-longest option") == 5 and not report.ok


def test_a_deck_where_no_surface_cue_finds_the_best_answer_passes() -> None:
    report = guard(deck([fair_question(i) for i in range(5)]))
    assert report.ok, report.problems
    assert max(f.wins for f in report.strategies) <= 2


def test_the_longest_option_being_best_in_3_of_5_questions_fails_and_2_of_5_passes() -> None:
    long_best = {"length": 700, "digits": 6}  # the most digits too (6 > 5 > 4 > 3), but only twice in the passing deck
    three = [question(i, long_best, EVEN) if i < 3 else fair_question(i, shape=i - 2) for i in range(5)]
    report = guard(deck(three))
    assert wins(report, "pick the longest option") == 3
    assert "pick the longest option finds the best answer in 3 of 5 questions (at most 40%)" in report.problems
    two = [question(i, long_best, EVEN) if i < 2 else fair_question(i, shape=i - 1) for i in range(5)]
    assert guard(deck(two)).ok, guard(deck(two)).problems


def test_most_digits_counts_a_tie_with_the_best_answer_as_found() -> None:
    tied = {"length": 630, "digits": 5}  # as many digits as the most of the others
    report = guard(deck([question(i, tied, EVEN) if i < 3 else fair_question(i, shape=(i - 2) * 2 - 1) for i in range(5)]))
    assert wins(report, "pick the option with the most digits") == 3 and not report.ok


# Three distractors with 9, 3 and 1 digits; the best answer's length moves through the length ranks (670 longest,
# 650 second, 630 third, 610 shortest) so that only its digit rank is a cue.
DIGIT_SPREAD = [{"length": 640, "digits": 9}, {"length": 660, "digits": 3}, {"length": 620, "digits": 1}]
LENGTHS_BY_RANK = [670, 650, 630, 610]


def test_the_option_with_the_second_most_digits_being_best_in_3_of_5_questions_fails_and_2_of_5_passes() -> None:
    def second_most(index: int) -> dict[str, Any]:
        return question(index, {"length": LENGTHS_BY_RANK[index], "digits": 5}, DIGIT_SPREAD)  # 9 > 5 > 3 > 1

    three = [second_most(0), second_most(1), second_most(2), fair_question(3, shape=0), fair_question(4, shape=1)]
    report = guard(deck(three))
    assert wins(report, "pick the option with the second-most digits") == 3
    assert report.problems == ("pick the option with the second-most digits finds the best answer in 3 of 5 questions (at most 40%)",)
    two = [second_most(0), second_most(1), fair_question(2, shape=0), fair_question(3, shape=1), fair_question(4, shape=3)]
    assert guard(deck(two)).ok, guard(deck(two)).problems


def test_the_option_with_the_third_most_digits_being_best_in_3_of_5_questions_fails() -> None:
    def third_most(index: int) -> dict[str, Any]:
        return question(index, {"length": LENGTHS_BY_RANK[index], "digits": 2}, DIGIT_SPREAD)  # 9 > 3 > 2 > 1

    report = guard(deck([third_most(0), third_most(1), third_most(2), fair_question(3, shape=0), fair_question(4, shape=1)]))
    assert wins(report, "pick the option with the third-most digits") == 3
    assert report.problems == ("pick the option with the third-most digits finds the best answer in 3 of 5 questions (at most 40%)",)


def test_a_digit_tie_counts_the_best_answer_as_found_at_every_rank_it_spans() -> None:
    tied = question(0, {"length": 650, "digits": 3}, DIGIT_SPREAD)  # 9 > 3 = 3 > 1: second- and third-most
    report = guard(deck([tied, *(fair_question(i, shape=i - 1) for i in range(1, 5))]))
    assert wins(report, "pick the option with the second-most digits") == 1 + 1  # the tie, and shape 2 (6 > 5 > 4 > 2)
    assert wins(report, "pick the option with the third-most digits") == 1 + 1  # the tie, and shape 3


def test_the_only_option_citing_a_paper_being_best_fails() -> None:
    cited = {"length": 630, "digits": 4, "cite": True}
    report = guard(deck([question(i, cited, EVEN) if i < 3 else fair_question(i, shape=i - 2) for i in range(5)]))
    assert wins(report, "pick the only option citing a paper") == 3 and not report.ok
    # A citation in a distractor as well takes the cue away.
    both = [question(i, cited, [{**EVEN[0], "cite": True}, *EVEN[1:]]) for i in range(5)]
    assert wins(guard(deck(both)), "pick the only option citing a paper") == 0


def test_length_ratio_outside_the_range_fails_over_the_deck_and_per_question() -> None:
    short_best = {"length": 551, "digits": 0}
    long_others = [{"length": 749, "digits": 4}, {"length": 745, "digits": 5}, {"length": 740, "digits": 3}]
    report = guard(deck([question(i, short_best, long_others) for i in range(5)]))
    assert any("0.74 times as long as the distractors on average (allowed 0.85-1.15)" in p for p in report.problems)
    assert any(p.startswith("question q0: the best answer is 0.74 times") for p in report.problems)


def test_an_option_outside_550_to_750_characters_is_named() -> None:
    report = guard(deck([question(0, {"length": 549}, EVEN), *(fair_question(i, shape=i - 1) for i in range(1, 5))]))
    assert "questions[0].options[0] (best): 549 characters (every option 550-750)" in report.problems


@pytest.mark.parametrize(
    ("text", "cites"),
    [("as Yi et al. showed", True), ("logQ correction (Yi 2019)", True), ("(2019)", True), ("2048 dims, 10M vectors", False)],
)
def test_what_counts_as_citing_a_paper(text: str, cites: bool) -> None:
    assert cites_a_paper(text) == cites


def test_every_shipped_deck_passes_the_guard(decks: DeckLibrary) -> None:
    for shipped in decks:
        report = guard(shipped)
        assert report.ok, (shipped.id, report.problems)


def content_check(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", "content", "check", str(directory)], capture_output=True, text=True, timeout=60
    )


def test_content_check_prints_the_guard_figures_and_fails_a_deck_with_a_cue(tmp_path: Path) -> None:
    long_best = {"length": 700, "digits": 4}
    raw = deck([question(i, long_best, EVEN) for i in range(5)]).model_dump(exclude_defaults=True)
    (tmp_path / "cue.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = content_check(tmp_path)
    assert result.returncode == 1
    assert "pick the longest option: the best answer in 5 of 5 questions (100%; at most 40%)" in result.stdout
    assert "best answer's length / distractors' mean: 1.09 over the deck" in result.stdout
    assert "cue.yaml: pick the longest option finds the best answer in 5 of 5 questions (at most 40%)" in result.stderr


def test_a_deck_at_the_loaders_limits_fails_naming_each_text_a_platform_would_cut(tmp_path: Path) -> None:
    fair = [fair_question(i) for i in range(5)]
    # A question at the loader's limits: a 1,000-character prompt and five 1,000-character options.
    fair[0]["prompt"] = ("Why " + "really " * 150)[:999] + "?"
    fair[0]["options"] = [*fair[0]["options"], {**fair[0]["options"][1], "key": "fifth"}]
    for option in fair[0]["options"]:
        option["text"] = text_of(1000)
    raw = deck(fair).model_dump(exclude_defaults=True)
    raw["tips"] = [{"title": f"Tip {n}", "text": f"Tip {n} says what it costs. " * 15} for n in range(30)]
    (tmp_path / "big.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = content_check(tmp_path)
    assert result.returncode == 1
    assert "cards fit Discord and Slack: no" in result.stdout
    assert "big.yaml: questions[0] (q0).prompt: the Discord question card would cut it" in result.stderr
    assert "big.yaml: tips[29].text: the Discord tips would cut it" in result.stderr
    assert "questions[1] (q1).prompt" not in result.stderr  # short texts fit everywhere


def test_every_card_of_the_shipped_decks_fits_discord_and_slack(decks: DeckLibrary) -> None:
    from adapters.fit_check import cut_texts

    for shipped in decks:
        assert cut_texts(shipped) == [], shipped.id
