"""Helper process of tests/test_crash.py: answers in a burst through the engine and prints each answer once it is committed.

Run: python -m tests.crash_writer DB_PATH [PEOPLE]
Each person starts a run, then everyone answers all questions concurrently (answer, next, answer, ...).
A line `answered <run_id> <position> <option_key>` is written and flushed only after engine.handle
returned the feedback, i.e. after the answer's group commit: the parent kills this process at any moment
and then checks that every printed answer is in the database.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.actions import AnswerAction, decode
from bot.content import default_content_dir, load_decks
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.store import SQLiteStore
from bot.views import AnswerFeedback, QuestionCard


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def person(engine: QuizEngine, index: int) -> None:
    origin = Origin(platform="crash", space_id="s1", user_id=f"u{index}", display_name=f"user {index}")
    reply = await engine.start(origin)
    while isinstance(reply.view, QuestionCard):
        button = reply.view.buttons[index % len(reply.view.buttons)]
        action = decode(button.action_id)
        assert isinstance(action, AnswerAction)
        feedback = await engine.handle(origin, button.action_id)
        assert isinstance(feedback.view, AnswerFeedback), feedback.view
        say(f"answered {action.run_id} {action.position} {action.option_key}")
        reply = await engine.handle(origin, feedback.view.buttons[0].action_id)


async def main(path: Path, people: int) -> None:
    async with await SQLiteStore.open(path) as store:
        engine = QuizEngine(store, load_decks(default_content_dir()))
        say("ready")
        await asyncio.gather(*(person(engine, i) for i in range(people)))
        say("done")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 2000))
