"""Terminal play: a personal run or a review through the engine, reading letters (and written answers) from stdin."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.text import Text

from adapters.console.render import render
from bot.actions import GradeAction, decode
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.views import AnswerFeedback, Notice, QuestionCard, Reply, ScoreCard, WritePrompt, WrittenChecklist, WrittenResult

ReadLine = Callable[[str], str]
QUIT_WORDS = {"q", "quit", "exit"}
WRITE_WORDS = {"w", "write"}
# A notice with a Continue button is followed; this many in a row means something is wrong.
MAX_NOTICES_IN_A_ROW = 3


def parse_choice(line: str, count: int) -> int | None:
    """The option index a typed letter (A-E) or number (1-5) stands for, or None."""
    text = line.strip().upper()
    if len(text) != 1:
        return None
    if "A" <= text <= "Z":
        index = ord(text) - ord("A")
    elif text.isdigit():
        index = int(text) - 1
    else:
        return None
    return index if 0 <= index < count else None


def parse_ticks(line: str, count: int) -> int | None:
    """The key points typed by number ("1 3 4", "1,3"; nothing for none) as a bit per point, or None when not that."""
    ticked = 0
    for word in line.replace(",", " ").split():
        if not word.isdigit() or not 1 <= int(word) <= count:
            return None
        ticked |= 1 << (int(word) - 1)
    return ticked


def _stop_if_asked(line: str) -> str:
    if line.strip().lower() in QUIT_WORDS:
        raise EOFError
    return line


def read_answer(read_line: ReadLine) -> str:
    """Lines up to the first empty one: an answer written in the terminal."""
    lines: list[str] = []
    while line := read_line("> " if lines else "Your answer (an empty line ends it): "):
        lines.append(line)
    return "\n".join(lines)


async def play(engine: QuizEngine, origin: Origin, deck_id: str | None, console: Console, read_line: ReadLine) -> int:
    """Play a run until the score card; returns the process exit code. Raises EOFError/KeyboardInterrupt to stop."""
    return await follow(engine, origin, await engine.start(origin, deck_id), console, read_line)


async def review(engine: QuizEngine, origin: Origin, deck_id: str | None, console: Console, read_line: ReadLine) -> int:
    """Review what is due until its score card (or the notice that nothing is); returns the exit code."""
    return await follow(engine, origin, await engine.review(origin, deck_id), console, read_line)


async def follow(engine: QuizEngine, origin: Origin, reply: Reply, console: Console, read_line: ReadLine) -> int:
    """Show each card and read what the person does with it, until a score card or a notice with nowhere to go."""
    notices = 0
    question: Reply | None = None  # the last question card: where an empty written answer goes back to
    while True:
        view = reply.view
        console.print(render(view))
        if isinstance(view, QuestionCard):
            notices, question = 0, reply
            reply = await _answer(engine, origin, view, console, read_line)
        elif isinstance(view, WritePrompt):
            text = read_answer(read_line)
            if not text.strip() and question is not None:
                console.print(Text("Nothing written: back to the question.", style="yellow"))
                reply = question
                continue
            reply = await engine.submit_written(origin, view.submit_action_id, text)
        elif isinstance(view, WrittenChecklist):
            reply = await engine.handle(origin, _grade_id(view, _ticks(view, console, read_line)))
        elif isinstance(view, AnswerFeedback | WrittenResult):
            notices = 0
            _stop_if_asked(read_line(f"Press Enter: {view.buttons[0].label.lower()} (or q to stop): "))
            reply = await engine.handle(origin, view.buttons[0].action_id)
        elif isinstance(view, ScoreCard):
            return 0
        elif isinstance(view, Notice) and view.buttons and notices < MAX_NOTICES_IN_A_ROW:
            notices += 1
            reply = await engine.handle(origin, view.buttons[0].action_id)
        else:
            return 0 if isinstance(view, Notice) and view.tone in ("info", "success") else 1


async def _answer(engine: QuizEngine, origin: Origin, view: QuestionCard, console: Console, read_line: ReadLine) -> Reply:
    letters = f"{view.options[0].letter}-{view.options[-1].letter}"
    write = view.more_buttons[0] if view.more_buttons else None
    offer = ", w to write your own" if write else ""
    while True:
        line = _stop_if_asked(read_line(f"Your answer ({letters}{offer}, or q to stop): "))
        if write is not None and line.strip().lower() in WRITE_WORDS:
            return await engine.handle(origin, write.action_id)
        index = parse_choice(line, len(view.buttons))
        if index is not None:
            return await engine.handle(origin, view.buttons[index].action_id)
        console.print(Text(f"Type one letter {letters} (or a number 1-{len(view.buttons)}) and press Enter.", style="yellow"))


def _ticks(view: WrittenChecklist, console: Console, read_line: ReadLine) -> int:
    count = len(view.points)
    while True:
        line = _stop_if_asked(read_line(f"Numbers of the points your answer covered (e.g. 1 3 4; Enter for none of the {count}): "))
        ticked = parse_ticks(line, count)
        if ticked is not None:
            return ticked
        console.print(Text(f"Type numbers from 1 to {count}, separated by spaces, and press Enter.", style="yellow"))


def _grade_id(view: WrittenChecklist, ticked: int) -> str:
    """The checklist's grading button with these points ticked: its action id carries the ticks."""
    grade = decode(view.buttons[-1].action_id)
    assert isinstance(grade, GradeAction)  # the checklist's last button grades it
    return GradeAction(written_id=grade.written_id, ticked=ticked).encode()
