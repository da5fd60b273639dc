"""The `recsys-quiz` command line: picks a surface and wires it to the core, importing a surface only when asked."""

from __future__ import annotations

# Only cheap modules up here: a command pauses the cyclic collector for its start-up, and what this module
# imports comes before that (asyncio alone would cost some 20 collections).
import argparse
import getpass
import io
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, NoReturn

from adapters.wiring import core_settings, run_async

EXIT_INTERRUPTED = 130
MAX_SLACK_WORKERS = 64


def resume_hint(command: str) -> str:
    """What a stopped `play` or `review` says: the same command picks the run up again."""
    return f"Stopped. Your answers so far are saved; run `recsys-quiz {command}` again to resume."


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "player"


def _refuse(message: str) -> NoReturn:
    """One line on stderr and exit code 2: what was wrong with the command line, never a traceback."""
    print(f"recsys-quiz: {message}", file=sys.stderr)
    raise SystemExit(2)


def _user_name(raw: str | None) -> str:
    """The --user name, cleaned as every display name is (no control characters), within the limit of a user id."""
    from bot.names import clean_display_name
    from bot.origin import ID_MAX

    user = clean_display_name(raw if raw is not None else _default_user())
    if not user:
        _refuse("--user needs at least one visible character")
    if len(user) > ID_MAX:
        _refuse(f"--user takes at most {ID_MAX} characters; this one has {len(user)}")
    return user


def _console_origin(user: str) -> object:
    from bot.origin import Origin

    # On the terminal the name is the id too: the same name always finds the same player.
    return Origin(platform="console", space_id="local", user_id=user, display_name=user)


def cmd_play(args: argparse.Namespace) -> int:
    from bot.runtime import collector_paused_for_start_up

    # Start-up ends when the first card is on screen and play asks for a line.
    with collector_paused_for_start_up() as ready:
        return _play(args, ready)


def cmd_review(args: argparse.Namespace) -> int:
    from bot.runtime import collector_paused_for_start_up

    with collector_paused_for_start_up() as ready:
        return _play(args, ready, review=True)


def _play(args: argparse.Namespace, start_up_done: Callable[[], None], review: bool = False) -> int:
    from rich.console import Console

    from adapters.console import play as session
    from bot.runtime import open_engine

    user = _user_name(args.user)
    settings = core_settings(args)
    console = Console(highlight=False)
    stopped = resume_hint("review" if review else "play")
    # Piped input may be in any encoding: an undecodable byte becomes U+FFFD, read as a line that is not an answer.
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")

    def read_line(prompt: str) -> str:
        start_up_done()
        return console.input(prompt)

    async def main() -> int:
        async with open_engine(settings) as engine:
            run = session.review if review else session.play
            try:
                return await run(engine, _console_origin(user), args.deck, console, read_line)  # type: ignore[arg-type]
            except EOFError:
                console.print(f"\n{stopped}")
                return 0

    try:
        return run_async(main(), settings.database.shown)
    except KeyboardInterrupt:
        console.print(f"\n{stopped}")
        return EXIT_INTERRUPTED


def _existing_database_settings(args: argparse.Namespace) -> Any:
    """The settings of a command that only reads (or deletes) what is stored: a SQLite file that is not there is refused,
    so that a mistyped --db says so instead of creating an empty database (and its folders) and printing nothing."""
    settings = core_settings(args)
    database = settings.database
    if database.kind == "sqlite" and database.path is not None and not database.path.exists():
        _refuse(
            f"there is no database at {database.shown} (RECSYS_QUIZ_DB or --db): check the path; "
            "`recsys-quiz play` creates it with the first answer"
        )
    return settings


def _print_engine_reply(
    args: argparse.Namespace, ask: Callable[[Any], Coroutine[Any, Any, Any]], failed_on_warning: bool = False, *, reads_only: bool = False
) -> int:
    """Open the engine on the settings (with --db), print the view of the Reply `ask(engine)` returns, and close.

    The exit code is 1 when `failed_on_warning` and the reply is a warning or an error notice, else 0. `reads_only`: the
    database must exist already (_existing_database_settings).
    """
    from rich.console import Console

    from adapters.console.render import render
    from bot.runtime import open_engine

    settings = _existing_database_settings(args) if reads_only else core_settings(args)

    async def main() -> int:
        async with open_engine(settings) as engine:
            reply = await ask(engine)
        Console(highlight=False).print(render(reply.view))
        refused = reply.view.kind == "notice" and reply.view.tone in ("warning", "error")
        return 1 if failed_on_warning and refused else 0

    return run_async(main(), settings.database.shown)


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from bot.origin import ID_MAX, Origin

    platform, _, space = args.space.partition(":")
    try:
        viewer = Origin(platform=platform, space_id=space, user_id="-", display_name="")
    except ValidationError:
        _refuse(f"--space takes PLATFORM:SPACE_ID (a platform in small letters, an id of at most {ID_MAX} characters), e.g. console:local")
    return _print_engine_reply(
        args, lambda engine: engine.leaderboard(viewer, "teams" if args.teams else "people", args.window), reads_only=True
    )


def cmd_stats(args: argparse.Namespace) -> int:
    user = _user_name(args.user)
    return _print_engine_reply(args, lambda engine: engine.stats(_console_origin(user)), reads_only=True)


def cmd_export(args: argparse.Namespace) -> int:
    """Everything the database keeps about a terminal player, as the export's JSON document on stdout."""
    import json

    from bot.runtime import open_engine

    user = _user_name(args.user)
    settings = _existing_database_settings(args)

    async def main() -> int:
        async with open_engine(settings) as engine:
            document = await engine.privacy.export_document("console", user)
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return 0

    return run_async(main(), settings.database.shown)


def cmd_forget_me(args: argparse.Namespace) -> int:
    """Delete everything the database keeps about a terminal player; --yes is the confirmation a chat asks for with a button."""
    user = _user_name(args.user)
    if not args.yes:
        _refuse(f"forget-me deletes everything kept about {user} on this database, for good: add --yes to do it")
    return _print_engine_reply(args, lambda engine: engine.privacy.forget(_console_origin(user)), reads_only=True)


def cmd_interview(args: argparse.Namespace) -> int:
    user = _user_name(args.user)

    def ask(engine: Any) -> Coroutine[Any, Any, Any]:
        origin = _console_origin(user)
        if args.day.strip().lower() == "off":
            return engine.interview_off(origin)  # type: ignore[no-any-return]
        return engine.interview(origin, args.day, args.zone)  # type: ignore[no-any-return]

    return _print_engine_reply(args, ask, failed_on_warning=True)


def _print_decks_view(make: Callable[[Any], Any]) -> int:
    """Print the view of the Reply `make(decks)` returns: help and tips need the decks only, no database."""
    from rich.console import Console

    from adapters.console.render import render
    from bot.content import ContentError, load_decks

    settings = core_settings(argparse.Namespace())
    try:
        reply = make(load_decks(settings.content))
    except ContentError as error:
        print("recsys-quiz: the decks have problems:\n" + "\n".join(f"  {m}" for m in error.messages), file=sys.stderr)
        return 2
    Console(highlight=False).print(render(reply.view))
    return 1 if reply.view.kind == "notice" else 0


def cmd_help(args: argparse.Namespace) -> int:
    from bot.engine import help_reply

    return _print_decks_view(help_reply)


def cmd_tips(args: argparse.Namespace) -> int:
    from bot.engine import tips_reply

    return _print_decks_view(lambda decks: tips_reply(decks, args.deck))


def cmd_content_check(args: argparse.Namespace) -> int:
    from bot.content import ContentError, default_content_dir, load_decks

    directory = Path(args.dir) if args.dir else default_content_dir()
    try:
        decks = load_decks(directory)
    except ContentError as error:
        for message in error.messages:
            print(message, file=sys.stderr)
        print(f"{len(error.messages)} problem(s) found.", file=sys.stderr)
        return 1
    from adapters.fit_check import cut_texts
    from bot.content_guard import guard

    failed = 0
    for deck in decks:
        report = guard(deck)
        # Every card of the deck rendered for Discord and Slack: a text they would cut fails the deck, named.
        cut = cut_texts(deck)
        verdict = "ok " if report.ok and not cut else "FAIL"
        print(f"{verdict} {deck.id} v{deck.version}: {deck.title} ({len(deck.questions)} questions, {len(deck.tips)} tips)")
        for line in report.figure_lines():
            print(f"      {line}")
        print(f"      cards fit Discord and Slack: {'yes' if not cut else f'no, {len(cut)} text(s) would be cut'}")
        for problem in [*report.problems, *cut]:
            print(f"{decks.file_of(deck.id)}: {problem}", file=sys.stderr)
        failed += len(report.problems) + len(cut)
    if failed:
        print(f"{failed} problem(s) found.", file=sys.stderr)
        return 1
    return 0


def cmd_db_copy(args: argparse.Namespace) -> int:
    from bot.config import parse_database

    settings = core_settings(args)
    source = settings.database
    if source.path is None:
        print(f"recsys-quiz: db copy reads a SQLite database, but RECSYS_QUIZ_DB (or --db) is {source.shown}", file=sys.stderr)
        return 2
    try:
        target = parse_database(args.to)
    except ValueError as error:
        print(f"recsys-quiz: --to: {error}", file=sys.stderr)
        return 2
    if target.url is None:
        print(f"recsys-quiz: --to takes a postgresql:// URL, not {target.shown}", file=sys.stderr)
        return 2
    if not source.path.exists():
        print(f"recsys-quiz: there is no SQLite database at {source.shown} to copy (RECSYS_QUIZ_DB or --db)", file=sys.stderr)
        return 2

    async def main() -> int:
        from bot.store.copy import copy_sqlite_to_postgres

        assert source.path is not None and target.url is not None
        copied = await copy_sqlite_to_postgres(source.path, target.url)
        print(f"copied {source.shown} to {target.shown}:")
        width = max((len(table) for table in copied), default=0)
        for table, count in copied.items():
            print(f"  {table:<{width}} {count:>10,}")
        return 0

    return run_async(main(), source.shown)


def cmd_discord(args: argparse.Namespace) -> int:
    from adapters.discord.main import run

    return run(args)


def cmd_slack(args: argparse.Namespace) -> int:
    if args.worker is None and args.workers > 1:
        # The supervisor of several workers imports neither bolt nor the core: each worker does.
        from adapters.slack.workers import run_workers

        return run_workers(args.workers, lambda: core_settings(args))
    from adapters.slack.main import run

    return run(args)


def _count(low: int, high: int, what: str) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high` (argparse prints the message and exits 2 otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} is a whole number, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be from {low} to {high}, not {value}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="recsys-quiz",
        description="Study quiz for RecSys Platform Engineer interviews, in the terminal, on Discord and on Slack.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    play = commands.add_parser("play", help="play a quiz run in the terminal")
    play.add_argument("--db", metavar="PATH|URL", help="SQLite file or postgresql:// URL (default: $RECSYS_QUIZ_DB or ./recsys-quiz.db)")
    play.add_argument("--user", metavar="NAME", help="who is playing (default: your login name)")
    play.add_argument("--deck", metavar="ID", help="deck to play (default: the first deck)")
    play.set_defaults(func=cmd_play)

    review = commands.add_parser("review", help="review the questions due today (reviews score no points)")
    review.add_argument("--db", metavar="PATH|URL", help="SQLite file or postgresql:// URL (default: $RECSYS_QUIZ_DB or ./recsys-quiz.db)")
    review.add_argument("--user", metavar="NAME", help="who is reviewing (default: your login name)")
    review.add_argument("--deck", metavar="ID", help="review this deck only (default: what has been due longest)")
    review.set_defaults(func=cmd_review)

    interview = commands.add_parser("interview", help="set your interview day (reviews plan towards it), or `off`")
    interview.add_argument("day", metavar="YYYY-MM-DD|off", help="the interview day, or off to forget it")
    interview.add_argument("--zone", metavar="AREA/CITY", help="your IANA timezone, e.g. Europe/Berlin (default: as set before, else UTC)")
    interview.add_argument("--user", metavar="NAME", help="whose interview (default: your login name)")
    interview.add_argument("--db", metavar="PATH|URL", help="SQLite file or postgresql:// URL (default: $RECSYS_QUIZ_DB)")
    interview.set_defaults(func=cmd_interview)

    board = commands.add_parser("leaderboard", help="print the people (or teams) on a database by points")
    board.add_argument("--db", metavar="PATH|URL", help="SQLite file or postgresql:// URL (default: $RECSYS_QUIZ_DB)")
    board.add_argument("--space", default="console:local", help="whose board: PLATFORM:SPACE_ID (default: console:local)")
    board.add_argument("--teams", action="store_true", help="rank study groups instead of people")
    board.add_argument("--window", choices=("week", "month", "all"), default="all", help="time window (default: all)")
    board.set_defaults(func=cmd_leaderboard)

    stats = commands.add_parser("stats", help="print one person's progress")
    stats.add_argument("--user", metavar="NAME", help="whose stats (default: your login name)")
    stats.add_argument("--db", metavar="PATH|URL", help="SQLite file or postgresql:// URL (default: $RECSYS_QUIZ_DB)")
    stats.set_defaults(func=cmd_stats)

    export = commands.add_parser("export", help="print everything the database keeps about a player, as JSON")
    export.add_argument("--user", metavar="NAME", help="whose data (default: your login name)")
    export.add_argument("--db", metavar="PATH|URL", help="SQLite file or postgresql:// URL (default: $RECSYS_QUIZ_DB)")
    export.set_defaults(func=cmd_export)

    forget = commands.add_parser("forget-me", help="delete everything the database keeps about a player")
    forget.add_argument("--user", metavar="NAME", required=True, help="whose data to delete")
    forget.add_argument("--yes", action="store_true", help="confirm: without it nothing is deleted")
    forget.add_argument("--db", metavar="PATH|URL", help="SQLite file or postgresql:// URL (default: $RECSYS_QUIZ_DB)")
    forget.set_defaults(func=cmd_forget_me)

    tips = commands.add_parser("tips", help="print how to structure a strong answer")
    tips.add_argument("--deck", metavar="ID", help="whose tips (default: the first deck)")
    tips.set_defaults(func=cmd_tips)

    help_ = commands.add_parser("help", help="print the commands, the decks and the scoring rule")
    help_.set_defaults(func=cmd_help)

    content = commands.add_parser("content", help="work with quiz decks")
    content_commands = content.add_subparsers(dest="content_command", metavar="ACTION", required=True)
    check = content_commands.add_parser("check", help="validate every deck in a folder")
    check.add_argument("dir", nargs="?", help="folder of deck YAML files (default: the shipped decks)")
    check.set_defaults(func=cmd_content_check)

    db = commands.add_parser("db", help="work with the database")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    copy = db_commands.add_parser(
        "copy", help="copy the SQLite database into an empty PostgreSQL database (to move an install to PostgreSQL)"
    )
    copy.add_argument("--to", metavar="URL", required=True, help="the empty PostgreSQL database: postgresql://user@host:5432/dbname")
    copy.add_argument("--db", metavar="PATH", help="the SQLite database to copy (default: $RECSYS_QUIZ_DB or ./recsys-quiz.db)")
    copy.set_defaults(func=cmd_db_copy)

    discord = commands.add_parser("discord", help="run the Discord bot")
    discord.add_argument("--invite", action="store_true", help="print the bot's invite URL and exit")
    discord.add_argument(
        "--shard-count",
        metavar="N",
        help="shards of the whole bot, over all its processes (default: $DISCORD_SHARD_COUNT, else as Discord advises)",
    )
    discord.add_argument(
        "--shard-ids",
        metavar="IDS",
        help="the shards this process runs, e.g. 0,1 (default: $DISCORD_SHARD_IDS, else all); needs a shard count",
    )
    discord.set_defaults(func=cmd_discord)

    slack = commands.add_parser("slack", help="run the Slack app (Socket Mode or HTTP)")
    slack.add_argument(
        "--workers",
        metavar="N",
        type=_count(1, MAX_SLACK_WORKERS, "--workers"),
        default=1,
        help="worker processes: in HTTP mode all on one port (SO_REUSEPORT), in Socket Mode a connection each (at most 10); "
        "above 1 needs PostgreSQL (default: 1)",
    )
    slack.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)  # a worker started by --workers: its number
    slack.set_defaults(func=cmd_slack)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = int(args.func(args))
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`recsys-quiz content check | head`): stop quietly, as the Python docs advise for
        # SIGPIPE, and point stdout at devnull so that the interpreter's own flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
