"""The weekly digest on SQLite: which channels get one, each week's post claimed before it is sent, and a week's answers."""

from __future__ import annotations

import sqlite3

from bot.store.base import StoreBase
from bot.store.records import Claim, DigestChannel, DigestPost, OptionTally
from bot.store.sends import DIGEST_SENDS

_DIGESTS = """SELECT d.digest_id, d.channel_key, c.platform, c.space_id, c.channel_id, d.week, d.status, d.attempts, d.last_error,
                     d.next_attempt_at, d.message_ref, d.sent_at
              FROM digest_posts AS d JOIN digest_channels AS c ON c.channel_key = d.channel_key"""

# Who answered what in a space within a time range: people's first answers to a question in their runs (later ones
# come after seeing the explanation, and would flatter the figures) and every answer to a daily post.
WEEK_TALLIES = """
    SELECT deck_id, question_id, option_key, COUNT(*) AS picks FROM (
        SELECT a.deck_id, a.question_id, a.option_key
        FROM first_answers AS f
        JOIN answers AS a ON a.answer_id = f.answer_id
        JOIN people AS p ON p.person_id = f.person_id
        WHERE p.platform = :platform AND p.space_id = :space AND a.answered_at >= :since AND a.answered_at < :until
        UNION ALL
        SELECT d.deck_id, d.question_id, x.option_key
        FROM daily_answers AS x
        JOIN daily_posts AS d ON d.post_id = x.post_id
        JOIN daily_channels AS c ON c.channel_key = d.channel_key
        WHERE c.platform = :platform AND c.space_id = :space AND x.answered_at >= :since AND x.answered_at < :until
    ) AS given
    GROUP BY deck_id, question_id, option_key
    ORDER BY deck_id, question_id, option_key"""


def _digest(row: sqlite3.Row) -> DigestPost:
    return DigestPost(**dict(row))


class DigestStore(StoreBase):
    """Digest channels and their weekly posts."""

    async def set_digest_channel(self, platform: str, space_id: str, channel_id: str, enabled: bool, by: str, at: int) -> bool:
        """Switch a channel's digest on or off; False when it already was."""

        def write(db: sqlite3.Connection) -> bool:
            if not enabled:
                cursor = db.execute(
                    """UPDATE digest_channels SET enabled = 0, configured_by = ?, updated_at = ?
                       WHERE platform = ? AND space_id = ? AND channel_id = ? AND enabled = 1""",
                    (by, at, platform, space_id, channel_id),
                )
                return cursor.rowcount == 1
            row = db.execute(
                "SELECT enabled FROM digest_channels WHERE platform = ? AND space_id = ? AND channel_id = ?",
                (platform, space_id, channel_id),
            ).fetchone()
            db.execute(
                """INSERT INTO digest_channels (platform, space_id, channel_id, enabled, configured_by, updated_at)
                   VALUES (?, ?, ?, 1, ?, ?)
                   ON CONFLICT (platform, space_id, channel_id) DO UPDATE SET
                       enabled = 1, configured_by = excluded.configured_by, updated_at = excluded.updated_at""",
                (platform, space_id, channel_id, by, at),
            )
            return row is None or not row[0]

        return await self._write(write)

    async def digest_channels(self, platform: str) -> list[DigestChannel]:
        """The channels of a platform whose digest is on."""
        rows = await self._fetchall("SELECT * FROM digest_channels WHERE platform = ? AND enabled = 1 ORDER BY channel_key", (platform,))
        return [DigestChannel(**dict(row)) for row in rows]

    async def claim_digest(self, channel_key: int, week: str, instance: str, at: int) -> DigestPost | None:
        """Claim a channel's digest for a week before sending it; None when it is claimed already or the digest is off."""

        def write(db: sqlite3.Connection) -> int | None:
            row = db.execute(
                """INSERT INTO digest_posts (channel_key, week, status, claimed_by, claimed_at)
                   SELECT channel_key, ?, 'sending', ?, ? FROM digest_channels WHERE channel_key = ? AND enabled = 1
                   ON CONFLICT (channel_key, week) DO NOTHING
                   RETURNING digest_id""",
                (week, instance, at, channel_key),
            ).fetchone()
            return int(row[0]) if row else None

        digest_id = await self._write(write)
        return await self.digest_post(digest_id) if digest_id is not None else None

    async def digest_post(self, digest_id: int) -> DigestPost | None:
        row = await self._fetchone(f"{_DIGESTS} WHERE d.digest_id = ?", (digest_id,))
        return _digest(row) if row else None

    async def digest_posts_of(self, channel_key: int, limit: int = 1) -> list[DigestPost]:
        """A channel's latest digests, newest first."""
        rows = await self._fetchall(f"{_DIGESTS} WHERE d.channel_key = ? ORDER BY d.digest_id DESC LIMIT ?", (channel_key, limit))
        return [_digest(row) for row in rows]

    async def mark_digest_sent(self, digest_id: int, claim: Claim, message_ref: str, at: int) -> bool:
        """Record the digest as sent; False, writing nothing, when the caller no longer holds `claim` (bot.store.sends)."""
        return await self._changed(DIGEST_SENDS.sent, (message_ref, at, digest_id, *claim)) == 1

    async def mark_digest_failed(self, digest_id: int, claim: Claim, error: str, next_attempt_at: int | None) -> bool:
        """Record a failed attempt, retried from `next_attempt_at` on its Monday; False, writing nothing, when `claim` was lost."""
        return await self._changed(DIGEST_SENDS.failed, (error[:500], next_attempt_at, digest_id, *claim)) == 1

    async def reclaim_digest(self, digest_id: int, instance: str, at: int) -> bool:
        """Take a failed digest for another attempt once its wait is over; only one process can win it."""

        def write(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                """UPDATE digest_posts SET status = 'sending', claimed_by = ?, claimed_at = ?
                   WHERE digest_id = ? AND status = 'failed' AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?""",
                (instance, at, digest_id, at),
            )
            return cursor.rowcount == 1

        return await self._write(write)

    async def fail_abandoned_digests(self, platform: str, claimed_before: int, reason: str, retry_at: int) -> int:
        """Digests still being sent claimed at or before `claimed_before` (the process sending them stopped midway) are
        marked failed with `reason`, to be retried from `retry_at` like any failed send; how many there were."""
        return await self._changed(DIGEST_SENDS.abandoned, (reason[:500], retry_at, claimed_before, platform))

    async def failed_digests(self, platform: str) -> list[DigestPost]:
        rows = await self._fetchall(f"{_DIGESTS} WHERE d.status = 'failed' AND c.platform = ? ORDER BY d.digest_id", (platform,))
        return [_digest(row) for row in rows]

    async def answer_tallies_between(self, platform: str, space_id: str, since: int, until: int) -> list[OptionTally]:
        """How often each option was picked in a space from `since` to before `until`: first answers in runs, and daily answers."""
        named = {"platform": platform, "space": space_id, "since": since, "until": until}
        rows = await self._read(lambda db: db.execute(WEEK_TALLIES, named).fetchall())
        return [OptionTally(**dict(row)) for row in rows]
