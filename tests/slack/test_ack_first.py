"""HTTP mode acknowledges a click or the slash command before any work: bolt answers Slack once the listener calls
ack(), and the engine, rendering and the reply come after; an answer click is the exception, acknowledged once its
answer is on disk (within a budget). At most a bounded number of acknowledged requests are worked on at once, and
stopping lets acknowledged work finish. Every wait here is on an event, never on a duration, so the tests do not
depend on the machine's speed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp

from adapters.slack.handlers import QuizListeners
from adapters.slack.identity import Directory
from adapters.slack.inflight import InFlight
from bot.actions import StartAction
from bot.engine import QuizEngine
from tests.slack.conftest import DEADLINE, SlackSender, serving
from tests.slack.fake_slack import FakeSlack
from tests.slack.helpers import answer_buttons, totals


class Gate:
    """Wraps an engine method so each call waits until the test opens the gate; counts the calls under way."""

    def __init__(self, engine: QuizEngine, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opened = asyncio.Event()
        self.entered = 0
        self.inside = 0
        self.most_inside = 0
        self._changed = asyncio.Condition()
        real = getattr(engine, name)

        async def gated(*args: Any, **kwargs: Any) -> Any:
            async with self._changed:
                self.entered += 1
                self.inside += 1
                self.most_inside = max(self.most_inside, self.inside)
                self._changed.notify_all()
            try:
                await self.opened.wait()
                return await real(*args, **kwargs)
            finally:
                self.inside -= 1

        monkeypatch.setattr(engine, name, gated)

    async def wait_entered(self, count: int) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.entered >= count), 10)


async def _start_card(slack: SlackSender, user: str) -> str:
    card = await slack.ask("start", user)
    return card.action_ids[0]


# A click that records nothing (the help card's Start button): acknowledged first, worked on after.
START = StartAction(deck_id="recsys-platform-engineer").encode()


async def test_a_click_is_acknowledged_while_the_engine_has_not_even_started_on_it(
    bolt_app: AsyncApp, fake: FakeSlack, quiz_engine: QuizEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serving(bolt_app, fake) as slack:
        gate = Gate(quiz_engine, "handle", monkeypatch)
        answer = await slack.click(START, "U1")
        assert answer.status == 200 and answer.text == ""  # Slack's ack: an empty 200
        await gate.wait_entered(1)
        assert fake.posted == []  # nothing answered yet
        gate.opened.set()
        card = await fake.next_reply(0)
    assert card.via == "response_url" and card.problems == [] and len(answer_buttons(card)) == 4


async def test_an_answer_click_is_on_disk_before_slack_gets_its_acknowledgement(
    bolt_app: AsyncApp, fake: FakeSlack, quiz_engine: QuizEngine
) -> None:
    async with serving(bolt_app, fake) as slack:
        button = await _start_card(slack, "U1")
        before = len(fake.posted)
        answer = await slack.click(button, "U1")
        assert answer.status == 200 and answer.text == ""
        assert (await totals(quiz_engine, "U1"))[1] == 1  # recorded by the time Slack heard back
        feedback = await fake.next_reply(before)
    assert feedback.body["text"].startswith(("Correct", "Not the best"))


async def test_an_answer_click_on_a_slow_database_is_acknowledged_once_its_budget_is_spent_and_recorded_after(
    wired: tuple[AsyncApp, QuizListeners], fake: FakeSlack, quiz_engine: QuizEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, listeners = wired
    listeners.record_before_ack = 0.05  # the budget (2 s in production) spent while the engine is held
    async with serving(app, fake) as slack:
        button = await _start_card(slack, "U1")
        gate = Gate(quiz_engine, "handle", monkeypatch)
        before = len(fake.posted)
        answer = await slack.click(button, "U1")
        assert answer.status == 200  # acknowledged although the answer is not on disk yet
        assert gate.entered == 1 and await totals(quiz_engine, "U1") == (0, 0)
        gate.opened.set()
        feedback = await fake.next_reply(before)
    assert feedback.body["text"].startswith(("Correct", "Not the best"))
    assert (await totals(quiz_engine, "U1"))[1] == 1


async def test_the_slash_command_is_acknowledged_before_the_engine_answers(
    bolt_app: AsyncApp, fake: FakeSlack, quiz_engine: QuizEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(quiz_engine, "start", monkeypatch)
    async with serving(bolt_app, fake) as slack:
        answer = await slack.slash("start")
        assert answer.status == 200 and answer.elapsed < DEADLINE
        await gate.wait_entered(1)
        assert fake.posted == []
        gate.opened.set()
        card = await fake.next_reply(0)
    assert len(answer_buttons(card)) == 4 and len(card.buttons) == 5  # A-D, then Write my answer


async def test_at_most_the_given_number_of_acknowledged_requests_are_worked_on_at_once_and_every_click_is_answered(
    wired: tuple[AsyncApp, QuizListeners], fake: FakeSlack, quiz_engine: QuizEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, listeners = wired
    listeners.in_flight = InFlight(limit=2)
    users = [f"U{i}" for i in range(1, 7)]
    for user in users:
        fake.add_user(user, f"Person {user}")
    async with serving(app, fake) as slack:
        gate = Gate(quiz_engine, "handle", monkeypatch)
        answers = await asyncio.gather(*(slack.click(START, user) for user in users))
        assert [a.status for a in answers] == [200] * len(users)  # all acknowledged while the engine is held
        await gate.wait_entered(2)
        for _ in range(20):  # let the loop run: no third click may start while two are held
            await asyncio.sleep(0)
        assert gate.entered == 2
        gate.opened.set()
        await fake.wait_for(lambda posted: len(posted) >= len(users))
    assert gate.most_inside == 2
    assert len({p.key for p in fake.posted}) == len(users)  # one card at each click's response_url
    assert all(len(answer_buttons(p)) == 4 for p in fake.posted)


async def test_stopping_lets_acknowledged_clicks_finish(
    wired: tuple[AsyncApp, QuizListeners], fake: FakeSlack, quiz_engine: QuizEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, listeners = wired
    async with serving(app, fake) as slack:
        gate = Gate(quiz_engine, "handle", monkeypatch)
        assert (await slack.click(START, "U1")).status == 200
        await gate.wait_entered(1)
    # The server is closed (as serve() closes it first); the acknowledged click is still being worked on.
    assert listeners.in_flight.count == 1
    draining = asyncio.create_task(listeners.in_flight.drain())
    for _ in range(20):
        await asyncio.sleep(0)
    assert not draining.done()  # still waiting for the click it acknowledged
    gate.opened.set()
    await asyncio.wait_for(draining, 10)
    assert listeners.in_flight.count == 0
    assert len(fake.posted) == 1 and len(answer_buttons(fake.posted[0])) == 4


async def test_a_command_for_another_app_gets_bolts_404(bolt_app: AsyncApp, fake: FakeSlack) -> None:
    async with serving(bolt_app, fake) as slack:
        body = slack.slash_body("start").replace("%2Frecsys-quiz", "%2Fother-command")
        answer = await slack.post(body)
    assert answer.status == 404  # no listener takes it: bolt says so
    assert fake.posted == []


async def test_simultaneous_lookups_of_one_person_make_one_users_info_call() -> None:
    calls: list[str] = []
    release = asyncio.Event()

    class Client:
        async def users_info(self, user: str) -> dict[str, Any]:
            calls.append(user)
            await release.wait()
            return {"user": {"name": "ada", "profile": {"display_name": "Ada"}}}

    directory = Directory()
    lookups = [asyncio.create_task(directory.profile(Client(), "T1", "U1")) for _ in range(5)]  # type: ignore[arg-type]
    other = asyncio.create_task(directory.profile(Client(), "T1", "U2"))  # type: ignore[arg-type]
    for _ in range(5):
        await asyncio.sleep(0)
    release.set()
    profiles = await asyncio.gather(*lookups, other)
    assert sorted(calls) == ["U1", "U2"]
    assert {p.display_name for p in profiles if p is not None} == {"Ada"} and all(profiles)
