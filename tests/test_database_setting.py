"""RECSYS_QUIZ_DB: a path, sqlite:/// or postgresql://; a database that cannot be used ends the command with one line and
exit code 2, and a database of another program is left exactly as it was."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
from pathlib import Path

import pytest

from bot.config import CoreSettings, parse_database
from tests.conftest import PG_ADMIN_URL, PostgresServer, QuizDatabase
from tests.test_terminal import ANSWER_AND_GO_ON, COMMAND, recsys_quiz


@pytest.mark.parametrize(
    ("value", "kind", "where"),
    [
        ("quiz.db", "sqlite", Path("quiz.db")),
        ("./data/quiz.db", "sqlite", Path("data/quiz.db")),
        ("sqlite:///data/quiz.db", "sqlite", Path("data/quiz.db")),
        ("sqlite:////var/lib/quiz.db", "sqlite", Path("/var/lib/quiz.db")),
        ("postgresql://quiz@db.internal:5432/quiz", "postgresql", "postgresql://quiz@db.internal:5432/quiz"),
        ("postgres://quiz:s3cret@127.0.0.1/quiz", "postgresql", "postgres://quiz:s3cret@127.0.0.1/quiz"),
    ],
)
def test_the_setting_names_a_sqlite_file_or_a_postgresql_database(value: str, kind: str, where: object) -> None:
    database = CoreSettings(db=value).database
    assert database.kind == kind
    assert (database.path if kind == "sqlite" else database.url) == where
    assert "s3cret" not in database.shown


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("mysql://quiz@db/quiz", "unsupported kind of database 'mysql'"),
        ("postgresql://quiz@db:port/quiz", "the port is not a number from 0 to 65535"),
        ("postgresql://quiz@db:99999/quiz", "the port is not a number from 0 to 65535"),
        ("postgresql://quiz@[db/quiz", r"not a valid URL \(Invalid IPv6 URL\); write it as postgresql://user@host:5432/dbname"),
        ("postgresql://quiz@db:5432/", "name the database"),
        ("sqlite://quiz.db", "sqlite:///relative/path.db"),
        ("  ", "is empty"),
    ],
)
def test_a_bad_setting_is_refused_with_what_to_write_instead(value: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_database(value)


def _one_line_naming_the_setting(result: object, *words: str) -> None:
    stderr = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 2, stderr  # type: ignore[attr-defined]
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    assert "RECSYS_QUIZ_DB" in stderr, stderr
    for word in words:
        assert word in stderr, stderr


def test_a_bad_url_ends_the_command_with_one_line_and_exit_code_2(tmp_path: Path) -> None:
    result = recsys_quiz("leaderboard", "--db", "postgresql://quiz:s3cret@127.0.0.1:notaport/quiz")
    _one_line_naming_the_setting(result, "port is not a number")
    assert "s3cret" not in result.stderr


def test_a_url_that_does_not_parse_ends_the_command_with_one_line_naming_the_setting_and_no_password() -> None:
    result = recsys_quiz("leaderboard", "--db", "postgresql://quiz:s3cret@[bad/quiz")
    _one_line_naming_the_setting(result, "not a valid URL", "postgresql://quiz:***@[bad/quiz")
    assert "s3cret" not in result.stderr


def test_a_refused_connection_ends_the_command_with_one_line_and_exit_code_2() -> None:
    # Port 9 (discard) on the loopback: nothing listens there.
    result = recsys_quiz("stats", "--db", "postgresql://postgres@127.0.0.1:9/quiz")
    _one_line_naming_the_setting(result, "cannot connect to the server", "127.0.0.1:9")


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_missing_database_or_an_unknown_user_ends_the_command_with_one_line(database: QuizDatabase) -> None:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    missing = recsys_quiz("leaderboard", "--db", f"{base}/recsys_quiz_no_such_database")
    _one_line_naming_the_setting(missing, "does not exist")
    stranger = recsys_quiz("leaderboard", "--db", database.url.replace("postgres@", "recsys_quiz_nobody@", 1))
    _one_line_naming_the_setting(stranger, "refused")


def test_a_sqlite_file_of_another_program_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    other = tmp_path / "accounts.db"
    with sqlite3.connect(other) as raw:
        raw.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
        raw.execute("INSERT INTO invoices (amount) VALUES (12.5)")
    before = other.read_bytes()
    for command in (("leaderboard",), ("stats", "--user", "ada"), ("play", "--user", "ada")):
        result = recsys_quiz(*command, "--db", str(other), stdin=ANSWER_AND_GO_ON)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and str(other) in result.stderr and "invoices" in result.stderr, result.stderr
        assert "not a recsys-quiz database" in result.stderr
    assert other.read_bytes() == before
    with sqlite3.connect(other) as raw:
        assert [row[0] for row in raw.execute("SELECT name FROM sqlite_master")] == ["invoices"]


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_postgresql_database_of_another_program_is_refused_and_left_unchanged(
    database: QuizDatabase, postgres_server: PostgresServer
) -> None:
    other = QuizDatabase("postgresql", asyncio.run(postgres_server.create()))
    asyncio.run(
        other.execute("CREATE TABLE invoices (id SERIAL PRIMARY KEY, amount NUMERIC)", "INSERT INTO invoices (amount) VALUES (12.5)")
    )
    for command in (("leaderboard",), ("stats", "--user", "ada")):
        result = recsys_quiz(*command, "--db", other.url)
        _one_line_naming_the_setting(result, "not a recsys-quiz database", "invoices", other.url)
    tables = asyncio.run(other.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"))
    assert tables == [("invoices",)]


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_play_on_postgresql_works_as_on_sqlite_and_resumes(database: QuizDatabase) -> None:
    first = recsys_quiz("play", "--db", database.url, "--user", "ada", stdin=ANSWER_AND_GO_ON * 2)
    assert first.returncode == 0, first.stderr
    assert "Question 2 / 5" in first.stdout
    again = recsys_quiz("play", "--user", "ada", stdin=ANSWER_AND_GO_ON * 3, env_db=database.url)  # type: ignore[arg-type]
    assert again.returncode == 0, again.stderr
    assert "Resumed where you left off: question 3 of 5" in again.stdout and "Question 5 / 5" in again.stdout
    board = recsys_quiz("leaderboard", "--db", database.url)
    assert board.returncode == 0 and "ada" in board.stdout
    assert asyncio.run(database.value("SELECT COUNT(*) FROM answers")) == 5


async def _refuse_the_password(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Just enough of PostgreSQL's wire protocol to ask for a password and refuse it as a real server does (28P01)."""
    length = int.from_bytes(await reader.readexactly(4), "big")
    body = await reader.readexactly(length - 4)
    if body[:4] == (80877103).to_bytes(4, "big"):  # SSLRequest: no SSL here, then the real startup message
        writer.write(b"N")
        length = int.from_bytes(await reader.readexactly(4), "big")
        await reader.readexactly(length - 4)
    writer.write(b"R" + (8).to_bytes(4, "big") + (3).to_bytes(4, "big"))  # AuthenticationCleartextPassword
    await writer.drain()
    await reader.readexactly(1)  # 'p'
    await reader.readexactly(int.from_bytes(await reader.readexactly(4), "big") - 4)
    fields = b'SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "quiz"\0\0'
    writer.write(b"E" + (len(fields) + 4).to_bytes(4, "big") + fields)
    await writer.drain()
    writer.close()


async def test_a_wrong_password_ends_the_command_with_one_line_and_exit_code_2() -> None:
    server = await asyncio.start_server(_refuse_the_password, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        process = await asyncio.create_subprocess_exec(
            *COMMAND,
            "leaderboard",
            "--db",
            f"postgresql://quiz:wrong@127.0.0.1:{port}/quiz",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    result = subprocess.CompletedProcess(args=[], returncode=process.returncode, stderr=stderr.decode())
    _one_line_naming_the_setting(result, "refused the password")
    assert "wrong" not in result.stderr
