"""Acknowledgements before answers: acknowledged work waits while Slack's requests are still arriving.

One event loop both acknowledges requests and answers them. Left to asyncio's first-come order, the
answer work of clicks already acknowledged takes turns with the acknowledgements of new ones, and in a
burst the later clicks miss Slack's 3 s. Here workers start a request only after the loop has gone
through QUIET_ITERATIONS iterations (each one polls the sockets) without a new request arriving.
"""

from __future__ import annotations

import asyncio

# Loop iterations without a new request before work may start. One is not enough: a request read in an
# iteration's socket poll only reaches the guard (and `arrived`) in the next iteration.
QUIET_ITERATIONS = 2
# The longest work is held back when requests never stop coming (more than the loop can acknowledge): the
# gate then opens for a moment anyway, so acknowledged clicks are still answered, if slowly.
MAX_HOLD = 0.5


class AckFirst:
    """A gate for answer work, closed while requests arrive (`arrived`), opened when the loop is quiet."""

    def __init__(self, *, quiet_iterations: int = QUIET_ITERATIONS, max_hold: float = MAX_HOLD) -> None:
        self.quiet_iterations = quiet_iterations
        self.max_hold = max_hold
        self._arrivals = 0
        self._open = asyncio.Event()
        self._open.set()
        self._watcher: asyncio.Task[None] | None = None

    def arrived(self) -> None:
        """A request from Slack is being handled: hold work back until the arrivals stop."""
        self._arrivals += 1
        if self._watcher is None:
            self._open.clear()
            self._watcher = asyncio.get_running_loop().create_task(self._watch(), name="recsys-quiz slack ack-first")

    @property
    def is_open(self) -> bool:
        return self._open.is_set()

    async def wait(self) -> None:
        """Return once no request is arriving (at once when none is)."""
        if not self._open.is_set():
            await self._open.wait()

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        closed_at = loop.time()
        quiet = 0
        seen = self._arrivals
        try:
            while quiet < self.quiet_iterations and loop.time() - closed_at < self.max_hold:
                await asyncio.sleep(0)  # one loop iteration, which polls the sockets for more requests
                quiet = quiet + 1 if self._arrivals == seen else 0
                seen = self._arrivals
        finally:
            self._watcher = None
            self._open.set()

    async def close(self) -> None:
        """Stop watching (the server is stopping) and let any waiting work through."""
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        self._open.set()
