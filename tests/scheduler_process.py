"""Helper process of tests/test_schedulers_processes.py: one bot process's daily scheduler, racing another on one database.

Run: python -m tests.scheduler_process DATABASE_URL CHANNELS
It opens the engine on the database, prints `ready`, waits for a line on stdin (so that both processes start
together), then runs the real DailyScheduler (every 10 ms) until each of the CHANNELS channels has a post sent
for its current day, printing `posted <channel id> <post id>` for each post this process sent, then `done`.
"""

from __future__ import annotations

import asyncio
import sys

from bot.config import parse_database
from bot.content import default_content_dir, load_decks
from bot.daily import DailyScheduler, DailyTarget
from bot.engine import QuizEngine
from bot.runtime import open_store
from bot.views import DailyPostView

PLATFORM = "discord"
INTERVAL = 0.01


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class PrintingPublisher:
    """Posts by printing: the parent counts the posts of both processes."""

    def __init__(self) -> None:
        self.sent = 0

    async def post(self, target: DailyTarget, view: DailyPostView) -> str:
        await asyncio.sleep(0)  # a platform call: the other process runs meanwhile
        self.sent += 1
        say(f"posted {target.channel_id} {view.buttons[0].action_id}")
        return f"message-{target.channel_id}"

    async def edit(self, target: DailyTarget, message_ref: str, view: DailyPostView) -> None:
        return None

    async def delete(self, target: DailyTarget, message_ref: str) -> None:
        say(f"deleted {target.channel_id} {message_ref}")


async def all_sent(engine: QuizEngine, channels: int) -> bool:
    sent = 0
    for channel in await engine.store.enabled_channels(PLATFORM):
        posts = await engine.store.channel_posts(channel.channel_key, limit=1)
        sent += bool(posts) and posts[0].status == "sent"
    return sent >= channels


async def main(url: str, channels: int) -> None:
    store = await open_store(parse_database(url))
    try:
        engine = QuizEngine(store, load_decks(default_content_dir()))
        engine.daily.attach(PLATFORM, PrintingPublisher())
        say("ready")
        await asyncio.to_thread(sys.stdin.readline)
        scheduler = asyncio.create_task(DailyScheduler(engine.daily, interval=INTERVAL).run())
        while not await all_sent(engine, channels):
            await asyncio.sleep(INTERVAL)
        scheduler.cancel()
        await asyncio.gather(scheduler, return_exceptions=True)
        say("done")
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
