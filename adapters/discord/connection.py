"""Keeps the bot connected when discord.py gives up on an event from Discord it could not read."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import discord

from adapters.discord.client import QuizClient

log = logging.getLogger(__name__)

# Waits before a new connection: the first, doubled after each failure, at most the longest. After a connection
# that lasted HEALTHY_AFTER seconds the waits start again from the first. (Each new connection is a new gateway
# session, and Discord allows 1,000 of those a day: at most one a minute stays far below.)
FIRST_WAIT = 1.0
LONGEST_WAIT = 60.0
HEALTHY_AFTER = 60.0

# What ends a client for a reason a new connection would not change: a token Discord refuses, an intent it has not
# granted, a close code that says the session may not go on (4004 and the 4010-4014 family), no gateway at all.
FATAL = (discord.LoginFailure, discord.PrivilegedIntentsRequired, discord.ConnectionClosed, discord.GatewayNotFound)

ClientFactory = Callable[[int], QuizClient]


class StayConnected:
    """Runs the bot as one client after another: a new one whenever the last was connected and then failed.

    discord.py parses gateway events on its connection's reader and trusts Discord for their shape: an
    INTERACTION_CREATE it cannot read (a field missing or of another type) raises there and ends `client.start()`.
    No public hook of discord.py runs before that parse (`on_error` sees only exceptions from event handlers), so
    a failure there is caught here, around `start()`: one WARNING line naming the error (its traceback at DEBUG),
    and a new client (a new gateway session) after a short wait. Interactions that arrive meanwhile go
    unanswered; none of the quiz's state lives in the client, so nothing else is lost.
    """

    def __init__(
        self,
        new_client: ClientFactory,
        token: str,
        *,
        first_wait: float = FIRST_WAIT,
        longest_wait: float = LONGEST_WAIT,
        healthy_after: float = HEALTHY_AFTER,
    ) -> None:
        self.new_client = new_client
        self.token = token
        self.first_wait = first_wait
        self.longest_wait = longest_wait
        self.healthy_after = healthy_after
        self.client: QuizClient | None = None
        self.connections = 0  # clients started so far
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Until `close()`; raises what ended a client before it was ever connected, or a FATAL error."""
        wait = self.first_wait
        while not self._stopping.is_set():
            client = self.client = self.new_client(self.connections)
            self.connections += 1
            began = asyncio.get_running_loop().time()
            try:
                async with client:
                    await client.start(self.token)
                return  # closed on purpose (close(), SIGTERM)
            except FATAL:
                raise
            except Exception as error:
                if self._stopping.is_set():
                    return
                if not client.has_been_ready:
                    raise  # never connected: a problem of this process or its settings, which a retry repeats
                if asyncio.get_running_loop().time() - began > self.healthy_after:
                    wait = self.first_wait
                log.warning(
                    "discord.py could not read an event from Discord and closed the connection (%s: %s); connecting again in %g s",
                    type(error).__name__,
                    error,
                    wait,
                )
                log.debug("the event reader's error", exc_info=error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), wait)
            wait = min(wait * 2, self.longest_wait)

    async def close(self) -> None:
        """Close the current client and start no other."""
        self._stopping.set()
        if self.client is not None:
            await self.client.close()
