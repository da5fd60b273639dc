"""`recsys-quiz slack --workers N`: N worker processes, each the whole one-process Slack server, started and watched here.

Each worker is `recsys-quiz slack` as one process runs it (engine, bolt app, daily scheduler, the drain on stop),
started again by this process with a hidden `--worker K`. In HTTP mode every worker listens on the same host and
port with SO_REUSEPORT (aiohttp's public `TCPSite(..., reuse_port=True)`) and the kernel spreads new connections
over them (Linux does; see the README); in Socket Mode each worker opens its own websocket and Slack spreads
events over them (at most 10 per app). Why processes of our own rather than gunicorn with aiohttp's worker: the
same supervisor serves both modes (gunicorn serves HTTP only), each worker runs exactly the code a single process
runs, and nothing new is installed. All workers share one PostgreSQL database: whatever must happen once (an
answer counted, a daily post) is decided there, so every worker also runs the daily scheduler.

This process only starts, watches and stops: SIGTERM or SIGINT stops every worker (each finishes the requests it
acknowledged, up to its drain's 10 s) and then itself; a worker that dies (a signal, an OOM kill, a crash after it
had been serving) is reported and a new one started, after waits that double from 1 s to 60 s while deaths keep
coming; a worker that fails while starting (a setting, the database, the port) stops them all with its exit code,
as every other worker would fail the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import CoreSettings

log = logging.getLogger(__name__)

SOCKET_MODE_CONNECTIONS = 10  # Slack keeps at most 10 Socket Mode connections open per app
# Waits before a dead worker's replacement: the first, doubled after each death, at most the longest; after a
# worker that served HEALTHY_AFTER seconds they start again from the first. A worker that ends with an error
# sooner than that failed while starting.
FIRST_WAIT = 1.0
LONGEST_WAIT = 60.0
HEALTHY_AFTER = 60.0
# How long a worker may take to stop after SIGTERM: aiohttp's requests under way, then the drain of acknowledged
# work (adapters.slack.inflight.DRAIN_TIMEOUT, 10 s), then the database; after that it is killed.
STOP_TIMEOUT = 30.0

Command = Callable[[int], list[str]]


def worker_command(number: int) -> list[str]:
    """The command line of worker `number`: this interpreter running `recsys-quiz slack` as one worker."""
    return [sys.executable, "-m", "adapters.cli", "slack", "--worker", str(number)]


def refusal(workers: int, database_kind: str, mode: str) -> str | None:
    """Why `--workers` cannot run with these settings (one line), or None."""
    if workers > 1 and database_kind != "postgresql":
        return (
            f"--workers {workers} needs PostgreSQL: several processes cannot share one SQLite file; set "
            "RECSYS_QUIZ_DB=postgresql://user@host:5432/dbname (move an existing database with `recsys-quiz db copy`)"
        )
    if mode == "socket" and workers > SOCKET_MODE_CONNECTIONS:
        return f"--workers {workers}: Slack keeps at most {SOCKET_MODE_CONNECTIONS} Socket Mode connections per app; use at most that many"
    return None


def how_it_ended(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"ended with exit code {code}"


class Supervisor:
    """Runs `count` workers until stop(); replaces the ones that die, gives up when one fails while starting."""

    def __init__(
        self,
        count: int,
        command: Command = worker_command,
        *,
        first_wait: float = FIRST_WAIT,
        longest_wait: float = LONGEST_WAIT,
        healthy_after: float = HEALTHY_AFTER,
        stop_timeout: float = STOP_TIMEOUT,
    ) -> None:
        self.count = count
        self.command = command
        self.first_wait = first_wait
        self.longest_wait = longest_wait
        self.healthy_after = healthy_after
        self.stop_timeout = stop_timeout
        self.workers: dict[int, asyncio.subprocess.Process] = {}  # worker number -> its current process
        self.deaths = 0  # workers that died and were replaced
        self._stopping = asyncio.Event()
        self._failure = 0  # the exit code of a worker that failed while starting

    def stop(self) -> None:
        """Stop every worker (SIGTERM, then SIGKILL after `stop_timeout`) and start no other."""
        self._stopping.set()

    async def run(self) -> int:
        """Until stop() (SIGINT and SIGTERM call it) or a worker failing while starting; the command's exit code."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not on this platform or thread
                loop.add_signal_handler(signum, self.stop)
        try:
            codes = await asyncio.gather(*(self._keep(number) for number in range(1, self.count + 1)))
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(signum)
        if self._failure:
            return self._failure
        # Stopped on purpose: each worker ends with 0 (or by the SIGTERM itself, if it came before its handler was in place).
        return next((code for code in codes if code not in (0, -signal.SIGTERM, -signal.SIGINT)), 0)

    async def _keep(self, number: int) -> int:
        """Keep worker `number` running until stopping; its last exit code."""
        loop = asyncio.get_running_loop()
        wait = self.first_wait
        while not self._stopping.is_set():
            process = await asyncio.create_subprocess_exec(*self.command(number))
            self.workers[number] = process
            began = loop.time()
            ended = asyncio.ensure_future(process.wait())
            stopping = asyncio.ensure_future(self._stopping.wait())
            await asyncio.wait({ended, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not ended.done():
                return await self._stop_worker(number, process, ended)
            code = process.returncode or 0
            if self._stopping.is_set():
                return code
            lived = loop.time() - began
            if code > 0 and lived < self.healthy_after:
                # Every worker would fail the same way (a setting, the database, the port): stop them all.
                log.error("Slack worker %d (pid %d) %s while starting; stopping the other workers", number, process.pid, how_it_ended(code))
                self._failure = self._failure or code
                self.stop()
                return code
            if lived >= self.healthy_after:
                wait = self.first_wait
            self.deaths += 1
            log.warning(
                "Slack worker %d (pid %d) %s after %.0f s; starting another in %g s", number, process.pid, how_it_ended(code), lived, wait
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), wait)
            wait = min(wait * 2, self.longest_wait)
        return 0  # stopped while waiting to start a replacement: the death was reported already

    async def _stop_worker(self, number: int, process: asyncio.subprocess.Process, ended: asyncio.Future[int]) -> int:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            return await asyncio.wait_for(asyncio.shield(ended), self.stop_timeout)
        except TimeoutError:
            log.warning("Slack worker %d (pid %d) did not stop within %g s; killing it", number, process.pid, self.stop_timeout)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            return await ended


def run_workers(workers: int, core_settings: Callable[[], CoreSettings]) -> int:
    """`recsys-quiz slack --workers N` (N > 1): check the settings once, then run N workers until stopped."""
    from adapters.slack.config import SlackSettingsError, load_settings

    try:
        settings = load_settings()
    except SlackSettingsError as error:
        print(f"recsys-quiz slack: {error}", file=sys.stderr)
        return 2
    core = core_settings()  # RECSYS_QUIZ_DB and the rest, read (and a bad one refused) before any worker starts
    problem = refusal(workers, core.database.kind, settings.mode)
    if problem is not None:
        print(f"recsys-quiz slack: {problem}", file=sys.stderr)
        return 2
    core.configure_logging()
    where = f"HTTP mode on {settings.host}:{settings.port} (SO_REUSEPORT)" if settings.mode == "http" else "Socket Mode, a connection each"
    log.info("recsys-quiz on Slack: %d workers, %s, database %s", workers, where, core.database.shown)
    try:
        return asyncio.run(Supervisor(workers).run())
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        return 130
