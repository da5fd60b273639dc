"""Terminal play: one personal run through the engine, reading letters from stdin (piped input works)."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.text import Text

from adapters.console.render import render
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.views import AnswerFeedback, Notice, QuestionCard, Reply, ScoreCard

ReadLine = Callable[[str], str]
QUIT_WORDS = {"q", "quit", "exit"}
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


async def play(engine: QuizEngine, origin: Origin, deck_id: str | None, console: Console, read_line: ReadLine) -> int:
    """Play until the score card; returns the process exit code. Raises EOFError/KeyboardInterrupt to stop."""
    reply: Reply = await engine.start(origin, deck_id)
    notices = 0
    while True:
        view = reply.view
        console.print(render(view))
        if isinstance(view, QuestionCard):
            notices = 0
            letters = f"{view.options[0].letter}-{view.options[-1].letter}"
            while True:
                line = read_line(f"Your answer ({letters}, or q to stop): ")
                if line.strip().lower() in QUIT_WORDS:
                    raise EOFError
                index = parse_choice(line, len(view.buttons))
                if index is not None:
                    break
                console.print(Text(f"Type one letter {letters} (or a number 1-{len(view.buttons)}) and press Enter.", style="yellow"))
            reply = await engine.handle(origin, view.buttons[index].action_id)
        elif isinstance(view, AnswerFeedback):
            notices = 0
            if read_line(f"Press Enter: {view.buttons[0].label.lower()} (or q to stop): ").strip().lower() in QUIT_WORDS:
                raise EOFError
            reply = await engine.handle(origin, view.buttons[0].action_id)
        elif isinstance(view, ScoreCard):
            return 0
        elif isinstance(view, Notice) and view.buttons and notices < MAX_NOTICES_IN_A_ROW:
            notices += 1
            reply = await engine.handle(origin, view.buttons[0].action_id)
        else:
            return 1
