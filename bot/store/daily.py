"""Daily question posts: channel settings, claim-before-send posts, one answer per person per post."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from bot.origin import Origin
from bot.store.base import upsert_people
from bot.store.records import Claim, DailyAnswerOutcome, DailyChannel, DailyPick, DailyPost
from bot.store.rules import DailyAnswer, check_daily_answers, claimable
from bot.store.scores import ScoreStore, credit_many
from bot.store.sends import DAILY_SENDS

_POST_COLUMNS = """p.post_id, p.channel_key, c.platform, c.space_id, c.channel_id, p.slot, p.local_date, p.deck_id,
    p.question_id, p.option_order, p.cycle, p.status, p.attempts, p.last_error, p.next_attempt_at, p.message_ref,
    p.sent_at, p.closed_at, p.reveal_shown, p.answer_count, p.shown_count"""
_POSTS = f"SELECT {_POST_COLUMNS} FROM daily_posts AS p JOIN daily_channels AS c ON c.channel_key = p.channel_key"


def _channel(row: sqlite3.Row) -> DailyChannel:
    data = dict(row)
    data["rotation"] = json.loads(data["rotation"]) if data["rotation"] else None
    return DailyChannel(**data)


def _post(row: sqlite3.Row) -> DailyPost:
    data = dict(row)
    data["option_order"] = tuple(json.loads(data["option_order"]))
    return DailyPost(**data)


class DailyStore(ScoreStore):
    """Daily channels, their posts and the answers to them."""

    async def set_daily_channel(
        self, platform: str, space_id: str, channel_id: str, post_time: str, timezone: str, deck_id: str, by: str, at: int
    ) -> DailyChannel:
        """Create or update a channel's daily post; a new deck starts a new rotation."""

        def write(db: sqlite3.Connection) -> DailyChannel:
            row = db.execute(
                """INSERT INTO daily_channels
                       (platform, space_id, channel_id, post_time, timezone, deck_id, enabled, rotation, configured_by, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, 1, NULL, ?, ?)
                   ON CONFLICT (platform, space_id, channel_id) DO UPDATE SET
                       post_time = excluded.post_time, timezone = excluded.timezone, enabled = 1,
                       rotation = CASE WHEN daily_channels.deck_id = excluded.deck_id THEN daily_channels.rotation END,
                       deck_id = excluded.deck_id, configured_by = excluded.configured_by, updated_at = excluded.updated_at
                   RETURNING *""",
                (platform, space_id, channel_id, post_time, timezone, deck_id, by, at),
            ).fetchone()
            return _channel(row)

        return await self._write(write)

    async def disable_daily_channel(self, platform: str, space_id: str, channel_id: str, at: int) -> bool:
        def write(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                """UPDATE daily_channels SET enabled = 0, updated_at = ?
                   WHERE platform = ? AND space_id = ? AND channel_id = ? AND enabled = 1""",
                (at, platform, space_id, channel_id),
            )
            return cursor.rowcount == 1

        return await self._write(write)

    async def daily_channel(self, platform: str, space_id: str, channel_id: str) -> DailyChannel | None:
        row = await self._fetchone(
            "SELECT * FROM daily_channels WHERE platform = ? AND space_id = ? AND channel_id = ?", (platform, space_id, channel_id)
        )
        return _channel(row) if row else None

    async def enabled_channels(self, platform: str) -> list[DailyChannel]:
        rows = await self._fetchall("SELECT * FROM daily_channels WHERE platform = ? AND enabled = 1 ORDER BY channel_key", (platform,))
        return [_channel(row) for row in rows]

    async def claim_post(
        self, channel: DailyChannel, slot: str, local_date: str, pick: DailyPick, instance: str, at: int
    ) -> DailyPost | None:
        """Claim the channel's post for a slot with the question picked from `channel` as read, before sending it.

        None when the slot is already claimed, or when the channel changed since it was read (another post moved
        its rotation on, its deck changed, it was switched off): then the pick is stale and nothing is written.
        """

        def write(db: sqlite3.Connection) -> int | None:
            row = db.execute("SELECT * FROM daily_channels WHERE channel_key = ?", (channel.channel_key,)).fetchone()
            if row is None or not claimable(_channel(row), channel):
                return None
            if db.execute("SELECT 1 FROM daily_posts WHERE channel_key = ? AND slot = ?", (channel.channel_key, slot)).fetchone():
                return None
            (post_id,) = db.execute(
                """INSERT INTO daily_posts (channel_key, slot, local_date, deck_id, question_id, option_order, cycle, status,
                                            claimed_by, claimed_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, 'sending', ?, ?) RETURNING post_id""",
                (
                    channel.channel_key,
                    slot,
                    local_date,
                    channel.deck_id,
                    pick.question_id,
                    json.dumps(pick.option_order),
                    pick.cycle,
                    instance,
                    at,
                ),
            ).fetchone()
            db.execute("UPDATE daily_channels SET rotation = ? WHERE channel_key = ?", (json.dumps(pick.rotation), channel.channel_key))
            return int(post_id)

        post_id = await self._write(write)
        return await self.daily_post(post_id) if post_id is not None else None

    async def slots_of(self, channel_key: int, local_date: str) -> list[str]:
        rows = await self._fetchall("SELECT slot FROM daily_posts WHERE channel_key = ? AND local_date = ?", (channel_key, local_date))
        return [str(row[0]) for row in rows]

    async def mark_sent(self, post_id: int, claim: Claim, message_ref: str, at: int) -> bool:
        """Record the post as sent with its message; False, writing nothing, when the caller no longer holds `claim`."""
        return await self._changed(DAILY_SENDS.sent, (message_ref, at, post_id, *claim)) == 1

    async def mark_failed(self, post_id: int, claim: Claim, error: str, next_attempt_at: int | None) -> bool:
        """Record a failed attempt, to be retried from `next_attempt_at`; False, writing nothing, when `claim` was lost."""
        return await self._changed(DAILY_SENDS.failed, (error[:500], next_attempt_at, post_id, *claim)) == 1

    async def reclaim_failed(self, post_id: int, instance: str, at: int, ignore_wait: bool = False) -> bool:
        """Take a failed post for another attempt once its wait is over (or at once); only one process can win it."""

        def write(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                """UPDATE daily_posts SET status = 'sending', claimed_by = ?, claimed_at = ?
                   WHERE post_id = ? AND status = 'failed' AND (? OR (next_attempt_at IS NOT NULL AND next_attempt_at <= ?))""",
                (instance, at, post_id, int(ignore_wait), at),
            )
            return cursor.rowcount == 1

        return await self._write(write)

    async def fail_abandoned(self, platform: str, claimed_before: int, reason: str, retry_at: int) -> int:
        """Posts still being sent claimed at or before `claimed_before` (the process sending them stopped midway)
        are marked failed with `reason`, to be retried from `retry_at` like any failed send; how many there were."""
        return await self._changed(DAILY_SENDS.abandoned, (reason[:500], retry_at, claimed_before, platform))

    async def daily_post(self, post_id: int) -> DailyPost | None:
        row = await self._fetchone(f"{_POSTS} WHERE p.post_id = ?", (post_id,))
        return _post(row) if row else None

    async def channel_posts(self, channel_key: int, limit: int = 1) -> list[DailyPost]:
        """The channel's latest posts, newest first."""
        rows = await self._fetchall(f"{_POSTS} WHERE p.channel_key = ? ORDER BY p.post_id DESC LIMIT ?", (channel_key, limit))
        return [_post(row) for row in rows]

    async def failed_posts(self, platform: str) -> list[DailyPost]:
        rows = await self._fetchall(f"{_POSTS} WHERE p.status = 'failed' AND c.platform = ? ORDER BY p.post_id", (platform,))
        return [_post(row) for row in rows]

    async def close_earlier_posts(self, channel_key: int, newest_post_id: int, at: int) -> None:
        """Close the channel's open posts older than the newest one (their reveal is shown next)."""
        await self._write(
            lambda db: db.execute(
                "UPDATE daily_posts SET closed_at = ? WHERE channel_key = ? AND post_id < ? AND status = 'sent' AND closed_at IS NULL",
                (at, channel_key, newest_post_id),
            )
        )

    async def posts_to_refresh(self, platform: str) -> list[DailyPost]:
        """Sent posts whose message is behind: a count to update, or a reveal to show."""
        rows = await self._fetchall(
            f"""{_POSTS} WHERE p.status = 'sent' AND c.platform = ?
                AND ((p.closed_at IS NULL AND p.answer_count != p.shown_count) OR (p.closed_at IS NOT NULL AND p.reveal_shown = 0))
                ORDER BY p.post_id""",
            (platform,),
        )
        return [_post(row) for row in rows]

    async def claim_refresh(self, post: DailyPost, count: int, revealed: bool) -> bool:
        """Mark the post's message as showing `count` (and the reveal) if nobody else did since `post` was read."""

        def write(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                """UPDATE daily_posts SET shown_count = ?, reveal_shown = MAX(reveal_shown, ?)
                   WHERE post_id = ? AND shown_count = ? AND reveal_shown = ?""",
                (count, int(revealed), post.post_id, post.shown_count, int(post.reveal_shown)),
            )
            return cursor.rowcount == 1

        return await self._write(write)

    async def release_refresh(self, post: DailyPost) -> None:
        """Undo a claimed refresh whose edit failed, so the next tick tries again."""
        await self._write(
            lambda db: db.execute(
                "UPDATE daily_posts SET shown_count = ?, reveal_shown = ? WHERE post_id = ?",
                (post.shown_count, int(post.reveal_shown), post.post_id),
            )
        )

    async def record_daily_answer(
        self, post_id: int, person: Origin, option_key: str, correct: bool, at: int, periods: Sequence[str]
    ) -> DailyAnswerOutcome:
        """One answer per person per post, committed with its points (and the person, if new) before this returns.

        A post draws its channel's answers all at once, so the answers queued together are recorded together.
        """
        identity = (person.platform, person.space_id, person.user_id, person.name, at)
        return await self._write_grouped(_record_daily_answers, DailyAnswer(post_id, identity, option_key, correct, at, periods))

    async def daily_tallies(self, post_id: int) -> dict[str, int]:
        """Answers per option of a post: the people's, and the anonymous counts of those who were forgotten since."""
        rows = await self._fetchall(
            """SELECT option_key, SUM(n) FROM (
                   SELECT option_key, COUNT(*) AS n FROM daily_answers WHERE post_id = ?1 GROUP BY option_key
                   UNION ALL SELECT option_key, answers FROM daily_anonymous_answers WHERE post_id = ?1
               ) AS tallies GROUP BY option_key""",
            (post_id,),
        )
        return {str(row[0]): int(row[1]) for row in rows}

    async def daily_history(self, person_id: int, platform: str, space_id: str) -> list[tuple[bool, bool]]:
        """For each sent post of the space, oldest first: (this person answered it, it is still open)."""
        return await self._read(lambda db: daily_history(db, person_id, platform, space_id))


def daily_history(db: sqlite3.Connection, person_id: int, platform: str, space_id: str) -> list[tuple[bool, bool]]:
    """For each sent post of the space, oldest first: (this person answered it, it is still open)."""
    rows = db.execute(
        """SELECT a.person_id IS NOT NULL AS answered, p.closed_at IS NULL AS open
           FROM daily_posts AS p
           JOIN daily_channels AS c ON c.channel_key = p.channel_key
           LEFT JOIN daily_answers AS a ON a.post_id = p.post_id AND a.person_id = ?
           WHERE c.platform = ? AND c.space_id = ? AND p.status = 'sent'
           ORDER BY p.sent_at, p.post_id""",
        (person_id, platform, space_id),
    ).fetchall()
    return [(bool(row[0]), bool(row[1])) for row in rows]


def _record_daily_answers(db: sqlite3.Connection, answers: list[DailyAnswer]) -> list[DailyAnswerOutcome]:
    """Record answers to daily posts in order: closed posts and second answers refused, points credited (a grouped write).

    The people who answer are upserted in the same transaction (one commit per click instead of two); a
    person is written only for a post that is still open, so a click on a closed post changes nothing.
    """
    post_ids = json.dumps(sorted({a.post_id for a in answers}))
    open_posts: dict[int, tuple[str, str]] = {
        row[0]: (row[1], row[2])
        for row in db.execute(
            """SELECT p.post_id, c.platform, c.space_id
               FROM daily_posts AS p JOIN daily_channels AS c ON c.channel_key = p.channel_key
               WHERE p.post_id IN (SELECT value FROM json_each(?)) AND p.status = 'sent' AND p.closed_at IS NULL""",
            (post_ids,),
        )
    }
    open_answers = [a for a in answers if a.post_id in open_posts]
    person_ids = dict(zip((a.person for a in open_answers), upsert_people(db, [a.person for a in open_answers]), strict=True))
    given: dict[tuple[int, int], DailyAnswerOutcome] = {
        (row[0], row[1]): DailyAnswerOutcome(
            status="already_answered", option_key=row[2], correct=bool(row[3]), points=row[4], person_id=row[1]
        )
        for row in db.execute(
            """SELECT post_id, person_id, option_key, correct, points FROM daily_answers
               WHERE post_id IN (SELECT value FROM json_each(?1)) AND person_id IN (SELECT value FROM json_each(?2))""",
            (post_ids, json.dumps(sorted(set(person_ids.values())))),
        )
    }
    checked = check_daily_answers(answers, open_posts, person_ids, given)
    db.executemany(
        "INSERT INTO daily_answers (post_id, person_id, option_key, correct, points, answered_at) VALUES (?, ?, ?, ?, ?, ?)", checked.rows
    )
    db.executemany("UPDATE daily_posts SET answer_count = answer_count + ? WHERE post_id = ?", checked.counts)
    credit_many(db, checked.credits)
    return checked.outcomes
