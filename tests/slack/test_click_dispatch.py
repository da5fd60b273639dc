"""Clicks skip bolt's dispatch only once bolt has answered one in this process: its authorization still decides."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from aiohttp.test_utils import TestServer
from slack_bolt.async_app import AsyncApp

from adapters.slack.handlers import QuizListeners
from adapters.slack.web import ACKNOWLEDGER, Acknowledger, build_web_app
from bot.engine import QuizEngine
from bot.origin import Origin
from tests.slack.conftest import SIGNING_SECRET, TEAM, SlackSender
from tests.slack.fake_slack import FakeSlack
from tests.slack.helpers import totals


@asynccontextmanager
async def _served(wired: tuple[AsyncApp, QuizListeners], fake: FakeSlack) -> AsyncIterator[tuple[SlackSender, QuizListeners, Acknowledger]]:
    app, listeners = wired
    web_app = build_web_app(app, SIGNING_SECRET, clicks=listeners)
    server = TestServer(web_app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            yield SlackSender(str(server.make_url("/slack/events")), session, fake), listeners, web_app[ACKNOWLEDGER]
    finally:
        await server.close()


async def _settled(acknowledger: Acknowledger) -> None:
    for _ in range(500):
        if not acknowledger.backlog:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("acknowledged clicks were not worked off")


def _auth_tests(fake: FakeSlack) -> int:
    return sum(1 for c in fake.calls if c.method == "auth.test")


async def test_while_bolts_authorization_fails_no_click_skips_it_and_none_is_answered(
    wired: tuple[AsyncApp, QuizListeners], fake: FakeSlack, quiz_engine: QuizEngine
) -> None:
    origin = Origin(platform="slack", space_id=TEAM, user_id="U1", display_name="Ada")
    card = (await quiz_engine.start(origin)).view
    buttons = [b.action_id for b in card.buttons]  # type: ignore[attr-defined]
    fake.fail_next("auth.test", "invalid_auth")
    fake.fail_next("auth.test", "invalid_auth")
    async with _served(wired, fake) as (slack, listeners, acknowledger):
        for _ in range(2):  # acknowledged (Slack has its 200), then refused by bolt's authorization
            assert (await slack.click(buttons[0])).status == 200
            await _settled(acknowledger)
        assert fake.posted == [] and await totals(quiz_engine) == (0, 0)
        assert not listeners.bolt_authorized and _auth_tests(fake) == 2  # every click went through bolt

        first = await slack.press(buttons[0])  # auth.test passes now: answered through bolt ...
        assert listeners.bolt_authorized and _auth_tests(fake) == 3
        second = await slack.press(buttons[1])  # ... and from then on without its dispatch, answered alike
    assert first.body["text"].startswith(("Correct", "Not the best")) and first.body["replace_original"] is True
    assert second.body["text"].startswith("Already answered") and second.problems == []
    assert await totals(quiz_engine) == (int(first.body["text"].startswith("Correct")), 1)


async def test_a_click_skipping_bolt_gets_the_same_answers_to_bad_input(
    wired: tuple[AsyncApp, QuizListeners], fake: FakeSlack, quiz_engine: QuizEngine
) -> None:
    async with _served(wired, fake) as (slack, listeners, _):
        through_bolt = await slack.press("rq1:zz:1")
        assert listeners.bolt_authorized
        skipping = await slack.press("rq1:zz:1")
        foreign = await slack.press("rq1:a:99:0:opt", "U2")
    assert skipping.body == through_bolt.body and skipping.body["text"].startswith("That button doesn't work")
    assert foreign.body["text"].startswith("That quiz run doesn't exist")
    assert await totals(quiz_engine, "U2") == (0, 0)


async def test_without_clicks_every_click_goes_through_bolt(bolt_app: AsyncApp, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    web_app = build_web_app(bolt_app, SIGNING_SECRET)
    server = TestServer(web_app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            slack = SlackSender(str(server.make_url("/slack/events")), session, fake)
            card = await slack.ask("start")
            reply = await slack.press(card.action_ids[0])
    finally:
        await server.close()
    assert reply.body["replace_original"] is True and await totals(quiz_engine) != (0, 0)
    assert web_app[ACKNOWLEDGER].clicks is None
