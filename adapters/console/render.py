"""Rich renderables for every view type; user text is always plain Text, never parsed as markup nor obeyed as a control."""

from __future__ import annotations

from functools import singledispatch

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from adapters.console.grammar import GRAMMAR, OPERATOR_SYNTAX
from bot.commands import GROUPS
from bot.names import clean_display_name, clean_lines
from bot.views import (
    AnswerFeedback,
    ChecklistPoint,
    DailyFeedback,
    DailyPostView,
    HelpView,
    LeaderboardView,
    Notice,
    QuestionCard,
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

_TONE_STYLE = {"info": "cyan", "success": "green", "warning": "yellow", "error": "red"}


@singledispatch
def render(view: object) -> RenderableType:
    """The rich renderable of one view."""
    raise TypeError(f"no console renderer for {type(view).__name__}")


def _name(text: str, style: str = "") -> Text:
    """A name people gave: new ones are cleaned where they come in (bot.origin), but a database written by an earlier
    version may hold one with terminal controls (ESC, OSC, CSI), and rich prints ESC as it is."""
    return Text(clean_display_name(text), style=style)


def _tips(tips: tuple[TipLine, ...]) -> Text:
    text = Text()
    for tip in tips:
        text.append(f"• {tip.title}: ", style="bold")
        text.append(f"{tip.text}\n")
    return text


@render.register
def _(card: QuestionCard) -> RenderableType:
    body = Text()
    if card.note:
        body.append(f"{card.note}\n\n", style="italic")
    body.append(card.prompt + "\n", style="bold")
    for option in card.options:
        body.append(f"\n{option.letter}) ", style="bold cyan")
        body.append(option.text + "\n")
    title = f"Question {card.position} / {card.total} · {card.topic}"
    return Panel(body, title=Text(title), subtitle=Text(card.deck_title), title_align="left", border_style="cyan")


def _verdict(view: AnswerFeedback | DailyFeedback) -> Text:
    """The part personal and daily feedback share: verdict, what the chosen answer missed, the best answer, why, the checklist."""
    body = Text()
    verdict = "Correct: that's the best answer." if view.correct else f"Not the best answer. The best was {view.best.letter}."
    body.append(verdict + "\n", style="bold green" if view.correct else "bold red")
    body.append(f"\nYou chose {view.chosen.letter}.", style="bold")
    if view.missed:
        body.append(" What it misses: ", style="bold")
        body.append(view.missed)
    if not view.correct:
        body.append(f"\n\nBest answer ({view.best.letter}): ", style="bold")
        body.append(view.best.text)
    body.append("\n\nWhy the best answer is best: ", style="bold")
    body.append(view.explanation)
    if view.key_points:
        body.append("\n\nWhat an interviewer listens for:", style="bold")
        for point in view.key_points:
            body.append(f"\n  ☑ {point}")
    if view.sources:
        body.append("\n\nSources: ", style="dim bold")
        body.append("; ".join(view.sources), style="dim")
    body.append(f"\n\n{view.scoring_note}", style="italic")
    if isinstance(view, AnswerFeedback) and view.next_review:
        body.append(f"\n{view.next_review}", style="bold")
    return body


@render.register
def _(feedback: AnswerFeedback) -> RenderableType:
    title = f"Question {feedback.position} / {feedback.total} · {feedback.topic}"
    return Panel(_verdict(feedback), title=Text(title), title_align="left", border_style="green" if feedback.correct else "red")


@render.register
def _(card: ScoreCard) -> RenderableType:
    table = Table(title="Result per topic", show_edge=False)
    table.add_column("Topic")
    table.add_column("Correct", justify="right")
    for topic in card.topics:
        table.add_row(Text(topic.topic), f"{topic.correct} / {topic.total}")
    head = Text(f"Score: {card.score} / {card.total}   Points earned: {card.points}\n", style="bold")
    tips = Text("\nStructure for RecSys interview answers\n", style="bold")
    tips.append_text(_tips(card.tips))
    tips.append(f"\n{card.scoring_note}", style="italic")
    return Panel(Group(head, table, tips), title=Text(f"Score card · {card.deck_title}"), title_align="left", border_style="magenta")


@render.register
def _(view: TipsView) -> RenderableType:
    return Panel(_tips(view.tips), title=Text(f"Tips · {view.deck_title}"), title_align="left")


@render.register
def _(view: HelpView) -> RenderableType:
    body = Text(view.intro + "\n")
    for group in GROUPS:
        commands = [c for c in view.commands if c.group == group and c.name in GRAMMAR.syntax]
        if commands:
            body.append(f"\n{group}\n", style="bold")
            for command in commands:
                body.append(f"  {GRAMMAR.usage(command.name)}\n", style="cyan")
                body.append(f"      {command.description}\n")
    body.append("\nRunning the bot\n", style="bold")
    for syntax, description in OPERATOR_SYNTAX.values():
        body.append(f"  {GRAMMAR.prefix} {syntax}\n", style="cyan")
        body.append(f"      {description}\n")
    body.append("\nStudy groups, the daily question and review reminders are on Discord and Slack.\n", style="italic")
    body.append("\nDecks\n", style="bold")
    for deck in view.decks:
        body.append(f"  {deck.id}: {deck.title} ({deck.questions} questions)\n")
    body.append(f"\n{view.scoring_rule}", style="italic")
    return Panel(body, title="recsys-quiz", title_align="left")


@render.register
def _(board: LeaderboardView) -> RenderableType:
    table = Table(show_edge=False)
    table.add_column("Rank", justify="right")
    table.add_column("Name")
    table.add_column("Points", justify="right")
    if any(row.detail for row in board.rows):
        table.add_column("")
    for row in board.rows:
        cells = [str(row.rank), _name(row.name, "bold" if row.is_asker else ""), str(row.points)]
        table.add_row(*cells, *([_name(row.detail)] if any(r.detail for r in board.rows) else []))
    heading = Text(f"{board.title} · {board.window} · {board.timezone}", style="bold")
    parts: list[RenderableType] = [heading, table if board.rows else Text(GRAMMAR.with_hint(board.empty_text, board.empty_hint))]
    if board.pages > 1:
        parts.append(Text(f"Page {board.page} / {board.pages}"))
    if board.footer:
        parts.append(_name(board.footer))
    parts.append(Text(board.ranking_rule, style="italic"))
    return Group(*parts)


@render.register
def _(stats: StatsView) -> RenderableType:
    body = Text(f"Points: {stats.points}   Answers: {stats.answers}\n", style="bold")
    if stats.team:
        body.append("Team: ")
        body.append_text(_name(stats.team))
        body.append("\n")
    for window in stats.windows:
        body.append(f"  {window.window}: {window.points} point{'' if window.points == 1 else 's'}\n")
    if stats.streak is not None:
        body.append(f"Daily streak: {stats.streak.current} (best {stats.streak.best})\n")
    for deck in stats.decks:
        body.append(f"{deck.deck_title}: {deck.answered} / {deck.total} completed, {deck.runs_finished} run(s) finished\n")
    for topic in stats.topics:
        body.append(f"  {topic.topic}: {topic.correct} / {topic.answered} correct\n")
    if stats.weakest_topic:
        body.append(f"Weakest topic: {stats.weakest_topic}\n", style="bold yellow")
    for line in stats.lines:
        body.append(line + "\n")
    if not stats.answers:
        body.append("No answers yet: run `recsys-quiz play` to start.\n")
    title = Text("Stats · ").append_text(_name(stats.name))
    return Panel(body, title=title, subtitle=Text(f"weeks and months in {stats.timezone}"), title_align="left")


@render.register
def _(view: TeamListView) -> RenderableType:
    table = Table(show_edge=False)
    table.add_column("Team")
    table.add_column("Members", justify="right")
    table.add_column("Points", justify="right")
    for team in view.teams:
        table.add_row(_name(team.name, "bold" if team.is_mine else ""), str(team.members), str(team.points))
    parts: list[RenderableType] = [Text(f"Teams · {view.window}", style="bold"), table if view.teams else Text(view.empty_text)]
    if view.footer:
        parts.append(_name(view.footer))
    return Group(*parts)


@render.register
def _(view: TeamView) -> RenderableType:
    table = Table(show_edge=False)
    table.add_column("Member")
    table.add_column("Points", justify="right")
    for member in view.members:
        table.add_row(_name(member.name), str(member.points))
    head = Text(f"{view.points} points · {view.window}\n", style="bold")
    parts: list[RenderableType] = [head, table if view.members else Text("No members.")]
    if view.footer:
        parts.append(_name(view.footer, "italic"))
    return Panel(Group(*parts), title=Text("Team ").append_text(_name(view.name)), title_align="left")


@render.register
def _(view: QuestionStatsView) -> RenderableType:
    body = Text()
    for line in view.questions:
        body.append(f"{line.position}. {line.topic}: {line.answered} answered, {line.correct_share:.0%} correct\n", style="bold")
        for option in line.options:
            mark = "✓" if option.correct else ("← fools most" if option.top_wrong else "")
            body.append(f"   {option.share:>4.0%}  {option.text} {mark}\n")
    body.append(view.note, style="italic")
    return Panel(body, title=Text(f"Question stats · {view.deck_title}"), title_align="left")


@render.register
def _(post: DailyPostView) -> RenderableType:
    body = Text(post.prompt + "\n", style="bold")
    for option in post.options:
        body.append(f"\n{option.letter}) ", style="bold cyan")
        body.append(option.text + "\n")
    if post.closed:
        body.append(f"\nClosed. Best answer: {post.best_letter}.\n", style="bold green")
        for result in post.results:
            mark = " ✓" if result.correct else ""
            body.append(f"  {result.letter}: {result.share:.0%} ({result.picks}){mark}\n")
        if post.explanation:
            body.append(post.explanation + "\n")
    else:
        body.append(f"\n{post.answered} answered so far.\n", style="italic")
    return Panel(body, title=Text(f"{post.date_label} · {post.topic}"), subtitle=Text(post.deck_title), title_align="left")


@render.register
def _(feedback: DailyFeedback) -> RenderableType:
    body = _verdict(feedback)
    body.append(f"\nDaily streak: {feedback.streak.current} (best {feedback.streak.best})")
    title = f"{feedback.date_label} · {feedback.topic}"
    return Panel(body, title=Text(title), title_align="left", border_style="green" if feedback.correct else "red")


def _heading(view: WritePrompt | WrittenChecklist | WrittenResult) -> Text:
    return Text(f"Question {view.position} / {view.total} · {view.topic}")


@render.register
def _(view: WritePrompt) -> RenderableType:
    body = Text(view.prompt + "\n\n", style="bold")
    body.append(
        f"Write your answer in your own words, as you would say it in the interview. End it with an empty line. "
        f"Then you tick which of the {view.key_points} key points it covered."
    )
    return Panel(body, title=_heading(view), subtitle=Text(view.deck_title), title_align="left", border_style="cyan")


def _points(points: tuple[ChecklistPoint, ...], numbered: bool) -> Text:
    text = Text()
    for number, point in enumerate(points, start=1):
        text.append(f"\n  {f'{number}. ' if numbered else ''}{'☑' if point.ticked else '☐'} {point.text}")
    return text


@render.register
def _(view: WrittenChecklist) -> RenderableType:
    body = Text()
    if view.note:
        body.append(f"{view.note}\n\n", style="italic")
    body.append(view.prompt + "\n\n", style="italic")
    body.append("Your answer:\n", style="bold")
    body.append(clean_lines(view.text))  # the person's text, as text: no markup, no terminal controls
    body.append("\n\nWhat an interviewer listens for: which did your answer cover?", style="bold")
    body.append_text(_points(view.points, numbered=True))
    return Panel(body, title=_heading(view), subtitle=Text(view.deck_title), title_align="left", border_style="cyan")


@render.register
def _(view: WrittenResult) -> RenderableType:
    body = Text(f"{view.grade}: {view.grade_note}\n", style="bold")
    body.append_text(_points(view.points, numbered=False))
    body.append(f"\n\nBest answer ({view.best.letter}): ", style="bold")
    body.append(view.best.text)
    body.append("\n\nWhy it is best: ", style="bold")
    body.append(view.explanation)
    if view.next_review:
        body.append(f"\n\n{view.next_review}", style="bold")
    body.append(f"\n{view.scoring_note}", style="italic")
    good = view.grade in ("Good", "Easy")
    return Panel(body, title=_heading(view), subtitle=Text(view.deck_title), title_align="left", border_style="green" if good else "yellow")


@render.register
def _(view: Notice) -> RenderableType:
    text = GRAMMAR.with_hint(view.text, view.hint)
    return Panel(Text(text), title=Text(view.title), title_align="left", border_style=_TONE_STYLE[view.tone])
