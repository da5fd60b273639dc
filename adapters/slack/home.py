"""Slack's App Home: the person's home page (bot.home) as a Home tab built with slack_sdk's Block Kit models, published
with views.publish when they open it, and again after their answers while they have it open."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

import cachetools
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.grammar import GRAMMAR
from adapters.slack.render import BUTTON_TEXT_LIMIT, HEADER_TEXT_LIMIT, SECTION_TEXT_LIMIT, packed_lines
from adapters.slack.text import clip, clip_escaped, escape, escape_name
from bot.views import Button, HomeView

log = logging.getLogger(__name__)

# Slack's limit for a Home tab (a message allows 50).
HOME_BLOCKS = 100
# How long after opening the Home tab a person's answers publish it again: a Home nobody looks at is not worth a
# views.publish per answer. Opening the tab always publishes it afresh.
REFRESH_WHILE_OPEN = 3600.0
OPEN_HOMES = 50_000  # people remembered at most (about 100 bytes each)
_BUTTON_STYLE = {"primary": "primary", "success": "primary", "danger": "danger"}


def _mrkdwn(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip_escaped(text, SECTION_TEXT_LIMIT) or "—", verbatim=True))


def _sections(lines: Sequence[str], title: str) -> list[Block]:
    return [_mrkdwn(text) for text in packed_lines(lines, title)]


def _button(button: Button) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=clip(button.label, BUTTON_TEXT_LIMIT), emoji=True),
        action_id=button.action_id,
        style=_BUTTON_STYLE.get(button.style),
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def home_blocks(view: HomeView) -> list[Block]:
    """The Home tab's blocks: user text escaped (names are never mentions or links), within Slack's limits."""
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip("Your recsys-quiz", HEADER_TEXT_LIMIT), emoji=True)),
        _mrkdwn(f"*{escape_name(view.name)}* · {_plural(view.points_this_week, 'point')} {escape(view.week.lower())}"),
    ]
    if view.decks:
        decks = [
            f"• {escape(d.deck_title)}: {d.answered} / {d.total} completed, {_plural(d.runs_finished, 'run')} finished" for d in view.decks
        ]
        blocks.extend(_sections(decks, "*Progress per deck*"))
    else:
        blocks.append(_mrkdwn("*Progress per deck*\nNo answers yet: press Start for your first run."))
    streak = (
        f"{_plural(view.streak.current, 'daily question')} in a row (best {view.streak.best})"
        if view.streak
        else "no daily questions answered yet"
    )
    if view.team is None:
        team = f"none yet (`{escape(GRAMMAR.usage('team join'))}`)"
    elif view.team_rank is None:
        team = f"{escape_name(view.team)}, no points this week yet"
    else:
        team = f"{escape_name(view.team)}, rank {view.team_rank} of {view.teams_ranked} this week"
    blocks.append(_mrkdwn(f"*Daily streak:* {streak}\n*Team:* {team}"))
    # Study mode (issue 19): the due reviews line, with a Review button in `view.buttons`, once it sets due_reviews.
    if view.due_reviews is not None:
        blocks.append(_mrkdwn(f"*Reviews due today:* {view.due_reviews}"))
    blocks.append(DividerBlock())
    top = [f"*{row.rank}.* {escape_name(row.name)}{' _(you)_' if row.is_asker else ''}: {_plural(row.points, 'point')}" for row in view.top]
    blocks.extend(_sections(top or ["No points this week yet."], f"*Top {len(view.top) or 5} this week*"))
    buttons = [_button(b) for b in view.buttons if not b.disabled]
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    footer = f"Weeks start on Monday, times in {escape(view.timezone)}. This page updates when you open it and after your answers."
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    if len(blocks) > HOME_BLOCKS:  # never, with a deck list packed into sections; kept as the guard on Slack's limit
        blocks = [*blocks[: HOME_BLOCKS - 2], *blocks[-2:]]
    return blocks


def home_tab(view: HomeView) -> View:
    """The Home tab as views.publish takes it (slack_sdk validates it against Block Kit's limits on the way out)."""
    return View(type="home", blocks=home_blocks(view))


class HomeTabs:
    """Publishes people's Home tabs: on app_home_opened, and after an answer of someone who opened theirs lately."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, ttl: float = REFRESH_WHILE_OPEN) -> None:
        self._open: cachetools.TTLCache[tuple[str, str], bool] = cachetools.TTLCache(maxsize=OPEN_HOMES, ttl=ttl, timer=clock)

    def opened(self, space_id: str, user_id: str) -> None:
        self._open[(space_id, user_id)] = True

    def is_open(self, space_id: str, user_id: str) -> bool:
        return (space_id, user_id) in self._open

    async def publish(self, client: AsyncWebClient, user_id: str, view: HomeView) -> bool:
        """views.publish of the person's Home tab; False (and one log line) when Slack refuses it."""
        try:
            await client.views_publish(user_id=user_id, view=home_tab(view))
        except Exception as error:  # noqa: BLE001 - a Home tab that cannot be shown now is shown when next opened
            log.warning("publishing the Home tab of %s failed: %s", user_id, error)
            return False
        return True
