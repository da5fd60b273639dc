"""`content check`'s fit test: every card a deck makes is rendered for Discord and Slack, and a text they would cut is named."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from bot.actions import AnswerAction, NextAction, StartAction
from bot.content import Deck, Question
from bot.daily import post_card
from bot.engine import LETTERS, SCORING_RULE, feedback_verdict, scoring_note
from bot.views import (
    Button,
    DailyFeedback,
    OptionLine,
    OptionResult,
    QuestionCard,
    ScoreCard,
    Streak,
    TipLine,
    TipsView,
    TopicResult,
)
from bot.written import WRITTEN_MAX, checklist_view, result_view

# Ids as long as a busy install makes them, so buttons are checked at their real size.
RUN_ID = 9_999_999_999
POST_ID = 9_999_999_999
DAY = date(2026, 9, 30)  # a long weekday and month name
DATE_LABEL = f"Daily question · {DAY:%A %d %B %Y}"

# A card, the texts on it that must be shown whole, and where each comes from (for the message).
Card = tuple[str, Any, list[tuple[str, str]]]


def _question_cards(deck: Deck, index: int, question: Question) -> Iterator[Card]:
    where = f"questions[{index}] ({question.id})"
    options = tuple(OptionLine(letter=LETTERS[i], text=o.text) for i, o in enumerate(question.options))
    shown = [(f"{where}.prompt", question.prompt), *((f"{where}.options[{i}].text", o.text) for i, o in enumerate(question.options))]
    buttons = tuple(
        Button(label=LETTERS[i], action_id=AnswerAction(run_id=RUN_ID, position=index, option_key=o.key).encode(), style="primary")
        for i, o in enumerate(question.options)
    )
    yield (
        "question card",
        QuestionCard(
            deck_title=deck.title,
            topic=question.topic,
            position=index + 1,
            total=len(deck.questions),
            prompt=question.prompt,
            options=options,
            buttons=buttons,
            note="Resumed where you left off: question 1 of 1.",
        ),
        shown,
    )
    order = tuple(o.key for o in question.options)
    post = post_card(deck, question, order, POST_ID, DAY, answered=99_999)
    yield "daily post", post, shown
    best = question.options.index(question.correct_option)
    results = tuple(OptionResult(letter=LETTERS[i], picks=99_999, share=0.333, correct=i == best) for i in range(len(options)))
    closed = post.model_copy(update={"closed": True, "best_letter": LETTERS[best], "results": results, "explanation": question.explanation})
    yield "closed daily post", closed, [*shown, (f"{where}.explanation", question.explanation)]


def _feedback_cards(deck: Deck, index: int, question: Question) -> Iterator[Card]:
    where = f"questions[{index}] ({question.id})"
    best = question.options.index(question.correct_option)
    for position, option in enumerate(question.options):
        shown = [(f"{where}.options[{position}].text", option.text), (f"{where}.explanation", question.explanation)]
        shown += [(f"{where}.key_points[{i}]", point) for i, point in enumerate(question.key_points)]
        shown += [(f"{where}.sources[{i}]", source) for i, source in enumerate(question.sources)]
        if not option.correct:
            shown += [
                (f"{where}.options[{position}].misses", option.misses or ""),
                (f"{where}.options[{best}].text", question.correct_option.text),
            ]
        verdict = feedback_verdict(
            deck, question.id, index, len(deck.questions), option.key, LETTERS[position], LETTERS[best], 0, option.correct, True
        )
        button = Button(label="Next question", action_id=NextAction(run_id=RUN_ID).encode(), style="primary")
        yield f"feedback on options[{position}]", verdict.model_copy(update={"buttons": (button,)}), shown
        daily = DailyFeedback(
            deck_title=deck.title,
            date_label=DATE_LABEL,
            topic=question.topic,
            correct=option.correct,
            chosen=verdict.chosen,
            best=verdict.best,
            explanation=question.explanation,
            missed=option.misses,
            key_points=question.key_points,
            sources=question.sources,
            points=0,
            scoring_note=scoring_note(points=0, first=True),
            streak=Streak(current=999, best=999),
        )
        yield f"daily feedback on options[{position}]", daily, shown


def _written_cards(deck: Deck, index: int, question: Question) -> Iterator[Card]:
    """The checklist beside the longest answer a person can write, and the graded card: the deck's texts must fit beside it."""
    where = f"questions[{index}] ({question.id})"
    points = [(f"{where}.key_points[{i}]", point) for i, point in enumerate(question.key_points)]
    every = 2 ** len(question.key_points) - 1
    checklist = checklist_view(deck, question, index, len(deck.questions), RUN_ID, "x" * WRITTEN_MAX, every)
    yield "written answer's checklist", checklist, [(f"{where}.prompt", question.prompt), *points]
    button = Button(label="Now pick the best answer", action_id=NextAction(run_id=RUN_ID).encode(), style="primary")
    result = result_view(deck, question, index, len(deck.questions), "E", every, "Comes back for review in 99 days.", button)
    shown = [*points, (f"{where}.explanation", question.explanation), (f"{where}.correct_option.text", question.correct_option.text)]
    yield "written answer's grade", result, shown


def _deck_cards(deck: Deck) -> Iterator[Card]:
    tips = tuple(TipLine(title=t.title, text=t.text) for t in deck.tips)
    shown = [item for i, t in enumerate(deck.tips) for item in ((f"tips[{i}].title", t.title), (f"tips[{i}].text", t.text))]
    topics = tuple(dict.fromkeys(q.topic for q in deck.questions))
    topic_lines = [(f"topic '{topic}'", topic) for topic in topics]
    per_topic = tuple(TopicResult(topic=t, correct=99, total=99) for t in topics)
    again = Button(label="Play again", action_id=StartAction(deck_id=deck.id).encode(), style="primary")
    score = ScoreCard(
        deck_title=deck.title,
        score=len(deck.questions),
        total=len(deck.questions),
        points=len(deck.questions),
        topics=per_topic,
        tips=tips,
        scoring_note=SCORING_RULE,
        buttons=(again,),
    )
    yield "score card", score, [*shown, *topic_lines]
    yield "tips", TipsView(deck_title=deck.title, tips=tips), shown


def deck_cards(deck: Deck) -> Iterator[Card]:
    """Every card the deck can put on a screen, each with the deck texts it must show whole."""
    for index, question in enumerate(deck.questions):
        yield from _question_cards(deck, index, question)
        yield from _feedback_cards(deck, index, question)
        yield from _written_cards(deck, index, question)
    yield from _deck_cards(deck)


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _discord_text(view: object) -> str:
    from adapters.discord.render import render

    embed = render(view).embed.to_dict()
    parts = [embed.get("title", ""), embed.get("description", ""), embed.get("footer", {}).get("text", "")]
    parts += [f"{field['name']}\n{field['value']}" for field in embed.get("fields", [])]
    return "\n".join(parts)


def _slack_text(view: object) -> str:
    from adapters.slack.render import render

    parts: list[str] = []

    def collect(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                if isinstance(value, dict | list):
                    collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    collect(list(render(view).blocks))
    return html.unescape("\n".join(parts))


SURFACES: dict[str, Callable[[object], str]] = {"Discord": _discord_text, "Slack": _slack_text}


def cut_texts(deck: Deck) -> list[str]:
    """The deck texts some surface would not show whole, one line each: which card, which field, which surface."""
    problems: list[str] = []
    for card, view, shown in deck_cards(deck):
        for surface, visible_text in SURFACES.items():
            visible = _normalise(visible_text(view))
            for field, text in shown:
                if _normalise(text) not in visible:
                    problems.append(f"{field}: the {surface} {card} would cut it ({len(text)} characters)")
    return sorted(set(problems), key=problems.index)
