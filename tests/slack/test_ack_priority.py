"""Acknowledgements before answers: acknowledged work waits while Slack's requests are still arriving, and goes on
once they stop (or, when they never stop, after a bounded hold). Waits are counted in loop iterations, not time."""

from __future__ import annotations

import asyncio

from adapters.slack.priority import AckFirst


async def _iterations(count: int) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


async def test_work_waits_while_requests_arrive_and_goes_on_when_they_stop() -> None:
    gate = AckFirst(quiet_iterations=2, max_hold=3600)
    assert gate.is_open
    gate.arrived()
    waiter = asyncio.create_task(gate.wait())
    for _ in range(10):  # a request in every iteration: the work stays held back
        gate.arrived()
        await asyncio.sleep(0)
        assert not waiter.done()
    await _iterations(5)  # the requests stop
    assert waiter.done() and gate.is_open
    await gate.close()


async def test_requests_that_never_stop_hold_work_back_only_for_the_maximum_hold() -> None:
    gate = AckFirst(quiet_iterations=2, max_hold=0.0)
    gate.arrived()
    waiter = asyncio.create_task(gate.wait())
    for _ in range(5):
        gate.arrived()
        await asyncio.sleep(0)
    assert waiter.done()
    await gate.close()


async def test_closing_lets_waiting_work_through() -> None:
    gate = AckFirst(max_hold=3600)
    gate.arrived()
    waiter = asyncio.create_task(gate.wait())
    gate.arrived()
    await gate.close()
    await asyncio.wait_for(waiter, 5)
