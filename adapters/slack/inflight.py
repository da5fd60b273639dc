"""Requests acknowledged and still being answered: a bound on how many are worked on at once, and a drain for stopping."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

log = logging.getLogger(__name__)

# Acknowledged requests worked on at once: enough to overlap their waits (users.info, the engine's grouped write,
# the response_url post) and keep the core busy; the others wait their turn, costing no CPU, so a burst of
# thousands of clicks does not hold thousands of half-done replies in memory at once.
WORK_LIMIT = 64
# How long stopping waits for acknowledged requests that are still being answered.
DRAIN_TIMEOUT = 10.0


class InFlight:
    """Requests acknowledged and not yet answered: at most `limit` worked on at once; `drain()` lets them finish."""

    def __init__(self, limit: int = WORK_LIMIT) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def count(self) -> int:
        """Acknowledged requests still waiting for a slot or being worked on."""
        return self._count

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Work on an acknowledged request: one of at most `limit` at once (the others wait, costing no CPU)."""
        async with self.tracked(), self._slots:
            yield

    @asynccontextmanager
    async def tracked(self) -> AsyncIterator[None]:
        """Count work that takes no slot (recording an answer before its acknowledgement), so drain() waits for it too."""
        self._count += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._count -= 1
            if not self._count:
                self._idle.set()

    async def drain(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """Wait (at most `timeout` seconds) until every acknowledged request has been answered."""
        if not self._count:
            return
        log.info("waiting for %d acknowledged requests to be answered", self._count)
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("stopping with %d acknowledged requests unanswered", self._count)
