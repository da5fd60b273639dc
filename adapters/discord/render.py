"""Native Discord rendering of every core view: one embed plus rows of buttons, within Discord's limits."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import singledispatch
from typing import Any

import cachetools
import discord

from adapters.discord.grammar import GRAMMAR
from adapters.discord.limits import (
    AUTHOR_NAME,
    BUTTON_LABEL,
    BUTTONS_PER_ROW,
    CUSTOM_ID,
    EMBED_DESCRIPTION,
    EMBED_FIELDS,
    EMBED_TITLE,
    FIELD_NAME,
    FIELD_VALUE,
    FOOTER_TEXT,
    ROWS,
    add_fields_that_fit,
    clip,
    fit_embed,
)
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
    TeamListView,
    TeamView,
    TipLine,
    TipsView,
    WritePrompt,
    WrittenChecklist,
    WrittenResult,
)

log = logging.getLogger(__name__)

# Nothing the bot sends may ping anyone; used on the client and on every send.
NO_MENTIONS = discord.AllowedMentions.none()
EPHEMERAL = discord.MessageFlags(ephemeral=True).value  # message flag 64: only the person who acted sees it

COLOUR_QUESTION = discord.Colour.blurple()
COLOUR_CORRECT = discord.Colour.green()
COLOUR_WRONG = discord.Colour.red()
COLOUR_CLOSED = discord.Colour.dark_grey()
TONE_COLOUR = {
    "info": discord.Colour.blurple(),
    "success": discord.Colour.green(),
    "warning": discord.Colour.gold(),
    "error": discord.Colour.red(),
}
STYLE = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}


@dataclass
class Rendered:
    """What one view looks like on Discord: an embed and its buttons (rows already assigned)."""

    embed: discord.Embed
    specs: tuple[Button, ...] = ()  # the core's buttons this view shows

    @property
    def buttons(self) -> list[discord.ui.Button[discord.ui.View]]:
        """The buttons as discord.py items, five to a row."""
        return buttons(self.specs)

    def to_view(self) -> discord.ui.View:
        """A discord.ui.View holding the buttons, already stopped.

        Stopped on purpose: discord.py then keeps no copy of it in memory (clicks are routed from the
        client's interaction event by their custom_id, see adapters.discord.routing), and no view's timeout
        can end a button's life. Needs a running event loop, like every discord.ui.View.
        """
        view = discord.ui.View(timeout=None)
        for button in buttons(self.specs):
            view.add_item(button)
        view.stop()
        return view


def user_text(text: str) -> str:
    """Text a user supplied (display names): shown literally, never as markdown, never as a ping."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def _shown(specs: tuple[Button, ...]) -> list[Button]:
    """The buttons Discord will take: none with an over-long custom_id, at most five rows of five."""
    out: list[Button] = []
    for spec in specs:
        if len(spec.action_id) > CUSTOM_ID:
            # Discord would reject the whole message; the core promises <= 100, so this is a bug upstream.
            log.error("dropping button %r: custom_id over %d characters", spec.label, CUSTOM_ID)
            continue
        if len(out) == BUTTONS_PER_ROW * ROWS:
            log.error("dropping buttons after the %dth: Discord allows %d rows of %d", len(out), ROWS, BUTTONS_PER_ROW)
            break
        out.append(spec)
    return out


def buttons(specs: tuple[Button, ...]) -> list[discord.ui.Button[discord.ui.View]]:
    """Discord buttons for the core's buttons, five to a row; labels over 80 characters are shortened.

    The only button encoder of this adapter: each custom_id is the core's action id as it is (bot.actions).
    """
    return [
        discord.ui.Button(
            label=clip(spec.label, BUTTON_LABEL),
            custom_id=spec.action_id,
            style=STYLE.get(spec.style, discord.ButtonStyle.secondary),
            disabled=spec.disabled,
            row=index // BUTTONS_PER_ROW,
        )
        for index, spec in enumerate(_shown(specs))
    ]


def _embed(title: str, description: str | None, colour: discord.Colour) -> discord.Embed:
    return discord.Embed(
        title=clip(title, EMBED_TITLE),
        description=clip(description, EMBED_DESCRIPTION) if description else None,
        colour=colour,
    )


def _field(embed: discord.Embed, name: str, value: str, *, inline: bool = False) -> None:
    if len(embed.fields) >= EMBED_FIELDS:
        return
    embed.add_field(name=clip(name, FIELD_NAME), value=clip(value, FIELD_VALUE), inline=inline)


def _footer(embed: discord.Embed, text: str) -> None:
    embed.set_footer(text=clip(text, FOOTER_TEXT))


def _tips(embed: discord.Embed, tips: tuple[TipLine, ...]) -> None:
    add_fields_that_fit(embed, [(tip.title, tip.text) for tip in tips], "tips")


def _done(embed: discord.Embed, specs: tuple[Button, ...] = ()) -> Rendered:
    return Rendered(embed=fit_embed(embed), specs=specs)


@singledispatch
def render(view: object) -> Rendered:
    """The Discord form of one core view; a view type this adapter does not know yet still shows something."""
    title = str(getattr(view, "title", "") or type(view).__name__)
    text = getattr(view, "text", None) or getattr(view, "intro", None)
    lines = getattr(view, "lines", None)
    description = str(text) if text else None
    if lines and isinstance(lines, tuple):
        description = "\n".join([description or "", *map(str, lines)]).strip()
    log.warning("no Discord renderer for %s: showing a generic card", type(view).__name__)
    embed = _embed(title, description, TONE_COLOUR["info"])
    specs = getattr(view, "buttons", ())
    return _done(embed, specs if isinstance(specs, tuple) else ())


@render.register
def _question(card: QuestionCard) -> Rendered:
    description = f"*{card.note}*\n\n{card.prompt}" if card.note else card.prompt
    embed = _embed(f"Question {card.position} / {card.total} · {card.topic}", description, COLOUR_QUESTION)
    for option in card.options:
        _field(embed, option.letter, option.text)
    _footer(embed, card.deck_title)
    # The answers fill the first row (the core caps options at 5, Discord's buttons per row); "Write my answer" follows.
    return _done(embed, (*card.buttons, *card.more_buttons))


def _verdict(view: AnswerFeedback | DailyFeedback, heading: str) -> discord.Embed:
    """The part personal and daily feedback share: verdict, the chosen and best answers, why, and points."""
    if view.correct:
        verdict, colour = f"Correct: {view.chosen.letter} is the best answer", COLOUR_CORRECT
    else:
        verdict, colour = f"Not the best answer: the best was {view.best.letter}", COLOUR_WRONG
    embed = _embed(verdict, heading, colour)
    _field(embed, f"You chose {view.chosen.letter}", view.chosen.text)
    if view.missed:
        _field(embed, f"What {view.chosen.letter} missed", view.missed)
    if not view.correct:
        _field(embed, f"Best answer: {view.best.letter}", view.best.text)
    _field(embed, "Why the best answer is best", view.explanation)
    if view.key_points:
        _field(embed, "What an interviewer listens for", "\n".join(f"☑ {point}" for point in view.key_points))
    if view.sources:
        _field(embed, "Sources", "\n".join(f"• {source}" for source in view.sources))
    _field(embed, f"Points: +{view.points}", view.scoring_note)
    return embed


@render.register
def _feedback(feedback: AnswerFeedback) -> Rendered:
    embed = _verdict(feedback, f"**Question {feedback.position} / {feedback.total}** · {feedback.topic}\n{feedback.prompt}")
    if feedback.next_review:
        _field(embed, "Next review", feedback.next_review)
    _footer(embed, feedback.deck_title)
    return _done(embed, feedback.buttons)


@render.register
def _score(card: ScoreCard) -> Rendered:
    description = f"Points earned in this run: **{card.points}**\n{card.scoring_note}"
    embed = _embed(f"Score: {card.score} / {card.total}", description, COLOUR_CORRECT if card.score == card.total else COLOUR_QUESTION)
    # One field for all topics: a deck of 15 topics as inline fields left too few of the 25 for the tips.
    if card.topics:
        _field(embed, "By topic", "\n".join(f"{t.topic}: {t.correct} / {t.total} correct" for t in card.topics))
    _footer(embed, card.deck_title)  # before the tips, which take what room is left
    if card.tips:
        _field(embed, "How to structure your answers", "The deck's tips:")
        _tips(embed, card.tips)
    return _done(embed, card.buttons)


@render.register
def _tips_view(view: TipsView) -> Rendered:
    embed = _embed("How to structure your answer", view.deck_title, COLOUR_QUESTION)
    if view.tips:
        _tips(embed, view.tips)
    else:
        embed.description = clip(f"{view.deck_title}\n\nThis deck has no tips yet.", EMBED_DESCRIPTION)
    return _done(embed, view.buttons)


@render.register
def _help(view: HelpView) -> Rendered:
    embed = _embed("recsys-quiz", view.intro, COLOUR_QUESTION)
    # One field per group: a field holds 1,024 characters, and all the commands in one were cut off mid-line.
    for group in GROUPS:
        lines = [
            f"`{GRAMMAR.usage(c.name)}`: {'Admins: ' if c.audience == 'admins' else ''}{c.description}"
            for c in view.commands
            if c.group == group and c.name in GRAMMAR.syntax
        ]
        if lines:
            _field(embed, group, "\n".join(lines))
    decks = "\n".join(f"**{d.title}** (`{d.id}`): {d.questions} questions" for d in view.decks)
    _field(embed, "Decks", decks or "-")
    _field(embed, "Scoring", view.scoring_rule)
    return _done(embed, view.buttons)


@render.register
def _leaderboard(view: LeaderboardView) -> Rendered:
    lines = []
    for row in view.rows:
        name = user_text(row.name)
        line = f"**{row.rank}.** {name}: {row.points} point{'s' if row.points != 1 else ''}"
        if row.detail:
            line += f" ({user_text(row.detail)})"
        lines.append(f"{line} ← you" if row.is_asker else line)
    description = "\n".join(lines) if lines else GRAMMAR.with_hint(view.empty_text, view.empty_hint)
    embed = _embed(view.title, description, COLOUR_QUESTION)
    _field(embed, "Window", f"{view.window} ({view.timezone})", inline=True)
    if view.pages > 1:
        _field(embed, "Page", f"{view.page} / {view.pages}", inline=True)
    _field(embed, "How ranks are counted", view.ranking_rule)
    if view.footer:
        _footer(embed, view.footer)
    return _done(embed, view.buttons)


def _points(n: int) -> str:
    return f"{n} point{'s' if n != 1 else ''}"


def _percent(share: float) -> str:
    return f"{round(100 * share)}%"


@render.register
def _stats(view: StatsView) -> Rendered:
    head = [f"Points: **{view.points}** · answers: **{view.answers}**", *view.lines]
    embed = _embed("Your stats", "\n".join(head), COLOUR_QUESTION)
    embed.set_author(name=clip(view.name, AUTHOR_NAME))  # author names are plain text on Discord: no markdown, no pings
    for deck in view.decks[:10]:
        _field(embed, deck.deck_title, f"{deck.answered} / {deck.total} completed · {deck.runs_finished} runs finished")
    if view.topics:
        topics = "\n".join(
            f"{t.topic}: {t.correct} / {t.answered} ({round(100 * t.correct / t.answered) if t.answered else 0}%)" for t in view.topics
        )
        _field(embed, "Accuracy per topic", topics)
    if view.weakest_topic:
        _field(embed, "Weakest topic", view.weakest_topic)
    if view.windows:
        _field(embed, f"Points by window ({view.timezone})", "\n".join(f"{w.window}: {w.points}" for w in view.windows))
    if view.streak is not None:
        _field(embed, "Daily streak", f"{view.streak.current} in a row (best {view.streak.best})", inline=True)
    if view.team is not None:
        _field(embed, "Team", user_text(view.team), inline=True)
    if not view.decks and not view.topics:
        _field(embed, "Nothing yet", "Answer a question with `/recsys-quiz start` to see your progress here.")
    return _done(embed, getattr(view, "buttons", ()))


@render.register
def _team_list(view: TeamListView) -> Rendered:
    lines = [
        f"**{user_text(t.name)}**: {t.members} member{'s' if t.members != 1 else ''}, {_points(t.points)}"
        + (" ← your team" if t.is_mine else "")
        for t in view.teams
    ]
    embed = _embed("Teams", "\n".join(lines) if lines else view.empty_text, COLOUR_QUESTION)
    _field(embed, "Points counted", view.window, inline=True)
    if view.footer:
        _footer(embed, view.footer)
    return _done(embed)


@render.register
def _team(view: TeamView) -> Rendered:
    lines = [f"{user_text(m.name)}: {_points(m.points)}" for m in view.members]
    embed = _embed(f"Team {user_text(view.name)}", "\n".join(lines) if lines else "No members right now.", COLOUR_QUESTION)
    _field(embed, "Team points", str(view.points), inline=True)
    _field(embed, "Points counted", view.window, inline=True)
    if view.footer:
        _footer(embed, view.footer)
    return _done(embed)


def _answered_as(line: QuestionStatsLine) -> str:
    """A question's prompt (shortened) and how its answers spread over the options."""
    options = "\n".join(
        f"{'✓' if o.correct else '✗'} {_percent(o.share)} ({o.picks}) {o.text}" + (" ← fools most" if o.top_wrong else "")
        for o in line.options
    )
    head = clip(line.prompt, 300)
    return f"{head}\n{options}" if line.answered else f"{head}\nNo answers yet."


@render.register
def _question_stats(view: QuestionStatsView) -> Rendered:
    embed = _embed(f"Question stats · {view.deck_title}", view.note, COLOUR_QUESTION)
    # One field per question: Discord allows 25 fields and 6000 characters, so a longer deck says how many are not shown.
    fields = [
        (f"{line.position}. {line.topic} · {line.answered} answered, {_percent(line.correct_share)} correct", _answered_as(line))
        for line in view.questions
    ]
    add_fields_that_fit(embed, fields, "questions")
    return _done(embed)


def _share_or_none(share: float | None) -> str:
    return _percent(share) if share is not None else "no answers"


@render.register
def _digest(view: DigestView) -> Rendered:
    """The weekly digest: one embed, its chart inside it as the image (the post attaches the PNG under chart_filename)."""
    embed = _embed(f"Weekly digest · {view.week}", f"**{view.answers}** answers · times in {view.timezone}\n{view.note}", COLOUR_QUESTION)
    people = "\n".join(f"**{r.rank}.** {user_text(r.name)}: {_points(r.points)}" for r in view.people)
    _field(embed, "Top people", people or "No points this week.")
    teams = "\n".join(f"**{r.rank}.** {user_text(r.name)}: {_points(r.points)} ({r.detail})" for r in view.teams)
    _field(embed, "Top teams", teams or "No team scored this week.")
    topics = "\n".join(
        f"{t.topic}: {_share_or_none(t.this_week)} (the week before: {_share_or_none(t.last_week)}), {t.answers} answers"
        for t in view.topics
    )
    _field(embed, "Accuracy per topic", topics or "No answers this week.")
    if view.most_missed is not None:
        missed = view.most_missed
        where = f" · {view.most_missed_deck}" if view.most_missed_deck else ""
        name = f"Most missed · {missed.topic}{where} · {missed.answered} answers, {_percent(missed.correct_share)} correct"
        _field(embed, name, _answered_as(missed))
    embed.set_image(url=f"attachment://{view.chart_filename}")
    _footer(embed, view.chart_title)
    return _done(embed)


@render.register
def _daily_post(view: DailyPostView) -> Rendered:
    results = {r.letter: r for r in view.results}
    title = f"{view.date_label} · answer revealed" if view.closed else view.date_label
    embed = _embed(title, f"**{view.topic}**\n{view.prompt}", COLOUR_CLOSED if view.closed else COLOUR_QUESTION)
    for option in view.options:
        result = results.get(option.letter)
        if view.closed and result is not None:
            mark = "✓ best answer · " if result.correct else ""
            name = f"{option.letter} · {mark}{_percent(result.share)} ({result.picks})"
        else:
            name = option.letter
        _field(embed, name, option.text)
    if view.closed:
        if view.best_letter:
            _field(embed, f"Best answer: {view.best_letter}", view.explanation or "-")
        count = f"{view.answered} answered · closed: a new question is out"
    else:
        count = f"{view.answered} answered so far · pick with the buttons; only you see your feedback"
    _footer(embed, f"{count} · {view.deck_title}")
    # The options' buttons fit one row (the core caps options at 5, Discord's buttons per row).
    return _done(embed, view.buttons)


@render.register
def _daily_feedback(view: DailyFeedback) -> Rendered:
    embed = _verdict(view, f"**{view.date_label}** · {view.topic}")
    _field(embed, "Daily streak", f"{view.streak.current} in a row (best {view.streak.best})")
    _footer(embed, f"{view.deck_title} · the results show when the next question is posted")
    return _done(embed)


def _heading(view: WritePrompt | WrittenChecklist | WrittenResult) -> str:
    return f"Question {view.position} / {view.total} · {view.topic}"


def _checklist_lines(view: WrittenChecklist | WrittenResult) -> str:
    return "\n".join(f"{'☑' if point.ticked else '☐'} {point.text}" for point in view.points)


@render.register
def _write_prompt(view: WritePrompt) -> Rendered:
    # Shown only when the form itself could not be opened (adapters.discord.modal opens it): it says how to try again.
    text = f"{view.prompt}\n\nThe form to write your answer in could not be opened just now: click Write my answer again."
    embed = _embed(f"Write your answer · {_heading(view)}", text, COLOUR_QUESTION)
    _footer(embed, view.deck_title)
    return _done(embed)


@render.register
def _written_checklist(view: WrittenChecklist) -> Rendered:
    # What the person wrote fills the description (up to Discord's 4,096 characters, as the form takes 4,000); it is
    # shown as text, never as markdown or a ping.
    embed = _embed(f"Your answer · {_heading(view)}", user_text(view.text), COLOUR_QUESTION)
    if view.note:
        _field(embed, "Note", view.note)
    _field(embed, "The question", view.prompt)
    _field(embed, "Which of these did your answer cover? Tick them, then grade it", _checklist_lines(view))
    _footer(embed, f"{view.deck_title} · only you can see what you wrote")
    return _done(embed, view.buttons)


@render.register
def _written_result(view: WrittenResult) -> Rendered:
    colour = COLOUR_CORRECT if view.grade in ("Good", "Easy") else COLOUR_WRONG
    embed = _embed(f"{view.grade}: {view.covered} of {view.total_points} key points · {_heading(view)}", view.grade_note, colour)
    _field(embed, "What an interviewer listens for", _checklist_lines(view))
    _field(embed, f"Best answer: {view.best.letter}", view.best.text)
    _field(embed, "Why the best answer is best", view.explanation)
    if view.next_review:
        _field(embed, "Next review", view.next_review)
    _field(embed, "Points: +0", view.scoring_note)
    _footer(embed, view.deck_title)
    return _done(embed, view.buttons)


@render.register
def _notice(view: Notice) -> Rendered:
    text = GRAMMAR.with_hint(view.text, view.hint)
    embed = _embed(view.title, text, TONE_COLOUR.get(view.tone, TONE_COLOUR["info"]))
    return _done(embed, view.buttons)


# Views whose embed depends only on the decks (a question in one of its orders, the verdict on one option, a fixed
# notice): their embed is made once and shared by every reply that shows it, keyed by everything but the view's
# buttons (which carry a run id; each of these views shows exactly its own buttons, and a question card its
# more_buttons after them). Rendering a feedback embed costs about 45 µs, a twentieth of a click's CPU. Boards and
# stats differ per person: rendered each time.
SHARED_EMBED_VIEWS = (QuestionCard, AnswerFeedback, DailyFeedback, Notice)
# Bounded whatever the traffic: a deck's questions in their shuffled orders, times its options' verdicts, are a few
# thousand; past this the least recently shown go.
EMBED_CACHE = 8192
_shared_embeds: cachetools.LRUCache[tuple[Any, ...], discord.Embed] = cachetools.LRUCache(maxsize=EMBED_CACHE)


def render_reply(view: object) -> Rendered:
    """`render(view)`, the embed of a deck-bound view shared between replies: discord.py only reads it, and no caller
    may change it."""
    if not isinstance(view, SHARED_EMBED_VIEWS):
        return render(view)
    key = (type(view), *(value for name, value in view.__dict__.items() if name not in ("buttons", "more_buttons")))
    embed = _shared_embeds.get(key)
    if embed is None:
        embed = _shared_embeds[key] = render(view).embed
    return Rendered(embed=embed, specs=(*getattr(view, "buttons", ()), *getattr(view, "more_buttons", ())))
