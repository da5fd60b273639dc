"""The bolt listeners: `/recsys-quiz` and every button; each acknowledges at once, then works, then responds."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.commands import parse
from adapters.slack.delivery import Target, deliver
from adapters.slack.identity import Directory
from adapters.slack.payloads import MalformedPayload, parse_block_actions, parse_command
from adapters.slack.render import COMMAND, SlackMessage, render, with_preface
from adapters.slack.text import escape, unescape
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.views import Reply, notice

log = logging.getLogger(__name__)

ACTION_PATTERN = re.compile(r"^rq1:")
# Every other action id (tampered, or from an older message) still reaches the engine, which answers
# with a notice; unrouted, Slack would only show the person a silent failure.
OTHER_ACTIONS = re.compile(r"^(?!rq1:)")

FAILED = notice("Something went wrong", "Something went wrong; nothing was recorded. Please try again in a moment.", "error")
MALFORMED = notice(
    "That request was incomplete",
    "Slack sent this without the details the quiz needs (who, where or which button), so nothing was recorded.",
    "warning",
)


async def _safely(work: Awaitable[Reply]) -> Reply:
    """The engine's reply; an unexpected error (a database problem, a bug) becomes a notice and is logged."""
    try:
        return await work
    except Exception:  # noqa: BLE001 - the person gets a clear answer, the log gets the traceback
        log.exception("the engine failed")
        return FAILED


def _render(reply: Reply) -> SlackMessage:
    try:
        return render(reply.view)
    except Exception:  # noqa: BLE001 - a rendering bug must not leave the person without an answer
        log.exception("rendering %s failed", type(reply.view).__name__)
        return render(FAILED.view)


class QuizListeners:
    """Binds the engine to the app's slash command and buttons."""

    def __init__(self, engine: QuizEngine, directory: Directory, command: str = COMMAND) -> None:
        self.engine = engine
        self.directory = directory
        self.command = command

    def register(self, app: AsyncApp) -> None:
        app.command(self.command)(self.on_command)
        app.action(ACTION_PATTERN)(self.on_action)
        app.action(OTHER_ACTIONS)(self.on_action)

    async def on_command(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        # Acknowledge first and answer through the response_url: Slack's 3 s then never depends on the database.
        await ack()
        try:
            command = parse_command(body)
        except MalformedPayload as error:
            log.warning("malformed slash command: %s", error)
            await self._answer_malformed(respond)
            return
        origin = await self.directory.origin(
            client,
            team_id=command.team_id,
            user_id=command.user_id,
            fallback_name=command.user_name,
            channel_id=command.channel_id,
        )
        sub = parse(unescape(command.text))
        reply = await _safely(self._run(origin, sub.verb, sub.argument))
        rendered = _render(reply)
        if sub.unknown is not None:
            rendered = with_preface(rendered, f"I don't know `{escape(sub.unknown)}`. Here is what `{COMMAND}` can do:")
        target = Target(respond=respond, client=client, user_id=origin.user_id, channel_id=origin.channel_id, from_click=False)
        await deliver(reply, rendered, target)

    async def _run(self, origin: Origin, verb: str, argument: str | None) -> Reply:
        if verb == "start":
            return await self.engine.start(origin, argument)
        if verb == "tips":
            return await self.engine.tips(argument)
        if verb == "leaderboard":
            return await self.engine.leaderboard(origin)
        if verb == "stats":
            return await self.engine.stats(origin)
        return self.engine.help()

    async def on_action(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        try:
            click = parse_block_actions(body)
        except MalformedPayload as error:
            log.warning("malformed block_actions payload: %s", error)
            await self._answer_malformed(respond)
            return
        assert click.space_id is not None  # checked by the payload model
        origin = await self.directory.origin(
            client,
            team_id=click.space_id,
            user_id=click.user.id,
            fallback_name=click.user.username or click.user.name,
            channel_id=click.channel_id,
        )
        reply = await _safely(self.engine.handle(origin, click.action_id))
        container = click.container
        target = Target(
            respond=respond,
            client=client,
            user_id=origin.user_id,
            channel_id=origin.channel_id,
            from_click=True,
            message_ts=container.get("message_ts") if isinstance(container.get("message_ts"), str) else None,
            message_is_ephemeral=bool(container.get("is_ephemeral", True)),
        )
        await deliver(reply, _render(reply), target)

    @staticmethod
    async def _answer_malformed(respond: AsyncRespond) -> None:
        # Without a valid user there is no one to post an ephemeral message to: only the response_url can answer.
        if respond is not None and respond.response_url:
            try:
                await respond(response_type="ephemeral", replace_original=False, **render(MALFORMED.view).payload())
            except Exception:  # noqa: BLE001
                log.exception("answering a malformed request failed")
