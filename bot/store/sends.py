"""The SQL of posts claimed before they are sent (daily posts, weekly digests), alike for both and for both stores.

What comes of a send is written only while the sender still holds its claim (bot.store.records.Claim): after its lease
(bot.daily.SEND_LEASE) another process may have taken the post over, and a sender that was only slow must not overwrite
that one's message. Written with SQLite's `?` placeholders; the PostgreSQL store numbers them (postgres.base.numbered).
"""

from __future__ import annotations

from typing import NamedTuple


class SendSql(NamedTuple):
    """The updates that end an attempt at one kind of post."""

    sent: str  # parameters: message ref, sent at, post id, *claim
    failed: str  # error, next attempt at, post id, *claim
    abandoned: str  # reason, retry at, claimed at or before, platform: the lease's sweep of sends a stopped process left


def send_sql(posts: str, key: str, channels: str) -> SendSql:
    held = f"{key} = ? AND status = 'sending' AND claimed_by = ? AND attempts = ?"
    return SendSql(
        sent=f"""UPDATE {posts} SET status = 'sent', message_ref = ?, sent_at = ?, attempts = attempts + 1, last_error = NULL,
                    next_attempt_at = NULL WHERE {held}""",
        failed=f"UPDATE {posts} SET status = 'failed', attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE {held}",
        # One statement: of several processes sweeping at once, each post is marked (and so retried) by one.
        abandoned=f"""UPDATE {posts} SET status = 'failed', attempts = attempts + 1, last_error = ?, next_attempt_at = ?
                         WHERE status = 'sending' AND claimed_at <= ?
                           AND channel_key IN (SELECT channel_key FROM {channels} WHERE platform = ?)""",
    )


DAILY_SENDS = send_sql("daily_posts", "post_id", "daily_channels")
DIGEST_SENDS = send_sql("digest_posts", "digest_id", "digest_channels")
