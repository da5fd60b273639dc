"""The weekly digest on PostgreSQL: its channels, each week's post claimed once across processes, and a week's answers."""

from __future__ import annotations

from bot.store.digests import _DIGESTS, WEEK_TALLIES
from bot.store.person_data import to_positional
from bot.store.postgres.base import Connection, PostgresBase, numbered, status_count
from bot.store.records import Claim, DigestChannel, DigestPost, OptionTally
from bot.store.sends import DIGEST_SENDS, SendSql

_WEEK_TALLIES, _WEEK_TALLY_NAMES = to_positional(WEEK_TALLIES)
SENDS = SendSql(*map(numbered, DIGEST_SENDS))


class PostgresDigests(PostgresBase):
    """Digest channels and their weekly posts."""

    async def _update(self, sql: str, *parameters: object) -> int:
        async def write(db: Connection) -> int:
            return status_count(await db.execute(sql, *parameters))

        return await self._write(write)

    async def set_digest_channel(self, platform: str, space_id: str, channel_id: str, enabled: bool, by: str, at: int) -> bool:
        """Switch a channel's digest on or off; False when it already was."""
        if not enabled:
            changed = await self._update(
                """UPDATE digest_channels SET enabled = 0, configured_by = $1, updated_at = $2
                   WHERE platform = $3 AND space_id = $4 AND channel_id = $5 AND enabled = 1""",
                by,
                at,
                platform,
                space_id,
                channel_id,
            )
            return changed == 1

        async def write(db: Connection) -> bool:
            before = await db.fetchval(
                "SELECT enabled FROM digest_channels WHERE platform = $1 AND space_id = $2 AND channel_id = $3 FOR UPDATE",
                platform,
                space_id,
                channel_id,
            )
            await db.execute(
                """INSERT INTO digest_channels (platform, space_id, channel_id, enabled, configured_by, updated_at)
                   VALUES ($1, $2, $3, 1, $4, $5)
                   ON CONFLICT (platform, space_id, channel_id) DO UPDATE SET
                       enabled = 1, configured_by = excluded.configured_by, updated_at = excluded.updated_at""",
                platform,
                space_id,
                channel_id,
                by,
                at,
            )
            return not before

        return await self._write(write)

    async def digest_channels(self, platform: str) -> list[DigestChannel]:
        """The channels of a platform whose digest is on."""
        rows = await self._fetchall("SELECT * FROM digest_channels WHERE platform = $1 AND enabled = 1 ORDER BY channel_key", platform)
        return [DigestChannel(**dict(row)) for row in rows]

    async def claim_digest(self, channel_key: int, week: str, instance: str, at: int) -> DigestPost | None:
        """Claim a channel's digest for a week before sending it; None when it is claimed already or the digest is off.

        The unique (channel, week) decides between processes: the second insert finds the first and does nothing.
        """

        async def write(db: Connection) -> int | None:
            value = await db.fetchval(
                """INSERT INTO digest_posts (channel_key, week, status, claimed_by, claimed_at)
                   SELECT channel_key, $1, 'sending', $2, $3 FROM digest_channels WHERE channel_key = $4 AND enabled = 1
                   ON CONFLICT (channel_key, week) DO NOTHING
                   RETURNING digest_id""",
                week,
                instance,
                at,
                channel_key,
            )
            return int(value) if value is not None else None

        digest_id = await self._write(write)
        return await self.digest_post(digest_id) if digest_id is not None else None

    async def digest_post(self, digest_id: int) -> DigestPost | None:
        row = await self._fetchone(f"{_DIGESTS} WHERE d.digest_id = $1", digest_id)
        return DigestPost(**dict(row)) if row else None

    async def digest_posts_of(self, channel_key: int, limit: int = 1) -> list[DigestPost]:
        """A channel's latest digests, newest first."""
        rows = await self._fetchall(f"{_DIGESTS} WHERE d.channel_key = $1 ORDER BY d.digest_id DESC LIMIT $2", channel_key, limit)
        return [DigestPost(**dict(row)) for row in rows]

    async def mark_digest_sent(self, digest_id: int, claim: Claim, message_ref: str, at: int) -> bool:
        """Record the digest as sent; False, writing nothing, when the caller no longer holds `claim` (bot.store.sends)."""
        return await self._update(SENDS.sent, message_ref, at, digest_id, *claim) == 1

    async def mark_digest_failed(self, digest_id: int, claim: Claim, error: str, next_attempt_at: int | None) -> bool:
        """Record a failed attempt, retried from `next_attempt_at` on its Monday; False, writing nothing, when `claim` was lost."""
        return await self._update(SENDS.failed, error[:500], next_attempt_at, digest_id, *claim) == 1

    async def reclaim_digest(self, digest_id: int, instance: str, at: int) -> bool:
        """Take a failed digest for another attempt once its wait is over; only one process can win it."""
        changed = await self._update(
            """UPDATE digest_posts SET status = 'sending', claimed_by = $1, claimed_at = $2
               WHERE digest_id = $3 AND status = 'failed' AND next_attempt_at IS NOT NULL AND next_attempt_at <= $2""",
            instance,
            at,
            digest_id,
        )
        return changed == 1

    async def fail_abandoned_digests(self, platform: str, claimed_before: int, reason: str, retry_at: int) -> int:
        """Digests still being sent claimed at or before `claimed_before` are marked failed (see the SQLite store); how many."""
        return await self._update(SENDS.abandoned, reason[:500], retry_at, claimed_before, platform)

    async def failed_digests(self, platform: str) -> list[DigestPost]:
        rows = await self._fetchall(f"{_DIGESTS} WHERE d.status = 'failed' AND c.platform = $1 ORDER BY d.digest_id", platform)
        return [DigestPost(**dict(row)) for row in rows]

    async def answer_tallies_between(self, platform: str, space_id: str, since: int, until: int) -> list[OptionTally]:
        """How often each option was picked in a space from `since` to before `until`: first answers in runs, and daily answers."""
        named = {"platform": platform, "space": space_id, "since": since, "until": until}
        rows = await self._fetchall(_WEEK_TALLIES, *(named[name] for name in _WEEK_TALLY_NAMES))
        return [OptionTally(**dict(row)) for row in rows]
