"""Answering one interaction with a core Reply through discord.py's own responders, within Discord's 3 s."""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Awaitable, Callable

import cachetools
import discord

from adapters.discord.limits import FILE_DESCRIPTION, MESSAGE_CONTENT, clip
from adapters.discord.modal import write_modal
from adapters.discord.origin import UnreadableInteraction
from adapters.discord.render import NO_MENTIONS, render_reply
from bot.notices import shared_reply
from bot.views import Reply, WritePrompt, notice

log = logging.getLogger(__name__)

# Discord drops an interaction whose first response has not arrived within 3 s of its creation (10062), and the
# gateway and our reply each spend some of that on the wire. The engine usually answers in milliseconds, so we
# wait for it up to DEFER_AFTER and answer directly (one request, no "thinking..." flicker); past that we defer
# ("thinking...") and deliver the result as the interaction's first followup, which Discord shows in place of the
# "thinking..." message and accepts for 15 minutes.
DEFER_AFTER = 1.5
RESPONSE_WINDOW = 3.0
# Every first response still gets at least this long: "time left" is our clock against Discord's (the snowflake),
# and an interaction that looks expired by ours may not be by Discord's; its 10062 answer is the one that counts.
MIN_TIMEOUT = 0.25
# Discord's error codes for a first response that cannot be given: the interaction is unknown to it (expired after
# its 3 s, or never ours), or it was answered already (the same event delivered twice, say on a gateway resume).
UNKNOWN_INTERACTION = 10062
ALREADY_ACKNOWLEDGED = 40060
# The same INTERACTION_CREATE seen again within this many seconds is dropped: a replayed event, never a new click
# (each click is a new interaction with an id of its own). After a minute Discord refuses any answer to it anyway.
REPLAY_WINDOW = 60.0
REPLAY_MEMORY = 100_000  # ids remembered at most (1,000 clicks a second for REPLAY_WINDOW fit well inside)

# The notices every surface shows alike (bot.notices): the work failed and nothing was recorded; the work ran (an
# answer may be on disk) but Discord refused its reply, where "nothing was recorded" would be untrue (clicking again
# is safe either way: a recorded answer then shows "Already answered" and the way on); an event that lacked what the
# quiz needs (who acted): outside input, answered and logged as such.
ERROR_REPLY = shared_reply("not_recorded")
UNSHOWN_REPLY = shared_reply("recorded_not_shown")
UNREADABLE_REPLY = shared_reply("incomplete")

Work = Callable[[], Awaitable[Reply]]
# Interactions Discord lets the bot answer with a form (a modal): a button click or a slash command.
MODAL_FROM = (discord.InteractionType.component, discord.InteractionType.application_command)

# A burst the bot cannot keep up with expires thousands of clicks within seconds, and one ERROR line each
# buried everything else in the log: the first of a burst is logged with its id, the rest summed up after this.
EXPIRED_SUMMARY_AFTER = 10.0


def response_deadline(interaction: discord.Interaction) -> float:
    """The event-loop time by which Discord must have the first response: 3 s after it created `interaction`."""
    # created_at comes from the snowflake id, so from Discord's clock. Were ours behind, the age would come out
    # negative and the window longer than Discord's 3 s: it never counts as more than 3 s from now.
    age = max(time.time() - interaction.created_at.timestamp(), 0.0)
    return asyncio.get_running_loop().time() + RESPONSE_WINDOW - age


def time_left(deadline: float) -> float:
    """Seconds until `deadline` (from response_deadline); 0 or less once Discord's 3 s are over."""
    return deadline - asyncio.get_running_loop().time()


class ExpiredClicks:
    """Logs interactions whose 3 s ran out before their first response: the first of a burst in full, then one
    summary line for the others every `summary_after` seconds while the burst lasts."""

    def __init__(self, summary_after: float = EXPIRED_SUMMARY_AFTER) -> None:
        self.summary_after = summary_after
        self._summary: asyncio.TimerHandle | None = None
        self._unlogged = 0
        self._latest: int | None = None

    def record(self, interaction_id: int, error: BaseException | None) -> None:
        if self._summary is None:
            log.error("interaction %s: no first response within Discord's 3 s (%r); nothing was shown", interaction_id, error)
            self._summary = asyncio.get_running_loop().call_later(self.summary_after, self._sum_up)
            return
        self._unlogged += 1
        self._latest = interaction_id

    def flush(self) -> None:
        """Log the summary now (the process is stopping): the count would be lost with the pending timer."""
        if self._summary is not None:
            self._summary.cancel()
        self._sum_up()

    def _sum_up(self) -> None:
        self._summary = None
        if self._unlogged:
            log.error(
                "%d more interactions got no first response within Discord's 3 s (the latest: %s); "
                "nothing was shown to them, their answers are recorded",
                self._unlogged,
                self._latest,
            )
            self._unlogged = 0


class RecentInteractions:
    """Interaction ids seen in the last `window` seconds: an id seen again is a replayed event, not a new click."""

    def __init__(self, window: float = REPLAY_WINDOW, size: int = REPLAY_MEMORY, clock: Callable[[], float] = time.monotonic) -> None:
        self._seen: cachetools.TTLCache[int, bool] = cachetools.TTLCache(maxsize=size, ttl=window, timer=clock)

    def first_time(self, interaction_id: int) -> bool:
        """True the first time an id is offered within the window; False for every repeat."""
        if interaction_id in self._seen:
            return False
        self._seen[interaction_id] = True
        return True


def _files(reply: Reply) -> list[discord.File]:
    """The reply's attachment (the export's JSON) as a file of the message (MISSING without one: no `attachments` field is
    sent then); an ephemeral reply keeps it private."""
    attachment = reply.attachment
    if attachment is None:
        return discord.utils.MISSING
    description = clip(attachment.title, FILE_DESCRIPTION)
    return [discord.File(io.BytesIO(attachment.content), filename=attachment.filename, description=description)]


def _within_upload_limit(interaction: discord.Interaction, reply: Reply) -> Reply:
    """The reply, or a notice instead when its file is larger than Discord takes in this interaction (its
    attachment_size_limit: 10 MiB, more in boosted servers)."""
    if reply.attachment is None or len(reply.attachment.content) <= interaction.filesize_limit:
        return reply
    size = len(reply.attachment.content) / 2**20
    return notice(
        "Too large to attach",
        f"The file is {size:.1f} MiB and Discord takes {interaction.filesize_limit / 2**20:.0f} MiB here. Nothing was changed.",
        "warning",
    )


def _is_channel_post(message: discord.Message | None) -> bool:
    """A message the bot posted on its own for the channel: public, and not the response to anyone's interaction."""
    return message is not None and not message.flags.ephemeral and message.interaction_metadata is None


def _first_response_timeout(deadline: float) -> asyncio.Timeout:
    # The first response only counts within Discord's 3 s: past them it could only meet 10062, and meanwhile it
    # would hold one of the client's pooled connections (discord.py retries 5xx and 429 on its own, with pauses).
    return asyncio.timeout(max(time_left(deadline), MIN_TIMEOUT))


class Responder:
    """Runs the work behind one interaction and delivers its Reply the way Discord needs, through discord.py.

    The first response goes through `interaction.response` (send_message, edit_message, defer) and anything after
    it through `interaction.followup`, so discord.py always knows whether an interaction has been answered.
    """

    def __init__(
        self,
        defer_after: float = DEFER_AFTER,
        expired: ExpiredClicks | None = None,
        recent: RecentInteractions | None = None,
    ) -> None:
        self.defer_after = defer_after
        self.expired = expired or ExpiredClicks()
        self.recent = recent or RecentInteractions()

    async def answer(self, interaction: discord.Interaction, work: Work) -> None:
        """Run `work` and answer with its Reply; an exception becomes a logged error and an ephemeral notice."""
        if not self.recent.first_time(interaction.id):
            log.warning("interaction %s arrived again (a replayed gateway event); dropped, it was answered the first time", interaction.id)
            return
        deadline = response_deadline(interaction)  # taken on arrival, before any of the 3 s go to the work
        task = asyncio.ensure_future(self._safely(interaction, work))
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        if not done and not await self._defer(interaction, deadline):
            await task  # the work goes on (an answer is recorded), but Discord's 3 s are over: nothing can be shown
            return
        reply = await task
        try:
            await self._deliver(interaction, reply, deadline)
        except Exception as error:
            await self._undelivered(interaction, reply, deadline, error)

    @staticmethod
    async def _safely(interaction: discord.Interaction, work: Work) -> Reply:
        try:
            return await work()
        except UnreadableInteraction as error:
            log.warning("interaction %s: %s; answering with a notice, nothing recorded", interaction.id, error)
            return UNREADABLE_REPLY
        except Exception:
            log.exception("interaction %s: the handler failed; answering with an error notice", interaction.id)
            return ERROR_REPLY

    async def _defer(self, interaction: discord.Interaction, deadline: float) -> bool:
        """Defer; False when Discord's 3 s ran out first (the interaction is then logged as expired)."""
        # Ephemeral "thinking...": every reply but a future public one is private, and the first followup takes the
        # place of this message (with its visibility). For a click too: the reply then comes as a new private
        # message, as an edit of the clicked one would have to go through the webhook-edit endpoint.
        try:
            async with _first_response_timeout(deadline):
                await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException as error:
            if time_left(deadline) > 0 and getattr(error, "code", None) != UNKNOWN_INTERACTION:
                log.warning("interaction %s: could not defer (%s); answering when the work is done", interaction.id, error)
                return True
            self.expired.record(interaction.id, error)
            return False
        except TimeoutError as error:
            self.expired.record(interaction.id, error)  # a burst's worth of these is summed up, not logged one by one
            return False
        return True

    async def follow_up(self, interaction: discord.Interaction, reply: Reply) -> None:
        """A second private message after the interaction's answer (a note the core adds); nothing when it went unanswered."""
        if not interaction.response.is_done():
            return
        rendered = render_reply(reply.view)
        try:
            await interaction.followup.send(embed=rendered.embed, view=rendered.to_view(), ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as error:
            log.warning("interaction %s: the follow-up note could not be sent (%s)", interaction.id, error)

    async def _deliver(self, interaction: discord.Interaction, reply: Reply, deadline: float) -> None:
        if isinstance(reply.view, WritePrompt):
            # The form can only be the first response to a click or a command (not after "thinking...", not to a form).
            if not interaction.response.is_done() and interaction.type in MODAL_FROM:
                async with _first_response_timeout(deadline):
                    await interaction.response.send_modal(write_modal(reply.view))
                return
            reply = reply.model_copy(update={"replace": False})  # its card says to click again
        is_click = interaction.type is discord.InteractionType.component
        replace = reply.replace and is_click  # a slash command has no message to replace
        if replace and _is_channel_post(interaction.message):
            # A click on a message the bot posted for everyone (the daily question): replacing it would show
            # one person's reply to the whole channel. The core never asks for that; should it, answer privately.
            log.warning("interaction %s: not replacing a shared channel post; replying privately instead", interaction.id)
            replace, reply = False, reply.model_copy(update={"replace": False, "ephemeral": True})
        reply = _within_upload_limit(interaction, reply)
        rendered = render_reply(reply.view)
        embed, view = rendered.embed, rendered.to_view()
        # content=MISSING leaves the field out: send_message's default (None) would send `content: null`, which Discord's
        # API types do not allow for a message. A preface (a notice the person is owed) is the message's text.
        content = clip(reply.preface, MESSAGE_CONTENT) if reply.preface else discord.utils.MISSING
        files = _files(reply)
        if not interaction.response.is_done():
            async with _first_response_timeout(deadline):
                if replace:
                    await interaction.response.edit_message(content=content, embed=embed, view=view, allowed_mentions=NO_MENTIONS)
                else:
                    await interaction.response.send_message(
                        content=content, embed=embed, view=view, ephemeral=reply.ephemeral, allowed_mentions=NO_MENTIONS, files=files
                    )
            return
        if not reply.ephemeral:
            # The "thinking..." message is private; a public reply cannot take its place, so it goes and a new one comes.
            await interaction.delete_original_response()
        await interaction.followup.send(
            content=content, embed=embed, view=view, ephemeral=reply.ephemeral, allowed_mentions=NO_MENTIONS, files=files
        )

    async def _undelivered(self, interaction: discord.Interaction, reply: Reply, deadline: float, error: Exception) -> None:
        answered = interaction.response.is_done()
        if not answered and (isinstance(error, TimeoutError) or time_left(deadline) <= 0):
            # Discord's 3 s for a first response are over: a notice could only meet 10062, and a followup needs an
            # acknowledged interaction.
            self.expired.record(interaction.id, error)
            return
        code = getattr(error, "code", None)
        if isinstance(error, discord.HTTPException) and code in (UNKNOWN_INTERACTION, ALREADY_ACKNOWLEDGED):
            # Expired by Discord's clock, answered already (the same event twice), or never ours: nothing more can
            # be sent for it, and nothing about it is our failure to log as one.
            log.warning("interaction %s: Discord refused the reply (%s %s); nothing more sent", interaction.id, error.status, code)
            return
        # Discord refused it (HTTP 400: a limit we missed) or rendering failed: still answer the person.
        log.exception("interaction %s: the reply could not be delivered", interaction.id, exc_info=error)
        if reply is not ERROR_REPLY:
            await self._deliver_error(interaction, UNSHOWN_REPLY, deadline)

    async def _deliver_error(self, interaction: discord.Interaction, error_reply: Reply, deadline: float) -> None:
        try:
            await self._deliver(interaction, error_reply, deadline)
        except Exception:
            log.exception("interaction %s: could not send the error notice either", interaction.id)
