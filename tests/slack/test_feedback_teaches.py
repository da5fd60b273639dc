"""On Slack, all five questions played through show the v2 texts, the interviewer's checklist and honest scoring notes."""

from __future__ import annotations

import html

from bot.engine import QuizEngine
from tests.slack.conftest import SlackSender
from tests.slack.fake_slack import FakeSlack
from tests.slack.helpers import answer_buttons, best_and_wrong
from tests.slack.test_http_mode import _click, _start

FIRST_WRONG = "No points: not the best answer. Your first answer to a question is the one that counts; replay it any time for practice."
FIRST_RIGHT = "+1 point: your first answer to this question, and the best one."


def shown_text(blocks: list[dict[str, object]]) -> str:
    """Every text of the blocks, unescaped as Slack shows it."""
    texts: list[str] = []
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            texts.append(str(text["text"]))
        for element in block.get("elements", []) or []:  # type: ignore[union-attr]
            if isinstance(element, dict) and "text" in element and isinstance(element["text"], str):
                texts.append(element["text"])
    return html.unescape("\n".join(texts))


async def test_five_questions_show_the_new_texts_the_checklist_and_the_scoring_notes(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine
) -> None:
    deck = quiz_engine.decks.default
    card = await _start(slack, fake)
    for position, question in enumerate(deck.questions):
        assert answer_buttons(card)[0].position == position
        on_card = shown_text(card.blocks)
        assert question.prompt in on_card and all(o.text in on_card for o in question.options)
        best, wrong = best_and_wrong(quiz_engine, card)
        feedback = await _click(slack, fake, best if position % 2 == 0 else wrong)
        assert feedback.problems == []
        text = shown_text(feedback.blocks)
        assert "What an interviewer listens for:" in text
        assert all(f":ballot_box_with_check: {point}" in text for point in question.key_points)
        assert question.explanation in text
        assert "Sources: " + "; ".join(question.sources) in text.replace("*Sources:*", "Sources:")
        assert (FIRST_RIGHT if position % 2 == 0 else FIRST_WRONG) in text
        card = await _click(slack, fake, feedback.action_ids[0])
