"""Quiz decks: pydantic models of deck, question and option, and the YAML loader that names the bad field."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

# Ids travel inside button action ids (at most 100 characters on Discord), so they stay short slugs.
DeckId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
QuestionId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
OptionKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,23}$")]

# One option must fit one Discord embed field (1024) and one Slack section (3000) with its letter.
OPTION_TEXT_LIMIT = 1000
PROMPT_LIMIT = 1000
EXPLANATION_LIMIT = 1000
MISSES_LIMIT = 400
KEY_POINT_LIMIT = 60  # a checklist line: short enough to read at a glance on every platform
SOURCE_LIMIT = 300
# Versions are stored as SQLite INTEGERs (64-bit); a bigger one passed the check and then broke every run.
VERSION_MAX = 1_000_000
Version = Annotated[int, Field(ge=1, le=VERSION_MAX)]
MIN_OPTIONS = 2
MAX_OPTIONS = 5  # Discord allows 5 buttons in one row; the card keeps all answers in one row.

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
KeyPoint = Annotated[_Text, Field(max_length=KEY_POINT_LIMIT)]
Source = Annotated[_Text, Field(max_length=SOURCE_LIMIT)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Option(_Frozen):
    """One answer a candidate might give; `misses` says what a wrong one leaves out."""

    key: OptionKey
    text: Annotated[_Text, Field(max_length=OPTION_TEXT_LIMIT)]
    correct: bool = False
    misses: Annotated[_Text, Field(max_length=MISSES_LIMIT)] | None = None


class Question(_Frozen):
    """An interviewer's question with its options and the explanation of the best answer."""

    id: QuestionId
    version: Version = 1
    topic: Annotated[_Text, Field(max_length=80)]
    prompt: Annotated[_Text, Field(max_length=PROMPT_LIMIT)]
    # What an interviewer listens for in the best answer: feedback shows it as a checklist.
    key_points: Annotated[tuple[KeyPoint, ...], Field(min_length=4, max_length=7)]
    # Where every figure in the options comes from: a paper (venue and year) or official documentation.
    sources: Annotated[tuple[Source, ...], Field(min_length=1, max_length=3)]
    options: tuple[Option, ...]
    explanation: Annotated[_Text, Field(max_length=EXPLANATION_LIMIT)]

    @field_validator("options")
    @classmethod
    def _options_make_one_question(cls, options: tuple[Option, ...]) -> tuple[Option, ...]:
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            raise PydanticCustomError(
                "deck", "needs {low} to {high} options, found {n}", {"low": MIN_OPTIONS, "high": MAX_OPTIONS, "n": len(options)}
            )
        correct = [o for o in options if o.correct]
        if len(correct) != 1:
            raise PydanticCustomError("deck", "exactly one option must be correct, found {n}", {"n": len(correct)})
        keys = [o.key for o in options]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise PydanticCustomError("deck", "option keys must be unique, repeated: {keys}", {"keys": ", ".join(duplicates)})
        for index, option in enumerate(options):
            if option.correct and option.misses:
                raise PydanticCustomError("deck", "[{i}] the correct option must not have `misses`", {"i": index})
            if not option.correct and not option.misses:
                raise PydanticCustomError(
                    "deck", "[{i}] ({key}) a wrong option needs `misses`: what it leaves out", {"i": index, "key": option.key}
                )
        return options

    @cached_property  # every answer's feedback asks
    def correct_option(self) -> Option:
        return next(o for o in self.options if o.correct)

    @cached_property
    def _options_by_key(self) -> dict[str, Option]:
        return {o.key: o for o in self.options}

    def option(self, key: str) -> Option | None:
        return self._options_by_key.get(key)

    @cached_property
    def keys(self) -> frozenset[str]:
        return frozenset(self._options_by_key)


class Tip(_Frozen):
    """One 'how to structure your answer' tip shown on the score card."""

    title: Annotated[_Text, Field(max_length=120)]
    text: Annotated[_Text, Field(max_length=500)]


class Deck(_Frozen):
    """A quiz deck: one YAML file under the content folder."""

    id: DeckId
    version: Version = 1
    title: Annotated[_Text, Field(max_length=120)]
    description: Annotated[_Text, Field(max_length=500)]
    tips: tuple[Tip, ...] = ()
    questions: tuple[Question, ...]

    @field_validator("questions")
    @classmethod
    def _questions_are_unique(cls, questions: tuple[Question, ...]) -> tuple[Question, ...]:
        if not questions:
            raise PydanticCustomError("deck", "a deck needs at least one question")
        ids = [q.id for q in questions]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise PydanticCustomError("deck", "question ids must be unique, repeated: {ids}", {"ids": ", ".join(duplicates)})
        return questions

    @cached_property
    def _questions_by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    def question(self, question_id: str) -> Question | None:
        return self._questions_by_id.get(question_id)


class ContentError(Exception):
    """Decks that failed to load; each message names the file and the field."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


class DeckLibrary:
    """The loaded decks, by id, in file-name order (the first is the default)."""

    def __init__(self, decks: list[Deck], files: dict[str, Path] | None = None) -> None:
        if not decks:
            raise ContentError(["no decks found"])
        self._decks = {deck.id: deck for deck in decks}
        self._files = files or {}

    def file_of(self, deck_id: str) -> str:
        """The file a deck was loaded from, as messages name it (its id when it was not loaded from a file)."""
        path = self._files.get(deck_id)
        return _display(path) if path is not None else deck_id

    def __iter__(self) -> Iterator[Deck]:
        return iter(self._decks.values())

    def __len__(self) -> int:
        return len(self._decks)

    @property
    def default(self) -> Deck:
        return next(iter(self._decks.values()))

    def get(self, deck_id: str | None) -> Deck | None:
        return self.default if deck_id is None else self._decks.get(deck_id)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _field_path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for item in loc:
        text += f"[{item}]" if isinstance(item, int) else (f".{item}" if text else str(item))
    return text or "(top level)"


def _int_or_problem(loader: yaml.constructor.SafeConstructor, node: yaml.ScalarNode) -> object:
    try:
        return loader.construct_yaml_int(node)
    except ValueError:  # Python reads at most sys.get_int_max_str_digits() digits (4300): a guard against slow parsing
        digits = sum(c.isdigit() for c in node.value)
        problem = f"a number of {digits} digits is too long to read (at most {sys.get_int_max_str_digits()})"
        raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None


def _date_or_problem(loader: yaml.constructor.SafeConstructor, node: yaml.ScalarNode) -> object:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError as error:  # 2024-02-30 has the form of a date but is none
        raise yaml.constructor.ConstructorError(None, None, f"{node.value} is not a date: {error}", node.start_mark) from None


def _deck_loader(base: type[yaml.SafeLoader]) -> type[yaml.SafeLoader]:
    """`base` whose numbers and dates that cannot be read are reported as YAML errors at their line, not as ValueError."""
    loader = type(f"Deck{base.__name__}", (base,), {})
    loader.add_constructor("tag:yaml.org,2002:int", _int_or_problem)
    loader.add_constructor("tag:yaml.org,2002:timestamp", _date_or_problem)
    return loader


_SAFE_LOADER = _deck_loader(yaml.SafeLoader)
# libyaml's parser, when PyYAML was built with it, reads the shipped deck about 8x faster than the pure-Python one.
_FAST_LOADER = _deck_loader(yaml.CSafeLoader) if hasattr(yaml, "CSafeLoader") else None


def parse_yaml(text: str) -> object:
    """The document in `text`, exactly as yaml.safe_load reads it (same data, same errors and wording), but faster.

    Numbers and dates that cannot be read (5,000 digits, 2024-02-30) are YAML errors naming their line here, where
    yaml.safe_load raises a bare ValueError.

    libyaml accepts tabs where the pure-Python parser refuses them, and words its errors differently; so text
    with a tab, and text libyaml refuses, go through the pure-Python parser, which decides and words the error.
    """
    if _FAST_LOADER is not None and "\t" not in text:
        try:
            return yaml.load(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass
    return yaml.load(text, Loader=_SAFE_LOADER)


def load_deck_file(path: Path) -> Deck:
    """Load one deck, raising ContentError with `file: field: problem` messages."""
    name = _display(path)
    try:
        raw = parse_yaml(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ContentError([f"{name}: cannot read: {error.strerror}"]) from None
    except UnicodeDecodeError:
        raise ContentError([f"{name}: not UTF-8 text"]) from None
    except RecursionError:
        # libyaml refuses nesting past 1000 levels; the pure-Python parser, which words its error, recurses instead.
        raise ContentError([f"{name}: lists or mappings nested too deeply to be a deck"]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ContentError([f"{name}: {where}malformed YAML: {problem}"]) from None
    if not isinstance(raw, dict):
        raise ContentError([f"{name}: a deck must be a YAML mapping with id, title, description, tips and questions"])
    try:
        return Deck.model_validate(raw)
    except ValidationError as error:
        raise ContentError([f"{name}: {_field_path(e['loc'])}: {e['msg']}" for e in error.errors()]) from None


def deck_files(directory: Path) -> list[Path]:
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def load_decks(directory: Path) -> DeckLibrary:
    """Load every deck in a folder; all problems of all files are reported together."""
    if not directory.is_dir():
        raise ContentError([f"{_display(directory)}: not a folder of deck YAML files"])
    decks: list[Deck] = []
    messages: list[str] = []
    seen: dict[str, Path] = {}
    files = deck_files(directory)
    if not files:
        messages.append(f"{_display(directory)}: no .yaml deck files found")
    for path in files:
        try:
            deck = load_deck_file(path)
        except ContentError as error:
            messages.extend(error.messages)
            continue
        if deck.id in seen:
            messages.append(f"{_display(path)}: id: deck id '{deck.id}' is already used by {_display(seen[deck.id])}")
            continue
        seen[deck.id] = path
        decks.append(deck)
    if messages:
        raise ContentError(messages)
    return DeckLibrary(decks, seen)


def default_content_dir() -> Path:
    """The folder of decks shipped with the package."""
    import content

    return Path(content.__file__).parent
