"""A deck with more tips than a card can hold: every surface shows what fits and counts exactly what it left out."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from adapters.console.render import render as console_render
from adapters.discord.render import NO_MENTIONS, render
from adapters.slack.render import render as slack_render
from bot.content import DeckLibrary, load_decks
from bot.engine import QuizEngine
from bot.store import SQLiteStore
from bot.views import ScoreCard, TipsView
from tests.conftest import FakeClock, person
from tests.discord.fake_discord import limit_problems
from tests.slack.fake_slack import block_kit_problems
from tests.test_boards import answer_questions
from tests.test_content import shipped_raw, write_deck

MORE = re.compile(r"(\d+) more (?:tips )?not shown")


def tip_title(index: int) -> str:
    return f"Tip {index:02d} " + "t" * 112  # 120 characters: the longest title a deck may have


def deck_with_tips(directory: Path, count: int) -> DeckLibrary:
    raw = shipped_raw()
    raw["tips"] = [{"title": tip_title(i), "text": f"Tip {i:02d} text " + "x" * 486} for i in range(1, count + 1)]
    write_deck(directory, raw)
    return load_decks(directory)


async def tips_and_score_card(store: SQLiteStore, decks: DeckLibrary) -> tuple[TipsView, ScoreCard]:
    engine = QuizEngine(store, decks, clock=FakeClock(), rng=random.Random(1))
    tips = (await engine.tips()).view
    assert isinstance(tips, TipsView)
    await answer_questions(engine, decks, person("p"), [True] * (len(decks.default.questions) - 1))
    last = await engine.start(person("p"))
    card = last.view
    for button in card.buttons:  # type: ignore[union-attr]
        feedback = await engine.handle(person("p"), button.action_id)
        break
    score = (await engine.handle(person("p"), feedback.view.buttons[0].action_id)).view  # type: ignore[union-attr]
    assert isinstance(score, ScoreCard), score
    return tips, score


def shown_and_noted(texts: list[str], count: int) -> tuple[int, int]:
    """How many tips the texts show, and how many the "N more not shown" note says are left out (0 without a note)."""
    shown = sum(1 for i in range(1, count + 1) if any(tip_title(i) in text for text in texts))
    notes = [int(m.group(1)) for text in texts for m in MORE.finditer(text)]
    assert len(notes) <= 1, notes
    return shown, sum(notes)


def discord_texts(view: Any) -> list[str]:
    data = {"embeds": [render(view).embed.to_dict()], "allowed_mentions": NO_MENTIONS.to_dict()}
    assert limit_problems(data) == []
    embed = data["embeds"][0]
    return [embed.get("description") or "", *(f"{f['name']}\n{f['value']}" for f in embed.get("fields", []))]


def slack_texts(view: Any) -> list[str]:
    payload = slack_render(view).payload()
    assert block_kit_problems(payload) == []
    return [json.dumps(block, ensure_ascii=False) for block in payload["blocks"]]


@pytest.mark.parametrize("count", [30, 80])
async def test_each_surface_counts_exactly_the_tips_it_leaves_out(tmp_path: Path, store: SQLiteStore, count: int) -> None:
    tips, score = await tips_and_score_card(store, deck_with_tips(tmp_path, count))
    for surface, texts_of in (("discord", discord_texts), ("slack", slack_texts)):
        for view in (tips, score):
            shown, noted = shown_and_noted(texts_of(view), count)
            assert shown >= 1, (surface, type(view).__name__)
            assert shown + noted == count, f"{surface} {type(view).__name__}: shows {shown}, says {noted} more, of {count}"


async def test_discord_says_how_many_tips_are_left_out_of_a_30_tip_deck(tmp_path: Path, store: SQLiteStore) -> None:
    tips, score = await tips_and_score_card(store, deck_with_tips(tmp_path, 30))
    for view in (tips, score):
        shown, noted = shown_and_noted(discord_texts(view), 30)
        assert noted == 30 - shown > 0  # 30 tips of 620 characters cannot fit in Discord's 6000


async def test_the_slack_score_card_keeps_its_scoring_note_and_buttons_when_tips_are_left_out(tmp_path: Path, store: SQLiteStore) -> None:
    _, score = await tips_and_score_card(store, deck_with_tips(tmp_path, 80))
    blocks = slack_render(score).payload()["blocks"]
    assert len(blocks) == 50
    assert any(score.scoring_note[:40] in json.dumps(block, ensure_ascii=False) for block in blocks[-3:])
    if score.buttons:
        assert blocks[-1]["type"] == "actions"


async def test_the_terminal_shows_every_tip(tmp_path: Path, store: SQLiteStore) -> None:
    tips, score = await tips_and_score_card(store, deck_with_tips(tmp_path, 30))
    for view in (tips, score):
        console = Console(width=200, record=True)
        with console.capture() as captured:
            console.print(console_render(view))
        assert shown_and_noted([captured.get()], 30) == (30, 0)
