"""Renders as plain objects: every core view type becomes an embed and buttons within Discord's limits."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from adapters.discord.limits import ELLIPSIS
from adapters.discord.render import NO_MENTIONS, Rendered, render
from bot.views import (
    VIEW_TYPES,
    AnswerFeedback,
    Button,
    CommandHelp,
    DeckLine,
    DeckProgress,
    HelpView,
    LeaderboardRow,
    LeaderboardView,
    Notice,
    OptionLine,
    QuestionCard,
    ScoreCard,
    StatsView,
    TipLine,
    TipsView,
    TopicAccuracy,
    TopicResult,
)
from tests.discord.fake_discord import limit_problems


def buttons(*labels: str) -> tuple[Button, ...]:
    return tuple(Button(label=label, action_id=f"rq1:n:{i + 1}", style="primary") for i, label in enumerate(labels))


def question(
    prompt: str = "How would you serve two-tower retrieval at 50 ms p99?", option: str = "An answer", n: int = 4
) -> QuestionCard:
    letters = "ABCDE"[:n]
    return QuestionCard(
        deck_title="RecSys Platform Engineer",
        topic="retrieval",
        position=2,
        total=5,
        prompt=prompt,
        options=tuple(OptionLine(letter=letter, text=f"{option} {letter}") for letter in letters),
        buttons=buttons(*letters),
    )


def feedback(correct: bool = False, text: str = "Because.") -> AnswerFeedback:
    return AnswerFeedback(
        deck_title="RecSys Platform Engineer",
        topic="retrieval",
        position=5,
        total=5,
        prompt="Prompt?",
        correct=correct,
        chosen=OptionLine(letter="A", text="Chosen answer"),
        best=OptionLine(letter="A" if correct else "C", text="Best answer"),
        explanation=text,
        missed=None if correct else "It skips the index refresh.",
        points=1 if correct else 0,
        scoring_note="First answer to this question.",
        buttons=buttons("See score"),
    )


def tips(n: int, text: str = "Say what you would measure.") -> tuple[TipLine, ...]:
    return tuple(TipLine(title=f"Tip {i}", text=text) for i in range(n))


SAMPLES: dict[type[Any], Any] = {
    QuestionCard: question(),
    AnswerFeedback: feedback(),
    ScoreCard: ScoreCard(
        deck_title="Deck",
        score=3,
        total=5,
        points=3,
        topics=(TopicResult(topic="retrieval", correct=1, total=2),),
        tips=tips(4),
        scoring_note="Rule.",
        buttons=buttons("Play again"),
    ),
    TipsView: TipsView(deck_title="Deck", tips=tips(4)),
    HelpView: HelpView(
        intro="Intro.",
        commands=(CommandHelp(usage="start [deck]", description="Start."),),
        decks=(DeckLine(id="recsys", title="RecSys", questions=5),),
        scoring_rule="Rule.",
        buttons=buttons("Start"),
    ),
    LeaderboardView: LeaderboardView(
        title="Leaderboard: people",
        window="All time",
        timezone="UTC",
        ranking_rule="Ties share a rank.",
        rows=(LeaderboardRow(rank=1, name="Ann", points=3), LeaderboardRow(rank=1, name="Bo", points=3, is_asker=True)),
    ),
    StatsView: StatsView(
        name="Ann",
        decks=(DeckProgress(deck_title="Deck", answered=3, total=5, runs_finished=1),),
        topics=(TopicAccuracy(topic="retrieval", correct=1, answered=2),),
        weakest_topic="retrieval",
        points=3,
        answers=5,
        lines=("Streak: 2 days",),
    ),
    Notice: Notice(tone="warning", title="Already answered", text="Nothing changed.", buttons=buttons("Continue")),
}


def as_payload(rendered: Rendered) -> dict[str, Any]:
    """The message payload discord.py would send for a render."""
    rows: dict[int, list[dict[str, Any]]] = {}
    for button in rendered.buttons:
        rows.setdefault(button.row or 0, []).append(button.to_component_dict())
    return {
        "embeds": [rendered.embed.to_dict()],
        "components": [{"type": 1, "components": row} for _, row in sorted(rows.items())],
        "allowed_mentions": NO_MENTIONS.to_dict(),
    }


def text_of(embed: discord.Embed) -> str:
    parts = [embed.title or "", embed.description or "", embed.footer.text or "", embed.author.name or ""]
    return "\n".join(parts + [f"{f.name}\n{f.value}" for f in embed.fields])


def test_every_view_type_has_a_sample_here() -> None:
    assert set(SAMPLES) == set(VIEW_TYPES)


@pytest.mark.parametrize("view_type", VIEW_TYPES, ids=lambda t: t.__name__)
def test_every_view_type_renders_an_embed_within_limits(view_type: type[Any]) -> None:
    rendered = render(SAMPLES[view_type])
    assert rendered.embed.title
    assert limit_problems(as_payload(rendered)) == []
    assert [b.custom_id for b in rendered.buttons] == [b.action_id for b in getattr(SAMPLES[view_type], "buttons", ())]


def test_the_question_card_shows_prompt_lettered_fields_position_and_deck_with_one_row_of_buttons() -> None:
    rendered = render(question())
    embed = rendered.embed
    assert embed.title == "Question 2 / 5 · retrieval"
    assert embed.description == "How would you serve two-tower retrieval at 50 ms p99?"
    assert [(f.name, f.value) for f in embed.fields] == [(x, f"An answer {x}") for x in "ABCD"]
    assert embed.footer.text == "RecSys Platform Engineer"
    assert [(b.label, b.row) for b in rendered.buttons] == [(x, 0) for x in "ABCD"]


def test_feedback_says_the_verdict_in_words_and_colour() -> None:
    right, wrong = render(feedback(correct=True)).embed, render(feedback(correct=False)).embed
    assert right.title == "Correct: A is the best answer" and right.colour == discord.Colour.green()
    assert wrong.title == "Not the best answer: the best was C" and wrong.colour == discord.Colour.red()
    names = [f.name for f in wrong.fields]
    assert names[:3] == ["You chose A", "What A missed", "Best answer: C"]
    assert "Why the best answer is best" in names
    assert [b.label for b in render(feedback()).buttons] == ["See score"]


def test_long_text_is_shortened_visibly_and_stays_within_every_limit() -> None:
    rendered = render(question(prompt="p" * 5000, option="o" * 2000, n=5))
    embed = rendered.embed
    assert len(embed.description or "") <= 4096 and (embed.description or "").endswith(ELLIPSIS)
    assert all(len(f.value or "") <= 1024 and (f.value or "").endswith(ELLIPSIS) for f in embed.fields)
    assert len(embed) <= 6000
    assert limit_problems(as_payload(rendered)) == []


def test_an_embed_over_6000_characters_drops_trailing_fields_and_says_so() -> None:
    rendered = render(
        ScoreCard(deck_title="D", score=0, total=5, points=0, topics=(), tips=tips(30, "t" * 500), scoring_note="R", buttons=())
    )
    embed = rendered.embed
    assert len(embed) <= 6000 and len(embed.fields) <= 25
    assert "not shown" in text_of(embed)
    assert limit_problems(as_payload(rendered)) == []


def test_buttons_go_five_to_a_row_with_labels_of_at_most_80_and_at_most_25_in_all() -> None:
    many = render(Notice(title="t", text="x", buttons=buttons(*[f"b{i}" for i in range(30)])))
    assert len(many.buttons) == 25
    assert [b.row for b in many.buttons] == [i // 5 for i in range(25)]
    long = render(Notice(title="t", text="x", buttons=buttons("L" * 200))).buttons[0]
    assert long.label is not None and len(long.label) == 80 and long.label.endswith(ELLIPSIS)
    assert limit_problems(as_payload(many)) == []


def test_user_supplied_names_are_escaped_so_they_never_mention_or_format() -> None:
    hostile = "@everyone <@&130000000000000000> **boss** @here"
    board = LeaderboardView(
        title="Leaderboard",
        window="All time",
        timezone="UTC",
        ranking_rule="r",
        rows=(LeaderboardRow(rank=1, name=hostile, points=1),),
    )
    text = text_of(render(board).embed)
    for ping in ("@everyone", "@here", "<@&130000000000000000>"):
        assert ping not in text
    assert "\\*\\*boss\\*\\*" in text
    assert NO_MENTIONS.to_dict() == {"parse": []}


def test_an_empty_board_and_a_new_persons_stats_still_say_something() -> None:
    board = render(LeaderboardView(title="Leaderboard", window="All time", timezone="UTC", ranking_rule="r", rows=())).embed
    assert board.description == "No points yet: answer a question to get on the board."
    stats = render(StatsView(name="Ann", decks=(), topics=(), weakest_topic=None, points=0, answers=0)).embed
    assert any(f.name == "Nothing yet" for f in stats.fields)


def test_a_view_type_added_later_still_renders_generically() -> None:
    class DailyPost(BaseModel):
        title: str
        text: str
        buttons: tuple[Button, ...] = ()

    rendered = render(DailyPost(title="Question of the day", text="Today's question", buttons=buttons("A")))
    assert rendered.embed.title == "Question of the day" and rendered.embed.description == "Today's question"
    assert [b.label for b in rendered.buttons] == ["A"]


async def test_the_view_sent_is_already_stopped_so_discord_py_keeps_no_state() -> None:
    view = render(question()).to_view()
    assert view.is_finished() and view.timeout is None
    assert [len(row["components"]) for row in view.to_components()] == [4]


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=7000)


@settings(max_examples=60, deadline=None)
@given(prompt=_TEXT, option=_TEXT, title=_TEXT, name=_TEXT)
def test_any_text_renders_within_limits(prompt: str, option: str, title: str, name: str) -> None:
    views = [
        question(prompt=prompt or "p", option=option),
        Notice(title=title or "t", text=prompt or "x", buttons=buttons(option[:200] or "b")),
        LeaderboardView(
            title=title or "t",
            window="All time",
            timezone="UTC",
            ranking_rule=option or "r",
            rows=tuple(LeaderboardRow(rank=i, name=name, points=i) for i in range(1, 12)),
        ),
        StatsView(name=name or "n", decks=(), topics=(), weakest_topic=title or None, points=0, answers=0, lines=(prompt,)),
    ]
    for view in views:
        assert limit_problems(as_payload(render(view))) == []
