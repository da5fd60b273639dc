"""Each interaction's 3 s clock starts when its gateway event arrives, and its deferral does not wait for discord.py.

Under load the deferrals go first: while any is due or under way, the answer work waits (`quiet`).

discord.py reads a shard's gateway events one at a time, building a full Interaction (message, components,
member, guild) from each before reading the next. In a burst the later events wait seconds for the ones
ahead, and a deferral timed from the parsed Interaction comes too late: Discord drops an interaction not
answered within 3 s of its creation. Here the raw event starts the clock, and when the work has not
answered it within `defer_after`, the deferral is sent from the raw event's id and token, whether or not
discord.py has got to the event yet. The Responder then edits or follows up, as after its own deferral.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import aiohttp
import discord
from discord.webhook.async_ import async_context, interaction_response_params

log = logging.getLogger(__name__)

APPLICATION_COMMAND, COMPONENT = 2, 3  # the interaction types answered through the Responder
EPHEMERAL = 64
# After this long an unclaimed record is dropped: Discord's interaction token is valid for 15 minutes.
FORGET_AFTER = 15 * 60.0
# Events read but not yet taken up by the Responder beyond which new ones are deferred at once: discord.py is
# that far behind, so waiting defer_after for a direct answer would only spend the 3 s the deferral needs.
BUSY_BACKLOG = 50


class EarlyAck:
    """One interaction's first response: either the Responder answers directly, or the deferral goes first."""

    def __init__(self, interaction_id: int, token: str, kind: int, arrived: float) -> None:
        self.interaction_id = interaction_id
        self.token = token
        self.kind = kind
        self.arrived = arrived
        self.timer: asyncio.TimerHandle | None = None
        self.direct = False  # the Responder took the first response
        self.started: asyncio.Future[None] = asyncio.get_running_loop().create_future()  # the deferral was sent
        self.deferred: asyncio.Future[bool] = asyncio.get_running_loop().create_future()  # ... and Discord took it

    def take_direct(self) -> bool:
        """Claim the first response for a direct answer; False when the deferral has already started."""
        if self.started.done():
            return False
        self.direct = True
        if self.timer is not None:
            self.timer.cancel()
        return True

    @property
    def response_type(self) -> discord.InteractionResponseType:
        if self.kind == COMPONENT:
            return discord.InteractionResponseType.deferred_message_update  # type 6: the clicked message stays
        return discord.InteractionResponseType.deferred_channel_message  # type 5: "thinking...", ephemeral


class EarlyAcks:
    """The raw INTERACTION_CREATE hook's records, and the deferrals their timers send."""

    def __init__(self, session: Callable[[], aiohttp.ClientSession], http: discord.http.HTTPClient, defer_after: float):
        self._session = session
        self._http = http
        self.defer_after = defer_after
        self._pending: OrderedDict[int, EarlyAck] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self._quiet = asyncio.Event()
        self._quiet.set()

    def arrived(self, data: Any) -> None:
        """Record an interaction the moment its event is read (before discord.py parses it) and start its clock."""
        if not isinstance(data, dict) or data.get("type") not in (APPLICATION_COMMAND, COMPONENT):
            return
        try:
            interaction_id, token = int(data["id"]), str(data["token"])
        except (KeyError, TypeError, ValueError):  # discord.py's parser will refuse it; the guard logs it
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        self._forget_older_than(now - FORGET_AFTER)
        ack = EarlyAck(interaction_id, token, data["type"], now)
        busy = len(self._pending) >= BUSY_BACKLOG
        ack.timer = loop.call_at(now if busy else now + self.defer_after, self._fire, ack)
        self._pending[interaction_id] = ack

    def dropped(self, data: Any) -> None:
        """discord.py could not parse the event: nothing will answer it, so nothing is deferred either."""
        if isinstance(data, dict):
            ack = self._pending.pop(_id(data.get("id")), None)
            if ack is not None and ack.timer is not None:
                ack.timer.cancel()

    def claim(self, interaction_id: int) -> EarlyAck | None:
        """The record of an interaction (taken out), or None when its raw event was not seen."""
        return self._pending.pop(interaction_id, None)

    def _forget_older_than(self, when: float) -> None:
        while self._pending:
            first = next(iter(self._pending.values()))
            if first.arrived >= when:
                return
            self._pending.popitem(last=False)

    async def quiet(self) -> None:
        """Return when no deferral is under way: answer work and later edits wait for the first responses."""
        while not self._quiet.is_set():
            await self._quiet.wait()

    def _fire(self, ack: EarlyAck) -> None:
        if ack.direct or ack.started.done():
            return
        ack.started.set_result(None)
        task = asyncio.get_running_loop().create_task(self._defer(ack), name=f"defer interaction {ack.interaction_id}")
        self._tasks.add(task)
        self._quiet.clear()
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._quiet.set()

    async def _defer(self, ack: EarlyAck) -> None:
        """What `interaction.response.defer()` sends (with `ephemeral=True, thinking=True` for a command)."""
        data = None if ack.kind == COMPONENT else {"flags": EPHEMERAL}
        try:
            await async_context.get().create_interaction_response(
                ack.interaction_id,
                ack.token,
                session=self._session(),
                proxy=self._http.proxy,
                proxy_auth=self._http.proxy_auth,
                params=interaction_response_params(type=ack.response_type.value, data=data),
            )
        except Exception as error:  # noqa: BLE001 - the Responder then answers directly, or logs why it cannot
            log.error("interaction %s: could not defer: %s", ack.interaction_id, error)
            ack.deferred.set_result(False)
        else:
            ack.deferred.set_result(True)

    async def close(self) -> None:
        """Cancel the clocks and wait for deferrals under way (the client is closing)."""
        for ack in self._pending.values():
            if ack.timer is not None:
                ack.timer.cancel()
        self._pending.clear()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _id(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return -1
