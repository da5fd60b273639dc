"""Choose which of mutmut's mutants to run: the SQL-case-only ones are equivalent, the rest run (all, or a sample).

mutmut 3 mutates every plain string three ways: "XX" around it, all lower case, all upper case. For a SQL statement
the last two are equivalent when the text holds nothing case-sensitive: keywords, function names and unquoted
identifiers are case-insensitive (SQLite compares names without regard to case, PostgreSQL folds unquoted names to
lower case), `sqlite3.Row` looks columns up case-insensitively, and asyncpg's records carry the names PostgreSQL
folded. A row's keys keep the written case of an alias or an expression in what a statement returns (`SELECT
COUNT(*)`, `AS votes`), so such a text is case-sensitive, as is one with a quote around a letter (a string literal
such as 'sent', a quoted identifier, a JSON path) or a named parameter (`:platform`, looked up in a dict by its exact
name): their mutants stay in the run.

Run from the repository after `mutmut run` has generated `mutants/`:
`.venv/bin/python -m tests.mutation_select equivalent "bot.store.*"` prints the SQL-case-only mutants' names, one a
line; `... to-run "bot.store.*"` prints every other mutant matching the globs (for `xargs mutmut run`);
`... figures "bot.engine.*" "bot.store.*"` prints, per module, the mutants, the SQL-case ones, those run and what
came of them, the ones tests/MUTATION.md excludes (equivalent, or out of mutmut's reach), and the score: killed / (run - equivalent).
`... to-run --share 0.25 "bot.store.*"` prints a quarter of them (at least 20 a module), drawn at random per module
with a fixed seed (the same names on every machine for the same code), for a run that must fit in the time there is.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import random
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

MUTANTS = Path("mutants")
SQL_WORD = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|FROM|WHERE|SET|VALUES|JOIN|GROUP BY|ORDER BY|ON CONFLICT|RETURNING|PRAGMA|AND|OR|"
    r"NOT|NULL|IS|IN|AS|COUNT|SUM|MAX|MIN|COALESCE|LIMIT|OFFSET|DESC|ASC|EXCLUDED|DO|NOTHING|DEFAULT|CASE|WHEN|THEN|"
    r"ELSE|END|BEGIN|COMMIT|ROLLBACK|FOR|ANY|EXISTS|DISTINCT|HAVING|UNION|WITH|LEFT|INNER)\b"
)
# A quote, or a named parameter (not a ::cast).
CASE_SENSITIVE = re.compile(r"""['"`]|(?<!:):[A-Za-z_]""")
# What a statement returns: a row's keys keep the written case of an alias or an expression there (`COUNT(*)`).
OUTPUT_LIST = re.compile(r"\b(?:SELECT|RETURNING)\b(.*?)(?:\bFROM\b|$)", re.IGNORECASE | re.DOTALL)


LETTERLESS_LITERAL = re.compile(r"'[^'A-Za-z]*'")  # such as '#': no letter in it to change


def _is_plain_sql(text: str) -> bool:
    """A statement or fragment of one whose meaning does not depend on the case of its letters."""
    if not SQL_WORD.search(text) or CASE_SENSITIVE.search(LETTERLESS_LITERAL.sub("", text)):
        return False
    return not any("(" in columns or re.search(r"\bAS\b", columns, re.IGNORECASE) for columns in OUTPUT_LIST.findall(text))


def _sql_case_only(original: ast.AST, mutant: ast.AST) -> bool:
    """The two trees differ only in plain-SQL strings that are equal but for case (and differ somewhere)."""
    changed = False
    for before, after in zip(ast.walk(original), ast.walk(mutant), strict=False):
        if type(before) is not type(after):
            return False
        if isinstance(before, ast.Constant) and isinstance(after, ast.Constant):
            if before.value == after.value:
                continue
            if not (isinstance(before.value, str) and isinstance(after.value, str)):
                return False
            if before.value.lower() != after.value.lower() or not _is_plain_sql(before.value):
                return False
            changed = True
    return changed and _same_shape(original, mutant)


def _same_shape(original: ast.AST, mutant: ast.AST) -> bool:
    """Equal trees once every string constant is lower-cased (the walk above pairs nodes by position only)."""

    def shape(tree: ast.AST) -> str:
        copy = ast.parse(ast.unparse(tree))
        for node in ast.walk(copy):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                node.value = node.value.lower()
        return ast.dump(copy)

    return shape(original) == shape(mutant)


def _functions(path: Path) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def _body(function: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.Module:
    """The function's body alone: a mutant's name differs from its original's, and nothing else should count."""
    return ast.Module(body=function.body, type_ignores=[])


def mutants(module_file: Path) -> Iterator[tuple[str, bool]]:
    """(mutant name, whether it is SQL-case-only) for every mutant mutmut made of one file under mutants/."""
    meta = json.loads(module_file.with_name(module_file.name + ".meta").read_text(encoding="utf-8"))
    functions = _functions(module_file)
    for key in meta["exit_code_by_key"]:
        function_name = key.rsplit(".", 1)[1]
        original_name = function_name.rsplit("__mutmut_", 1)[0] + "__mutmut_orig"
        mutant, original = functions.get(function_name), functions.get(original_name)
        yield key, bool(mutant and original and _sql_case_only(_body(original), _body(mutant)))


SEED = 20
MUTATION_NOTES = Path("tests/MUTATION.md")
# The mutants named between these two lines of tests/MUTATION.md are left out of the score, each with its reason.
EXCLUDED_START, EXCLUDED_END = "<!-- excluded from the score: start -->", "<!-- excluded from the score: end -->"


def _names_between(text: str, start: str, end: str) -> set[str]:
    return set(MUTANT_NAME.findall(text.split(start, 1)[-1].split(end, 1)[0])) if start in text else set()


MUTANT_NAME = re.compile(r"bot\.[\w.ǁ]+__mutmut_\d+")


def _statuses() -> dict[str, str]:
    """Every mutant's status as `mutmut results --all true` prints it: killed, survived, no tests, not checked, ..."""
    printed = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], capture_output=True, text=True, check=True)
    statuses: dict[str, str] = {}
    for line in printed.stdout.splitlines():
        name, _, status = line.strip().partition(": ")
        if MUTANT_NAME.fullmatch(name):
            statuses[name] = status.strip()
    return statuses


def _module(name: str) -> str:
    return name.split(".x", 1)[0]


def figures(globs: list[str]) -> None:
    """A markdown table of the figures per module (see the docstring above)."""
    sql_case = {
        key
        for file in sorted(MUTANTS.glob("bot/**/*.py"))
        if file.with_name(file.name + ".meta").exists()
        for key, only in mutants(file)
        if only
    }
    notes = MUTATION_NOTES.read_text(encoding="utf-8")
    equivalent = _names_between(notes, EXCLUDED_START, EXCLUDED_END)
    rows: dict[str, Counter[str]] = {}
    for name, status in _statuses().items():
        if not any(fnmatch.fnmatch(name, glob) for glob in globs):
            continue
        counts = rows.setdefault(_module(name), Counter())
        counts["mutants"] += 1
        if name in sql_case:
            counts["sql case"] += 1
        elif status != "not checked":
            counts["run"] += 1
            counts[status] += 1
            counts["equivalent"] += status in ("survived", "no tests") and name in equivalent
    print("| module | mutants | SQL case | run | killed | survived | no tests | excluded | score |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    total: Counter[str] = Counter()
    for module, counts in sorted(rows.items()):
        total.update(counts)
        print(_figure_row(module, counts))
    print(_figure_row("**all**", total))


def _figure_row(module: str, counts: Counter[str]) -> str:
    killed = counts["killed"] + counts["timeout"]
    scored = counts["run"] - counts["equivalent"]
    score = f"{100 * killed / scored:.1f}%" if scored else "-"
    cells = (
        [counts[key] for key in ("mutants", "sql case", "run")] + [killed] + [counts[key] for key in ("survived", "no tests", "equivalent")]
    )
    return f"| {module} | " + " | ".join(f"{cell:,}" for cell in cells) + f" | {score} |"


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("equivalent", "to-run", "figures"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "figures":
        figures(argv[1:] or ["bot.*"])
        return 0
    want_equivalent, rest = argv[0] == "equivalent", argv[1:]
    share = 1.0
    if rest[:1] == ["--share"] and len(rest) >= 2:
        share, rest = float(rest[1]), rest[2:]
    globs = rest or ["bot.store.*"]
    for module_file in sorted(MUTANTS.glob("bot/**/*.py")):
        if not module_file.with_name(module_file.name + ".meta").exists():
            continue
        chosen = [key for key, sql_case_only in mutants(module_file) if sql_case_only == want_equivalent]
        chosen = [key for key in chosen if any(fnmatch.fnmatch(key, glob) for glob in globs)]
        if share < 1.0:
            # Seeded by the module's path, so that a module's sample does not move when another module changes; at
            # least 20 a module (all of a smaller one), so that every module's figure rests on something.
            sample_size = max(round(len(chosen) * share), min(len(chosen), 20))
            chosen = sorted(random.Random(f"{SEED}:{module_file.as_posix()}").sample(sorted(chosen), sample_size))
        for key in chosen:
            print(key)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
