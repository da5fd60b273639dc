"""Block Kit rendering: every view type, Slack's limits, the plain-text fallback, and hostile text."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.slack import render as render_module
from adapters.slack.render import has_renderer, render, with_preface
from adapters.slack.text import ELLIPSIS, clip_escaped, escape, escape_name
from bot.views import (
    VIEW_TYPES,
    AnswerFeedback,
    Button,
    DailyFeedback,
    DailyPostView,
    HelpView,
    LeaderboardRow,
    LeaderboardView,
    Notice,
    OptionResult,
    QuestionCard,
    QuestionStatsLine,
    QuestionStatsView,
    StatsView,
    TeamLine,
    TeamListView,
    TipLine,
    TipsView,
)
from tests.slack.fake_slack import block_kit_problems
from tests.view_samples import HOSTILE, samples
from tests.view_samples import button as _button


def _mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return found


def test_the_samples_cover_every_view_type_and_each_has_its_own_renderer() -> None:
    assert set(samples()) == set(VIEW_TYPES)
    assert all(has_renderer(view_type) for view_type in VIEW_TYPES)


@pytest.mark.parametrize("view_type", VIEW_TYPES, ids=lambda t: t.__name__)
def test_every_view_type_renders_valid_block_kit_with_a_fallback(view_type: type) -> None:
    message = render(samples("Ranking at scale")[view_type])
    payload = message.payload()
    assert block_kit_problems(payload) == []
    assert "Ranking at scale" in message.text or view_type is HelpView
    assert message.text.strip() and "\n\n\n" not in message.text
    for block in payload["blocks"]:
        for text in _mrkdwn_texts([block]):
            assert text.strip()
    mrkdwn = [b["text"] for b in payload["blocks"] if b["type"] == "section"]
    assert all(t.get("verbatim") is True for t in mrkdwn)  # no auto-linking of names or channels


@pytest.mark.parametrize("view_type", VIEW_TYPES, ids=lambda t: t.__name__)
def test_hostile_text_never_becomes_a_mention_or_link(view_type: type) -> None:
    payload = render(samples(HOSTILE)[view_type]).payload()
    assert block_kit_problems(payload) == []
    everything = json.dumps(payload, ensure_ascii=False)
    for raw in ("<!channel>", "<!here>", "<@U123>", "<#C1>", "<https://", "@everyone"):
        assert raw not in everything, raw
    for text in [payload["text"], *_mrkdwn_texts(payload["blocks"])]:
        assert "<" not in text and ">" not in text
        assert not re.search(r"&(?!amp;|lt;|gt;)", text), text  # every & is an escape


def test_the_question_card_has_header_prompt_options_progress_four_answer_buttons_and_write_my_answer() -> None:
    card = samples("Design a feature store")[QuestionCard]
    payload = render(card).payload()
    kinds = [b["type"] for b in payload["blocks"]]
    assert kinds == ["header", "context", "section", "section", "section", "section", "section", "context", "actions"]
    assert payload["blocks"][0]["text"]["text"].startswith("Question 2 of 5")
    buttons = payload["blocks"][-1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["A", "B", "C", "D", "Write my answer"]
    assert [b["action_id"] for b in buttons] == [b.action_id for b in (*card.buttons, *card.more_buttons)]
    assert "Question 2 of 5" in payload["blocks"][-2]["elements"][0]["text"]
    assert payload["text"] == "Question 2 of 5: Design a feature store (answer with A, B, C, D)"


@pytest.mark.parametrize("view_type", VIEW_TYPES, ids=lambda t: t.__name__)
def test_over_long_text_is_shortened_visibly_not_rejected(view_type: type) -> None:
    long = "&<>x" * 2000  # 8000 characters, 14000 once escaped
    payload = render(samples(long)[view_type]).payload()
    assert block_kit_problems(payload) == []
    assert ELLIPSIS in json.dumps(payload, ensure_ascii=False)


def test_too_many_rows_or_buttons_stay_within_slack_limits_and_keep_the_buttons() -> None:
    rows = tuple(LeaderboardRow(rank=i, name=f"person {i} " + "x" * 100, points=100 - i) for i in range(1, 101))
    buttons = tuple(_button(f"Page {i}" + "y" * 80, f"rq1:p:{i}") for i in range(30))
    view = LeaderboardView(title="Leaderboard", window="All time", timezone="UTC", ranking_rule="r", rows=rows, buttons=buttons)
    payload = render(view).payload()
    assert block_kit_problems(payload) == []
    actions = [b for b in payload["blocks"] if b["type"] == "actions"]
    assert [len(a["elements"]) for a in actions] == [25, 5]
    assert all(len(e["text"]["text"]) <= 75 and e["text"]["text"].endswith(ELLIPSIS) for a in actions for e in a["elements"])
    many_tips = TipsView(deck_title="d", tips=tuple(TipLine(title=f"t{i}", text="x") for i in range(80)), buttons=(_button(),))
    payload = render(many_tips).payload()
    assert block_kit_problems(payload) == []
    assert len(payload["blocks"]) == 50 and payload["blocks"][-1]["type"] == "actions"
    assert sum('"*t' in json.dumps(b) for b in payload["blocks"]) == 46  # header, deck title, 46 tips, the note, buttons
    assert "… 34 more tips not shown" in json.dumps(payload["blocks"][-2], ensure_ascii=False)


def test_duplicate_and_disabled_buttons_are_left_out() -> None:
    buttons = (_button("A", "rq1:n:1"), _button("again", "rq1:n:1"), Button(label="off", action_id="rq1:n:2", disabled=True))
    payload = render(Notice(title="t", text="x", buttons=buttons)).payload()
    assert block_kit_problems(payload) == []
    assert [e["text"]["text"] for e in payload["blocks"][-1]["elements"]] == ["A"]


def test_a_view_type_the_adapter_does_not_know_still_renders() -> None:
    class Poll(Notice):  # stands in for a view type a later feature adds to the core
        pass

    from pydantic import BaseModel

    class Unknown(BaseModel):
        title: str = "New <thing>"
        text: str = "body"
        buttons: tuple[Button, ...] = (_button(),)

    payload = render(Unknown()).payload()
    assert block_kit_problems(payload) == []
    assert "New &lt;thing&gt;" in payload["text"]
    assert render(Poll(title="p", text="q")).payload()["text"] == "p: q"


def test_a_preface_line_goes_above_the_card_escaped() -> None:
    prefaced = with_preface(render(samples()[HelpView]), f"I don't know `{escape('<@U1>')}`")
    assert prefaced.blocks[0]["type"] == "context"
    assert "&lt;@U1&gt;" in prefaced.blocks[0]["elements"][0]["text"]
    assert block_kit_problems(prefaced.payload()) == []


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [("a&amp;b", 4, "a…"), ("a&amp;b", 7, "a&amp;b"), ("abc&lt;", 6, "abc…"), ("abcdef", 4, "abc…")],
)
def test_clipping_never_splits_an_escape(text: str, limit: int, expected: str) -> None:
    assert clip_escaped(text, limit) == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=3500))
def test_any_text_in_any_view_renders_within_limits(text: str) -> None:
    for view in samples(text).values():
        payload = render(view).payload()
        assert block_kit_problems(payload) == []
        for mrkdwn in [payload["text"], *_mrkdwn_texts(payload["blocks"])]:
            assert "<" not in mrkdwn and ">" not in mrkdwn


def _closed_post(text: str = "Design a feature store") -> DailyPostView:
    open_post = samples(text)[DailyPostView]
    results = (
        OptionResult(letter="A", picks=1, share=0.25, correct=False),
        OptionResult(letter="B", picks=3, share=0.75, correct=True),
        OptionResult(letter="C", picks=0, share=0.0, correct=False),
        OptionResult(letter="D", picks=0, share=0.0, correct=False),
    )
    disabled = tuple(b.model_copy(update={"disabled": True}) for b in open_post.buttons)
    return open_post.model_copy(
        update={"closed": True, "buttons": disabled, "answered": 4, "best_letter": "B", "results": results, "explanation": text}
    )


def test_an_open_daily_post_has_the_options_the_count_and_four_buttons() -> None:
    payload = render(samples("Design a feature store")[DailyPostView]).payload()
    assert block_kit_problems(payload) == []
    assert payload["blocks"][0]["text"]["text"] == "Daily question · Friday 27 November 2026"
    buttons = payload["blocks"][-1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["A", "B", "C", "D"]
    assert all(b["action_id"].startswith("rq1:d:1:") for b in buttons)
    assert "*3 answers* so far" in json.dumps(payload["blocks"])
    assert payload["text"] == "Daily question · Friday 27 November 2026: Design a feature store (answer with A, B, C, D)"


@pytest.mark.parametrize("text", ["Design a feature store", HOSTILE, "&<>x" * 2000], ids=["plain", "hostile", "long"])
def test_a_closed_daily_post_has_no_buttons_says_it_is_closed_and_reveals_the_shares(text: str) -> None:
    payload = render(_closed_post(text)).payload()
    assert block_kit_problems(payload) == []
    assert not [b for b in payload["blocks"] if b["type"] == "actions"]  # Slack cannot disable buttons: none at all
    assert payload["blocks"][0]["text"]["text"].endswith("(closed)")
    everything = json.dumps(payload, ensure_ascii=False)
    assert "75% (3)" in everything and "25% (1)" in everything and "best answer" in everything
    assert payload["text"].endswith("(closed): the best answer was B; 4 answers.")
    for raw in ("<!channel>", "<@U123>", "@everyone"):
        assert raw not in everything


def test_daily_feedback_shows_the_verdict_the_points_and_the_streak() -> None:
    payload = render(samples("x")[DailyFeedback]).payload()
    assert block_kit_problems(payload) == []
    assert payload["blocks"][0]["text"]["text"].endswith("Not the best answer: the best was B")
    assert "3 daily questions in a row (best 5)" in json.dumps(payload["blocks"])
    assert "Streak: 3 (best 5)" in payload["text"]
    assert not [b for b in payload["blocks"] if b["type"] == "actions"]


def test_a_board_page_shows_only_the_buttons_slack_can_use_and_the_page_and_footer() -> None:
    tag = "0123456789ab"
    view = LeaderboardView(
        title="Leaderboard: teams",
        window="This week (from Monday 23 Nov 2026)",
        timezone="Europe/Berlin",
        ranking_rule="Ranked by points per active member.",
        rows=(LeaderboardRow(rank=1, name="Graph <Nerds>", points=6, detail="2 active of 3, 3 per active member"),),
        footer="Your team Tiny: rank 12 of 12, 0.5 per active member.",
        page=1,
        pages=3,
        buttons=(
            Button(label="Previous", action_id=f"rq1:b:teams:week:1:{tag}", disabled=True),
            Button(label="Next", action_id=f"rq1:b:teams:week:2:{tag}"),
        ),
    )
    payload = render(view).payload()
    assert block_kit_problems(payload) == []
    assert [e["text"]["text"] for b in payload["blocks"] if b["type"] == "actions" for e in b["elements"]] == ["Next"]
    text = json.dumps(payload["blocks"], ensure_ascii=False)
    assert "Page 1 of 3" in text and "rank 12 of 12" in text and "Europe/Berlin" in text
    assert "Graph &lt;Nerds&gt;" in text and "2 active of 3, 3 per active member" in text


def test_stats_show_points_per_window_the_team_and_the_streak() -> None:
    payload = render(samples("Ada")[StatsView]).payload()
    text = json.dumps(payload["blocks"], ensure_ascii=False)
    assert "*Points by window* (weeks start on Monday; times in Ada)" in text
    assert "• All time: 2 points" in text
    assert "*Team:* Ada" in text and "2 daily questions in a row (best 4)" in text
    assert "3 / 5 completed" in text
    none_yet = StatsView(name="Bo", decks=(), topics=(), weakest_topic=None, points=0, answers=0)
    payload = render(none_yet).payload()
    text = json.dumps(payload["blocks"])
    assert "none yet" in text and "no daily questions answered yet" in text
    assert "team join &lt;name&gt;" in text
    assert all("<" not in t for t in _mrkdwn_texts(payload["blocks"]))  # `<name>` would be parsed as a link


def test_question_stats_mark_the_best_answer_and_the_one_that_fools_the_most() -> None:
    payload = render(samples("Pick a store")[QuestionStatsView]).payload()
    assert block_kit_problems(payload) == []
    first, second = (b["text"]["text"] for b in payload["blocks"] if b["type"] == "section")
    assert "4 people answered · 50% correct" in first
    assert ":white_check_mark: Pick a store: 50% (2)" in first and ":warning: Pick a store: 50% (2) _(fools the most people)_" in first
    assert "no answers yet" in second
    assert payload["text"] == "Question statistics for Pick a store: Q1: 4 people answered · 50% correct; Q2: no answers yet"


def test_hundreds_of_teams_or_questions_stay_within_slack_limits() -> None:
    teams = tuple(TeamLine(name=f"Team {i} " + "&" * 20, members=i, points=i) for i in range(500))
    payload = render(TeamListView(window="All time", teams=teams)).payload()
    assert block_kit_problems(payload) == []
    sections = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]
    assert all(s.count("\n") >= 10 for s in sections[:-1])  # many lines per section, none cut in half
    assert all(not s.endswith(ELLIPSIS) for s in sections)
    line = QuestionStatsLine(position=1, topic="t", prompt="p" * 4000, answered=1, correct_share=1.0, options=())
    many = QuestionStatsView(deck_title="d", questions=tuple(line.model_copy(update={"position": i}) for i in range(80)), note="n")
    payload = render(many).payload()
    assert block_kit_problems(payload) == []
    assert len(payload["blocks"]) == 50  # header, deck and note, 47 questions, the note on the 33 left out
    assert "… 33 more questions not shown" in json.dumps(payload["blocks"][-1], ensure_ascii=False)


def _round_trips_through_slack_sdk(payload: dict[str, Any]) -> None:
    """Each block, read into slack_sdk's Block Kit models and written back, is unchanged and passes their validation."""
    from slack_sdk.models.blocks import Block

    for block in payload["blocks"]:
        model = Block.parse(block)
        assert model is not None, block
        model.validate_json()  # raises SlackObjectFormationError on a broken limit
        assert model.to_dict() == block


@pytest.mark.parametrize("text", ["Ranking at scale", HOSTILE, "&<>x" * 2000, ""], ids=["plain", "hostile", "long", "empty"])
@pytest.mark.parametrize("view_type", VIEW_TYPES, ids=lambda t: t.__name__)
def test_the_plain_dict_blocks_are_exactly_what_slack_sdk_models_would_build(view_type: type, text: str) -> None:
    # The renderer builds dicts directly (slack_sdk's models cost ~2 ms a card); slack_sdk still vouches for them here.
    _round_trips_through_slack_sdk(render(samples(text)[view_type]).payload())
    _round_trips_through_slack_sdk(with_preface(render(samples(text)[view_type]), escape(text) or "x").payload())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=0, max_size=400), st.sampled_from(VIEW_TYPES))
def test_any_text_renders_blocks_slack_sdk_accepts_unchanged(text: str, view_type: type) -> None:
    _round_trips_through_slack_sdk(render(samples(text)[view_type]).payload())


@pytest.mark.parametrize("view_type", [QuestionCard, AnswerFeedback], ids=lambda t: t.__name__)
def test_a_rendered_message_shares_no_mutable_state_between_renders(view_type: type) -> None:
    card = samples("x")[view_type]
    first, second = render(card), render(card)
    payload = first.payload()
    payload["blocks"][0]["type"] = "changed"
    payload["blocks"][0]["text"]["text"] = "changed"
    for message in (first, second, render(card)):
        assert message.blocks[0]["type"] == "header" and message.blocks[0]["text"]["text"] != "changed"


def _feedback_for(run_id: int, view: AnswerFeedback) -> AnswerFeedback:
    return view.model_copy(update={"buttons": (Button(label="Next question", action_id=f"rq1:n:{run_id}", style="primary"),)})


@pytest.mark.parametrize("text", ["Ranking at scale", HOSTILE, "&<>x" * 2000], ids=["plain", "hostile", "long"])
def test_feedback_rendered_from_the_cache_is_what_a_fresh_render_gives_with_each_runs_own_button(text: str) -> None:
    verdict = samples(text)[AnswerFeedback]
    render_module._feedback_verdict.cache_clear()
    fresh = render(_feedback_for(1, verdict))
    cached = render(_feedback_for(2, verdict))
    assert cached.text == fresh.text and cached.blocks[:-1] == fresh.blocks[:-1]
    assert [e["action_id"] for e in cached.blocks[-1]["elements"]] == ["rq1:n:2"]
    assert [e["action_id"] for e in fresh.blocks[-1]["elements"]] == ["rq1:n:1"]
    assert block_kit_problems(cached.payload()) == []


def test_the_feedback_cache_holds_verdicts_not_people() -> None:
    verdict = samples("x")[AnswerFeedback]
    render_module._feedback_verdict.cache_clear()
    for run_id in range(1, 200):  # many people, one verdict
        render(_feedback_for(run_id, verdict))
    assert render_module._feedback_verdict.cache_info().currsize == 1
    for points in range(render_module.FEEDBACK_CACHE_SIZE + 10):  # more verdicts than it keeps: the oldest go
        render(_feedback_for(1, verdict.model_copy(update={"points": points})))
    assert render_module._feedback_verdict.cache_info().currsize == render_module.FEEDBACK_CACHE_SIZE


# mrkdwn formats a pair of marks only where each touches the text it wraps.
FORMATTED = re.compile(r"(?<![\w\u2060])([*_~`])[^\s*_~`\u2060][^\n]*?(?<![\s\u2060])\1(?![\w\u2060])")


@pytest.mark.parametrize("name", ["*bold* _it_", "~gone~ `code`", "a*b*c", "_*both*_", "*"])
def test_a_display_name_with_mrkdwn_marks_is_shown_as_typed_never_formatted(name: str) -> None:
    shown = escape_name(name)
    assert shown.replace("\u2060", "") == name  # every character kept, in order (copy and paste gives the name back)
    assert FORMATTED.search(shown) is None
