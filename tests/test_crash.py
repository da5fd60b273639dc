"""Crash safety: a process answering in a burst is SIGKILLed part-way; every answer it had replied to is on disk, once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from bot.content import DeckLibrary
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.store import SQLiteStore
from bot.views import AnswerFeedback, QuestionCard

REPO = Path(__file__).resolve().parents[1]
PATIENCE = 60.0  # seconds to wait for the helper's lines: generous for a slow CI machine, normally ~1 s


def _read_lines(stream: object, into: list[str], enough: threading.Event, wanted: int) -> None:
    for raw in stream:  # type: ignore[attr-defined]
        into.append(raw.decode().strip())
        if sum(1 for line in into if line.startswith("answered ")) >= wanted:
            enough.set()
    enough.set()  # end of output: the helper finished or died


def _kill_part_way(db: Path, wanted: int) -> list[tuple[int, int, str]]:
    """Run the helper until it has printed `wanted` committed answers, SIGKILL it, return every answer it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.crash_writer", str(db), "2000"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    enough = threading.Event()
    reader = threading.Thread(target=_read_lines, args=(process.stdout, lines, enough, wanted), daemon=True)
    reader.start()
    try:
        assert enough.wait(PATIENCE), f"the helper printed only {len(lines)} lines in {PATIENCE} s"
        assert process.poll() is None, f"the helper ended before the kill: {process.stderr.read().decode()[-2000:]}"  # type: ignore[union-attr]
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    reader.join(10)  # the lines still in the pipe were printed before the kill: they count too
    assert "done" not in lines, "the burst finished before the kill; the test needs a bigger burst"
    answered = []
    for line in lines:
        if line.startswith("answered "):
            _, run_id, position, key = line.split()
            answered.append((int(run_id), int(position), key))
    return answered


def test_sigkill_mid_burst_loses_no_replied_answer_and_records_none_twice(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    printed = _kill_part_way(db, wanted=400)
    assert len(printed) >= 400

    connection = sqlite3.connect(db)  # reopening replays the WAL, as the next start of the bot would
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        stored = {(r, p): k for r, p, k in connection.execute("SELECT run_id, position, option_key FROM answers")}
        missing = [(r, p) for r, p, _ in printed if (r, p) not in stored]
        assert missing == [], f"{len(missing)} answers were replied to but are not in the database, e.g. {missing[:5]}"
        assert all(stored[(r, p)] == k for r, p, k in printed), "a stored answer differs from the one replied to"
        assert len(set((r, p) for r, p, _ in printed)) == len(printed), "the helper replied to one answer twice"
        twice = connection.execute("SELECT run_id, position FROM answers GROUP BY run_id, position HAVING COUNT(*) > 1").fetchall()
        assert twice == []
        # No partial write: every answer's totals and first-answer row came with it, or none of them did.
        totals = connection.execute(
            """SELECT COUNT(*) FROM people AS p
               LEFT JOIN score_totals AS t ON t.person_id = p.person_id AND t.period = 'all'
               WHERE COALESCE(t.answers, 0) != (SELECT COUNT(*) FROM answers AS a WHERE a.person_id = p.person_id)
                  OR COALESCE(t.points, 0) != (SELECT COALESCE(SUM(points), 0) FROM answers AS a WHERE a.person_id = p.person_id)"""
        ).fetchone()[0]
        assert totals == 0, f"{totals} people have totals that do not match their answers"
        orphans = connection.execute(
            """SELECT COUNT(*) FROM answers AS a WHERE NOT EXISTS (
                 SELECT 1 FROM first_answers AS f WHERE f.person_id = a.person_id AND f.deck_id = a.deck_id AND f.question_id = a.question_id)"""
        ).fetchone()[0]
        assert orphans == 0
        (count,) = connection.execute("SELECT COUNT(*) FROM answers").fetchone()
        assert count >= len(printed)
    finally:
        connection.close()


async def test_the_database_works_normally_after_the_kill(tmp_path: Path, decks: DeckLibrary) -> None:
    db = tmp_path / "crash.db"
    printed = _kill_part_way(db, wanted=50)
    async with await SQLiteStore.open(db) as store:
        engine = QuizEngine(store, decks)
        # A person who was mid-run resumes at their first unanswered question, and can answer it.
        connection = sqlite3.connect(db)
        try:
            row = connection.execute(
                """SELECT r.run_id, p.user_id, (SELECT COUNT(*) FROM answers AS a WHERE a.run_id = r.run_id) AS answered
                   FROM runs AS r JOIN people AS p ON p.person_id = r.person_id
                   WHERE r.finished_at IS NULL AND r.run_id IN (SELECT value FROM json_each(?)) ORDER BY r.run_id LIMIT 1""",
                (json.dumps([r for r, _, _ in printed]),),
            ).fetchone()
        finally:
            connection.close()
        assert row is not None, "every printed run was finished: nothing is mid-run"
        run_id, user_id, answered = row
        origin = Origin(platform="crash", space_id="s1", user_id=user_id)
        reply = await engine.start(origin)
        assert isinstance(reply.view, QuestionCard)
        assert reply.view.position == answered + 1
        feedback = await engine.handle(origin, reply.view.buttons[0].action_id)
        assert isinstance(feedback.view, AnswerFeedback)
        assert len(await store.run_answers(run_id)) == answered + 1
