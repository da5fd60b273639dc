"""The bolt listeners: `/recsys-quiz` and every button; each acknowledges at once, then works, then responds."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.commands import Subcommand, parse
from adapters.slack.daily import SlackDailyPublisher
from adapters.slack.delivery import Target, deliver, respond_via
from adapters.slack.identity import Directory
from adapters.slack.payloads import BlockActions, MalformedPayload, SlashCommand, parse_block_actions, parse_command
from adapters.slack.render import COMMAND, SlackMessage, render, with_preface
from adapters.slack.text import escape, unescape
from adapters.slack.web import PAYLOAD
from bot.actions import ACTION_TYPES, PREFIX, AnswerAction, NextAction, TipsAction
from bot.daily import PublishError, parse_post_time, parse_zone
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
DAILY_USAGE = notice(
    "How to set up the daily question",
    f"Run `{COMMAND} daily set HH:MM Area/City [deck]` in the channel to post to, for example `{COMMAND} daily set 09:00 Europe/Berlin`.",
    "warning",
)
# Actions the core carries out knowing only who clicked (platform, workspace, user id), never their name or admin
# flag: an answer or "next" in a personal run (its owner's name was stored when the run started) and a deck's tips.
# Looking the clicker up in users.info for them would cost a Web API call, and about a quarter of a new clicker's CPU, for
# nothing. tests/slack/test_click_lookups.py holds the core to this.
_NAMELESS_VERBS = frozenset({AnswerAction.verb, NextAction.verb, TipsAction.verb})


def needs_profile(action_id: str) -> bool:
    """Whether the core may read the clicker's name or admin flag for this action id (a users.info lookup).

    Only the verb is read: an id that does not decode gets the core's notice, which names nobody either.
    """
    prefix, _, rest = action_id.partition(":")
    verb = rest.partition(":")[0]
    return prefix == PREFIX and verb in ACTION_TYPES and verb not in _NAMELESS_VERBS


NO_CHANNEL = notice("Which channel?", "Slack did not say which channel this was run in; run it again in a channel.", "warning")


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

    def __init__(
        self,
        engine: QuizEngine,
        directory: Directory,
        publisher: SlackDailyPublisher,
        command: str = COMMAND,
    ) -> None:
        self.engine = engine
        self.directory = directory
        self.publisher = publisher
        self.command = command
        self.bolt_authorized = False  # see web.DirectClicks

    def register(self, app: AsyncApp) -> None:
        # bolt tries listeners in this order, building every listener argument afresh for each one it tries:
        # clicks (five per run) come first, so a click costs one match, the command (one per run) three.
        app.action(ACTION_PATTERN)(self.on_bolt_action)
        app.action(OTHER_ACTIONS)(self.on_bolt_action)
        app.command(self.command)(self.on_command)

    async def on_command(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        # Acknowledge first and answer through the response_url: Slack's 3 s then never depends on the database.
        await ack()
        try:
            # In HTTP mode the guard has validated it already; Socket Mode has no guard.
            validated = context.get(PAYLOAD)
            command = validated if isinstance(validated, SlashCommand) else parse_command(body)
        except MalformedPayload as error:
            log.warning("malformed slash command: %s", error)
            await self._answer_malformed(respond, client)
            return
        origin = await self.directory.origin(
            client,
            team_id=command.team_id,
            user_id=command.user_id,
            fallback_name=command.user_name,
            channel_id=command.channel_id,
        )
        sub = parse(unescape(command.text))
        reply = await _safely(self._run(origin, sub))
        rendered = _render(reply)
        if sub.unknown is not None:
            rendered = with_preface(rendered, f"I don't know `{escape(sub.unknown)}`. Here is what `{COMMAND}` can do:")
        target = Target(respond=respond, client=client, user_id=origin.user_id, channel_id=origin.channel_id, from_click=False)
        await deliver(reply, rendered, target)

    async def _run(self, origin: Origin, sub: Subcommand) -> Reply:
        if sub.verb == "start":
            return await self.engine.start(origin, sub.argument)
        if sub.verb == "tips":
            return await self.engine.tips(sub.argument)
        if sub.verb == "leaderboard":
            return await self.engine.leaderboard(origin, sub.scope, sub.window)
        if sub.verb == "stats":
            if sub.action == "questions":
                return await self.engine.question_stats(origin, sub.argument)
            return await self.engine.stats(origin)
        if sub.verb == "team":
            return await self._team(origin, sub)
        if sub.verb == "daily":
            return await self._daily(origin, sub)
        return self.engine.help()

    async def _team(self, origin: Origin, sub: Subcommand) -> Reply:
        if sub.action == "create":
            return await self.engine.team_create(origin, sub.argument or "")
        if sub.action == "join":
            return await self.engine.team_join(origin, sub.argument or "")
        if sub.action == "leave":
            return await self.engine.team_leave(origin)
        if sub.action == "show":
            return await self.engine.team_show(origin, sub.argument)
        return await self.engine.team_list(origin)

    async def _daily(self, origin: Origin, sub: Subcommand) -> Reply:
        """The daily commands act on the channel they are run in; admin rights are the core's to check."""
        daily = self.engine.daily
        channel = origin.channel_id
        if channel is None:
            return NO_CHANNEL
        if sub.action == "off":
            return await daily.switch_off(origin, channel)
        if sub.action == "now":
            return await daily.post_now(origin, channel)
        if sub.action != "set":
            return await daily.status(origin, channel)
        if not origin.is_admin:
            return await daily.configure(origin, channel, sub.post_time or "", sub.zone or "", sub.argument)
        if sub.post_time is None or sub.zone is None:
            return DAILY_USAGE
        post_time, zone = parse_post_time(sub.post_time), parse_zone(sub.zone)
        if post_time is not None and zone is not None and self.engine.decks.get(sub.argument) is not None:
            # Only a valid request from an admin may put a message in the channel: it proves the bot can post there
            # (Slack answers not_in_channel otherwise) and tells the channel what is coming.
            refusal = await self._announce(origin, channel, post_time, zone.key)
            if refusal is not None:
                return refusal
        # An invalid time, zone or deck gets the core's notice showing the valid form; nothing was posted.
        return await daily.configure(origin, channel, sub.post_time, sub.zone, sub.argument)

    async def _announce(self, origin: Origin, channel: str, post_time: str, zone: str) -> Reply | None:
        text = (
            f"{escape(origin.name)} set up the daily recsys-quiz question in this channel: every day at {post_time} "
            f"({escape(zone)}). Answer each question with its buttons: one answer each, and only you see your feedback."
        )
        try:
            await self.publisher.announce(channel, text)
        except PublishError as error:
            log.info("daily set refused for channel %s: %s", channel, error.reason)
            if error.retryable:
                return notice(
                    "Slack didn't take the post",
                    f"The bot could not post here just now ({error.reason}). Nothing was set up; try again in a moment.",
                    "error",
                )
            return notice(
                "The bot can't post in this channel",
                f"Slack says {error.reason}. Nothing was set up; run `{COMMAND} daily set` here again once that is fixed.",
                "warning",
            )
        return None

    async def on_bolt_action(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        # bolt runs a listener only once its authorization and every middleware have let the request through.
        self.bolt_authorized = True
        await self.on_action(ack, body, respond, client, context)

    async def click(self, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
        """A click the web app acknowledged, run without bolt's dispatch (see web.Acknowledger): on_action with the
        arguments bolt would pass it (respond as bolt's context builds it, through the client's proxy and TLS)."""
        respond = AsyncRespond(response_url=context.response_url, proxy=client.proxy, ssl=client.ssl)
        await self.on_action(AsyncAck(), body, respond, client, context)

    async def on_action(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        try:
            validated = context.get(PAYLOAD)
            click = validated if isinstance(validated, BlockActions) else parse_block_actions(body)
        except MalformedPayload as error:
            log.warning("malformed block_actions payload: %s", error)
            await self._answer_malformed(respond, client)
            return
        assert click.space_id is not None  # checked by the payload model
        origin = await self.directory.origin(
            client,
            team_id=click.space_id,
            user_id=click.user.id,
            fallback_name=click.user.username or click.user.name,
            channel_id=click.channel_id,
            lookup=needs_profile(click.action_id),
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
    async def _answer_malformed(respond: AsyncRespond, client: AsyncWebClient | None = None) -> None:
        # Without a valid user there is no one to post an ephemeral message to: only the response_url can answer.
        if respond is not None and respond.response_url:
            try:
                await respond_via(respond, client, response_type="ephemeral", replace_original=False, **render(MALFORMED.view).payload())
            except Exception:  # noqa: BLE001
                log.exception("answering a malformed request failed")
