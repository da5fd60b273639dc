"""The tables that hold a person's data, declared once for every store: what export shows of each, how forget removes it.

Export walks PERSON_TABLES in order and forget walks it backwards (children before the rows they reference), so a
table added to the schema is covered by both once it has an entry here. tests/test_privacy.py reads each store's
schema and fails for any table with a column that names a person (`person_id`, or a column referencing people) that
is neither here nor in EXEMPT.

The SQL is written once for SQLite and PostgreSQL alike, with named parameters: `:person` (a person's id) and, for
the columns that hold a platform user id rather than a person id, `:platform`, `:space` and `:user`. Each store
binds them its own way (`to_positional` turns them into PostgreSQL's $1, $2, ...).

What a person's answers added to shared totals (score totals, the points histogram, team totals, team member
counts, daily posts' tallies) is taken back by the stores before these statements run: that is bot.store.rules'
`forget_changes`, the reverse of what recording an answer adds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FORMAT_VERSION = 1  # of the export document (README "Your data"); bump it when a section changes shape


@dataclass(frozen=True)
class PersonTable:
    """A table holding a person's data: its section of the export document, the export's query, forget's statements."""

    table: str
    section: str  # the export document's key for these rows
    export: str  # SELECT of the person's rows, as the export shows them
    forget: tuple[str, ...]  # statements that take the person out of the table, run in this order
    held_by: str = "person_id"  # the column that names the person
    json_columns: tuple[str, ...] = field(default=())  # columns holding JSON text, decoded in the export


PERSON_TABLES: tuple[PersonTable, ...] = (
    PersonTable(
        table="people",
        section="profile",
        export="""SELECT person_id, platform, space_id, user_id, display_name, created_at FROM people
                  WHERE person_id = :person""",
        forget=("DELETE FROM people WHERE person_id = :person",),
    ),
    PersonTable(
        table="runs",
        section="runs",
        export="""SELECT run_id, deck_id, deck_version, plan, started_at, finished_at FROM runs
                  WHERE person_id = :person ORDER BY run_id""",
        forget=("DELETE FROM runs WHERE person_id = :person",),
        json_columns=("plan",),
    ),
    PersonTable(
        table="answers",
        section="answers",
        export="""SELECT answer_id, run_id, position, deck_id, question_id, option_key, correct, points, answered_at FROM answers
                  WHERE person_id = :person ORDER BY answer_id""",
        forget=("DELETE FROM answers WHERE person_id = :person",),
    ),
    PersonTable(
        table="first_answers",
        section="first_answers",
        export="""SELECT deck_id, question_id, answer_id FROM first_answers
                  WHERE person_id = :person ORDER BY deck_id, question_id""",
        forget=("DELETE FROM first_answers WHERE person_id = :person",),
    ),
    PersonTable(
        table="score_totals",
        section="points",
        export="SELECT period, points, answers FROM score_totals WHERE person_id = :person ORDER BY period",
        forget=("DELETE FROM score_totals WHERE person_id = :person",),
    ),
    PersonTable(
        table="teams",
        section="teams_created",
        export="SELECT team_id, name, created_at FROM teams WHERE created_by = :person ORDER BY team_id",
        # A team outlives its creator: it passes to a member (or, failing one, to someone who earned points for it);
        # a team nobody else was ever in goes, with its totals. Runs after team_members and team_member_periods.
        forget=(
            """DELETE FROM team_totals WHERE team_id IN (
                   SELECT t.team_id FROM teams AS t WHERE t.created_by = :person
                   AND NOT EXISTS (SELECT 1 FROM team_members AS m WHERE m.team_id = t.team_id)
                   AND NOT EXISTS (SELECT 1 FROM team_member_periods AS e WHERE e.team_id = t.team_id))""",
            """DELETE FROM teams WHERE created_by = :person
                   AND NOT EXISTS (SELECT 1 FROM team_members AS m WHERE m.team_id = teams.team_id)
                   AND NOT EXISTS (SELECT 1 FROM team_member_periods AS e WHERE e.team_id = teams.team_id)""",
            """UPDATE teams SET created_by = COALESCE(
                   (SELECT MIN(m.person_id) FROM team_members AS m WHERE m.team_id = teams.team_id),
                   (SELECT MIN(e.person_id) FROM team_member_periods AS e WHERE e.team_id = teams.team_id))
               WHERE created_by = :person""",
        ),
        held_by="created_by",
    ),
    PersonTable(
        table="team_members",
        section="team_membership",
        export="""SELECT m.team_id, t.name AS team, m.joined_at FROM team_members AS m
                  JOIN teams AS t ON t.team_id = m.team_id WHERE m.person_id = :person""",
        forget=("DELETE FROM team_members WHERE person_id = :person",),
    ),
    PersonTable(
        table="team_member_periods",
        section="team_points",
        export="""SELECT e.team_id, t.name AS team, e.period, e.points FROM team_member_periods AS e
                  JOIN teams AS t ON t.team_id = e.team_id WHERE e.person_id = :person ORDER BY e.team_id, e.period""",
        forget=("DELETE FROM team_member_periods WHERE person_id = :person",),
    ),
    PersonTable(
        table="daily_answers",
        section="daily_answers",
        export="""SELECT a.post_id, c.channel_id, p.local_date, p.deck_id, p.question_id, a.option_key, a.correct, a.points,
                         a.answered_at
                  FROM daily_answers AS a
                  JOIN daily_posts AS p ON p.post_id = a.post_id
                  JOIN daily_channels AS c ON c.channel_key = p.channel_key
                  WHERE a.person_id = :person ORDER BY a.post_id""",
        forget=("DELETE FROM daily_answers WHERE person_id = :person",),
    ),
    # Study mode: review cards, the review log, answers written in one's own words, the plan and the reminders sent.
    PersonTable(
        table="study_cards",
        section="review_cards",
        export="""SELECT deck_id, question_id, card, due_at, last_rating, reviews, first_review_at, last_review_at
                  FROM study_cards WHERE person_id = :person ORDER BY deck_id, question_id""",
        forget=("DELETE FROM study_cards WHERE person_id = :person",),
        json_columns=("card",),
    ),
    PersonTable(
        table="study_reviews",
        section="reviews",
        export="""SELECT run_id, position, deck_id, question_id, source, rating, reviewed_at, local_day, due_at
                  FROM study_reviews WHERE person_id = :person ORDER BY reviewed_at, run_id, position""",
        forget=("DELETE FROM study_reviews WHERE person_id = :person",),
    ),
    PersonTable(
        table="written_answers",
        section="written_answers",
        export="""SELECT written_id, run_id, position, deck_id, question_id, text, written_at, ticked, graded_at
                  FROM written_answers WHERE person_id = :person ORDER BY written_id""",
        forget=("DELETE FROM written_answers WHERE person_id = :person",),
    ),
    PersonTable(
        table="study_plans",
        section="study_plan",
        export="""SELECT zone, interview_day, remind_time, remind_next_at, remind_off_reason, updated_at
                  FROM study_plans WHERE person_id = :person""",
        forget=("DELETE FROM study_plans WHERE person_id = :person",),
    ),
    PersonTable(
        table="study_reminders",
        section="reminders",
        export="""SELECT local_date, status, attempts, claimed_at, last_error FROM study_reminders
                  WHERE person_id = :person ORDER BY local_date""",
        forget=("DELETE FROM study_reminders WHERE person_id = :person",),
    ),
    # Settings an admin made keep working when the admin is forgotten; only who made them is wiped.
    PersonTable(
        table="daily_channels",
        section="daily_channels_set_up",
        export="""SELECT channel_id, post_time, timezone, deck_id, enabled, updated_at FROM daily_channels
                  WHERE platform = :platform AND space_id = :space AND configured_by = :user ORDER BY channel_key""",
        forget=("UPDATE daily_channels SET configured_by = '' WHERE platform = :platform AND space_id = :space AND configured_by = :user",),
        held_by="configured_by",
    ),
    PersonTable(
        table="digest_channels",
        section="digest_channels_set_up",
        export="""SELECT channel_id, enabled, updated_at FROM digest_channels
                  WHERE platform = :platform AND space_id = :space AND configured_by = :user ORDER BY channel_key""",
        forget=(
            "UPDATE digest_channels SET configured_by = '' WHERE platform = :platform AND space_id = :space AND configured_by = :user",
        ),
        held_by="configured_by",
    ),
)

# Tables with a column naming a person that hold no data of theirs, and why (the schema test accepts them).
EXEMPT: dict[str, str] = {}

SECTIONS: tuple[str, ...] = tuple(table.section for table in PERSON_TABLES)

_NAMED = re.compile(r"(?<![:\w]):([a-z_]+)\b")


def to_positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """`sql` with its named parameters as $1, $2, ... (PostgreSQL's), and the names in that order (each once)."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _NAMED.sub(number, sql), tuple(names)
