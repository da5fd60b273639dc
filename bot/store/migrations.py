"""The schema: migrations applied in order, tracked by PRAGMA user_version."""

from __future__ import annotations

import sqlite3

# Each entry moves the schema from version N to N+1; never edit a shipped one, append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE people (
        person_id    INTEGER PRIMARY KEY,
        platform     TEXT NOT NULL,
        space_id     TEXT NOT NULL,
        user_id      TEXT NOT NULL,
        display_name TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        UNIQUE (platform, space_id, user_id)
    );
    CREATE TABLE runs (
        run_id       INTEGER PRIMARY KEY,
        person_id    INTEGER NOT NULL REFERENCES people (person_id),
        deck_id      TEXT NOT NULL,
        deck_version INTEGER NOT NULL,
        plan         TEXT NOT NULL,  -- JSON list of {"question": id, "order": [option keys as shown]}
        started_at   INTEGER NOT NULL,
        finished_at  INTEGER
    );
    -- At most one unfinished run per person and deck, so two racing starts resume the same run.
    CREATE UNIQUE INDEX runs_one_open_per_deck ON runs (person_id, deck_id) WHERE finished_at IS NULL;
    CREATE TABLE answers (
        answer_id    INTEGER PRIMARY KEY,
        run_id       INTEGER NOT NULL REFERENCES runs (run_id),
        position     INTEGER NOT NULL,
        person_id    INTEGER NOT NULL REFERENCES people (person_id),
        deck_id      TEXT NOT NULL,
        question_id  TEXT NOT NULL,
        option_key   TEXT NOT NULL,
        correct      INTEGER NOT NULL,
        points       INTEGER NOT NULL,
        answered_at  INTEGER NOT NULL,
        UNIQUE (run_id, position)  -- an answer is recorded once, whatever clicks or retries arrive
    );
    CREATE INDEX answers_by_person ON answers (person_id, deck_id, question_id);
    -- The first answer a person ever gives to a question: the only one that can score.
    CREATE TABLE first_answers (
        person_id   INTEGER NOT NULL,
        deck_id     TEXT NOT NULL,
        question_id TEXT NOT NULL,
        answer_id   INTEGER NOT NULL REFERENCES answers (answer_id),
        PRIMARY KEY (person_id, deck_id, question_id)
    ) WITHOUT ROWID;
    """,
    """
    -- Points per person and period ('all', 'week:<monday>', 'month:<yyyy-mm>'), kept up to date in the
    -- answer's own transaction, so boards read a few index rows instead of scanning answers.
    CREATE TABLE score_totals (
        person_id INTEGER NOT NULL REFERENCES people (person_id),
        period    TEXT NOT NULL,
        platform  TEXT NOT NULL,
        space_id  TEXT NOT NULL,
        points    INTEGER NOT NULL,
        answers   INTEGER NOT NULL,
        PRIMARY KEY (person_id, period)
    ) WITHOUT ROWID;
    CREATE INDEX score_totals_board ON score_totals (platform, space_id, period, points DESC, person_id);
    CREATE TABLE teams (
        team_id    INTEGER PRIMARY KEY,
        platform   TEXT NOT NULL,
        space_id   TEXT NOT NULL,
        name       TEXT NOT NULL,
        name_key   TEXT NOT NULL,  -- casefolded: names are unique per space ignoring case
        created_by INTEGER NOT NULL REFERENCES people (person_id),
        created_at INTEGER NOT NULL,
        UNIQUE (platform, space_id, name_key)
    );
    -- A person is one (platform, space, user), so one row per person means one team per person per space.
    CREATE TABLE team_members (
        person_id INTEGER PRIMARY KEY REFERENCES people (person_id),
        team_id   INTEGER NOT NULL REFERENCES teams (team_id),
        joined_at INTEGER NOT NULL
    );
    CREATE INDEX team_members_by_team ON team_members (team_id);
    -- Points a member earned for a team in a period (earned while a member; they stay when the member leaves).
    CREATE TABLE team_member_periods (
        team_id   INTEGER NOT NULL REFERENCES teams (team_id),
        period    TEXT NOT NULL,
        person_id INTEGER NOT NULL REFERENCES people (person_id),
        points    INTEGER NOT NULL,
        PRIMARY KEY (team_id, period, person_id)
    ) WITHOUT ROWID;
    CREATE TABLE team_totals (
        team_id        INTEGER NOT NULL REFERENCES teams (team_id),
        period         TEXT NOT NULL,
        points         INTEGER NOT NULL,
        active_members INTEGER NOT NULL,  -- members who scored in the period
        PRIMARY KEY (team_id, period)
    ) WITHOUT ROWID;
    -- Answers recorded before this version count too; their weeks and months are taken in UTC.
    INSERT INTO score_totals (person_id, period, platform, space_id, points, answers)
        SELECT a.person_id, k.period, p.platform, p.space_id, SUM(a.points), COUNT(*)
        FROM answers AS a
        JOIN people AS p ON p.person_id = a.person_id
        JOIN (SELECT answer_id, 'all' AS period FROM answers
              UNION ALL SELECT answer_id, 'week:' || date(answered_at, 'unixepoch', '-6 days', 'weekday 1') FROM answers
              UNION ALL SELECT answer_id, 'month:' || strftime('%Y-%m', answered_at, 'unixepoch') FROM answers) AS k
          ON k.answer_id = a.answer_id
        GROUP BY a.person_id, k.period;
    """,
    """
    CREATE TABLE daily_channels (
        channel_key   INTEGER PRIMARY KEY,
        platform      TEXT NOT NULL,
        space_id      TEXT NOT NULL,
        channel_id    TEXT NOT NULL,
        post_time     TEXT NOT NULL,  -- 'HH:MM', local to `timezone`
        timezone      TEXT NOT NULL,  -- IANA name
        deck_id       TEXT NOT NULL,
        enabled       INTEGER NOT NULL,
        rotation      TEXT,           -- JSON: the current cycle's question order and how far it got
        configured_by TEXT NOT NULL,
        updated_at    INTEGER NOT NULL,
        UNIQUE (platform, space_id, channel_id)
    );
    -- A post is claimed here before it is sent: the unique (channel, slot) makes two processes, a restart
    -- or a crash unable to post the same day twice.
    CREATE TABLE daily_posts (
        post_id         INTEGER PRIMARY KEY,
        channel_key     INTEGER NOT NULL REFERENCES daily_channels (channel_key),
        slot            TEXT NOT NULL,  -- the channel's local date, or '<date>#2'... for extra `daily now` posts
        local_date      TEXT NOT NULL,
        deck_id         TEXT NOT NULL,
        question_id     TEXT NOT NULL,
        option_order    TEXT NOT NULL,  -- JSON list of option keys as shown
        cycle           INTEGER NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
        claimed_by      TEXT NOT NULL,
        claimed_at      INTEGER NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        next_attempt_at INTEGER,
        message_ref     TEXT,
        sent_at         INTEGER,
        closed_at       INTEGER,
        reveal_shown    INTEGER NOT NULL DEFAULT 0,
        answer_count    INTEGER NOT NULL DEFAULT 0,
        shown_count     INTEGER NOT NULL DEFAULT 0,
        UNIQUE (channel_key, slot)
    );
    CREATE INDEX daily_posts_open ON daily_posts (status, closed_at);
    CREATE TABLE daily_answers (
        post_id     INTEGER NOT NULL REFERENCES daily_posts (post_id),
        person_id   INTEGER NOT NULL REFERENCES people (person_id),
        option_key  TEXT NOT NULL,
        correct     INTEGER NOT NULL,
        points      INTEGER NOT NULL,
        answered_at INTEGER NOT NULL,
        PRIMARY KEY (post_id, person_id)  -- one answer per person per post
    ) WITHOUT ROWID;
    CREATE INDEX daily_answers_by_person ON daily_answers (person_id, post_id);
    """,
    """
    -- Stats read a person's finished runs per deck; without this they scanned every run.
    CREATE INDEX runs_by_person ON runs (person_id, deck_id, finished_at);
    """,
    """
    -- How many people of a space have each points total in a period. A rank is 1 + the people above a
    -- total and a board's size is the sum, both read from a few rows however many people there are.
    CREATE TABLE points_histogram (
        platform TEXT NOT NULL,
        space_id TEXT NOT NULL,
        period   TEXT NOT NULL,
        points   INTEGER NOT NULL,
        people   INTEGER NOT NULL,
        PRIMARY KEY (platform, space_id, period, points)
    ) WITHOUT ROWID;
    INSERT INTO points_histogram (platform, space_id, period, points, people)
        SELECT platform, space_id, period, points, COUNT(*) FROM score_totals GROUP BY platform, space_id, period, points;
    -- Kept with team_members, so team boards need not count members per team.
    ALTER TABLE teams ADD COLUMN members INTEGER NOT NULL DEFAULT 0;
    UPDATE teams SET members = (SELECT COUNT(*) FROM team_members AS m WHERE m.team_id = teams.team_id);
    """,
    """
    -- Team boards rank by points per active member: kept with each team's totals (rounded to hundredths, as
    -- boards show it, so equal averages share a rank) and indexed by board, so a page, a rank and a count
    -- read index rows instead of ranking every team of the space on each call.
    ALTER TABLE team_totals ADD COLUMN platform TEXT NOT NULL DEFAULT '';
    ALTER TABLE team_totals ADD COLUMN space_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE team_totals ADD COLUMN average REAL NOT NULL DEFAULT 0;
    UPDATE team_totals SET
        platform = (SELECT platform FROM teams AS t WHERE t.team_id = team_totals.team_id),
        space_id = (SELECT space_id FROM teams AS t WHERE t.team_id = team_totals.team_id),
        average = ROUND(CAST(points AS REAL) / MAX(active_members, 1), 2);
    CREATE INDEX team_totals_board ON team_totals (platform, space_id, period, average DESC, points DESC);
    """,
    """
    -- Team names clash when they look alike (bot.teams.team_name_key: Unicode's confusable skeletons, ignoring
    -- case), not only when they are equal ignoring case, so every key is made anew. Of teams whose new keys are
    -- equal (a look-alike made before this version), the oldest keeps the key; the others keep their members and
    -- points under a key no typed name reaches ('#' is never in a name), so `team join` finds the oldest.
    CREATE TEMP TABLE new_team_keys AS SELECT team_id, platform, space_id, team_name_key(name) AS name_key FROM teams;
    CREATE INDEX temp.new_team_keys_by_key ON new_team_keys (platform, space_id, name_key, team_id);
    UPDATE teams SET name_key = '#' || team_id;
    UPDATE teams SET name_key = (
        SELECT n.name_key || CASE WHEN EXISTS (
                SELECT 1 FROM new_team_keys AS older
                WHERE older.platform = n.platform AND older.space_id = n.space_id AND older.name_key = n.name_key
                  AND older.team_id < n.team_id
            ) THEN '#' || n.team_id ELSE '' END
        FROM new_team_keys AS n WHERE n.team_id = teams.team_id
    );
    DROP TABLE new_team_keys;
    """,
    """
    -- Forgetting a person (bot.privacy) keeps the counts of their daily answers, anonymously: a post's reveal
    -- still shows how the channel answered, and nothing in these rows says who.
    CREATE TABLE daily_anonymous_answers (
        post_id    INTEGER NOT NULL REFERENCES daily_posts (post_id),
        option_key TEXT NOT NULL,
        answers    INTEGER NOT NULL,
        PRIMARY KEY (post_id, option_key)
    ) WITHOUT ROWID;
    -- A member an admin forgot is told so on their next command: only a hash of who they were is kept (never their
    -- ids), and only until then.
    CREATE TABLE forget_notices (
        identity_hash TEXT PRIMARY KEY,
        forgotten_at  INTEGER NOT NULL
    ) WITHOUT ROWID;
    -- The weekly digest: the channels that get one, and each week's post, claimed before it is sent (the unique
    -- (channel, week) makes two processes, a restart or a crash unable to post the same week twice).
    CREATE TABLE digest_channels (
        channel_key   INTEGER PRIMARY KEY,
        platform      TEXT NOT NULL,
        space_id      TEXT NOT NULL,
        channel_id    TEXT NOT NULL,
        enabled       INTEGER NOT NULL,
        configured_by TEXT NOT NULL,
        updated_at    INTEGER NOT NULL,
        UNIQUE (platform, space_id, channel_id)
    );
    CREATE TABLE digest_posts (
        digest_id       INTEGER PRIMARY KEY,
        channel_key     INTEGER NOT NULL REFERENCES digest_channels (channel_key),
        week            TEXT NOT NULL,  -- the local date of the Monday it is posted on
        status          TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
        claimed_by      TEXT NOT NULL,
        claimed_at      INTEGER NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        next_attempt_at INTEGER,
        message_ref     TEXT,
        sent_at         INTEGER,
        UNIQUE (channel_key, week)
    );
    CREATE INDEX digest_posts_by_status ON digest_posts (status);
    """,
    """
    -- Study mode. A review session is a run of kind 'review' whose plan is the person's due questions of one deck:
    -- its buttons are the same action ids as a deck run's, so they keep working after a restart. One open run per
    -- person, deck and kind, so a review can be under way beside a deck run of the same deck.
    ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'deck' CHECK (kind IN ('deck', 'review'));
    DROP INDEX runs_one_open_per_deck;
    CREATE UNIQUE INDEX runs_one_open_per_deck ON runs (person_id, deck_id, kind) WHERE finished_at IS NULL;
    -- Every question a person has answered is an FSRS card, graded in the answer's own transaction.
    CREATE TABLE study_cards (
        person_id       INTEGER NOT NULL REFERENCES people (person_id),
        deck_id         TEXT NOT NULL,
        question_id     TEXT NOT NULL,
        card            TEXT NOT NULL,     -- fsrs's card as JSON (stability, difficulty, due, last review)
        due_at          INTEGER NOT NULL,  -- when it comes back, as the card says
        last_rating     INTEGER NOT NULL,  -- 1 Again, 2 Hard, 3 Good, 4 Easy
        reviews         INTEGER NOT NULL,
        first_review_at INTEGER NOT NULL,
        last_review_at  INTEGER NOT NULL,
        PRIMARY KEY (person_id, deck_id, question_id)
    ) WITHOUT ROWID;
    -- The review log: a question of a run grades its card once, by a pick or by a written answer, whichever comes first.
    CREATE TABLE study_reviews (
        run_id      INTEGER NOT NULL REFERENCES runs (run_id),
        position    INTEGER NOT NULL,
        person_id   INTEGER NOT NULL REFERENCES people (person_id),
        deck_id     TEXT NOT NULL,
        question_id TEXT NOT NULL,
        source      TEXT NOT NULL CHECK (source IN ('choice', 'written')),
        rating      INTEGER NOT NULL,
        reviewed_at INTEGER NOT NULL,
        local_day   TEXT NOT NULL,     -- the person's date then: study streaks count days
        due_at      INTEGER NOT NULL,  -- when the card comes back after this review
        PRIMARY KEY (run_id, position)  -- keyed by its place: no rowid table beside it to write on every answer
    ) WITHOUT ROWID;
    CREATE INDEX study_reviews_by_person ON study_reviews (person_id, local_day);
    -- Answers written in the person's own words: shown to them alone, graded once against the key points.
    CREATE TABLE written_answers (
        written_id  INTEGER PRIMARY KEY,
        run_id      INTEGER NOT NULL REFERENCES runs (run_id),
        position    INTEGER NOT NULL,
        person_id   INTEGER NOT NULL REFERENCES people (person_id),
        deck_id     TEXT NOT NULL,
        question_id TEXT NOT NULL,
        text        TEXT NOT NULL,
        written_at  INTEGER NOT NULL,
        ticked      INTEGER,  -- bit i set: key point i covered; NULL until graded
        graded_at   INTEGER,
        UNIQUE (run_id, position)  -- one written answer per question of a run: a resubmitted form finds it
    );
    CREATE INDEX written_answers_by_person ON written_answers (person_id);
    -- A person's study plan: their timezone, interview day and daily reminder.
    CREATE TABLE study_plans (
        person_id         INTEGER PRIMARY KEY REFERENCES people (person_id),
        zone              TEXT NOT NULL,  -- IANA name: the person's days, interview day and reminder time are in it
        interview_day     TEXT,           -- YYYY-MM-DD
        remind_time       TEXT,           -- HH:MM; NULL: no reminders
        remind_next_at    INTEGER,        -- when the next reminder (or its retry) is due; NULL when off
        remind_off_reason TEXT,           -- why reminders were switched off for the person (a refused DM)
        notice_pending    INTEGER NOT NULL DEFAULT 0,  -- 1 until the person's next command has said why
        updated_at        INTEGER NOT NULL
    );
    CREATE INDEX study_plans_reminders ON study_plans (remind_next_at) WHERE remind_next_at IS NOT NULL;
    -- A reminder is claimed here before it is sent: one per person and local day, across restarts and processes.
    CREATE TABLE study_reminders (
        person_id  INTEGER NOT NULL REFERENCES people (person_id),
        local_date TEXT NOT NULL,
        status     TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'nothing_due', 'failed', 'refused')),
        attempts   INTEGER NOT NULL,
        claimed_by TEXT NOT NULL,
        claimed_at INTEGER NOT NULL,
        last_error TEXT,
        PRIMARY KEY (person_id, local_date)
    ) WITHOUT ROWID;
    """,
    """
    -- Reminders get the daily posts' lease: every reminder tick looks for those still being sent long after their claim
    -- (a process stopped midway) to send them again, so the few being sent are found without reading every day's rows.
    CREATE INDEX study_reminders_sending ON study_reminders (claimed_at) WHERE status = 'sending';
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def register_functions(connection: sqlite3.Connection) -> None:
    """The SQL functions migrations call, made in Python: a connection that migrates needs them."""
    from bot.teams import team_name_key

    connection.create_function("team_name_key", 1, team_name_key, deterministic=True)


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (sqlite3.complete_statement knows where one ends)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
