"""Study groups on PostgreSQL: one team per person per space, names unique ignoring case, membership changes one at a time per person."""

from __future__ import annotations

import math

from bot.store.postgres.base import Connection, PostgresBase, lock_people
from bot.store.records import TeamBoard, TeamChange, TeamMember, TeamRow
from bot.store.rules import ranked_teams

_TEAM_OF = "SELECT t.name FROM team_members AS m JOIN teams AS t ON t.team_id = m.team_id WHERE m.person_id = $1"
# SQLite's NOCASE folds ASCII letters only; so does this, whatever the database's locale.
_NOCASE = "translate({}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') COLLATE \"C\""
_ACTIVE_TEAMS = """FROM team_totals AS tt JOIN teams AS t ON t.team_id = tt.team_id
                   WHERE tt.platform = $1 AND tt.space_id = $2 AND tt.period = $3"""

Board = tuple[str, str, str]  # (platform, space id, period)


async def _team_name_of(db: Connection, person_id: int) -> str | None:
    name = await db.fetchval(_TEAM_OF, person_id)
    return str(name) if name is not None else None


async def _add_member(db: Connection, person_id: int, team_id: int, at: int) -> None:
    await db.execute("INSERT INTO team_members (person_id, team_id, joined_at) VALUES ($1, $2, $3)", person_id, team_id, at)
    await db.execute("UPDATE teams SET members = members + 1 WHERE team_id = $1", team_id)


async def _team_rank_of_average(db: Connection, board: Board, average: float) -> int:
    above = await db.fetchval(
        "SELECT COUNT(*) FROM team_totals WHERE platform = $1 AND space_id = $2 AND period = $3 AND average > $4", *board, average
    )
    return 1 + int(above)


async def _active_team_count(db: Connection, board: Board) -> int:
    return int(await db.fetchval("SELECT COUNT(*) FROM team_totals WHERE platform = $1 AND space_id = $2 AND period = $3", *board))


async def _team_page(db: Connection, board: Board, limit: int, offset: int) -> list[tuple[int, TeamRow]]:
    rows = await db.fetch(
        f"""SELECT t.team_id, t.name, t.members, tt.points, tt.active_members, tt.average {_ACTIVE_TEAMS}
            ORDER BY tt.average DESC, tt.points DESC, t.name_key LIMIT $4 OFFSET $5""",
        *board,
        limit,
        offset,
    )
    return ranked_teams(rows, await _team_rank_of_average(db, board, rows[0]["average"]) if rows else 0, offset)


async def _team_standing(db: Connection, board: Board, team_name: str) -> tuple[int, float] | None:
    average = await db.fetchval(f"SELECT tt.average {_ACTIVE_TEAMS} AND t.name = $4", *board, team_name)
    if average is None:
        return None
    return await _team_rank_of_average(db, board, average), float(average)


class PostgresTeams(PostgresBase):
    """Teams, their members and their totals. Each change locks the person's row first, so two processes changing
    one person's membership at once take turns and the one-team-per-person rule holds."""

    async def create_team(self, person_id: int, platform: str, space_id: str, name: str, name_key: str, at: int) -> TeamChange:
        """Create a team and make its creator its first member."""

        async def write(db: Connection) -> TeamChange:
            await lock_people(db, (person_id,))
            current = await _team_name_of(db, person_id)
            if current is not None:
                return TeamChange(status="already_in_team", team=current)
            team_id = await db.fetchval(
                """INSERT INTO teams (platform, space_id, name, name_key, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)
                   ON CONFLICT (platform, space_id, name_key) DO NOTHING RETURNING team_id""",
                platform,
                space_id,
                name,
                name_key,
                person_id,
                at,
            )
            if team_id is None:
                taken = await db.fetchval(
                    "SELECT name FROM teams WHERE platform = $1 AND space_id = $2 AND name_key = $3", platform, space_id, name_key
                )
                return TeamChange(status="name_taken", team=taken)
            await _add_member(db, person_id, team_id, at)
            return TeamChange(status="ok", team=name)

        return await self._write(write)

    async def join_team(self, person_id: int, platform: str, space_id: str, name_key: str, at: int) -> TeamChange:
        async def write(db: Connection) -> TeamChange:
            await lock_people(db, (person_id,))
            current = await _team_name_of(db, person_id)
            if current is not None:
                return TeamChange(status="already_in_team", team=current)
            row = await db.fetchrow(
                "SELECT team_id, name FROM teams WHERE platform = $1 AND space_id = $2 AND name_key = $3", platform, space_id, name_key
            )
            if row is None:
                return TeamChange(status="no_such_team")
            await _add_member(db, person_id, row["team_id"], at)
            return TeamChange(status="ok", team=row["name"])

        return await self._write(write)

    async def leave_team(self, person_id: int) -> TeamChange:
        async def write(db: Connection) -> TeamChange:
            await lock_people(db, (person_id,))
            current = await _team_name_of(db, person_id)
            if current is None:
                return TeamChange(status="not_in_team")
            team_id = await db.fetchval("DELETE FROM team_members WHERE person_id = $1 RETURNING team_id", person_id)
            await db.execute("UPDATE teams SET members = members - 1 WHERE team_id = $1", team_id)
            return TeamChange(status="ok", team=current)

        return await self._write(write)

    async def team_names(self, platform: str, space_id: str, prefix: str, limit: int) -> list[str]:
        """Team names of a space that start with `prefix` (ignoring case), for autocomplete."""
        rows = await self._fetchall(
            """SELECT name FROM teams WHERE platform = $1 AND space_id = $2 AND name_key >= $3 AND name_key < $4
               ORDER BY name_key LIMIT $5""",
            platform,
            space_id,
            prefix.casefold(),
            prefix.casefold() + "\U0010ffff",
            limit,
        )
        return [str(row[0]) for row in rows]

    async def team_of(self, person_id: int) -> str | None:
        return await self._read(lambda db: _team_name_of(db, person_id))

    async def teams(self, platform: str, space_id: str, period: str) -> list[TeamRow]:
        """Every team of a space with its member count and its points and active members in the period."""
        rows = await self._fetchall(
            """SELECT t.team_id, t.name, t.members,
                      COALESCE(tt.points, 0) AS points, COALESCE(tt.active_members, 0) AS active_members
               FROM teams AS t LEFT JOIN team_totals AS tt ON tt.team_id = t.team_id AND tt.period = $1
               WHERE t.platform = $2 AND t.space_id = $3
               ORDER BY t.name_key""",
            period,
            platform,
            space_id,
        )
        return [TeamRow(**dict(row)) for row in rows]

    async def team_board(
        self, platform: str, space_id: str, period: str, page_size: int, page: int, user_id: str | None = None
    ) -> TeamBoard:
        """A page of a team board (clamped to the last page), its size, the asker's team and its standing: one read."""

        async def read(db: Connection) -> TeamBoard:
            board = (platform, space_id, period)
            size = await _active_team_count(db, board)
            shown = min(max(page, 1), max(1, math.ceil(size / page_size)))
            ranked = await _team_page(db, board, page_size, (shown - 1) * page_size)
            mine = await db.fetchval(
                """SELECT t.name FROM people AS p JOIN team_members AS m ON m.person_id = p.person_id
                   JOIN teams AS t ON t.team_id = m.team_id
                   WHERE p.platform = $1 AND p.space_id = $2 AND p.user_id = $3""",
                platform,
                space_id,
                user_id,
            )
            my_team = str(mine) if mine is not None else None
            standing = None
            if my_team is not None and all(team.name != my_team for _, team in ranked):
                standing = await _team_standing(db, board, my_team)
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
            "SELECT team_id, name FROM teams WHERE platform = $1 AND space_id = $2 AND name_key = $3", platform, space_id, name_key
        )
        if team is None:
            return None
        rows = await self._fetchall(
            f"""SELECT p.person_id, p.user_id, p.display_name, COALESCE(mp.points, 0) AS points
               FROM team_members AS m JOIN people AS p ON p.person_id = m.person_id
               LEFT JOIN team_member_periods AS mp ON mp.team_id = m.team_id AND mp.person_id = m.person_id AND mp.period = $1
               WHERE m.team_id = $2 ORDER BY points DESC, {_NOCASE.format("p.display_name")}""",
            period,
            team["team_id"],
        )
        return str(team["name"]), [TeamMember(**dict(row)) for row in rows]
