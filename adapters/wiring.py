"""What every entry point shares: the core's settings with one-line errors, and running a surface's main coroutine.

The command line (adapters.cli) and each surface's entry point (adapters.discord.main, adapters.slack.main) import
this module; none of them imports another, so there is no cycle between the command line and the surfaces.
"""

from __future__ import annotations

# Only cheap modules up here: the command line imports this before it pauses the collector for start-up.
import argparse
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.config import CoreSettings


def core_settings(args: argparse.Namespace) -> CoreSettings:
    """The core's settings from the environment and `.env`, with `--db` applied; a bad one ends the command with one line
    naming it and exit code 2."""
    from pydantic import ValidationError

    from bot.config import CoreSettings

    overrides = {"db": args.db} if getattr(args, "db", None) else {}
    try:
        return CoreSettings(**overrides)
    except ValidationError as error:
        problems = "; ".join(_setting_problem(e) for e in error.errors())
        print(f"recsys-quiz: bad setting: {problems}", file=sys.stderr)
        raise SystemExit(2) from None


def _setting_problem(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    where = ".".join(map(str, error["loc"]))
    # The validators' messages name the variable already (RECSYS_QUIZ_DB ..., RECSYS_QUIZ_TIMEZONE must ...).
    return message if message.startswith(("RECSYS_QUIZ", "LOG_LEVEL")) else f"{where}: {message}"


def run_async(main: Coroutine[Any, Any, int], database: object = None, *, serving: bool = False) -> int:
    """Run a surface's main coroutine; broken decks or an unusable database end it with exit code 2 and one line.

    `serving`: run on uvloop where it is installed (bot.runtime.server_loop_factory); the Slack server does.
    """
    import asyncio
    import sqlite3

    from bot.content import ContentError
    from bot.runtime import server_loop_factory
    from bot.store import StoreError

    try:
        with asyncio.Runner(loop_factory=server_loop_factory() if serving else None) as runner:
            return runner.run(main)
    except sqlite3.Error as error:
        # Read-only file or folder, a full disk, a lock held too long: say which file, not a traceback.
        where = f" {database}" if database else ""
        print(f"recsys-quiz: cannot use the database{where}: {error}. {_sqlite_advice(error)}", file=sys.stderr)
        return 2
    except ContentError as error:
        print(
            "recsys-quiz: the decks have problems (RECSYS_QUIZ_CONTENT names their folder; unset, the shipped decks):\n"
            + "\n".join(f"  {m}" for m in error.messages),
            file=sys.stderr,
        )
        return 2
    except StoreError as error:  # a database it cannot open: unreachable, refused, another program's, too new
        print(f"recsys-quiz: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        if not _postgres_error(error):
            raise
        # The server went away or refused a statement after start-up: one line, not a traceback.
        print(f"recsys-quiz: the PostgreSQL database (RECSYS_QUIZ_DB) failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 2


def _sqlite_advice(error: BaseException) -> str:
    """What to do about a SQLite error, by its kind (SQLITE_NOTADB: another file; anything else: permissions, space, locks)."""
    if getattr(error, "sqlite_errorname", "") == "SQLITE_NOTADB":
        return "Point RECSYS_QUIZ_DB (or --db) at the quiz's database file, or at a new file to start one."
    return "Check that the file and its folder are writable and the disk has space; answers already confirmed are kept."


def _postgres_error(error: BaseException) -> bool:
    """Whether an error came from asyncpg (looked up only if a PostgreSQL store loaded it)."""
    asyncpg = sys.modules.get("asyncpg")
    return asyncpg is not None and isinstance(error, (asyncpg.PostgresError, asyncpg.InterfaceError))
