"""Study groups: one team per person per space, names unique ignoring case."""

from __future__ import annotations

import math
import sqlite3

from bot.store.base import StoreBase
from bot.store.records import TeamBoard, TeamChange, TeamMember, TeamRow
from bot.store.rules import ranked_teams

_TEAM_OF = "SELECT t.name FROM team_members AS m JOIN teams AS t ON t.team_id = m.team_id WHERE m.person_id = ?"


def _team_name_of(db: sqlite3.Connection, person_id: int) -> str | None:
    row = db.execute(_TEAM_OF, (person_id,)).fetchone()
    return str(row[0]) if row else None


def _add_member(db: sqlite3.Connection, person_id: int, team_id: int, at: int) -> None:
    db.execute("INSERT INTO team_members (person_id, team_id, joined_at) VALUES (?, ?, ?)", (person_id, team_id, at))
    db.execute("UPDATE teams SET members = members + 1 WHERE team_id = ?", (team_id,))


# Teams rank by points per active member, rounded to hundredths so that equal averages share a rank; the
# totals keep it, indexed by board (team_totals_board). A team has a row in a period once a member scored.
_ACTIVE_TEAMS = """FROM team_totals AS tt JOIN teams AS t ON t.team_id = tt.team_id
                   WHERE tt.platform = ? AND tt.space_id = ? AND tt.period = ?"""


Board = tuple[str, str, str]  # (platform, space id, period)


def _team_rank_of_average(db: sqlite3.Connection, board: Board, average: float) -> int:
    row = db.execute(
        "SELECT COUNT(*) FROM team_totals WHERE platform = ? AND space_id = ? AND period = ? AND average > ?", (*board, average)
    ).fetchone()
    return 1 + int(row[0])


def _active_team_count(db: sqlite3.Connection, board: Board) -> int:
    row = db.execute("SELECT COUNT(*) FROM team_totals WHERE platform = ? AND space_id = ? AND period = ?", board).fetchone()
    return int(row[0])


def _team_page(db: sqlite3.Connection, board: Board, limit: int, offset: int) -> list[tuple[int, TeamRow]]:
    rows = db.execute(
        f"""SELECT t.team_id, t.name, t.members, tt.points, tt.active_members, tt.average {_ACTIVE_TEAMS}
            ORDER BY tt.average DESC, tt.points DESC, t.name_key LIMIT ? OFFSET ?""",
        (*board, limit, offset),
    ).fetchall()
    return ranked_teams(rows, _team_rank_of_average(db, board, rows[0]["average"]) if rows else 0, offset)


def _team_standing(db: sqlite3.Connection, board: Board, team_name: str) -> tuple[int, float] | None:
    row = db.execute(f"SELECT tt.average {_ACTIVE_TEAMS} AND t.name = ?", (*board, team_name)).fetchone()
    if row is None:
        return None
    return _team_rank_of_average(db, board, row["average"]), float(row["average"])


class TeamStore(StoreBase):
    """Teams, their members and their totals."""

    async def create_team(self, person_id: int, platform: str, space_id: str, name: str, name_key: str, at: int) -> TeamChange:
        """Create a team and make its creator its first member."""

        def write(db: sqlite3.Connection) -> TeamChange:
            current = _team_name_of(db, person_id)
            if current is not None:
                return TeamChange(status="already_in_team", team=current)
            row = db.execute(
                """INSERT INTO teams (platform, space_id, name, name_key, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (platform, space_id, name_key) DO NOTHING RETURNING team_id""",
                (platform, space_id, name, name_key, person_id, at),
            ).fetchone()
            if row is None:
                taken = db.execute(
                    "SELECT name FROM teams WHERE platform = ? AND space_id = ? AND name_key = ?", (platform, space_id, name_key)
                ).fetchone()
                return TeamChange(status="name_taken", team=taken[0] if taken else None)
            _add_member(db, person_id, row[0], at)
            return TeamChange(status="ok", team=name)

        return await self._write(write)

    async def join_team(self, person_id: int, platform: str, space_id: str, name_key: str, at: int) -> TeamChange:
        def write(db: sqlite3.Connection) -> TeamChange:
            current = _team_name_of(db, person_id)
            if current is not None:
                return TeamChange(status="already_in_team", team=current)
            row = db.execute(
                "SELECT team_id, name FROM teams WHERE platform = ? AND space_id = ? AND name_key = ?", (platform, space_id, name_key)
            ).fetchone()
            if row is None:
                return TeamChange(status="no_such_team")
            _add_member(db, person_id, row["team_id"], at)
            return TeamChange(status="ok", team=row["name"])

        return await self._write(write)

    async def leave_team(self, person_id: int) -> TeamChange:
        def write(db: sqlite3.Connection) -> TeamChange:
            current = _team_name_of(db, person_id)
            if current is None:
                return TeamChange(status="not_in_team")
            (team_id,) = db.execute("DELETE FROM team_members WHERE person_id = ? RETURNING team_id", (person_id,)).fetchone()
            db.execute("UPDATE teams SET members = members - 1 WHERE team_id = ?", (team_id,))
            return TeamChange(status="ok", team=current)

        return await self._write(write)

    async def team_names(self, platform: str, space_id: str, prefix: str, limit: int) -> list[str]:
        """Team names of a space that start with `prefix` (ignoring case), for autocomplete."""
        rows = await self._fetchall(
            """SELECT name FROM teams WHERE platform = ? AND space_id = ? AND name_key >= ? AND name_key < ?
               ORDER BY name_key LIMIT ?""",
            (platform, space_id, prefix.casefold(), prefix.casefold() + "\U0010ffff", limit),
        )
        return [str(row[0]) for row in rows]

    async def team_of(self, person_id: int) -> str | None:
        row = await self._fetchone(_TEAM_OF, (person_id,))
        return str(row[0]) if row else None

    async def teams(self, platform: str, space_id: str, period: str) -> list[TeamRow]:
        """Every team of a space with its member count and its points and active members in the period."""
        rows = await self._fetchall(
            """SELECT t.team_id, t.name, t.members,
                      COALESCE(tt.points, 0) AS points, COALESCE(tt.active_members, 0) AS active_members
               FROM teams AS t LEFT JOIN team_totals AS tt ON tt.team_id = t.team_id AND tt.period = ?
               WHERE t.platform = ? AND t.space_id = ?
               ORDER BY t.name_key""",
            (period, platform, space_id),
        )
        return [TeamRow(**dict(row)) for row in rows]

    async def team_board(
        self, platform: str, space_id: str, period: str, page_size: int, page: int, user_id: str | None = None
    ) -> TeamBoard:
        """A page of a team board (clamped to the last page), its size, the asker's team and its standing: one read."""

        def read(db: sqlite3.Connection) -> TeamBoard:
            board = (platform, space_id, period)
            size = _active_team_count(db, board)
            shown = min(max(page, 1), max(1, math.ceil(size / page_size)))
            ranked = _team_page(db, board, page_size, (shown - 1) * page_size)
            mine = db.execute(
                """SELECT t.name FROM people AS p JOIN team_members AS m ON m.person_id = p.person_id
                   JOIN teams AS t ON t.team_id = m.team_id
                   WHERE p.platform = ? AND p.space_id = ? AND p.user_id = ?""",
                (platform, space_id, user_id),
            ).fetchone()
            my_team = str(mine[0]) if mine else None
            standing = None
            if my_team is not None and all(team.name != my_team for _, team in ranked):
                standing = _team_standing(db, board, my_team)
            return TeamBoard(size=size, page=shown, ranked=tuple(ranked), my_team=my_team, my_standing=standing)

        return await self._read(read)

    async def team_page(self, platform: str, space_id: str, period: str, limit: int, offset: int) -> list[tuple[int, TeamRow]]:
        """(rank, team) for one page of a team board: teams that scored in the period, best average first."""
        return await self._read(lambda db: _team_page(db, (platform, space_id, period), limit, offset))

    async def active_team_count(self, platform: str, space_id: str, period: str) -> int:
        return await self._read(lambda db: _active_team_count(db, (platform, space_id, period)))

    async def team_standing(self, team_name: str, platform: str, space_id: str, period: str) -> tuple[int, float] | None:
        """(rank, points per active member) of a team on its board for the period, or None if it has not scored."""
        return await self._read(lambda db: _team_standing(db, (platform, space_id, period), team_name))

    async def team_members(self, platform: str, space_id: str, name_key: str, period: str) -> tuple[str, list[TeamMember]] | None:
        """(team name, current members with the points they earned for it in the period), or None."""
        team = await self._fetchone(
            "SELECT team_id, name FROM teams WHERE platform = ? AND space_id = ? AND name_key = ?", (platform, space_id, name_key)
        )
        if team is None:
            return None
        rows = await self._fetchall(
            """SELECT p.person_id, p.user_id, p.display_name, COALESCE(mp.points, 0) AS points
               FROM team_members AS m JOIN people AS p ON p.person_id = m.person_id
               LEFT JOIN team_member_periods AS mp ON mp.team_id = m.team_id AND mp.person_id = m.person_id AND mp.period = ?
               WHERE m.team_id = ? ORDER BY points DESC, p.display_name COLLATE NOCASE""",
            (period, team["team_id"]),
        )
        return str(team["name"]), [TeamMember(**dict(row)) for row in rows]
