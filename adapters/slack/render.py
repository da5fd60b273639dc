"""Block Kit for every view type, as plain dicts built by a few helpers that hold Slack's limits.

The helpers produce exactly what slack_sdk.models.blocks would (tests/slack/test_render.py compares
them, and checks every view type against the limits), without slack_sdk's per-object validation and
`to_dict` walk at run time: that cost about 2 ms a card, most of a click's CPU.
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import singledispatch
from typing import Any

from adapters.slack.grammar import GRAMMAR
from adapters.slack.text import clip, clip_escaped, escape, escape_name, nonempty
from bot.commands import GROUPS
from bot.views import (
    AnswerFeedback,
    Button,
    DailyFeedback,
    DailyPostView,
    DigestView,
    HelpView,
    LeaderboardView,
    Notice,
    QuestionCard,
    QuestionStatsLine,
    QuestionStatsView,
    ScoreCard,
    StatsView,
    Streak,
    TeamListView,
    TeamView,
    TipLine,
    TipsView,
    WritePrompt,
    WrittenChecklist,
    WrittenResult,
)

log = logging.getLogger(__name__)

COMMAND = GRAMMAR.prefix
# Slack's Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
MAX_BLOCKS = 50
SECTION_TEXT_LIMIT = 3000
HEADER_TEXT_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
ACTION_ID_LIMIT = 255
ACTIONS_PER_BLOCK = 25
CONTEXT_ELEMENTS = 10
# The top-level `text` is what notifications and screen readers get; Slack truncates it at 40,000,
# but a fallback is a summary, so it stays short.
FALLBACK_TEXT_LIMIT = 3000

_TONE_EMOJI = {"info": ":information_source:", "success": ":white_check_mark:", "warning": ":warning:", "error": ":x:"}
# Slack buttons know only "primary" (green) and "danger" (red); anything else is the default look.
_BUTTON_STYLE = {"primary": "primary", "success": "primary", "danger": "danger"}


Block = dict[str, Any]  # one Block Kit block, as Slack's JSON


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """A rendered view: Block Kit blocks (dicts within Slack's limits; never mutated) and the plain-text fallback."""

    text: str
    blocks: tuple[Block, ...]

    def payload(self) -> dict[str, Any]:
        """The message as fresh dicts to hand to code that may change them (slack_sdk's Web API calls): blocks are
        shared between messages (see _feedback_verdict). Replies to a response_url are encoded from `blocks` as they are."""
        return {"text": self.text, "blocks": copy.deepcopy(list(self.blocks))}


# Block helpers: every dynamic string goes through escape(); mrkdwn is verbatim so Slack never
# auto-links names or channels inside it.


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"text": nonempty(clip_escaped(text, SECTION_TEXT_LIMIT)), "type": "mrkdwn", "verbatim": True}


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"emoji": True, "text": nonempty(clip(text, limit)), "type": "plain_text"}


def header(text: str) -> Block:
    # plain_text is never parsed for mentions or links, so it is clipped, not escaped.
    return {"text": _plain(text.replace("\n", " "), HEADER_TEXT_LIMIT), "type": "header"}


def section(text: str) -> Block:
    """A section of mrkdwn that is already escaped."""
    return {"text": _mrkdwn(text), "type": "section"}


def context(*texts: str) -> Block:
    """A small-print line of escaped mrkdwn parts."""
    parts = [t for t in texts if t.strip()][:CONTEXT_ELEMENTS] or ["—"]
    return {"elements": [_mrkdwn(t) for t in parts], "type": "context"}


def divider() -> Block:
    return {"type": "divider"}


def _button(label: str, action_id: str, style: str | None = None) -> dict[str, Any]:
    """A button element; `style` is Slack's ("primary", "danger") or None for the default look."""
    element: dict[str, Any] = {"action_id": action_id, "text": _plain(label, BUTTON_TEXT_LIMIT), "type": "button"}
    if style is not None:
        element["style"] = style
    return element


def actions(buttons: Iterable[Button]) -> list[Block]:
    """Buttons in actions blocks of at most 25; disabled ones are left out (Slack buttons cannot be disabled)."""
    elements: list[dict[str, Any]] = []
    seen: set[str] = set()
    for button in buttons:
        if button.disabled:
            continue
        if len(button.action_id) > ACTION_ID_LIMIT or button.action_id in seen:
            # Slack rejects the whole message for a duplicate or over-long action_id.
            log.warning("dropping button %r: action id duplicate or over %d characters", button.label, ACTION_ID_LIMIT)
            continue
        seen.add(button.action_id)
        elements.append(_button(button.label, button.action_id, _BUTTON_STYLE.get(button.style)))
    return [{"elements": elements[i : i + ACTIONS_PER_BLOCK], "type": "actions"} for i in range(0, len(elements), ACTIONS_PER_BLOCK)]


def _buttons_of(view: object) -> tuple[Button, ...]:
    return tuple(getattr(view, "buttons", ()) or ())


def packed_lines(lines: Sequence[str], title: str = "", limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """Escaped lines packed into as few texts of at most `limit` characters as they fit in (never cut mid-line)."""
    texts: list[str] = []
    current = title
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit and current:
            texts.append(current)
            candidate = line
        current = candidate
    if current:
        texts.append(current)
    return texts


def line_sections(lines: Sequence[str], title: str = "") -> list[Block]:
    """Escaped lines packed into as few sections as fit Slack's 3000 characters each (a long list is never cut mid-line)."""
    return [section(text) for text in packed_lines(lines, title)]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _share(share: float) -> str:
    return f"{share:.0%}"


def _bar(share: float, width: int = 10) -> str:
    filled = round(max(0.0, min(share, 1.0)) * width)
    return "▓" * filled + "░" * (width - filled)


def _streak(streak: Streak) -> str:
    return f"{_plural(streak.current, 'daily question')} in a row (best {streak.best})"


def _tip_sections(tips: Sequence[TipLine]) -> list[Block]:
    return [section(f"*{escape(tip.title)}*\n{escape(tip.text)}") for tip in tips]


def _items_that_fit(head: list[Block], items: list[Block], tail: list[Block], what: str) -> list[Block]:
    """`head`, as many of `items` as fit in Slack's 50 blocks beside `tail`, a line counting those left out, `tail`."""
    if len(head) + len(items) + len(tail) <= MAX_BLOCKS:
        return [*head, *items, *tail]
    shown = items[: max(MAX_BLOCKS - len(head) - len(tail) - 1, 0)]
    return [*head, *shown, context(f"… {len(items) - len(shown)} more {what} not shown"), *tail]


def _fit(blocks: list[Block]) -> list[Block]:
    """At most 50 blocks (Slack's limit): the middle is cut visibly, the closing buttons are kept.

    A view that can run long (tips, question stats) keeps to the limit itself with _items_that_fit, which counts
    what it leaves out; this is the guard for the rest, and counts the blocks it hides (a divider is not one).
    """
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    tail = [b for b in blocks[-2:] if b["type"] == "actions"]
    keep = MAX_BLOCKS - 1 - len(tail)
    hidden = sum(1 for block in blocks[keep : len(blocks) - len(tail)] if block["type"] != "divider")
    return [*blocks[:keep], context(f"… {hidden} more not shown"), *tail]


def message(fallback: str, blocks: list[Block]) -> SlackMessage:
    """The blocks cut to Slack's 50 (each helper already holds its own limits), with the fallback text."""
    return SlackMessage(text=nonempty(clip_escaped(fallback, FALLBACK_TEXT_LIMIT)), blocks=tuple(_fit(blocks)))


# Renderers -------------------------------------------------------------------------------------


@singledispatch
def _render(view: object) -> SlackMessage:
    # A view type added to the core before this adapter learnt it: show its title and text, keep its buttons.
    log.warning("no Slack renderer for %s; using the generic one", type(view).__name__)
    title = str(getattr(view, "title", "") or type(view).__name__)
    body = str(getattr(view, "text", "") or "")
    blocks: list[Block] = [section(f"*{escape(title)}*" + (f"\n{escape(body)}" if body else "")), *actions(_buttons_of(view))]
    return message(f"{escape(title)}" + (f": {escape(body)}" if body else ""), blocks)


def render(view: object) -> SlackMessage:
    """The Slack message of one view."""
    return _render(view)


def has_renderer(view_type: type) -> bool:
    return _render.dispatch(view_type) is not _render.dispatch(object)


def _progress(position: int, total: int) -> str:
    return f"Question {position} of {total}"


@_render.register
def _question(card: QuestionCard) -> SlackMessage:
    # Headers are plain_text (never parsed, so never a mention); deck text still stays in escaped mrkdwn.
    blocks: list[Block] = [header(_progress(card.position, card.total))]
    if card.note:
        blocks.append(context(f"_{escape(card.note)}_"))
    blocks.append(section(f"*{escape(card.prompt)}*"))
    blocks.extend(section(f"*{escape(o.letter)}.*  {escape(o.text)}") for o in card.options)
    blocks.append(context(f"{escape(card.deck_title)} · {escape(card.topic)} · {_progress(card.position, card.total)}"))
    blocks.extend(actions((*card.buttons, *card.more_buttons)))
    # The fallback is what a notification shows: the question, not four long answers.
    letters = ", ".join(escape(o.letter) for o in card.options)
    return message(f"{_progress(card.position, card.total)}: {escape(card.prompt)} (answer with {letters})", blocks)


# A feedback card differs from one person to the next only in its button (the run's "next" action id): the rest is
# rendered once per verdict (question, place, options chosen and best, points). Bounded by the decks, like the
# engine's own verdict cache; never grows with people.
FEEDBACK_CACHE_SIZE = 4096


def _checklist(key_points: tuple[str, ...]) -> list[Block]:
    """What an interviewer listens for in the best answer, one ticked line per point."""
    if not key_points:
        return []
    return [section("*What an interviewer listens for:*\n" + "\n".join(f":ballot_box_with_check: {escape(p)}" for p in key_points))]


@_render.register
def _feedback(view: AnswerFeedback) -> SlackMessage:
    fallback, blocks = _feedback_verdict(view.model_copy(update={"buttons": (), "next_review": None}))
    review = [context(f"*{escape(view.next_review)}*")] if view.next_review else []
    return SlackMessage(text=fallback, blocks=tuple(_fit([*blocks, *review, *actions(view.buttons)])))


def _verdict_line(view: AnswerFeedback | DailyFeedback) -> str:
    return "Correct: that's the best answer" if view.correct else f"Not the best answer: the best was {view.best.letter}"


def _verdict_blocks(view: AnswerFeedback | DailyFeedback, where: str, prompt: bool) -> list[Block]:
    """What personal and daily feedback share: the verdict, the chosen answer and what it missed, the best answer,
    why it is best, the checklist and the points."""
    blocks: list[Block] = [
        header(f"{':white_check_mark:' if view.correct else ':x:'} {_verdict_line(view)}"),
        context(where),
        *([section(f"_{escape(view.prompt)}_")] if prompt and isinstance(view, AnswerFeedback) else []),
        section(f"*You chose {escape(view.chosen.letter)}:* {escape(view.chosen.text)}"),
    ]
    if view.missed:
        blocks.append(section(f"*What it misses:* {escape(view.missed)}"))
    if not view.correct:
        blocks.append(section(f"*Best answer ({escape(view.best.letter)}):* {escape(view.best.text)}"))
    blocks.append(section(f"*Why the best answer is best:* {escape(view.explanation)}"))
    blocks.extend(_checklist(view.key_points))
    if view.sources:
        blocks.append(context("*Sources:* " + escape("; ".join(view.sources))))
    points = f"+{_plural(view.points, 'point')}" if view.points else "No points"
    blocks.append(context(f"*{points}*", escape(view.scoring_note)))
    return blocks


@functools.lru_cache(maxsize=FEEDBACK_CACHE_SIZE)
def _feedback_verdict(view: AnswerFeedback) -> tuple[str, tuple[Block, ...]]:
    """A feedback card's fallback text (clipped) and its blocks without the buttons."""
    where = f"{_progress(view.position, view.total)} · {escape(view.topic)} · {escape(view.deck_title)}"
    blocks = _verdict_blocks(view, where, prompt=True)
    return message(f"{_verdict_line(view)}. {escape(view.scoring_note)}", blocks).text, tuple(blocks)


@_render.register
def _score(card: ScoreCard) -> SlackMessage:
    topics = "\n".join(f"• {escape(t.topic)}: {t.correct} / {t.total}" for t in card.topics)
    head: list[Block] = [
        header(f"Your score: {card.score} / {card.total}"),
        context(escape(card.deck_title)),
        section(f"*Points earned this run:* {card.points}" + (f"\n\n*Per topic*\n{topics}" if topics else "")),
    ]
    if card.tips:
        head.extend([divider(), section("*How to structure a strong answer*")])
    tail = [context(escape(card.scoring_note)), *actions(card.buttons)]
    blocks = _items_that_fit(head, _tip_sections(card.tips), tail, "tips")
    return message(f"Your score: {card.score} / {card.total}, {card.points} point(s) earned. {escape(card.deck_title)}", blocks)


@_render.register
def _tips(view: TipsView) -> SlackMessage:
    head = [header("How to structure a strong answer"), context(escape(view.deck_title))]
    blocks = _items_that_fit(head, _tip_sections(view.tips), actions(view.buttons), "tips")
    titles = ", ".join(escape(t.title) for t in view.tips)
    return message(f"How to structure a strong answer ({escape(view.deck_title)}): {titles}", blocks)


@_render.register
def _help(view: HelpView) -> SlackMessage:
    commands = [c for c in view.commands if c.name in GRAMMAR.syntax]
    decks = "\n".join(f"• `{escape(d.id)}`  {escape(d.title)} ({d.questions} questions)" for d in view.decks)
    blocks: list[Block] = [header("recsys-quiz"), section(escape(view.intro))]
    for group in GROUPS:
        lines = [
            f"`{escape(GRAMMAR.usage(c.name))}`  {'Admins: ' if c.audience == 'admins' else ''}{escape(c.description)}"
            for c in commands
            if c.group == group
        ]
        if lines:
            blocks.append(section(f"*{group}*\n" + "\n".join(lines)))
    if decks:
        blocks.append(section(f"*Decks*\n{decks}"))
    blocks.append(context(f"*Scoring:* {escape(view.scoring_rule)}"))
    blocks.extend(actions(view.buttons))
    return message(
        f"recsys-quiz help: {escape(view.intro)} Commands: " + ", ".join(escape(GRAMMAR.usage(c.name)) for c in commands),
        blocks,
    )


@_render.register
def _leaderboard(view: LeaderboardView) -> SlackMessage:
    empty = escape(GRAMMAR.with_hint(view.empty_text, view.empty_hint))
    lines = []
    for row in view.rows:
        you = " _(you)_" if row.is_asker else ""
        detail = f" · {escape(row.detail)}" if row.detail else ""
        lines.append(f"*{row.rank}.* {escape_name(row.name)}{you}: {row.points} point{'' if row.points == 1 else 's'}{detail}")
    blocks: list[Block] = [
        header(view.title),
        context(f"*{escape(view.window)}* · times in {escape(view.timezone)}", escape(view.ranking_rule)),
        *(line_sections(lines) if lines else [section(empty)]),
    ]
    small = [escape(view.footer)] if view.footer else []
    if view.pages > 1:
        # Slack buttons cannot be disabled: the Previous of page 1 and the Next of the last page are left out.
        small.append(f"Page {view.page} of {view.pages} · only you can turn the pages")
    if small:
        blocks.append(context(*small))
    blocks.extend(actions(view.buttons))
    summary = "; ".join(f"{r.rank}. {escape_name(r.name)} {r.points}" for r in view.rows[:10]) or empty
    return message(f"{escape(view.title)} ({escape(view.window)}): {summary}", blocks)


@_render.register
def _stats(view: StatsView) -> SlackMessage:
    blocks: list[Block] = [
        header("Your progress"),
        section(f"*{escape_name(view.name)}*\n*Points:* {view.points}   *Answers:* {view.answers}"),
    ]
    if view.windows:
        points = [f"• {escape(w.window)}: {_plural(w.points, 'point')}" for w in view.windows]
        blocks.extend(line_sections(points, f"*Points by window* (weeks start on Monday; times in {escape(view.timezone)})"))
    team = f"*Team:* {escape_name(view.team)}" if view.team else f"*Team:* none yet (`{COMMAND} team join {escape('<name>')}`)"
    streak = f"*Daily streak:* {_streak(view.streak)}" if view.streak else "*Daily streak:* no daily questions answered yet"
    blocks.append(section(f"{team}\n{streak}"))
    if view.decks:
        decks = [f"• {escape(d.deck_title)}: {d.answered} / {d.total} completed, {d.runs_finished} run(s) finished" for d in view.decks]
        blocks.extend(line_sections(decks, "*Decks*"))
    if view.topics:
        topics = [f"• {escape(t.topic)}: {t.correct} / {t.answered} correct" for t in view.topics]
        blocks.extend(line_sections(topics, "*Accuracy per topic*"))
    if view.weakest_topic:
        blocks.append(section(f"*Weakest topic:* {escape(view.weakest_topic)}"))
    if not view.decks and not view.topics:
        blocks.append(section(f"No answers yet. Try `{COMMAND} start`."))
    if view.lines:
        blocks.extend(line_sections([escape(line) for line in view.lines]))
    blocks.extend(actions(_buttons_of(view)))
    weakest = f", weakest topic: {escape(view.weakest_topic)}" if view.weakest_topic else ""
    streak_text = f", daily streak {view.streak.current}" if view.streak else ""
    return message(f"Progress of {escape_name(view.name)}: {view.points} point(s), {view.answers} answer(s){weakest}{streak_text}", blocks)


@_render.register
def _team_list(view: TeamListView) -> SlackMessage:
    lines = [
        f"• *{escape_name(t.name)}*{' _(yours)_' if t.is_mine else ''}: {_plural(t.members, 'member')}, {_plural(t.points, 'point')}"
        for t in view.teams
    ]
    blocks: list[Block] = [header("Study groups"), context(f"Points: {escape(view.window)}")]
    blocks.extend(line_sections(lines) if lines else [section(escape(view.empty_text))])
    if view.footer:
        blocks.append(context(escape(view.footer)))
    summary = "; ".join(f"{escape_name(t.name)} ({t.members})" for t in view.teams[:20]) or escape(view.empty_text)
    return message(f"Study groups: {summary}", blocks)


@_render.register
def _team(view: TeamView) -> SlackMessage:
    # Team names are user text: they go in escaped mrkdwn, never in the plain_text header.
    lines = [f"• {escape_name(m.name)}: {_plural(m.points, 'point')}" for m in view.members]
    blocks: list[Block] = [
        header("Study group"),
        section(f"*{escape_name(view.name)}*: {_plural(view.points, 'point')} · {_plural(len(view.members), 'member')}"),
        context(f"Points: {escape(view.window)}"),
    ]
    blocks.extend(line_sections(lines, "*Members*") if lines else [section("No members now.")])
    if view.footer:
        blocks.append(context(escape(view.footer)))
    return message(f"Team {escape_name(view.name)}: {_plural(view.points, 'point')}, {_plural(len(view.members), 'member')}", blocks)


def _option_lines(line: QuestionStatsLine) -> list[str]:
    """How a question's answers spread over its options, the best marked and the wrong one that fools the most flagged."""
    lines = []
    for o in line.options:
        mark = ":white_check_mark:" if o.correct else (":warning:" if o.top_wrong else "•")
        note = " _(fools the most people)_" if o.top_wrong else ""
        lines.append(f"{mark} {escape(o.text)}: {_share(o.share)} ({o.picks}){note}")
    return lines


@_render.register
def _question_stats(view: QuestionStatsView) -> SlackMessage:
    head = [header("How each question was answered"), context(escape(view.deck_title), escape(view.note))]
    blocks: list[Block] = []
    summary = []
    for q in view.questions:
        if q.answered:
            figures = f"{q.answered} {'person' if q.answered == 1 else 'people'} answered · {_share(q.correct_share)} correct"
            body = "\n".join(_option_lines(q))
        else:
            figures, body = "no answers yet", ""
        blocks.append(section(f"*{q.position}. {escape(q.prompt)}*\n_{escape(q.topic)}_ · {figures}" + (f"\n{body}" if body else "")))
        summary.append(f"Q{q.position}: {figures}")
    if not view.questions:
        blocks.append(section("This deck has no questions."))
    return message(
        f"Question statistics for {escape(view.deck_title)}: " + "; ".join(summary), _items_that_fit(head, blocks, [], "questions")
    )


@_render.register
def _digest(view: DigestView) -> SlackMessage:
    """The weekly digest as a channel message; its chart follows as an uploaded image (see daily.SlackDigestPublisher)."""
    people = [f"*{r.rank}.* {escape_name(r.name)}: {_plural(r.points, 'point')}" for r in view.people]
    teams = [f"*{r.rank}.* {escape_name(r.name)}: {_plural(r.points, 'point')} · {escape(r.detail)}" for r in view.teams]
    topics = [
        f"• {escape(t.topic)}: {_share(t.this_week) if t.this_week is not None else 'no answers'} this week"
        f" (the week before: {_share(t.last_week) if t.last_week is not None else 'no answers'}), {_plural(t.answers, 'answer')}"
        for t in view.topics
    ]
    blocks: list[Block] = [
        header(f"Weekly digest · {view.week}"),
        context(f"*{_plural(view.answers, 'answer')}* · times in {escape(view.timezone)}", escape(view.note)),
        *line_sections(people or ["No points this week."], "*Top people*"),
        *line_sections(teams or ["No team scored this week."], "*Top teams*"),
        *line_sections(topics or ["No answers this week."], "*Accuracy per topic*"),
    ]
    if view.most_missed is not None:
        missed = view.most_missed
        deck = f" · {escape(view.most_missed_deck)}" if view.most_missed_deck else ""
        figures = f"{missed.answered} answers · {_share(missed.correct_share)} correct"
        blocks.extend(
            line_sections(_option_lines(missed), f"*Most missed:* {escape(missed.prompt)}\n_{escape(missed.topic)}{deck}_ · {figures}")
        )
    blocks.append(context(f"The chart of {escape(view.chart_title.lower())} follows as an image."))
    return message(f"Weekly digest, {escape(view.week)}: {_plural(view.answers, 'answer')}.", blocks)


@_render.register
def _daily_post(view: DailyPostView) -> SlackMessage:
    blocks: list[Block] = [
        header(f"{view.date_label} (closed)" if view.closed else view.date_label),
        context(f"{escape(view.deck_title)} · {escape(view.topic)}"),
        section(f"*{escape(view.prompt)}*"),
    ]
    letters = ", ".join(escape(o.letter) for o in view.options)
    if not view.closed:
        blocks.extend(section(f"*{escape(o.letter)}.*  {escape(o.text)}") for o in view.options)
        blocks.append(
            context(
                f"*{_plural(view.answered, 'answer')}* so far",
                "Pick the best answer with the buttons: one answer each, and only you see your feedback.",
            )
        )
        blocks.extend(actions(view.buttons))
        return message(f"{escape(view.date_label)}: {escape(view.prompt)} (answer with {letters})", blocks)
    # Closed: Slack cannot disable buttons, so the reveal carries none at all.
    results = {r.letter: r for r in view.results}
    for o in view.options:
        result = results.get(o.letter)
        # The figures come first, so clipping a long option never cuts them off.
        best = " :white_check_mark: *best answer*" if result is not None and result.correct else ""
        tally = f"`{_bar(result.share)}` {_share(result.share)} ({result.picks})" if result is not None else ""
        blocks.append(section(f"*{escape(o.letter)}.*  {tally}{best}\n{escape(o.text)}"))
    if view.explanation:
        blocks.append(section(f"*Why {escape(view.best_letter or '?')} is best:* {escape(view.explanation)}"))
    blocks.append(context(f"*Closed* · {_plural(view.answered, 'answer')}. The answer was revealed when the next question went out."))
    best_text = f"the best answer was {escape(view.best_letter)}" if view.best_letter else "answers are closed"
    return message(f"{escape(view.date_label)} (closed): {best_text}; {_plural(view.answered, 'answer')}.", blocks)


@_render.register
def _daily_feedback(view: DailyFeedback) -> SlackMessage:
    blocks = _verdict_blocks(view, f"{escape(view.date_label)} · {escape(view.topic)} · {escape(view.deck_title)}", prompt=False)
    blocks.append(context(f":fire: *Streak:* {_streak(view.streak)}"))
    return message(f"{_verdict_line(view)}. {escape(view.scoring_note)} Streak: {view.streak.current} (best {view.streak.best}).", blocks)


def _place(view: WritePrompt | WrittenChecklist | WrittenResult) -> str:
    return f"{_progress(view.position, view.total)} · {escape(view.topic)} · {escape(view.deck_title)}"


def _points(view: WrittenChecklist | WrittenResult) -> str:
    return "\n".join(f"{':ballot_box_with_check:' if p.ticked else ':white_large_square:'} {escape(p.text)}" for p in view.points)


@_render.register
def _write_prompt(view: WritePrompt) -> SlackMessage:
    # Shown only when the modal could not be opened (adapters.slack.modal opens it): it says how to try again.
    blocks = [
        header("Write your answer"),
        context(_place(view)),
        section(f"*{escape(view.prompt)}*\n\nThe form to write your answer in could not be opened just now: click Write my answer again."),
    ]
    return message(f"Write your answer: {escape(view.prompt)}", blocks)


@_render.register
def _written_checklist(view: WrittenChecklist) -> SlackMessage:
    # What the person wrote is shown as text (escaped, its marks literal) in sections of Slack's 3,000 characters: the
    # form takes 3,000, and escaping can lengthen it.
    written = escape_name(view.text)
    blocks: list[Block] = [header("Your answer"), context(_place(view))]
    if view.note:
        blocks.append(context(f"_{escape(view.note)}_"))
    blocks.append(section(f"_{escape(view.prompt)}_"))
    blocks.extend(section(written[i : i + SECTION_TEXT_LIMIT]) for i in range(0, len(written), SECTION_TEXT_LIMIT))
    blocks.append(section(f"*Which of these did your answer cover?* Tick them, then grade it.\n{_points(view)}"))
    blocks.append(context("Only you can see what you wrote."))
    blocks.extend(actions(view.buttons))
    return message(f"Your answer to {escape(view.prompt)}: tick the key points it covered.", blocks)


@_render.register
def _written_result(view: WrittenResult) -> SlackMessage:
    mark = ":white_check_mark:" if view.grade in ("Good", "Easy") else ":repeat:"
    blocks: list[Block] = [
        header(f"{mark} {view.grade}: {view.covered} of {view.total_points} key points"),
        context(_place(view)),
        section(escape(view.grade_note)),
        section(f"*What an interviewer listens for:*\n{_points(view)}"),
        section(f"*Best answer ({escape(view.best.letter)}):* {escape(view.best.text)}"),
        section(f"*Why the best answer is best:* {escape(view.explanation)}"),
    ]
    if view.next_review:
        blocks.append(context(f"*{escape(view.next_review)}*"))
    blocks.append(context(escape(view.scoring_note)))
    blocks.extend(actions(view.buttons))
    return message(f"{view.grade}: {view.covered} of {view.total_points} key points. {escape(view.grade_note)}", blocks)


@_render.register
def _notice(view: Notice) -> SlackMessage:
    emoji = _TONE_EMOJI.get(view.tone, _TONE_EMOJI["info"])
    text = escape(GRAMMAR.with_hint(view.text, view.hint))
    blocks: list[Block] = [section(f"{emoji} *{escape(view.title)}*\n{text}"), *actions(view.buttons)]
    return message(f"{escape(view.title)}: {text}", blocks)


def with_preface(rendered: SlackMessage, text: str) -> SlackMessage:
    """The message with a small line of escaped mrkdwn above it (e.g. "I don't know that command")."""
    line = context(text)
    blocks = (line, *rendered.blocks)
    if len(blocks) > MAX_BLOCKS:  # drop from the middle, keep the closing buttons
        blocks = (*blocks[: MAX_BLOCKS - 1], blocks[-1])
    return SlackMessage(text=clip_escaped(f"{text} {rendered.text}", FALLBACK_TEXT_LIMIT), blocks=blocks)
