"""The core stays platform-free: no module of bot/ imports a platform library or an adapter, or spells a platform's words."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import bot

CORE_MODULES = sorted(info.name for info in pkgutil.walk_packages(bot.__path__, prefix="bot."))
FORBIDDEN_IMPORTS = ("discord", "slack_bolt", "slack_sdk", "adapters")
# Words of one platform's interface: its command syntax, role and permission names, its name for a space.
PLATFORM_WORDS = ("/recsys-quiz", "recsys-quiz play", "Manage Server", "workspace", "guild", "Discord", "Slack", "mrkdwn")
# Argument syntax is a surface's own (Slack's `<name>`, Discord's `name:`, the terminal's `--user`): the core names
# commands by their words alone.
SYNTAX_MARKS = ("<name>", "[name]", "[deck]", "name:", "--user", "--deck", "HH:MM Area/City")


def test_the_walk_finds_every_core_module_including_daily_boards_and_the_stores() -> None:
    assert {"bot.engine", "bot.daily", "bot.boards", "bot.teams", "bot.views", "bot.store", "bot.study", "bot.chart"} <= set(CORE_MODULES)


def test_no_core_module_imports_a_platform_library_or_an_adapter() -> None:
    # One fresh interpreter imports the modules one by one and notes what each newly brought in.
    code = (
        "import sys, importlib, json\n"
        f"found = {{}}\nfor module in {CORE_MODULES!r}:\n"
        "    importlib.import_module(module)\n"
        f"    loaded = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN_IMPORTS!r})\n"
        "    if loaded:\n        found[module] = loaded\n        break\n"
        "print(json.dumps(found))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "{}", result.stdout


def strings_of(path: Path) -> list[tuple[int, str]]:
    """Every string literal in the module that is not a docstring (docstrings and comments may name a platform's limit)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_text_the_core_shows_spells_a_platforms_syntax_or_roles() -> None:
    found = []
    for path in sorted(Path(bot.__path__[0]).rglob("*.py")):
        for line, text in strings_of(path):
            words = PLATFORM_WORDS if "store" in path.parts else (*PLATFORM_WORDS, *SYNTAX_MARKS)  # the stores' texts are SQL
            found += [f"{path.name}:{line}: {word!r} in {text[:60]!r}" for word in words if word in text]
    assert found == []


def test_no_surface_entry_point_imports_the_command_line_so_there_is_no_cycle() -> None:
    adapters_dir = Path(bot.__path__[0]).parent / "adapters"
    for path in sorted(adapters_dir.rglob("*.py")):
        if path.name == "cli.py":
            continue
        imported = {
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        assert "adapters.cli" not in imported, path
