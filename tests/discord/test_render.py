"""Renders as plain objects: every core view type becomes an embed and buttons within Discord's limits."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from adapters.discord import render as render_module
from adapters.discord.limits import ELLIPSIS
from adapters.discord.render import NO_MENTIONS, Rendered, render, render_reply
from bot.commands import COMMANDS
from bot.views import (
    VIEW_TYPES,
    AnswerFeedback,
    Button,
    DailyFeedback,
    DailyPostView,
    DeckLine,
    DeckProgress,
    HelpView,
    LeaderboardRow,
    LeaderboardView,
    Notice,
    OptionLine,
    OptionResult,
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
    WindowPoints,
    WritePrompt,
    WrittenChecklist,
    WrittenResult,
)
from tests.discord.fake_discord import limit_problems
from tests.view_samples import samples


def buttons(*labels: str) -> tuple[Button, ...]:
    return tuple(Button(label=label, action_id=f"rq1:n:{i + 1}", style="primary") for i, label in enumerate(labels))


def question(prompt: str = "How would you serve two-tower retrieval at 50 ms p99?", option: str = "An answer", n: int = 4) -> QuestionCard:
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


def daily_post(closed: bool = False, prompt: str = "Which index would you rebuild nightly?", option: str = "An answer") -> DailyPostView:
    letters = "ABCD"
    return DailyPostView(
        deck_title="RecSys Platform Engineer",
        date_label="Daily question · Friday 27 November 2026",
        topic="retrieval",
        prompt=prompt,
        options=tuple(OptionLine(letter=x, text=f"{option} {x}") for x in letters),
        buttons=tuple(Button(label=x, action_id=f"rq1:d:7:opt-{x.lower()}", style="primary", disabled=closed) for x in letters),
        answered=3,
        closed=closed,
        best_letter="C" if closed else None,
        results=tuple(OptionResult(letter=x, picks=n, share=n / 3, correct=x == "C") for x, n in zip(letters, (1, 0, 2, 0), strict=True))
        if closed
        else (),
        explanation="Because the index drifts." if closed else None,
    )


def question_stats(n: int = 2, text: str = "Shard the index by") -> QuestionStatsView:
    return QuestionStatsView(
        deck_title="RecSys",
        questions=tuple(
            QuestionStatsLine(
                position=i + 1,
                topic="retrieval",
                prompt=f"Question {i + 1}?",
                answered=4,
                correct_share=0.5,
                options=(
                    OptionShare(key="a", text=text, picks=2, share=0.5, correct=True),
                    OptionShare(key="b", text=text, picks=2, share=0.5, correct=False, top_wrong=True),
                ),
            )
            for i in range(n)
        ),
        note="First answers only.",
    )


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
        commands=COMMANDS,
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
    TeamListView: TeamListView(
        window="All time",
        teams=(TeamLine(name="Vectors", members=3, points=7, is_mine=True), TeamLine(name="Towers", members=1, points=0)),
        footer="You are in Vectors.",
    ),
    TeamView: TeamView(
        name="Vectors",
        window="All time",
        points=7,
        members=(TeamMemberLine(name="Ann", points=4), TeamMemberLine(name="Bo", points=3)),
        footer="Points are those each member earned while in the team.",
    ),
    QuestionStatsView: question_stats(),
    DailyPostView: daily_post(),
    DailyFeedback: DailyFeedback(
        deck_title="RecSys Platform Engineer",
        date_label="Daily question · Friday 27 November 2026",
        topic="retrieval",
        correct=False,
        chosen=OptionLine(letter="A", text="Chosen answer"),
        best=OptionLine(letter="C", text="Best answer"),
        explanation="Because.",
        missed="It skips the index refresh.",
        points=0,
        scoring_note="No points this time.",
        streak=Streak(current=2, best=5),
    ),
    Notice: Notice(tone="warning", title="Already answered", text="Nothing changed.", buttons=buttons("Continue")),
    **{kind: view for kind, view in samples().items() if kind in (WritePrompt, WrittenChecklist, WrittenResult)},
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
    view = SAMPLES[view_type]
    assert [b.custom_id for b in rendered.buttons] == [
        b.action_id for b in (*getattr(view, "buttons", ()), *getattr(view, "more_buttons", ()))
    ]


@pytest.mark.parametrize("mark", ["a", "*", "@everyone "])
def test_a_written_answer_of_4000_characters_is_shown_as_text_within_the_embed_limits(mark: str) -> None:
    text = (mark * 4000)[:4000]
    view = samples()[WrittenChecklist].model_copy(update={"text": text})
    rendered = render(view)
    assert limit_problems(as_payload(rendered)) == []
    description = rendered.embed.description or ""
    assert "@everyone" not in description.replace("@\u200beveryone", "")
    if mark == "a":
        assert description == text  # shown whole: the form takes 4,000 characters, a description 4,096


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


def test_an_open_daily_post_shows_the_question_the_count_and_live_buttons() -> None:
    rendered = render(daily_post())
    embed = rendered.embed
    assert embed.title == "Daily question · Friday 27 November 2026"
    assert embed.description == "**retrieval**\nWhich index would you rebuild nightly?"
    assert [f.name for f in embed.fields] == ["A", "B", "C", "D"]
    assert embed.footer.text is not None and embed.footer.text.startswith("3 answered so far")
    assert [(b.label, b.disabled, b.row) for b in rendered.buttons] == [(x, False, 0) for x in "ABCD"]


def test_a_closed_daily_post_reveals_the_best_answer_and_the_share_per_option_with_buttons_disabled() -> None:
    rendered = render(daily_post(closed=True))
    embed = rendered.embed
    assert embed.title is not None and embed.title.endswith("answer revealed")
    assert [f.name for f in embed.fields] == [
        "A · 33% (1)",
        "B · 0% (0)",
        "C · ✓ best answer · 67% (2)",
        "D · 0% (0)",
        "Best answer: C",
    ]
    assert embed.fields[-1].value == "Because the index drifts."
    assert all(b.disabled for b in rendered.buttons)
    assert embed.colour == discord.Colour.dark_grey()


def test_daily_feedback_shows_the_verdict_and_the_streak() -> None:
    embed = render(SAMPLES[DailyFeedback]).embed
    assert embed.title == "Not the best answer: the best was C"
    assert ("Daily streak", "2 in a row (best 5)") in [(f.name, f.value) for f in embed.fields]


def test_stats_show_points_by_window_with_the_timezone_the_streak_and_the_team() -> None:
    view = StatsView(
        name="Ann",
        decks=(DeckProgress(deck_title="Deck", answered=3, total=5, runs_finished=1),),
        topics=(),
        weakest_topic=None,
        points=3,
        answers=5,
        windows=(WindowPoints(window="This week (from Monday 23 Nov 2026)", points=2), WindowPoints(window="All time", points=3)),
        timezone="Europe/Berlin",
        team="**Vectors** @everyone",
        streak=Streak(current=1, best=4),
    )
    fields = {f.name: f.value for f in render(view).embed.fields}
    assert fields["Deck"].startswith("3 / 5 completed")
    assert fields["Points by window (Europe/Berlin)"] == "This week (from Monday 23 Nov 2026): 2\nAll time: 3"
    assert fields["Daily streak"] == "1 in a row (best 4)"
    assert fields["Team"] is not None and "@everyone" not in fields["Team"] and "\\*\\*Vectors" in fields["Team"]


def test_a_paged_board_shows_page_own_rank_footer_detail_and_paging_buttons() -> None:
    view = LeaderboardView(
        title="Leaderboard: teams",
        window="This month (from 1 Nov 2026)",
        timezone="UTC",
        ranking_rule="Per active member.",
        rows=(LeaderboardRow(rank=11, name="Towers", points=4, detail="2 active of 3, 2 per active member"),),
        footer="Your team Vectors: rank 2 of 14, 3 per active member.",
        page=2,
        pages=2,
        buttons=(
            Button(label="Previous", action_id="rq1:b:teams:month:1:0123456789ab"),
            Button(label="Next", action_id="rq1:b:teams:month:2:0123456789ab", disabled=True),
        ),
    )
    rendered = render(view)
    assert rendered.embed.description == "**11.** Towers: 4 points (2 active of 3, 2 per active member)"
    assert ("Page", "2 / 2") in [(f.name, f.value) for f in rendered.embed.fields]
    assert rendered.embed.footer.text == "Your team Vectors: rank 2 of 14, 3 per active member."
    assert [(b.label, b.disabled) for b in rendered.buttons] == [("Previous", False), ("Next", True)]


def test_team_names_are_escaped_on_team_cards() -> None:
    hostile = "@here <@&130000000000000000> __x__"
    listing = render(TeamListView(window="All time", teams=(TeamLine(name=hostile, members=1, points=0),))).embed
    team = render(TeamView(name=hostile, window="All time", points=0, members=(TeamMemberLine(name=hostile, points=0),))).embed
    for embed in (listing, team):
        text = text_of(embed)
        assert "@here" not in text and "<@&130000000000000000>" not in text and "\\_\\_x\\_\\_" in text
    empty = render(TeamListView(window="All time", teams=())).embed
    assert empty.description == "No teams yet: create one with `team create` and a name."


def test_question_stats_mark_the_best_and_the_most_fooling_answer_and_cap_the_fields() -> None:
    embed = render(question_stats()).embed
    assert embed.fields[0].name == "1. retrieval · 4 answered, 50% correct"
    assert "✓ 50% (2) Shard the index by" in (embed.fields[0].value or "")
    assert "✗ 50% (2) Shard the index by ← fools most" in (embed.fields[0].value or "")
    many = render(question_stats(40, "o" * 200))
    assert len(many.embed.fields) <= 25 and "not shown" in text_of(many.embed)
    assert limit_problems(as_payload(many)) == []


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
        StatsView(name=name or "n", decks=(), topics=(), weakest_topic=title or None, points=0, answers=0, lines=(prompt,), team=name),
        daily_post(closed=True, prompt=prompt or "p", option=option),
        TeamListView(window="All time", teams=tuple(TeamLine(name=name, members=i, points=i) for i in range(60))),
        TeamView(name=name, window="All time", points=1, members=tuple(TeamMemberLine(name=name, points=i) for i in range(60))),
        question_stats(5, option),
    ]
    for view in views:
        assert limit_problems(as_payload(render(view))) == []


def test_two_runs_share_a_feedback_embed_but_each_keeps_its_own_buttons() -> None:
    first = feedback()
    second = first.model_copy(update={"buttons": (Button(label="Next question", action_id="rq1:n:2"),)})
    one, other = render_reply(first), render_reply(second)
    assert one.embed is other.embed and one.embed.to_dict() == render(first).embed.to_dict()
    assert [b.custom_id for b in other.buttons] == [b.action_id for b in second.buttons] != [b.custom_id for b in one.buttons]


def test_boards_and_stats_are_rendered_each_time() -> None:
    board = SAMPLES[LeaderboardView]
    assert render_reply(board).embed is not render_reply(board).embed


def test_the_shared_embeds_stay_bounded_however_many_different_notices_are_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_module, "_shared_embeds", render_module.cachetools.LRUCache(maxsize=50))
    for i in range(200):
        render_reply(Notice(title="t", text=f"notice {i}"))
    assert len(render_module._shared_embeds) == 50
    assert render_reply(Notice(title="t", text="notice 0")).embed.description == "notice 0"
