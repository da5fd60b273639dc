"""The real bolt app in HTTP mode, driven by signed requests, answering through the fake Slack."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from bot.engine import QuizEngine
from tests.slack.conftest import DEADLINE, SlackSender
from tests.slack.fake_slack import FakeSlack, Posted
from tests.slack.helpers import answer_buttons, best_and_wrong, is_known, totals


async def _start(slack: SlackSender, fake: FakeSlack, user: str = "U1", text: str = "start") -> Posted:
    before = len(fake.posted)
    answer = await slack.slash(text, user)
    assert answer.status == 200
    assert answer.elapsed < DEADLINE
    return await fake.next_message(before)


async def _click(slack: SlackSender, fake: FakeSlack, action_id: str, user: str = "U1", **kwargs: object) -> Posted:
    before = len(fake.posted)
    answer = await slack.click(action_id, user, **kwargs)  # type: ignore[arg-type]
    assert answer.status == 200
    assert answer.elapsed < DEADLINE
    return await fake.next_message(before)


async def test_slash_start_acks_within_3s_and_sends_an_ephemeral_question_card_with_four_buttons(
    slack: SlackSender, fake: FakeSlack
) -> None:
    card = await _start(slack, fake)
    assert card.via == "response_url"
    assert card.problems == []
    assert card.body["response_type"] == "ephemeral"
    assert len(answer_buttons(card)) == 4 and len(card.buttons) == 5  # A-D, then Write my answer
    assert [b["text"]["text"] for b in card.buttons] == ["A", "B", "C", "D", "Write my answer"]
    assert all(i.startswith("rq1:a:") for i in card.action_ids[:4]) and card.action_ids[4].startswith("rq1:w:")
    assert "Question 1 of 5" in card.body["text"]
    kinds = [b["type"] for b in card.blocks]
    assert kinds[0] == "header" and kinds[-1] == "actions" and "context" in kinds
    assert kinds.count("section") == 5  # the prompt and one per option


async def test_a_click_replaces_the_card_with_feedback(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    card = await _start(slack, fake)
    best, _ = best_and_wrong(quiz_engine, card)
    feedback = await _click(slack, fake, best)
    assert feedback.problems == []
    assert feedback.body["replace_original"] is True
    assert feedback.body["text"].startswith("Correct")
    assert [b["text"]["text"] for b in feedback.buttons] == ["Next question"]
    assert await totals(quiz_engine) == (1, 1)


async def test_five_questions_end_in_a_score_card(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    card = await _start(slack, fake)
    for position in range(5):
        assert answer_buttons(card)[0].position == position
        best, wrong = best_and_wrong(quiz_engine, card)
        feedback = await _click(slack, fake, best if position % 2 == 0 else wrong)
        assert feedback.body["replace_original"] is True
        card = await _click(slack, fake, feedback.action_ids[0])
    assert card.problems == []
    assert card.body["replace_original"] is True
    assert card.body["text"].startswith("Your score: 3 / 5")
    assert [b["text"]["text"] for b in card.buttons] == ["Play again"]
    assert await totals(quiz_engine) == (3, 5)


async def test_a_double_click_counts_once_and_the_second_gets_a_notice(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine
) -> None:
    card = await _start(slack, fake)
    best, wrong = best_and_wrong(quiz_engine, card)
    await _click(slack, fake, wrong)
    second = await _click(slack, fake, best)
    assert second.body.get("replace_original") is False
    assert second.body["response_type"] == "ephemeral"
    assert second.body["text"].startswith("Already answered")
    assert await totals(quiz_engine) == (0, 1)


async def test_a_retried_delivery_counts_once(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    card = await _start(slack, fake)
    best, _ = best_and_wrong(quiz_engine, card)
    body = slack.form(slack.click_payload(best))
    first = await slack.post(body)
    retried = await slack.post(body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert (first.status, retried.status) == (200, 200)
    assert first.elapsed < DEADLINE and retried.elapsed < DEADLINE
    answers = await fake.wait_for(lambda p: len(p) >= 3)
    texts = sorted(m.body["text"].split(":")[0] for m in answers[1:])
    assert texts == ["Already answered", "Correct"]
    assert await totals(quiz_engine) == (1, 1)


async def test_another_persons_click_is_refused_and_records_nothing(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    card = await _start(slack, fake, user="U1")
    best, _ = best_and_wrong(quiz_engine, card)
    refusal = await _click(slack, fake, best, user="U2")
    assert refusal.body["response_type"] == "ephemeral"
    assert refusal.body.get("replace_original") is False  # the owner's card stays as it is
    assert "belongs to someone else" in refusal.body["text"]
    assert await totals(quiz_engine, "U1") == (0, 0)
    assert not await is_known(quiz_engine, "U2")


async def test_a_tampered_action_id_gets_a_notice(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    card = await _start(slack, fake)
    best, _ = best_and_wrong(quiz_engine, card)
    for tampered in (best.replace("rq1:a:", "rq1:a:9"), best + ":x", "rq9:a:1:0:x", "not-ours"):
        notice = await _click(slack, fake, tampered)
        assert notice.problems == []
        assert notice.body["response_type"] == "ephemeral"
        assert "button" in notice.body["text"].lower() or "run" in notice.body["text"].lower(), notice.body["text"]
    assert await totals(quiz_engine) == (0, 0)


async def test_a_click_on_a_finished_run_changes_nothing(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    card = await _start(slack, fake)
    first_card = card
    for _ in range(5):
        best, _ = best_and_wrong(quiz_engine, card)
        feedback = await _click(slack, fake, best)
        card = await _click(slack, fake, feedback.action_ids[0])
    assert card.body["text"].startswith("Your score")
    late = await _click(slack, fake, best_and_wrong(quiz_engine, first_card)[1])
    assert late.body["response_type"] == "ephemeral"
    assert late.body["text"].startswith("Already answered")
    assert await totals(quiz_engine) == (5, 5)


@pytest.mark.parametrize("typed", ["frobnicate &lt;!channel&gt;", "frobnicate <!channel>"], ids=["as-slack-escapes-it", "raw"])
async def test_unknown_text_gets_the_help_card_naming_what_was_not_understood(slack: SlackSender, fake: FakeSlack, typed: str) -> None:
    help_card = await _start(slack, fake, text=typed)
    assert help_card.problems == []
    assert help_card.body["response_type"] == "ephemeral"
    first = help_card.blocks[0]
    assert first["type"] == "context"
    assert "frobnicate &lt;!channel&gt;" in first["elements"][0]["text"]
    assert "<!channel>" not in help_card.all_text
    assert "/recsys-quiz start [deck]" in help_card.all_text


async def test_an_unknown_deck_gets_a_notice_and_records_nothing(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    reply = await _start(slack, fake, text="start no-such-deck")
    assert reply.body["text"].startswith("Unknown deck")
    assert not await is_known(quiz_engine, "U1")


async def test_help_tips_leaderboard_and_stats_each_answer_with_their_card(slack: SlackSender, fake: FakeSlack) -> None:
    expected = {"help": "recsys-quiz help", "tips": "How to structure", "leaderboard": "Leaderboard", "stats": "Progress of Ada"}
    for text, start in expected.items():
        reply = await _start(slack, fake, text=text)
        assert reply.problems == [], text
        assert reply.body["response_type"] == "ephemeral"
        assert reply.body["text"].startswith(start), (text, reply.body["text"])


async def test_the_start_button_on_the_help_card_starts_a_run(slack: SlackSender, fake: FakeSlack) -> None:
    help_card = await _start(slack, fake, text="help")
    card = await _click(slack, fake, help_card.action_ids[0])
    assert len(answer_buttons(card)) == 4 and len(card.buttons) == 5  # A-D, then Write my answer
    assert card.body["response_type"] == "ephemeral"  # a new card; the help stays readable


async def test_a_hostile_display_name_is_shown_as_text_on_the_leaderboard(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine
) -> None:
    fake.add_user("U3", "<!channel> & <@U1> <https://evil.example|click> @here")
    card = await _start(slack, fake, user="U3")
    best, _ = best_and_wrong(quiz_engine, card)
    await _click(slack, fake, best, user="U3")
    board = await _start(slack, fake, user="U1", text="leaderboard")
    text = board.all_text
    assert "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;https://evil.example|click&gt;" in text
    for raw in ("<!channel>", "<@U1>", "<https://", "@here"):
        assert raw not in text
    assert "1 point" in json.dumps(board.blocks)


async def test_a_display_name_with_mrkdwn_marks_is_shown_as_typed_on_the_board_and_in_stats(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine
) -> None:
    fake.add_user("U3", "*bold* _it_ ~s~ `c`")
    card = await _start(slack, fake, user="U3")
    best, _ = best_and_wrong(quiz_engine, card)
    await _click(slack, fake, best, user="U3")
    board = await _start(slack, fake, user="U1", text="leaderboard")
    stats = await _start(slack, fake, user="U3", text="stats")
    for reply in (board, stats):
        shown = reply.all_text
        assert "*bold*" not in shown and "_it_" not in shown and "~s~" not in shown and "`c`" not in shown
        assert "\u2060*\u2060bold\u2060*\u2060 \u2060_\u2060it\u2060_\u2060" in shown  # every mark kept, none pairs up


async def test_the_workspace_display_name_from_users_info_is_stored(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    card = await _start(slack, fake, user="U2")
    best, _ = best_and_wrong(quiz_engine, card)
    await _click(slack, fake, best, user="U2")
    board = await _start(slack, fake, user="U2", text="leaderboard")
    assert "Grace" in board.all_text and "(you)" in board.all_text
    assert any(c.method == "users.info" and c.args.get("user") == "U2" for c in fake.calls)


async def test_the_ack_never_waits_for_the_engine(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = asyncio.Event()
    original_start, original_handle = quiz_engine.start, quiz_engine.handle

    async def held_start(*args: Any, **kwargs: Any) -> Any:
        await gate.wait()
        return await original_start(*args, **kwargs)

    async def held_handle(*args: Any, **kwargs: Any) -> Any:
        await gate.wait()
        return await original_handle(*args, **kwargs)

    monkeypatch.setattr(quiz_engine, "start", held_start)
    monkeypatch.setattr(quiz_engine, "handle", held_handle)
    answer = await slack.slash("start")
    assert answer.status == 200 and answer.elapsed < DEADLINE
    assert fake.posted == []  # acknowledged while the engine has not even begun
    gate.set()
    card = await fake.next_message(0)
    gate.clear()
    best, _ = best_and_wrong(quiz_engine, card)
    click = await slack.click(best)
    assert click.status == 200 and click.elapsed < DEADLINE
    assert len(fake.posted) == 1
    gate.set()
    feedback = await fake.next_message(1)
    assert feedback.body["text"].startswith("Correct")


async def test_simultaneous_clicks_on_every_button_record_one_answer(slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine) -> None:
    card = await _start(slack, fake)
    answers = await asyncio.gather(*(slack.click(button.encode()) for button in answer_buttons(card) * 2))
    assert all(a.status == 200 and a.elapsed < DEADLINE for a in answers)
    replies = await fake.wait_for(lambda p: len(p) >= 1 + len(answers))
    kinds = sorted("feedback" if m.body.get("replace_original") else m.body["text"].split(":")[0] for m in replies[1:])
    assert kinds == ["Already answered"] * (len(answers) - 1) + ["feedback"]
    assert (await totals(quiz_engine))[1] == 1
