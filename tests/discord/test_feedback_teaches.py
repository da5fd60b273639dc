"""On Discord, all five questions played through show the v2 texts, the interviewer's checklist and honest scoring notes."""

from __future__ import annotations

from pathlib import Path

from bot.content import DeckLibrary
from tests.discord.conftest import running_bot
from tests.discord.fake_discord import FakeDiscord
from tests.discord.test_bot import ALICE, click, custom_ids, embed, start_card

FIRST_WRONG = "No points: not the best answer. Your first answer to a question is the one that counts; replay it any time for practice."
FIRST_RIGHT = "+1 point: your first answer to this question, and the best one."


async def test_five_questions_show_the_new_texts_the_checklist_and_the_scoring_notes(
    fake: FakeDiscord, db_path: Path, decks: DeckLibrary
) -> None:
    deck = decks.default
    notes = []
    async with running_bot(fake, db_path):
        card = await start_card(fake)
        for number, question in enumerate(deck.questions, start=1):
            shown = embed(card)
            assert question.prompt in shown["description"]
            assert {f["value"] for f in shown["fields"]} == {o.text for o in question.options}
            # Alternate right and wrong first answers: the note says which it was.
            best = next(f["name"] for f in shown["fields"] if f["value"] == question.correct_option.text)
            pick = "ABCD".index(best) if number % 2 else ("ABCD".index(best) + 1) % 4
            _, feedback = await click(fake, ALICE, card, custom_ids(card)[pick])
            fields = {f["name"]: f["value"] for f in embed(feedback)["fields"]}
            assert fields["What an interviewer listens for"] == "\n".join(f"☑ {p}" for p in question.key_points)
            assert fields["Why the best answer is best"] == question.explanation
            assert fields["Sources"] == "\n".join(f"• {source}" for source in question.sources)
            notes.append(next(value for name, value in fields.items() if name.startswith("Points: ")))
            _, card = await click(fake, ALICE, feedback, custom_ids(feedback)[0])
    assert notes == [FIRST_RIGHT, FIRST_WRONG, FIRST_RIGHT, FIRST_WRONG, FIRST_RIGHT]
