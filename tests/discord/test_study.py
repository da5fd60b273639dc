"""Study mode on Discord, through the real client and the fake: the written-answer modal's round trip, review runs,
interview dates, and reminders as direct messages (once a day, a refused one switching them off)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.actions import ReviewAction
from tests.conftest import FakeClock
from tests.discord.conftest import running_bot
from tests.discord.fake_discord import EPHEMERAL, GUILD_ID, MODAL, FakeDiscord
from tests.discord.test_bot import ALICE, BOB, custom_ids, embed, labels
from tests.test_study import at

ANSWER = "Two towers in one 128-dim space, dot product.\nSampled softmax over in-batch negatives, with logQ correction.\n*not bold*"


async def shown(fake: FakeDiscord, pending: Any) -> tuple[int, dict[str, Any]]:
    response = await fake.answered(pending)
    return response.json["type"], await fake.delivered(pending)


async def test_write_my_answer_opens_a_modal_and_its_submission_comes_back_as_a_checklist_that_grades_the_card(
    fake: FakeDiscord, db_path: Path
) -> None:
    async with running_bot(fake, db_path, clock=FakeClock()) as client:
        _, card = await shown(fake, await fake.slash(ALICE, "start"))
        write = custom_ids(card)[-1]
        assert labels(card)[-1] == "Write my answer" and write.startswith("rq1:w:")
        opened = await fake.click(ALICE, card, write)
        kind, _ = await shown(fake, opened)
        assert kind == MODAL and opened.modal is not None
        assert opened.modal["custom_id"] == write and len(opened.modal["title"]) <= 45
        label = next(c for c in opened.modal["components"] if c["type"] == 18)
        assert label["component"]["style"] == 2 and label["component"]["max_length"] == 4000  # a paragraph, Discord's 4,000
        # Someone else cannot submit into Alice's run, and nothing is kept.
        kind, refused = await shown(fake, await fake.submit_modal(BOB, opened, {"answer": "mine"}))
        assert kind == 4 and embed(refused)["title"] == "This quiz belongs to someone else"
        submitted = await fake.submit_modal(ALICE, opened, {"answer": ANSWER})
        kind, checklist = await shown(fake, submitted)
        assert kind == 4 and checklist["flags"] & EPHEMERAL
        assert "\\*not bold\\*" in embed(checklist)["description"]  # the person's text, as text
        assert len(labels(checklist)) == 8 and labels(checklist)[-1] == "Grade it: 0 of 7 covered"
        assert [len(row["components"]) for row in checklist["components"]] == [5, 3]
        # Tick two points (each click replaces the checklist), then grade: 2 of 7 is under half, Again.
        for index in (0, 1):
            kind, checklist = await shown(fake, await fake.click(ALICE, checklist, custom_ids(checklist)[index]))
            assert kind == 7
        assert labels(checklist)[:2] == [f"☑ {label[2:]}" for label in labels(checklist)[:2]]
        kind, result = await shown(fake, await fake.click(ALICE, checklist, custom_ids(checklist)[-1]))
        assert kind == 7 and embed(result)["title"].startswith("Again: 2 of 7 key points")
        names = [f["name"] for f in embed(result)["fields"]]
        assert names[:3] == ["What an interviewer listens for", names[1], "Why the best answer is best"] and names[1].startswith(
            "Best answer"
        )
        assert labels(result) == ["Now pick the best answer"]
        store = client.engine.store
        written = await store.written_answer(1)
        assert written is not None and written.text == ANSWER and written.ticked == 0b11
    assert fake.violations == []


async def test_review_interview_and_stats_on_discord(fake: FakeDiscord, db_path: Path) -> None:
    clock = FakeClock(at(date(2027, 1, 2), 9))
    async with running_bot(fake, db_path, clock=clock):
        _, review = await shown(fake, await fake.slash(ALICE, "review"))
        assert embed(review)["title"].startswith("Question 1 / 5") and "5 new" in embed(review)["description"]
        _, bad = await shown(fake, await fake.slash(ALICE, "interview set", {"date": "15/01/2027"}))
        assert embed(bad)["title"] == "That isn't a date" and "interview set date:2027-01-15" in embed(bad)["description"]
        _, good = await shown(fake, await fake.slash(ALICE, "interview set", {"date": "2027-01-15"}))
        assert embed(good)["title"] == "Interview date set" and "remind set time:" in embed(good)["description"]
        assert labels(good) == ["Review now"]
        _, stats = await shown(fake, await fake.slash(ALICE, "stats"))
        assert "Interview: Fri 15 Jan 2027, in 13 days." in embed(stats)["description"]
        _, off = await shown(fake, await fake.slash(ALICE, "interview off"))
        assert embed(off)["title"] == "Interview date forgotten"


async def test_a_reminder_is_one_direct_message_a_day_whose_review_button_works_in_direct_messages(
    fake: FakeDiscord, db_path: Path
) -> None:
    clock = FakeClock(at(date(2027, 1, 4), 7))
    async with running_bot(fake, db_path, clock=clock) as client:
        _, card = await shown(fake, await fake.slash(ALICE, "start"))  # Alice has questions to meet
        _, reply = await shown(fake, await fake.slash(ALICE, "remind set", {"time": "08:30", "timezone": "Europe/Berlin"}))
        assert embed(reply)["title"] == "Reminder set"
        clock.now = at(date(2027, 1, 4), 8, 31)
        await client.engine.reminders.tick()
        await client.engine.reminders.tick()  # a second tick (or another process) sends nothing more
        assert len(fake.direct_messages) == 1 and list(fake.dm_channels.values()) == [ALICE["id"]]
        message = fake.direct_messages[0].json
        assert embed(message)["title"] == "Time to review"
        review_id = custom_ids(message)[0]
        assert review_id == ReviewAction(space_id=GUILD_ID).encode()
        # The button in the DM reviews what is due in the server, and the review is answered there too.
        dm_message = {**message, "id": "1", "channel_id": next(iter(fake.dm_channels))}
        _, question = await shown(fake, await fake.click(ALICE, dm_message, review_id, guild=False))
        assert embed(question)["title"].startswith("Question 1 / ")
        kind, feedback = await shown(fake, await fake.click(ALICE, question, custom_ids(question)[0], guild=False))
        assert kind == 7 and embed(feedback)["title"].startswith(("Correct", "Not the best answer"))
        assert any(f["name"] == "Next review" for f in embed(feedback)["fields"])
    del card


async def test_a_refused_direct_message_switches_reminders_off_and_the_next_command_says_why(fake: FakeDiscord, db_path: Path) -> None:
    clock = FakeClock(at(date(2027, 1, 4), 7))
    fake.refusing_dms.add(ALICE["id"])
    async with running_bot(fake, db_path, clock=clock) as client:
        await shown(fake, await fake.slash(ALICE, "start"))
        await shown(fake, await fake.slash(ALICE, "remind set", {"time": "08:30", "timezone": "Europe/Berlin"}))
        clock.now = at(date(2027, 1, 4), 9)
        await client.engine.reminders.tick()
        assert fake.direct_messages == []
        pending = await fake.slash(ALICE, "tips")
        _, tips = await shown(fake, pending)
        assert embed(tips)["title"] == "How to structure your answer"
        note = await note_after(pending)
        assert embed(note)["title"] == "Your reminders are off" and "50007" in embed(note)["description"]
        assert "remind set time:" in embed(note)["description"]
        later = await fake.slash(ALICE, "tips")
        await shown(fake, later)
        assert later.followups == []  # said once
        clock.now = at(date(2027, 1, 5), 9)
        await client.engine.reminders.tick()
        assert fake.direct_messages == []


async def note_after(pending: Any) -> dict[str, Any]:
    """The follow-up message the bot sent after the interaction's answer."""
    import asyncio

    for _ in range(200):
        if pending.followups:
            return pending.followups[0].json  # type: ignore[no-any-return]
        await asyncio.sleep(0.01)
    raise AssertionError("no follow-up was sent")


@pytest.mark.parametrize(
    ("data", "title"),
    [
        ({"custom_id": "rq1:w:1:0", "components": []}, "Nothing was written"),
        (
            {"custom_id": "rq1:w:1:0", "components": [{"type": 18, "component": {"type": 4, "custom_id": "other", "value": "x"}}]},
            "Nothing was written",
        ),
        (
            {"custom_id": "not-ours", "components": [{"type": 18, "component": {"type": 4, "custom_id": "answer", "value": "x"}}]},
            "That form doesn't work",
        ),
        ({"custom_id": 42, "components": "nonsense"}, "That form doesn't work"),
        (
            {"custom_id": "rq1:w:999:0", "components": [{"type": 1, "components": [{"type": 4, "custom_id": "answer", "value": "x"}]}]},
            "That quiz run doesn't exist",
        ),
    ],
)
async def test_a_form_submission_the_bot_did_not_open_gets_a_private_notice_and_keeps_nothing(
    fake: FakeDiscord, db_path: Path, data: dict[str, Any], title: str
) -> None:
    async with running_bot(fake, db_path) as client:
        await shown(fake, await fake.slash(ALICE, "start"))
        kind, notice = await shown(fake, await fake.modal_submit(ALICE, data))
        assert kind == 4 and notice["flags"] & EPHEMERAL and embed(notice)["title"] == title
        assert await client.engine.store.written_answer(1) is None
