"""The surface-cue guard of `content check`: can the best answer be found without knowing anything?"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import fmean

from bot.content import Deck, Option, Question

# DESIGN.md, "Rules of the quiz": a surface strategy may pick the best answer in at most 40% of a deck's questions.
MAX_STRATEGY_SHARE = 0.40
# The best option's length against its distractors' mean: over the whole deck, and within any one question.
DECK_RATIO_RANGE = (0.85, 1.15)
QUESTION_RATIO_MAX = 1.3
# Every option reads as a strong candidate's spoken answer of similar length.
OPTION_LENGTH_RANGE = (550, 750)

# "Yi et al." or a year in parentheses ("(2019)", "(Yi 2019)"): the text cites a paper.
_CITATION = re.compile(r"\bet al\b|\([^()]*\b(?:19[5-9]\d|20\d\d)[a-z]?\)", re.IGNORECASE)


def digit_count(text: str) -> int:
    return sum(character.isdigit() for character in text)


def cites_a_paper(text: str) -> bool:
    return _CITATION.search(text) is not None


def _picks_best_at_rank(question: Question, measure: Callable[[Option], float], rank: int) -> bool:
    """Whether the option at `rank` (0 = the highest) by `measure` is the best one; a tie that includes it counts as found."""
    values = sorted((measure(option) for option in question.options), reverse=True)
    return rank < len(values) and measure(question.correct_option) == values[rank]


def _picks_best_at_bottom(question: Question, measure: Callable[[Option], float]) -> bool:
    return measure(question.correct_option) == min(measure(option) for option in question.options)


def _only_citation_is_best(question: Question) -> bool:
    citing = [option for option in question.options if cites_a_paper(option.text)]
    return len(citing) == 1 and citing[0].correct


def _length_ratio(question: Question) -> float:
    distractors = [len(option.text) for option in question.options if not option.correct]
    return len(question.correct_option.text) / fmean(distractors)


@dataclass(frozen=True)
class StrategyFigure:
    """How often one surface strategy picks the best answer in a deck."""

    name: str
    wins: int
    questions: int

    @property
    def share(self) -> float:
        return self.wins / self.questions

    @property
    def ok(self) -> bool:
        return self.share <= MAX_STRATEGY_SHARE


@dataclass(frozen=True)
class GuardReport:
    """The guard's figures for one deck, and the problems that fail it (empty when it passes)."""

    deck_id: str
    strategies: tuple[StrategyFigure, ...]
    deck_ratio: float
    question_ratios: tuple[tuple[str, float], ...]
    shortest_option: int
    longest_option: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def figure_lines(self) -> list[str]:
        """The figures, one line each, for `content check` to print under the deck."""
        low, high = DECK_RATIO_RANGE
        ratios = [ratio for _, ratio in self.question_ratios]
        lines = [
            f"{figure.name}: the best answer in {figure.wins} of {figure.questions} questions "
            f"({figure.share:.0%}; at most {MAX_STRATEGY_SHARE:.0%})"
            for figure in self.strategies
        ]
        lines.append(
            f"best answer's length / distractors' mean: {self.deck_ratio:.2f} over the deck ({low}-{high}), "
            f"{min(ratios):.2f}-{max(ratios):.2f} per question (at most {QUESTION_RATIO_MAX})"
        )
        lines.append(
            f"option lengths: {self.shortest_option}-{self.longest_option} characters ({OPTION_LENGTH_RANGE[0]}-{OPTION_LENGTH_RANGE[1]})"
        )
        return lines


def _length(option: Option) -> float:
    return len(option.text)


def _digits(option: Option) -> float:
    return digit_count(option.text)


# Every strategy a learner could use without knowing the subject: every rank by length and every rank by digits
# (a deck tuned only against "the longest" or "the most digits" tends to make its best answer the second one),
# and the lone citation.
STRATEGIES: Sequence[tuple[str, Callable[[Question], bool]]] = (
    ("pick the longest option", lambda q: _picks_best_at_rank(q, _length, 0)),
    ("pick the second-longest option", lambda q: _picks_best_at_rank(q, _length, 1)),
    ("pick the third-longest option", lambda q: _picks_best_at_rank(q, _length, 2)),
    ("pick the shortest option", lambda q: _picks_best_at_bottom(q, _length)),
    ("pick the option with the most digits", lambda q: _picks_best_at_rank(q, _digits, 0)),
    ("pick the option with the second-most digits", lambda q: _picks_best_at_rank(q, _digits, 1)),
    ("pick the option with the third-most digits", lambda q: _picks_best_at_rank(q, _digits, 2)),
    ("pick the option with the fewest digits", lambda q: _picks_best_at_bottom(q, _digits)),
    ("pick the only option citing a paper", _only_citation_is_best),
)


def guard(deck: Deck) -> GuardReport:
    """Measure how far surface cues (length, digits, citations) give the best answer away in `deck`."""
    questions = deck.questions
    figures = tuple(StrategyFigure(name, sum(wins(q) for q in questions), len(questions)) for name, wins in STRATEGIES)
    best_lengths = [len(q.correct_option.text) for q in questions]
    distractor_lengths = [len(o.text) for q in questions for o in q.options if not o.correct]
    deck_ratio = fmean(best_lengths) / fmean(distractor_lengths)
    question_ratios = tuple((q.id, _length_ratio(q)) for q in questions)
    lengths = [len(o.text) for q in questions for o in q.options]

    problems = [f"{f.name} finds the best answer in {f.wins} of {f.questions} questions (at most 40%)" for f in figures if not f.ok]
    low, high = DECK_RATIO_RANGE
    if not low <= deck_ratio <= high:
        problems.append(f"the best answers are {deck_ratio:.2f} times as long as the distractors on average (allowed {low}-{high})")
    for question_id, ratio in question_ratios:
        if not 1 / QUESTION_RATIO_MAX <= ratio <= QUESTION_RATIO_MAX:
            problems.append(f"question {question_id}: the best answer is {ratio:.2f} times its distractors' mean length (at most 1.3)")
    shortest, longest = OPTION_LENGTH_RANGE
    for index, question in enumerate(questions):
        for position, option in enumerate(question.options):
            if not shortest <= len(option.text) <= longest:
                problems.append(
                    f"questions[{index}].options[{position}] ({option.key}): {len(option.text)} characters "
                    f"(every option {shortest}-{longest})"
                )
    return GuardReport(
        deck_id=deck.id,
        strategies=figures,
        deck_ratio=deck_ratio,
        question_ratios=question_ratios,
        shortest_option=min(lengths),
        longest_option=max(lengths),
        problems=tuple(problems),
    )
