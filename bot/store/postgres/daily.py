"""Daily question posts on PostgreSQL: claimed once per channel and slot across processes, one answer per person per post."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.origin import Origin
from bot.store.daily import _POSTS, _channel, _post
from bot.store.postgres.base import Connection, lock_people, numbered, status_count, upsert_people
from bot.store.postgres.scores import PostgresScores, credit_many
from bot.store.records import Claim, DailyAnswerOutcome, DailyChannel, DailyPick, DailyPost
from bot.store.rules import DailyAnswer, check_daily_answers, claimable
from bot.store.sends import DAILY_SENDS, SendSql

SENDS = SendSql(*map(numbered, DAILY_SENDS))


async def daily_history(db: Connection, person_id: int, platform: str, space_id: str) -> list[tuple[bool, bool]]:
    """For each sent post of the space, oldest first: (this person answered it, it is still open)."""
    rows = await db.fetch(
        """SELECT a.person_id IS NOT NULL AS answered, p.closed_at IS NULL AS open
           FROM daily_posts AS p
           JOIN daily_channels AS c ON c.channel_key = p.channel_key
           LEFT JOIN daily_answers AS a ON a.post_id = p.post_id AND a.person_id = $1
           WHERE c.platform = $2 AND c.space_id = $3 AND p.status = 'sent'
           ORDER BY p.sent_at, p.post_id""",
        person_id,
        platform,
        space_id,
    )
    return [(bool(row[0]), bool(row[1])) for row in rows]


class PostgresDaily(PostgresScores):
    """Daily channels, their posts and the answers to them."""

    async def set_daily_channel(
        self, platform: str, space_id: str, channel_id: str, post_time: str, timezone: str, deck_id: str, by: str, at: int
    ) -> DailyChannel:
        """Create or update a channel's daily post; a new deck starts a new rotation."""

        async def write(db: Connection) -> DailyChannel:
            row = await db.fetchrow(
                """INSERT INTO daily_channels
                       (platform, space_id, channel_id, post_time, timezone, deck_id, enabled, rotation, configured_by, updated_at)
                   VALUES ($1, $2, $3, $4, $5, $6, 1, NULL, $7, $8)
                   ON CONFLICT (platform, space_id, channel_id) DO UPDATE SET
                       post_time = excluded.post_time, timezone = excluded.timezone, enabled = 1,
                       rotation = CASE WHEN daily_channels.deck_id = excluded.deck_id THEN daily_channels.rotation END,
                       deck_id = excluded.deck_id, configured_by = excluded.configured_by, updated_at = excluded.updated_at
                   RETURNING *""",
                platform,
                space_id,
                channel_id,
                post_time,
                timezone,
                deck_id,
                by,
                at,
            )
            return _channel(row)

        return await self._write(write)

    async def disable_daily_channel(self, platform: str, space_id: str, channel_id: str, at: int) -> bool:
        async def write(db: Connection) -> bool:
            status = await db.execute(
                """UPDATE daily_channels SET enabled = 0, updated_at = $1
                   WHERE platform = $2 AND space_id = $3 AND channel_id = $4 AND enabled = 1""",
                at,
                platform,
                space_id,
                channel_id,
            )
            return status_count(status) == 1

        return await self._write(write)

    async def daily_channel(self, platform: str, space_id: str, channel_id: str) -> DailyChannel | None:
        row = await self._fetchone(
            "SELECT * FROM daily_channels WHERE platform = $1 AND space_id = $2 AND channel_id = $3", platform, space_id, channel_id
        )
        return _channel(row) if row else None

    async def enabled_channels(self, platform: str) -> list[DailyChannel]:
        rows = await self._fetchall("SELECT * FROM daily_channels WHERE platform = $1 AND enabled = 1 ORDER BY channel_key", platform)
        return [_channel(row) for row in rows]

    async def claim_post(
        self, channel: DailyChannel, slot: str, local_date: str, pick: DailyPick, instance: str, at: int
    ) -> DailyPost | None:
        """Claim the channel's post for a slot before sending it; None if the slot is taken or the pick is stale.

        The channel's row is locked for the claim, and a process that finds it locked (another one is claiming
        this channel's post right now) gets None at once instead of waiting (SKIP LOCKED); the unique
        (channel, slot) makes a second claim of a slot impossible whatever happens.
        """

        async def write(db: Connection) -> int | None:
            row = await db.fetchrow("SELECT * FROM daily_channels WHERE channel_key = $1 FOR UPDATE SKIP LOCKED", channel.channel_key)
            if row is None or not claimable(_channel(row), channel):
                return None
            post_id = await db.fetchval(
                """INSERT INTO daily_posts (channel_key, slot, local_date, deck_id, question_id, option_order, cycle, status,
                                            claimed_by, claimed_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, 'sending', $8, $9)
                   ON CONFLICT (channel_key, slot) DO NOTHING RETURNING post_id""",
                channel.channel_key,
                slot,
                local_date,
                channel.deck_id,
                pick.question_id,
                json.dumps(pick.option_order),
                pick.cycle,
                instance,
                at,
            )
            if post_id is None:
                return None
            rotation = json.dumps(pick.rotation)
            await db.execute("UPDATE daily_channels SET rotation = $1 WHERE channel_key = $2", rotation, channel.channel_key)
            return int(post_id)

        post_id = await self._write(write)
        return await self.daily_post(post_id) if post_id is not None else None

    async def slots_of(self, channel_key: int, local_date: str) -> list[str]:
        rows = await self._fetchall("SELECT slot FROM daily_posts WHERE channel_key = $1 AND local_date = $2", channel_key, local_date)
        return [str(row[0]) for row in rows]

    async def _update(self, sql: str, *parameters: object) -> int:
        """Run one UPDATE in the writer; the rows it changed."""

        async def write(db: Connection) -> int:
            return status_count(await db.execute(sql, *parameters))

        return await self._write(write)

    async def mark_sent(self, post_id: int, claim: Claim, message_ref: str, at: int) -> bool:
        """Record the post as sent with its message; False, writing nothing, when the caller no longer holds `claim`."""
        return await self._update(SENDS.sent, message_ref, at, post_id, *claim) == 1

    async def mark_failed(self, post_id: int, claim: Claim, error: str, next_attempt_at: int | None) -> bool:
        """Record a failed attempt, to be retried from `next_attempt_at`; False, writing nothing, when `claim` was lost."""
        return await self._update(SENDS.failed, error[:500], next_attempt_at, post_id, *claim) == 1

    async def reclaim_failed(self, post_id: int, instance: str, at: int, ignore_wait: bool = False) -> bool:
        """Take a failed post for another attempt once its wait is over (or at once); only one process can win it."""
        changed = await self._update(
            """UPDATE daily_posts SET status = 'sending', claimed_by = $1, claimed_at = $2
               WHERE post_id = $3 AND status = 'failed' AND ($4::boolean OR (next_attempt_at IS NOT NULL AND next_attempt_at <= $2))""",
            instance,
            at,
            post_id,
            ignore_wait,
        )
        return changed == 1

    async def fail_abandoned(self, platform: str, claimed_before: int, reason: str, retry_at: int) -> int:
        """Posts still being sent claimed at or before `claimed_before` (the process sending them stopped midway)
        are marked failed with `reason`, to be retried from `retry_at` like any failed send; how many there were.
        One statement: of several processes doing this at once, each post is marked by one."""
        return await self._update(SENDS.abandoned, reason[:500], retry_at, claimed_before, platform)

    async def daily_post(self, post_id: int) -> DailyPost | None:
        row = await self._fetchone(f"{_POSTS} WHERE p.post_id = $1", post_id)
        return _post(row) if row else None

    async def channel_posts(self, channel_key: int, limit: int = 1) -> list[DailyPost]:
        """The channel's latest posts, newest first."""
        rows = await self._fetchall(f"{_POSTS} WHERE p.channel_key = $1 ORDER BY p.post_id DESC LIMIT $2", channel_key, limit)
        return [_post(row) for row in rows]

    async def failed_posts(self, platform: str) -> list[DailyPost]:
        rows = await self._fetchall(f"{_POSTS} WHERE p.status = 'failed' AND c.platform = $1 ORDER BY p.post_id", platform)
        return [_post(row) for row in rows]

    async def close_earlier_posts(self, channel_key: int, newest_post_id: int, at: int) -> None:
        """Close the channel's open posts older than the newest one (their reveal is shown next)."""
        await self._update(
            "UPDATE daily_posts SET closed_at = $1 WHERE channel_key = $2 AND post_id < $3 AND status = 'sent' AND closed_at IS NULL",
            at,
            channel_key,
            newest_post_id,
        )

    async def posts_to_refresh(self, platform: str) -> list[DailyPost]:
        """Sent posts whose message is behind: a count to update, or a reveal to show."""
        rows = await self._fetchall(
            f"""{_POSTS} WHERE p.status = 'sent' AND c.platform = $1
                AND ((p.closed_at IS NULL AND p.answer_count != p.shown_count) OR (p.closed_at IS NOT NULL AND p.reveal_shown = 0))
                ORDER BY p.post_id""",
            platform,
        )
        return [_post(row) for row in rows]

    async def claim_refresh(self, post: DailyPost, count: int, revealed: bool) -> bool:
        """Mark the post's message as showing `count` (and the reveal) if nobody else did since `post` was read."""
        changed = await self._update(
            """UPDATE daily_posts SET shown_count = $1, reveal_shown = GREATEST(reveal_shown, $2)
               WHERE post_id = $3 AND shown_count = $4 AND reveal_shown = $5""",
            count,
            int(revealed),
            post.post_id,
            post.shown_count,
            int(post.reveal_shown),
        )
        return changed == 1

    async def release_refresh(self, post: DailyPost) -> None:
        """Undo a claimed refresh whose edit failed, so the next tick tries again."""
        await self._update(
            "UPDATE daily_posts SET shown_count = $1, reveal_shown = $2 WHERE post_id = $3",
            post.shown_count,
            int(post.reveal_shown),
            post.post_id,
        )

    async def record_daily_answer(
        self, post_id: int, person: Origin, option_key: str, correct: bool, at: int, periods: Sequence[str]
    ) -> DailyAnswerOutcome:
        """One answer per person per post, committed with its points (and the person, if new) before this returns."""
        identity = (person.platform, person.space_id, person.user_id, person.name, at)
        return await self._write_grouped(_record_daily_answers, DailyAnswer(post_id, identity, option_key, correct, at, periods))

    async def daily_tallies(self, post_id: int) -> dict[str, int]:
        """Answers per option of a post: the people's, and the anonymous counts of those who were forgotten since."""
        rows = await self._fetchall(
            """SELECT option_key, SUM(n) FROM (
                   SELECT option_key, COUNT(*) AS n FROM daily_answers WHERE post_id = $1 GROUP BY option_key
                   UNION ALL SELECT option_key, answers FROM daily_anonymous_answers WHERE post_id = $1
               ) AS tallies GROUP BY option_key""",
            post_id,
        )
        return {str(row[0]): int(row[1]) for row in rows}

    async def daily_history(self, person_id: int, platform: str, space_id: str) -> list[tuple[bool, bool]]:
        """For each sent post of the space, oldest first: (this person answered it, it is still open)."""
        return await self._read(lambda db: daily_history(db, person_id, platform, space_id))


async def _record_daily_answers(db: Connection, answers: list[DailyAnswer]) -> list[DailyAnswerOutcome]:
    """Record answers to daily posts in order (a grouped write): closed posts and second answers refused, points credited.

    The open posts are locked first (a post closing in another process waits, and so do its other answers, which
    update the same count), then the people who answer are upserted and locked, so a retried click that reached
    another process at the same time is checked after that one committed and finds its answer.
    """
    post_ids = sorted({a.post_id for a in answers})
    open_posts: dict[int, tuple[str, str]] = {
        row[0]: (row[1], row[2])
        for row in await db.fetch(
            """SELECT p.post_id, c.platform, c.space_id
               FROM daily_posts AS p JOIN daily_channels AS c ON c.channel_key = p.channel_key
               WHERE p.post_id = ANY($1::bigint[]) AND p.status = 'sent' AND p.closed_at IS NULL
               ORDER BY p.post_id FOR UPDATE OF p""",
            post_ids,
        )
    }
    open_answers = [a.person for a in answers if a.post_id in open_posts]
    person_ids = dict(zip(open_answers, await upsert_people(db, open_answers), strict=True)) if open_answers else {}
    await lock_people(db, person_ids.values())
    given: dict[tuple[int, int], DailyAnswerOutcome] = {
        (row[0], row[1]): DailyAnswerOutcome(
            status="already_answered", option_key=row[2], correct=bool(row[3]), points=row[4], person_id=row[1]
        )
        for row in await db.fetch(
            """SELECT post_id, person_id, option_key, correct, points FROM daily_answers
               WHERE post_id = ANY($1::bigint[]) AND person_id = ANY($2::bigint[])""",
            post_ids,
            sorted(set(person_ids.values())),
        )
    }
    checked = check_daily_answers(answers, open_posts, person_ids, given)
    await db.executemany(
        "INSERT INTO daily_answers (post_id, person_id, option_key, correct, points, answered_at) VALUES ($1, $2, $3, $4, $5, $6)",
        checked.rows,
    )
    await db.executemany("UPDATE daily_posts SET answer_count = answer_count + $1 WHERE post_id = $2", checked.counts)
    await credit_many(db, checked.credits)
    return checked.outcomes
