"""The bolt listeners: `/recsys-quiz`, every button and the written answer's form; each acknowledges at once, then works, then
responds."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable
from typing import Any, NamedTuple, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.commands import Subcommand, parse
from adapters.slack.daily import SLACK_FAILURES, SlackDailyPublisher
from adapters.slack.delivery import Target, deliver, post_to_response_url
from adapters.slack.files import FileNotSent, send_to_dm
from adapters.slack.home import HomeTabs
from adapters.slack.identity import Directory
from adapters.slack.inflight import InFlight
from adapters.slack.modal import ANSWER_ACTION, ANSWER_BLOCK, metadata_of, write_modal
from adapters.slack.payloads import BlockActions, MalformedPayload, parse_block_actions, parse_command, parse_view_submission
from adapters.slack.render import COMMAND, SlackMessage, render, with_preface
from adapters.slack.text import escape, escape_name, unescape
from bot.actions import ACTION_TYPES, PREFIX, AnswerAction, DailyAnswerAction, NextAction, TipsAction
from bot.daily import PublishError, parse_post_time, parse_zone
from bot.engine import QuizEngine
from bot.notices import shared_reply
from bot.origin import Origin
from bot.views import Notice, Reply, WritePrompt, notice

log = logging.getLogger(__name__)
T = TypeVar("T")

# Every submitted modal of ours: the core's action ids are their callback_ids (the written answer's form).
SUBMISSIONS = {"type": "view_submission", "callback_id": re.compile(r"^rq1:")}
REMIND_USAGE = notice(
    "How to set a reminder",
    f"Give a time and your timezone: `{COMMAND} remind 08:30 Europe/Berlin`, or `{COMMAND} remind off`.",
    "warning",
)
# Every block_actions click, whatever its action id: the core decodes it, and answers a tampered id (or one from an
# older message) with a notice; unrouted, Slack would only show the person a silent failure. Only block_actions:
# a bare pattern would also take legacy attachment actions, dialogs and workflow steps by their callback_id.
CLICKS = {"type": "block_actions", "action_id": re.compile("")}

# The notices every surface shows alike (bot.notices). UNSHOWN: the work ran (an answer may be on disk) but its reply
# could not be rendered, where "nothing was recorded" would be untrue; clicking again is safe either way.
FAILED = shared_reply("not_recorded")
UNSHOWN = shared_reply("recorded_not_shown")
MALFORMED = shared_reply("incomplete")
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
MEMBER_USAGE = notice(
    "Which member?",
    f"Mention them, as in `{COMMAND} admin forget @name` (Slack then sends their member ID), or give their member ID "
    "(their profile's ⋮ menu > Copy member ID). Nothing was deleted.",
    "warning",
)
CHANNEL_USAGE = notice(
    "Which channel?",
    f"Slack sent that channel as plain text. Pick it from Slack's suggestions as you type #, or run `{COMMAND} digest on` "
    "in the channel itself. Nothing was changed.",
    "warning",
)
# Answers: after one, the person's Home tab is published again if they opened it lately.
_ANSWER_VERBS = frozenset({AnswerAction.verb, DailyAnswerAction.verb})


# An answer click waits at most this long for its answer to be on disk before Slack is acknowledged (Slack's limit: 3 s).
RECORD_BEFORE_ACK = 2.0


def _verb(action_id: str) -> str:
    return action_id.partition(":")[2].partition(":")[0]


class Clicked(NamedTuple):
    """A click the engine has answered (its answer recorded), with what delivering the reply needs."""

    click: BlockActions
    origin: Origin
    reply: Reply
    client: AsyncWebClient


def _clicked_action_id(body: dict[str, Any]) -> str:
    """The first action's id as sent, or "" when the payload has none (parse_block_actions then says what is wrong)."""
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    action_id = first.get("action_id") if isinstance(first, dict) else None
    return action_id if isinstance(action_id, str) else ""


async def _safely(work: Awaitable[T], failed: T = FAILED) -> T:  # type: ignore[assignment]
    """The engine's reply; an unexpected error (a database problem, a bug) becomes `failed` (a notice) and is logged."""
    try:
        return await work
    except Exception:  # noqa: BLE001 - the person gets a clear answer, the log gets the traceback
        log.exception("the engine failed")
        return failed


def _render(reply: Reply) -> SlackMessage:
    try:
        return render(reply.view)
    except Exception:  # noqa: BLE001 - a rendering bug must not leave the person without an answer
        log.exception("rendering %s failed", type(reply.view).__name__)
        return render((FAILED if reply is FAILED else UNSHOWN).view)


def _response_url(body: dict[str, Any]) -> str | None:
    url = body.get("response_url")
    return url if isinstance(url, str) and url else None


class QuizListeners:
    """Binds the engine to the app's slash command and buttons."""

    def __init__(
        self,
        engine: QuizEngine,
        directory: Directory,
        publisher: SlackDailyPublisher,
        command: str = COMMAND,
        in_flight: InFlight | None = None,
        homes: HomeTabs | None = None,
    ) -> None:
        self.engine = engine
        self.directory = directory
        self.publisher = publisher
        self.command = command
        self.in_flight = in_flight or InFlight()
        self.record_before_ack = RECORD_BEFORE_ACK  # seconds an answer click waits to be on disk before its ack
        self.homes = homes or HomeTabs()

    def register(self, app: AsyncApp) -> None:
        # bolt tries listeners in this order: clicks (five per run) come first, so a click costs one match.
        app.action(CLICKS)(self.on_action)
        app.view(SUBMISSIONS)(self.on_submit)
        app.command(self.command)(self.on_command)
        app.event("app_home_opened")(self.on_home_opened)

    async def on_command(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """bolt runs this in a task of its own and answers Slack once ack() is called; the work comes after it, so
        Slack's 3 s never depend on the database or on Slack's Web API.

        What can be expected to fail is answered inside (the engine failing gets a notice, a reply Slack refuses
        falls back or is logged); anything else is a bug and goes on to bolt, whose app.error logs it in full.
        """
        await ack()
        async with self.in_flight.slot():
            await self._command(body, client)

    async def _command(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        try:
            command = parse_command(body)
        except MalformedPayload as error:
            log.info("malformed slash command: %s", error)
            await self._answer_malformed(body, client)
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
        reply = await self._with_pending_notice(origin, reply)
        if reply.attachment is not None:
            reply = await self._send_attachment(client, origin, reply)
        rendered = _render(reply)
        if reply.preface:
            rendered = with_preface(rendered, f":information_source: {escape(reply.preface)}")
        if sub.unknown is not None:
            rendered = with_preface(rendered, f"I don't know `{escape(sub.unknown)}`. Here is what `{COMMAND}` can do:")
        target = Target(
            response_url=command.response_url, client=client, user_id=origin.user_id, channel_id=origin.channel_id, from_click=False
        )
        await deliver(reply, rendered, target)
        # What the core must tell the person besides (their reminders went off): a second private message.
        note = await _safely(self.engine.command_notice(origin), None)
        if note is not None:
            await deliver(note, _render(note), target)

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
        if sub.verb == "review":
            return await self.engine.review(origin, sub.argument)
        if sub.verb == "interview":
            return await (self.engine.interview_off(origin) if sub.action == "off" else self.engine.interview(origin, sub.argument or ""))
        if sub.verb == "remind":
            if sub.action == "off":
                return await self.engine.remind_off(origin)
            if sub.post_time is None or sub.zone is None:
                return REMIND_USAGE
            return await self.engine.remind(origin, sub.post_time, sub.zone)
        if sub.verb == "team":
            return await self._team(origin, sub)
        if sub.verb == "daily":
            return await self._daily(origin, sub)
        if sub.verb == "digest":
            return await self._digest(origin, sub)
        if sub.verb == "export":
            return await self.engine.export(origin)
        if sub.verb == "forget-me":
            return self.engine.forget_me(origin)
        if sub.verb == "admin":
            if sub.argument is None and origin.is_admin:
                return MEMBER_USAGE
            return await self.engine.admin_forget(origin, sub.argument or "")
        return self.engine.help()

    async def _with_pending_notice(self, origin: Origin, reply: Reply) -> Reply:
        """The reply, with the line a member is owed after an admin forgot them; a failure to read it costs nothing else."""
        try:
            return await self.engine.privacy.with_pending_notice(origin, reply)
        except Exception:  # noqa: BLE001 - the command's own reply still goes out
            log.exception("reading the forget notice failed")
            return reply

    async def _send_attachment(self, client: AsyncWebClient, origin: Origin, reply: Reply) -> Reply:
        """Slack's way with a file for one person (the export): into their direct messages with the app, then a notice."""
        assert reply.attachment is not None
        try:
            await send_to_dm(client, origin.user_id, reply.attachment)
        except FileNotSent as error:
            log.warning("sending %s to %s failed: %s", reply.attachment.filename, origin.user_id, error.reason)
            return notice("The file could not be sent", f"Slack did not take it ({error.reason}). Try again in a moment.", "error")
        view = reply.view
        said = f"{view.text} " if isinstance(view, Notice) else ""
        title = view.title if isinstance(view, Notice) else "Sent"
        return notice(title, f"{said}It is in your direct messages with recsys-quiz.", "success")

    async def _digest(self, origin: Origin, sub: Subcommand) -> Reply:
        """`digest on|off [#channel]`: this channel by default; admin rights are the core's to check."""
        if sub.argument is not None and origin.is_admin:
            return CHANNEL_USAGE
        channel = sub.channel or origin.channel_id
        if channel is None:
            return NO_CHANNEL
        on = sub.action == "on"
        if on and origin.is_admin:
            # As for the daily question: a message in the channel proves the bot can post there, and says what is coming.
            text = (
                f"{escape_name(origin.name)} turned on the weekly recsys-quiz digest in this channel: every Monday, the group's "
                "week, with the top people and teams, accuracy per topic and a chart."
            )
            refusal = await self._announce(channel, text, "digest on")
            if refusal is not None:
                return refusal
        return await self.engine.digest_switch(origin, channel, on)

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
            text = (
                f"{escape_name(origin.name)} set up the daily recsys-quiz question in this channel: every day at {post_time} "
                f"({escape(zone.key)}). Answer each question with its buttons: one answer each, and only you see your feedback."
            )
            refusal = await self._announce(channel, text, "daily set")
            if refusal is not None:
                return refusal
        # An invalid time, zone or deck gets the core's notice showing the valid form; nothing was posted.
        return await daily.configure(origin, channel, sub.post_time, sub.zone, sub.argument)

    async def _announce(self, channel: str, text: str, command: str) -> Reply | None:
        """Post `text` to the channel; a notice saying why not (nothing set up) when Slack refuses it."""
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
                f"Slack says {error.reason}. Nothing was set up; run `{COMMAND} {command}` again once that is fixed.",
                "warning",
            )
        return None

    async def on_action(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Every button. An answer is recorded before Slack is told the click arrived; every other click is acknowledged
        first and worked on after.

        Slack never resends a click it had acknowledged, so an answer acknowledged and not yet written would be lost
        if this process died in between (a worker killed mid-burst). Recording takes milliseconds, well inside Slack's
        3 s; should the database take longer than RECORD_BEFORE_ACK, Slack is acknowledged anyway and the answer is
        recorded when the database answers (a retried delivery in the meantime is counted once: the engine's answers
        are idempotent). bolt answers Slack's HTTP request when ack() is called, wherever in the listener that is.
        """
        if _verb(_clicked_action_id(body)) not in _ANSWER_VERBS:
            await ack()
            async with self.in_flight.slot():
                await self._deliver(await self._click(body, client))
            return
        recorded, acked = asyncio.Event(), asyncio.Event()

        async def answer() -> None:
            # Recording takes no slot: the slots are held by replies being delivered (a backlog of those must not keep
            # an answer off the disk past its acknowledgement). It is counted, so stopping waits for it.
            async with self.in_flight.tracked():
                clicked = await self._click(body, client, before_ack=True)
                recorded.set()
                await acked.wait()  # the reply goes out after Slack has its acknowledgement
                async with self.in_flight.slot():
                    await self._deliver(clicked)
                    if clicked is not None and needs_profile(clicked.click.action_id):
                        # The name came from the payload (no users.info before the ack): look it up now, so the
                        # person's next click or command carries their workspace display name.
                        await self.directory.profile(client, clicked.origin.space_id, clicked.origin.user_id)

        answering = asyncio.ensure_future(answer())
        waiting = asyncio.ensure_future(recorded.wait())
        try:
            # Until the answer is on disk (or the work failed), but no longer than the budget.
            await asyncio.wait({answering, waiting}, timeout=self.record_before_ack, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiting.cancel()
            await ack()
            acked.set()
        await answering

    async def _click(self, body: dict[str, Any], client: AsyncWebClient, *, before_ack: bool = False) -> Clicked | None:
        """The engine's reply to a click (its answer recorded), not yet delivered; a malformed click is answered here.

        `before_ack`: no users.info call (up to 1.5 s) before Slack is acknowledged: the cached profile or the payload's name.
        """
        try:
            click = parse_block_actions(body)
        except MalformedPayload as error:
            log.info("malformed block_actions payload: %s", error)
            await self._answer_malformed(body, client)
            return None
        assert click.space_id is not None  # checked by the payload model
        origin = await self.directory.origin(
            client,
            team_id=click.space_id,
            user_id=click.user.id,
            fallback_name=click.user.username or click.user.name,
            channel_id=click.channel_id,
            lookup=needs_profile(click.action_id) and not before_ack,
        )
        return Clicked(click, origin, await _safely(self.engine.handle(origin, click.action_id)), client)

    async def _deliver(self, clicked: Clicked | None) -> None:
        """Show a click's reply where the click came from (or open the form it asked for)."""
        if clicked is None:
            return
        click, origin, reply, client = clicked
        assert click.space_id is not None
        if isinstance(reply.view, WritePrompt) and await self._open_form(reply.view, click, client):
            return
        container = click.container
        target = Target(
            response_url=click.response_url,
            client=client,
            user_id=origin.user_id,
            channel_id=origin.channel_id,
            from_click=True,
            message_ts=container.get("message_ts") if isinstance(container.get("message_ts"), str) else None,
            message_is_ephemeral=bool(container.get("is_ephemeral", True)),
            # A button on the Home tab: no message, channel or response_url; the reply goes to the app's DM with them.
            direct=container.get("type") == "view",
        )
        await deliver(reply, _render(reply), target)
        if _verb(click.action_id) in _ANSWER_VERBS and self.homes.is_open(origin.space_id, origin.user_id):
            await self._publish_home(client, click.space_id, origin.user_id)

    async def on_home_opened(self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        """app_home_opened (bolt acknowledges events itself): the person's Home tab, published afresh."""
        async with self.in_flight.slot():
            team, user = body.get("team_id"), event.get("user")
            if event.get("tab", "home") != "home":
                return  # the Messages tab: nothing to publish
            if not isinstance(team, str) or not isinstance(user, str) or not team or not user:
                log.info("app_home_opened without a team or user; nothing published")
                return
            self.homes.opened(team, user)
            await self._publish_home(client, team, user)

    async def _publish_home(self, client: AsyncWebClient, team_id: str, user_id: str) -> None:
        try:
            origin = await self.directory.origin(client, team_id=team_id, user_id=user_id, fallback_name="", channel_id=None)
            view = await self.engine.home(origin)
        except Exception:  # noqa: BLE001 - the tab shows its last version; opening it again tries again
            log.exception("building the Home tab of %s failed", user_id)
            return
        await self.homes.publish(client, user_id, view)

    async def _open_form(self, view: WritePrompt, click: BlockActions, client: AsyncWebClient) -> bool:
        """Open the written answer's modal with the click's trigger_id (valid for 3 s); False when Slack would not."""
        if not click.trigger_id:
            return False
        try:
            await client.views_open(trigger_id=click.trigger_id, view=write_modal(view, click.response_url, click.channel_id))
        except SLACK_FAILURES as error:
            log.warning("views.open failed (%s); saying so in the channel instead", error)
            return False
        return True

    async def on_submit(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """A submitted form (the written answer): acknowledged at once, which closes it; its checklist then goes where
        the click that opened it came from (its response_url, kept in the form's private_metadata)."""
        await ack()
        async with self.in_flight.slot():
            await self._submit(body, client)

    async def _submit(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        try:
            submission = parse_view_submission(body)
        except MalformedPayload as error:
            log.info("malformed view_submission payload: %s", error)  # no response_url to answer it on
            return
        assert submission.space_id is not None  # checked by the parser
        response_url, channel_id = metadata_of(submission.view.private_metadata)
        origin = await self.directory.origin(
            client,
            team_id=submission.space_id,
            user_id=submission.user.id,
            fallback_name=submission.user.username or submission.user.name,
            channel_id=channel_id,
            lookup=False,  # a written answer is checked by who wrote it, never by name or admin rights
        )
        text = submission.value(ANSWER_BLOCK, ANSWER_ACTION)
        reply = await _safely(self.engine.submit_written(origin, submission.view.callback_id, text))
        target = Target(response_url=response_url, client=client, user_id=origin.user_id, channel_id=channel_id, from_click=True)
        await deliver(reply, _render(reply), target)

    @staticmethod
    async def _answer_malformed(body: dict[str, Any], client: AsyncWebClient) -> None:
        # Without a valid user there is no one to post an ephemeral message to: only the response_url can answer.
        url = _response_url(body)
        if url is None:
            return
        try:
            await post_to_response_url(client, url, response_type="ephemeral", replace_original=False, **render(MALFORMED.view).payload())
        except Exception as error:  # noqa: BLE001 - the request was malformed anyway: one line, no traceback
            log.info("answering a malformed request failed (%s)", type(error).__name__)
