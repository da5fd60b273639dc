"""Study mode on Slack, through the real bolt app and the fake: the written-answer modal's round trip (views.open, then
view_submission), review runs and interview dates, and reminders as direct messages (once a day, a refused one switching
them off)."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import urlencode

import pytest

from adapters.slack.modal import ANSWER_ACTION, ANSWER_BLOCK
from bot.actions import ReviewAction
from bot.engine import QuizEngine
from tests.conftest import FakeClock
from tests.slack.conftest import DEADLINE, TEAM, SlackSender, settled
from tests.slack.fake_slack import FakeSlack, Posted
from tests.test_study import at

ANSWER = "Two towers in one space, dot product.\nIn-batch negatives with logQ correction. <!channel> *not bold*"


async def open_form(slack: SlackSender, fake: FakeSlack, card: Posted, user: str = "U1") -> dict[str, object]:
    """Click Write my answer on a card: the modal views.open showed (no message: the form is the answer)."""
    before = len(fake.views_opened)
    answer = await slack.post(slack.form(slack.click_payload(card.action_ids[-1], user)))
    assert answer.status == 200 and answer.elapsed < DEADLINE
    await settled()
    assert len(fake.views_opened) == before + 1
    return fake.views_opened[-1]


async def submit(slack: SlackSender, modal: dict[str, object], text: str, user: str = "U1") -> None:
    payload = slack.submission_payload(modal, {(ANSWER_BLOCK, ANSWER_ACTION): text}, user)
    answer = await slack.post(urlencode({"payload": json.dumps(payload)}))
    assert answer.status == 200 and answer.elapsed < DEADLINE and answer.text == ""  # an empty ack closes the form


async def test_write_my_answer_opens_a_modal_whose_submission_comes_back_as_a_checklist_that_grades_the_card(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine
) -> None:
    card = await slack.ask("start")
    assert card.buttons[-1]["text"]["text"] == "Write my answer"
    modal = await open_form(slack, fake, card)
    assert modal["callback_id"] == card.action_ids[-1]
    element = modal["blocks"][1]["element"]  # type: ignore[index]
    assert element["multiline"] is True and element["max_length"] == 3000  # Slack's limit for the input
    before = len(fake.posted)
    await submit(slack, modal, ANSWER)
    checklist = await fake.next_reply(before)
    assert checklist.via == "response_url" and checklist.body["response_type"] == "ephemeral"
    assert checklist.body.get("replace_original") is False  # the question card stays; the checklist is new
    assert checklist.problems == [] and "&lt;!channel&gt;" in checklist.all_text and "<!channel>" not in checklist.all_text
    texts = [b["text"]["text"] for b in checklist.buttons]
    assert len(texts) == 8 and texts[-1] == "Grade it: 0 of 7 covered"
    ticked = await slack.press(checklist.action_ids[2])
    assert ticked.body.get("replace_original") is True and ticked.buttons[2]["text"]["text"].startswith("☑")
    result = await slack.press(ticked.action_ids[-1])
    assert result.body["text"].startswith("Again: 1 of 7 key points")
    written = await quiz_engine.store.written_answer(1)
    assert written is not None and written.text == ANSWER and written.ticked == 0b100
    # The checklist of someone else's form is never shown to another person: their submission is refused.
    before = len(fake.posted)
    await submit(slack, modal, "mine", user="U2")
    refused = await fake.next_reply(before)
    assert "This quiz belongs to someone else" in refused.body["text"]


async def test_an_expired_trigger_says_to_click_again_and_keeps_nothing(slack: SlackSender, fake: FakeSlack) -> None:
    card = await slack.ask("start")
    payload = slack.click_payload(card.action_ids[-1])
    fake.triggers[payload["trigger_id"]] -= 10  # the click took Slack's 3 seconds and more to reach the bot
    before = len(fake.posted)
    await slack.post(slack.form(payload))
    reply = await fake.next_reply(before)
    assert fake.views_opened == [] and "click Write my answer again" in reply.all_text


async def test_review_interview_and_remind_on_slack(slack: SlackSender, fake: FakeSlack, clock: FakeClock) -> None:
    clock.now = at(date(2027, 1, 2), 9)
    review = await slack.ask("review")
    assert review.body["text"].startswith("Question 1 of 5")
    bad = await slack.ask("interview 15.01.2027")
    assert "That isn't a date" in bad.body["text"] and "/recsys-quiz interview 2027-01-15" in bad.body["text"]
    good = await slack.ask("interview 2027-01-15")
    assert "Interview date set" in good.body["text"] and "/recsys-quiz remind 08:30 Europe/Berlin" in good.body["text"]
    usage = await slack.ask("remind 08:30")
    assert "How to set a reminder" in usage.body["text"]
    remind = await slack.ask("remind 08:30 Europe/Berlin")
    assert "Reminder set" in remind.body["text"]
    stats = await slack.ask("stats")
    assert "Interview: Fri 15 Jan 2027, in 13 days." in stats.all_text
    off = await slack.ask("remind off")
    assert "Reminders off" in off.body["text"]


async def test_a_reminder_is_one_direct_message_a_day_with_a_review_button(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, clock: FakeClock
) -> None:
    clock.now = at(date(2027, 1, 4), 7)
    await slack.ask("start")
    await slack.ask("remind 08:30 Europe/Berlin")
    clock.now = at(date(2027, 1, 4), 8, 31)
    await quiz_engine.reminders.tick()
    await quiz_engine.reminders.tick()
    [reminder] = fake.direct_messages("U1")
    assert reminder.problems == [] and reminder.body["text"].startswith("Time to review")
    assert reminder.action_ids == [ReviewAction(space_id=TEAM).encode()]
    question = await slack.press(reminder.action_ids[0], channel="D1", ephemeral=False)
    assert question.body["text"].startswith("Question 1 of ")


@pytest.mark.parametrize("refusal", ["user_not_found", "user_disabled", "cannot_dm_bot"])
async def test_a_refused_direct_message_switches_reminders_off_and_the_next_command_says_why_once(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, clock: FakeClock, refusal: str
) -> None:
    clock.now = at(date(2027, 1, 4), 7)
    await slack.ask("start")
    await slack.ask("remind 08:30 Europe/Berlin")
    fake.dm_refusals["U1"] = refusal
    clock.now = at(date(2027, 1, 4), 9)
    await quiz_engine.reminders.tick()
    assert fake.direct_messages("U1") == []
    before = len(fake.posted)
    await slack.slash("tips")
    replies = await fake.wait_for(lambda posted: len(posted) >= before + 2)
    tips, note = replies[before], replies[before + 1]
    assert tips.body["text"].startswith("How to structure a strong answer")
    assert "Your reminders are off" in note.body["text"] and refusal in note.body["text"]
    again = await slack.ask("tips")
    await settled()
    assert fake.posted[-1] is again  # said once


@pytest.mark.parametrize(
    ("view", "kept"),
    [
        # Where to show the checklist is lost, but the answer is the person's own: kept, and shown on the next click.
        ({"type": "modal", "callback_id": "rq1:w:1:0", "private_metadata": "not json"}, True),
        ({"type": "modal", "callback_id": "rq1:w:1:0", "private_metadata": "[1, 2]"}, True),
        ({"type": "modal", "callback_id": "rq1:s:nope"}, False),
        ({"type": "modal", "callback_id": "rq1:w:1:0", "private_metadata": "x" * 4000}, False),  # more than Slack allows
    ],
)
async def test_a_form_submission_with_broken_parts_keeps_only_the_persons_own_answer_and_logs_no_error(
    slack: SlackSender,
    fake: FakeSlack,
    quiz_engine: QuizEngine,
    view: dict[str, object],
    kept: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    card = await slack.ask("start")
    payload = slack.submission_payload(view, {(ANSWER_BLOCK, ANSWER_ACTION): "my answer"})
    answer = await slack.post(urlencode({"payload": json.dumps(payload)}))
    assert answer.status == 200
    await settled()
    assert (await quiz_engine.store.written_answer(1) is not None) is kept
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    if kept:
        checklist = await slack.press(card.action_ids[-1])  # Write my answer again: what was written, to tick
        assert "my answer" in checklist.all_text and "already" in checklist.all_text
