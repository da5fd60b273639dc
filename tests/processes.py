"""What the multi-process tests (and benchmarks) read about the processes they start, from Linux's /proc: a process's
children, its CPU time, and how many sockets listen on a port (SO_REUSEPORT workers each hold one)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

LISTEN = "0A"  # TCP state LISTEN in /proc/net/tcp


def children_of(pid: int) -> list[int]:
    """The process's children, oldest first (empty once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return sorted(int(child) for child in text.split())


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def listening_sockets(port: int) -> int:
    """How many TCP sockets listen on `port` (IPv4, any address)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state = fields[1], fields[3]
        if state == LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
            count += 1
    return count


async def until(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.05) -> None:
    """Wait until `condition()` holds; AssertionError naming `what` after `timeout` seconds (a bound, not a measure)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        await asyncio.sleep(every)


class Output:
    """Everything a process writes to a pipe, read as it comes (so the pipe never fills and blocks the process)."""

    def __init__(self, stream: asyncio.StreamReader | None) -> None:
        self.lines: list[str] = []
        self._task = asyncio.create_task(self._read(stream)) if stream is not None else None

    async def _read(self, stream: asyncio.StreamReader) -> None:
        async for raw in stream:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    async def finished(self, timeout: float = 10.0) -> str:
        """All of it, once the process has closed the pipe."""
        if self._task is not None:
            await asyncio.wait_for(self._task, timeout)
        return "\n".join(self.lines)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)
