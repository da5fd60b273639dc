"""Mutants mutmut 3 cannot make (module constants, class bodies, decorated loaders), applied one at a time by hand.

Run from the repository: `.venv/bin/python -m tests.mutation_by_hand` (a minute or two). Each mutant is written into
the source file, the edge tests run, and the file is restored; commit first, and `git checkout bot/` after a run
that was killed part-way.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# (file, text, replacement): each text occurs exactly once in its file.
MUTANTS: list[tuple[str, str, str]] = [
    ("bot/actions.py", "MAX_ACTION_ID_LENGTH = 100", "MAX_ACTION_ID_LENGTH = 99"),
    ("bot/actions.py", "MAX_ACTION_ID_LENGTH = 100", "MAX_ACTION_ID_LENGTH = 101"),
    ("bot/actions.py", 'PREFIX = "rq1"', 'PREFIX = "rq2"'),
    ("bot/actions.py", "Field(ge=1, le=2**62)", "Field(ge=0, le=2**62)"),
    ("bot/actions.py", "Field(ge=1, le=2**62)", "Field(ge=1, le=2**62 + 1)"),
    ("bot/actions.py", "Field(ge=0, le=999)", "Field(ge=-1, le=999)"),
    ("bot/actions.py", "Field(ge=0, le=999)", "Field(ge=0, le=1000)"),
    ("bot/actions.py", "Field(ge=1, le=100_000)", "Field(ge=0, le=100_000)"),
    ("bot/actions.py", "Field(ge=1, le=100_000)", "Field(ge=1, le=100_001)"),
    ("bot/actions.py", 'frozen=True, extra="forbid"', 'frozen=False, extra="forbid"'),
    ("bot/actions.py", 'frozen=True, extra="forbid"', 'frozen=True, extra="ignore"'),
    ("bot/actions.py", "[a-z0-9-]{0,39}", "[a-z0-9-]{0,40}"),
    ("bot/actions.py", "[a-z0-9-]{0,39}", "[a-z0-9-]{0,38}"),
    ("bot/actions.py", "^[a-z0-9][a-z0-9-]", "^[a-z0-9-][a-z0-9-]"),
    ("bot/actions.py", "[0-9a-f]{12}", "[0-9a-f]{11,12}"),
    ("bot/teams.py", "NAME_MIN = 2", "NAME_MIN = 3"),
    ("bot/teams.py", "NAME_MIN = 2", "NAME_MIN = 1"),
    ("bot/teams.py", "NAME_MAX = 32", "NAME_MAX = 31"),
    ("bot/teams.py", "NAME_MAX = 32", "NAME_MAX = 33"),
    ("bot/teams.py", """set("-.'&+!?(),/")""", """set("-.'&+!?(),/@")"""),
    ("bot/teams.py", "PublicSuffixList(accept_unknown=False)", "PublicSuffixList(accept_unknown=True)"),
    ("bot/names.py", "MAX_MARKS_PER_LETTER = 3", "MAX_MARKS_PER_LETTER = 2"),
    ("bot/names.py", "MAX_MARKS_PER_LETTER = 3", "MAX_MARKS_PER_LETTER = 4"),
    ("bot/names.py", 'MARK_CATEGORIES = ("Mn", "Me")', 'MARK_CATEGORIES = ("Mn",)'),
    ("bot/names.py", 'frozenset("\\u200e\\u200f\\u061c")', 'frozenset("\\u200e\\u200f")'),
    ("bot/names.py", "\\p{Default_Ignorable_Code_Point}", "\\p{Join_Control}"),
    ("bot/names.py", "\\x85\\u2028\\u2029]", "\\x85\\u2029]"),
    # The PostgreSQL store turns the shared SQL's `?` into $1, $2, ... when its modules load: mutmut's mutants of
    # `numbered` never take effect (its fork server loaded the modules first). Needs the PostgreSQL half to run.
    ("bot/store/postgres/base.py", "enumerate(parts, start=1)", "enumerate(parts)"),
    ("bot/store/postgres/base.py", 'if i < len(parts) else ""', 'if i <= len(parts) else ""'),
    # The claimed sends' SQL is built as bot.store.sends loads, for the same reason out of mutmut's reach.
    ("bot/store/sends.py", "AND claimed_by = ? AND attempts = ?", "AND claimed_by = ? AND attempts >= ?"),
    (
        "bot/store/sends.py",
        "status = 'failed', attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE {held}",
        "status = 'failed', attempts = attempts, last_error = ?, next_attempt_at = ? WHERE {held}",
    ),
]
TESTS = [
    "tests/test_action_id_limits.py",
    "tests/test_actions.py",
    "tests/test_team_name_limits.py",
    "tests/test_hostile_names.py",
    "tests/test_display_name_edges.py",
    "tests/test_look_alike_keys.py",
    "tests/test_week_windows_mid_week.py",
    "tests/test_store_records.py",
    "tests/test_digest.py",
]


def survives(path: str, text: str, replacement: str) -> bool:
    """Whether the edge tests all pass with `text` replaced in `path`; the file is restored either way."""
    file = Path(path)
    source = file.read_text(encoding="utf-8")
    if source.count(text) != 1:
        raise SystemExit(f"{path}: expected {text!r} exactly once")
    file.write_text(source.replace(text, replacement), encoding="utf-8")
    try:
        result = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", *TESTS], capture_output=True, text=True)
    finally:
        file.write_text(source, encoding="utf-8")
    return result.returncode == 0


def main() -> None:
    killed = 0
    for path, text, replacement in MUTANTS:
        survived = survives(path, text, replacement)
        killed += not survived
        print(f"{'SURVIVED' if survived else 'killed':8}  {path}: {text}  ->  {replacement}")
    print(f"{killed} of {len(MUTANTS)} killed")


if __name__ == "__main__":
    main()
