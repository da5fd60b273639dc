"""The Discord adapter uses discord.py through its public names only: no private import, no private attribute, no patching."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ADAPTER = Path(__file__).resolve().parents[2] / "adapters" / "discord"
MODULES = sorted(ADAPTER.glob("*.py"))
LIBRARY_ROOTS = {"discord", "app_commands"}  # names under which the modules reach discord.py
# discord.py's public way to move its endpoints (DESIGN.md, "Platform facts"): two class attributes it reads.
SETTABLE = {"discord.http.Route.BASE", "discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY"}


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def dotted(node: ast.AST) -> str:
    """`a.b.c` for an attribute chain on a name, else ''."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    return ".".join([node.id, *reversed(parts)])


def subclasses_the_library(cls: ast.ClassDef) -> bool:
    return any(dotted(base).split(".")[0] in LIBRARY_ROOTS for base in cls.bases)


def problems_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[str] = []

    def where(node: ast.AST) -> str:
        return f"{path.name}:{getattr(node, 'lineno', '?')}"

    # Classes of ours built on discord.py's: their `self` is partly discord.py's, so no private name on it at all
    # (ours could shadow one of discord.py's). In our other classes `self._x` is our own.
    library_selves: set[ast.AST] = set()
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and subclasses_the_library(n)):
        library_selves.update(ast.walk(cls))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"{where(node)}: imports {a.name}" for a in node.names if any(private(p) for p in a.name.split("."))]
        elif isinstance(node, ast.ImportFrom) and node.module:
            library = node.module.split(".")[0] == "discord"
            if any(private(p) for p in node.module.split(".")) or (library and any(private(a.name) for a in node.names)):
                found.append(f"{where(node)}: imports from {node.module} {[a.name for a in node.names]}")
        elif isinstance(node, ast.Attribute) and private(node.attr):
            on_self = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            if not on_self or node in library_selves:
                found.append(f"{where(node)}: uses the private attribute {ast.unparse(node)}")
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for item in target.elts if isinstance(target, ast.Tuple) else [target]:
                    if isinstance(item, ast.Attribute | ast.Subscript) and patches(item):
                        found.append(f"{where(node)}: assigns to {ast.unparse(item)}")
        elif isinstance(node, ast.Call) and dotted(node.func) in ("setattr", "delattr"):
            found.append(f"{where(node)}: calls {dotted(node.func)}")
    return found


def patches(target: ast.Attribute | ast.Subscript) -> bool:
    """An assignment that reaches into another object's parts: `a.b.c = ...` or `a.b.c[k] = ...` (a client's HTTP
    client or connection state, a library module or class), beyond SETTABLE. `x.y = ...` (our attribute, or a
    documented field of a discord.py object such as Embed.description) and `x.y[k] = ...` (a mapping we hold) are
    plain use."""
    chain = dotted(target.value if isinstance(target, ast.Subscript) else target)
    return chain.count(".") >= 2 and chain not in SETTABLE


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_no_module_of_the_discord_adapter_reaches_into_discord_py_or_patches_it(module: Path) -> None:
    assert problems_in(module) == []


def test_the_check_finds_what_the_adapter_used_to_do(tmp_path: Path) -> None:
    old = tmp_path / "old.py"
    old.write_text(
        "import discord\n"
        "from discord.utils import _get_as_snowflake\n"
        "class QuizClient(discord.AutoShardedClient):\n"
        "    def guard(self):\n"
        "        parsers = self._connection.parsers\n"
        "        self._connection.parsers['INTERACTION_CREATE'] = parsers\n"
        "        self.http.get_bot_gateway = None\n"
        "class Mine:\n"
        "    def __init__(self):\n"
        "        self._fine = 1\n"
        "def f(site):\n"
        "    setattr(site, 'x', 1)\n"
        "    return site._server\n"
    )
    found = problems_in(old)
    for expected in (
        "imports from discord.utils",
        "private attribute self._connection",
        "assigns to self._connection.parsers['INTERACTION_CREATE']",
        "assigns to self.http.get_bot_gateway",
        "calls setattr",
        "private attribute site._server",
    ):
        assert any(expected in problem for problem in found), (expected, found)
    assert not any("_fine" in problem for problem in found)
