"""Answering one interaction with a core Reply within Discord's 3 s: directly when the engine is quick, deferred when not."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import discord

from adapters.discord.callback import NEW_MESSAGE, UPDATE_MESSAGE, InteractionCallbacks, response_deadline, time_left
from adapters.discord.render import EPHEMERAL, NO_MENTIONS, message_data, render
from bot.views import Reply, notice

log = logging.getLogger(__name__)

# Discord drops an interaction not acknowledged within 3 s of its creation, and the gateway and our
# reply each spend some of that on the wire. The engine usually answers in milliseconds, so we wait for
# it up to DEFER_AFTER and answer directly (one request, no "thinking..." flicker); past that we defer
# (type 5 for commands, 6 for buttons) and deliver the result by editing the response or a followup,
# which Discord accepts for 15 minutes.
DEFER_AFTER = 1.5

ERROR_REPLY = notice(
    "Something went wrong",
    "Something went wrong; nothing was recorded. Please try again in a moment.",
    "error",
)

# The work ran (an answer may be on disk) but Discord refused its reply: "nothing was recorded" would be untrue.
# Clicking again is safe either way: a recorded answer then shows "Already answered" and the way on.
UNSHOWN_REPLY = notice(
    "That reply could not be shown",
    "What you did went through, but Discord refused to show its reply. Click the button again, or use "
    "`/recsys-quiz start`, to see where you are.",
    "error",
)

Work = Callable[[], Awaitable[Reply]]

# A burst the bot cannot keep up with expires thousands of clicks within seconds, and one ERROR line each
# buried everything else in the log: the first of a burst is logged with its id, the rest summed up after this.
EXPIRED_SUMMARY_AFTER = 10.0


class ExpiredClicks:
    """Logs interactions whose 3 s ran out before their first response: the first of a burst in full, then one
    summary line for the others every `summary_after` seconds while the burst lasts."""

    def __init__(self, summary_after: float = EXPIRED_SUMMARY_AFTER) -> None:
        self.summary_after = summary_after
        self._summary: asyncio.TimerHandle | None = None
        self._unlogged = 0
        self._latest: int | None = None

    def record(self, interaction_id: int, error: BaseException) -> None:
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


def _is_channel_post(message: discord.Message | None) -> bool:
    """A message the bot posted on its own for the channel: public, and not the response to anyone's interaction."""
    return message is not None and not message.flags.ephemeral and message.interaction_metadata is None


class Responder:
    """Runs the work behind one interaction and delivers its Reply the way Discord needs."""

    def __init__(self, callbacks: InteractionCallbacks, defer_after: float = DEFER_AFTER, expired: ExpiredClicks | None = None) -> None:
        self.callbacks = callbacks
        self.defer_after = defer_after
        self.expired = expired or ExpiredClicks()

    async def answer(self, interaction: discord.Interaction, work: Work) -> None:
        """Run `work` and answer with its Reply; an exception becomes a logged error and an ephemeral notice."""
        deadline = response_deadline(interaction)  # taken on arrival, before any of the 3 s go to the work
        task = asyncio.ensure_future(self._safely(interaction, work))
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        deferred = False
        if not done:
            deferred = await self._defer(interaction)
        reply = await task
        try:
            await self._deliver(interaction, reply, deferred, deadline)
        except discord.NotFound as error:
            # 10062 Unknown interaction: it expired (answered after 3 s) or was never ours; nothing more can be sent.
            log.error("interaction %s: Discord no longer knows it (%s); the reply was not shown", interaction.id, error)
        except Exception as error:
            await self._undelivered(interaction, reply, deferred, deadline, error)

    async def _undelivered(self, interaction: discord.Interaction, reply: Reply, deferred: bool, deadline: float, error: Exception) -> None:
        if not deferred and (isinstance(error, TimeoutError) or time_left(deadline) <= 0):
            # Discord's 3 s for a first response are over: a notice through the callback could only meet 10062
            # (holding a pooled connection meanwhile), and a followup needs an acknowledged interaction.
            self.expired.record(interaction.id, error)
            return
        # Discord refused it (HTTP 400: a limit we missed) or rendering failed: still answer the person.
        log.exception("interaction %s: the reply could not be delivered", interaction.id, exc_info=error)
        if reply is not ERROR_REPLY:
            await self._deliver_error(interaction, UNSHOWN_REPLY, deferred, deadline)

    @staticmethod
    async def _safely(interaction: discord.Interaction, work: Work) -> Reply:
        try:
            return await work()
        except Exception:
            log.exception("interaction %s: the handler failed; answering with an error notice", interaction.id)
            return ERROR_REPLY

    @staticmethod
    async def _defer(interaction: discord.Interaction) -> bool:
        try:
            if interaction.type is discord.InteractionType.component:
                await interaction.response.defer()  # type 6: we may edit the clicked message later
            else:
                # type 5; personal replies are ephemeral, so the "thinking..." message is too
                await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException as error:
            log.error("interaction %s: could not defer: %s", interaction.id, error)
        return interaction.response.is_done()

    async def _deliver(self, interaction: discord.Interaction, reply: Reply, deferred: bool, deadline: float) -> None:
        is_click = interaction.type is discord.InteractionType.component
        replace = reply.replace and is_click  # a slash command has no message to replace
        if replace and _is_channel_post(interaction.message):
            # A click on a message the bot posted for everyone (the daily question): replacing it would show
            # one person's reply to the whole channel. The core never asks for that; should it, answer privately.
            log.warning("interaction %s: not replacing a shared channel post; replying privately instead", interaction.id)
            replace, reply = False, reply.model_copy(update={"replace": False, "ephemeral": True})
        if not deferred:
            # The common case, once per click: the first response, posted directly (see InteractionCallbacks).
            data = message_data(reply.view)
            if not replace and reply.ephemeral:
                data["flags"] = EPHEMERAL
            await self.callbacks.send(interaction, UPDATE_MESSAGE if replace else NEW_MESSAGE, data, deadline)
            return
        rendered = render(reply.view)
        embed, view = rendered.embed, rendered.to_view()
        if replace or (not is_click and reply.ephemeral):
            # After type 6 the original is the clicked message; after type 5 it is our "thinking..." message.
            await interaction.edit_original_response(embed=embed, view=view, allowed_mentions=NO_MENTIONS)
        else:
            if not is_click:
                await interaction.delete_original_response()  # the ephemeral "thinking..." message
            await interaction.followup.send(embed=embed, view=view, ephemeral=reply.ephemeral, allowed_mentions=NO_MENTIONS)

    async def _deliver_error(self, interaction: discord.Interaction, error_reply: Reply, deferred: bool, deadline: float) -> None:
        try:
            if interaction.response.is_done():
                rendered = render(error_reply.view)
                await interaction.followup.send(embed=rendered.embed, ephemeral=True, allowed_mentions=NO_MENTIONS)
            else:
                await self._deliver(interaction, error_reply, deferred, deadline)
        except Exception:
            log.exception("interaction %s: could not send the error notice either", interaction.id)
