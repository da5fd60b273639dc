"""One sample of every view type, for the render tests of every surface."""

from __future__ import annotations

from typing import Any

from bot.commands import CommandSpec
from bot.views import (
    AnswerFeedback,
    Button,
    ChecklistPoint,
    DailyFeedback,
    DailyPostView,
    DeckLine,
    DeckProgress,
    DigestView,
    HelpView,
    LeaderboardRow,
    LeaderboardView,
    Notice,
    OptionLine,
    OptionShare,
    QuestionCard,
    QuestionStatsLine,
    QuestionStatsView,
    ScoreCard,
    StatsView,
    Streak,
    TeamLine,
    TeamListView,
    TeamMemberLine,
    TeamView,
    TipLine,
    TipsView,
    TopicAccuracy,
    TopicResult,
    TopicWeekLine,
    WindowPoints,
    WritePrompt,
    WrittenChecklist,
    WrittenResult,
)

HOSTILE = "<!channel> <!here> <@U123> <#C1> <https://evil.example|free points> & @everyone *bold* `code`"


def button(label: str = "Go", action_id: str = "rq1:s:deck") -> Button:
    return Button(label=label, action_id=action_id, style="primary")


def samples(text: str = "text") -> dict[type, Any]:
    """One instance of every view type, with `text` in every user-visible string."""
    options = tuple(OptionLine(letter=letter, text=f"{text} {letter}") for letter in "ABCD")
    tips = (TipLine(title=text, text=text), TipLine(title="Second", text=text))
    return {
        QuestionCard: QuestionCard(
            deck_title=text,
            topic=text,
            position=2,
            total=5,
            prompt=text,
            options=options,
            buttons=tuple(button(o.letter, f"rq1:a:1:1:{o.letter.lower()}") for o in options),
            note=text,
            more_buttons=(button("Write my answer", "rq1:w:1:1"),),
        ),
        AnswerFeedback: AnswerFeedback(
            deck_title=text,
            topic=text,
            position=2,
            total=5,
            prompt=text,
            correct=False,
            chosen=options[0],
            best=options[1],
            explanation=text,
            missed=text,
            key_points=(text, f"{text} 2", f"{text} 3", f"{text} 4"),
            points=0,
            scoring_note=text,
            buttons=(button("Next question", "rq1:n:1"),),
            next_review=text,
        ),
        ScoreCard: ScoreCard(
            deck_title=text,
            score=3,
            total=5,
            points=2,
            topics=(TopicResult(topic=text, correct=1, total=2),),
            tips=tips,
            scoring_note=text,
            buttons=(button("Play again"),),
        ),
        TipsView: TipsView(deck_title=text, tips=tips),
        HelpView: HelpView(
            intro=text,
            commands=(CommandSpec(name="start", group="Quiz", description=text),),
            decks=(DeckLine(id="deck", title=text, questions=5),),
            scoring_rule=text,
            buttons=(button("Start"),),
        ),
        LeaderboardView: LeaderboardView(
            title="Leaderboard: people",
            window=text,
            timezone="UTC",
            ranking_rule=text,
            rows=(
                LeaderboardRow(rank=1, name=text, points=3, is_asker=True),
                LeaderboardRow(rank=1, name="Bo", points=3, detail=text),
            ),
            footer=text,
            page=1,
            pages=2,
        ),
        StatsView: StatsView(
            name=text,
            decks=(DeckProgress(deck_title=text, answered=3, total=5, runs_finished=1),),
            topics=(TopicAccuracy(topic=text, correct=1, answered=2),),
            weakest_topic=text,
            points=2,
            answers=5,
            windows=(WindowPoints(window=text, points=1), WindowPoints(window="All time", points=2)),
            timezone=text,
            team=text,
            streak=Streak(current=2, best=4),
            lines=(text,),
        ),
        TeamListView: TeamListView(
            window=text,
            teams=(TeamLine(name=text, members=3, points=7, is_mine=True), TeamLine(name="Bo", members=1, points=0)),
            footer=text,
        ),
        TeamView: TeamView(
            name=text,
            window=text,
            points=7,
            members=(TeamMemberLine(name=text, points=4), TeamMemberLine(name="Bo", points=3)),
            footer=text,
        ),
        QuestionStatsView: QuestionStatsView(
            deck_title=text,
            questions=(
                QuestionStatsLine(
                    position=1,
                    topic=text,
                    prompt=text,
                    answered=4,
                    correct_share=0.5,
                    options=(
                        OptionShare(key="a", text=text, picks=2, share=0.5, correct=True),
                        OptionShare(key="b", text=text, picks=2, share=0.5, correct=False, top_wrong=True),
                    ),
                ),
                QuestionStatsLine(position=2, topic=text, prompt=text, answered=0, correct_share=0.0, options=()),
            ),
            note=text,
        ),
        DailyPostView: DailyPostView(
            deck_title=text,
            date_label="Daily question · Friday 27 November 2026",
            topic=text,
            prompt=text,
            options=options,
            buttons=tuple(button(o.letter, f"rq1:d:1:{o.letter.lower()}") for o in options),
            answered=3,
        ),
        DailyFeedback: DailyFeedback(
            deck_title=text,
            date_label="Daily question · Friday 27 November 2026",
            topic=text,
            correct=False,
            chosen=options[0],
            best=options[1],
            explanation=text,
            missed=text,
            key_points=(text, f"{text} 2", f"{text} 3", f"{text} 4"),
            points=0,
            scoring_note=text,
            streak=Streak(current=3, best=5),
        ),
        WritePrompt: WritePrompt(deck_title=text, topic=text, position=2, total=5, prompt=text, submit_action_id="rq1:w:1:1", key_points=7),
        WrittenChecklist: WrittenChecklist(
            deck_title=text,
            topic=text,
            position=2,
            total=5,
            prompt=text,
            text=f"{text}\n\n{text}",
            points=(ChecklistPoint(text=text, ticked=True), ChecklistPoint(text=f"{text} 2", ticked=False)),
            # The toggles' labels are the deck's key points (its authors' text, not a person's): fixed here.
            buttons=(
                button("☑ First point", "rq1:k:1:0"),
                button("☐ Second point", "rq1:k:1:3"),
                button("Grade it: 1 of 2 covered", "rq1:g:1:1"),
            ),
            note=text,
        ),
        WrittenResult: WrittenResult(
            deck_title=text,
            topic=text,
            position=2,
            total=5,
            prompt=text,
            covered=1,
            total_points=2,
            grade="Hard",
            grade_note=text,
            points=(ChecklistPoint(text=text, ticked=True), ChecklistPoint(text=f"{text} 2", ticked=False)),
            best=options[1],
            explanation=text,
            next_review=text,
            scoring_note=text,
            buttons=(button("Now pick the best answer", "rq1:n:1"),),
        ),
        Notice: Notice(tone="warning", title=text, text=text, buttons=(button("Continue", "rq1:n:1"),)),
    }


def digest_sample(text: str = HOSTILE, topics: int = 30) -> DigestView:
    """A weekly digest with `text` in every name and topic, and more topics than a chat message shows comfortably."""
    options = tuple(
        OptionShare(key=key, text=f"{text} {key}", picks=i + 1, share=(i + 1) / 10, correct=key == "a", top_wrong=key == "d")
        for i, key in enumerate("abcd")
    )
    return DigestView(
        week="Week from Monday 21 Sep 2026",
        timezone="UTC",
        answers=123,
        people=tuple(LeaderboardRow(rank=i, name=f"{text} {i}", points=10 - i) for i in range(1, 6)),
        teams=tuple(LeaderboardRow(rank=i, name=f"{text} {i}", points=9 - i, detail="2 active") for i in range(1, 4)),
        topics=tuple(TopicWeekLine(topic=f"{text} {i}", this_week=0.5, last_week=None, answers=4) for i in range(topics)),
        most_missed=QuestionStatsLine(position=1, topic=text, prompt=text * 20, answered=10, correct_share=0.1, options=options),
        most_missed_deck=text,
        chart_title="Correct answers per topic: this week against the week before",
        note="Counts first answers and daily answers.",
    )
