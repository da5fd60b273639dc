"""Which clicks cost a users.info lookup: only those whose handling in the core reads the clicker's name or admin flag."""

from __future__ import annotations

import pytest

from adapters.slack.handlers import needs_profile
from bot.actions import AnswerAction, BoardPageAction, DailyAnswerAction, NextAction, StartAction, TipsAction
from bot.engine import QuizEngine
from bot.origin import Origin
from bot.views import AnswerFeedback
from tests.slack.conftest import TEAM, SlackSender
from tests.slack.fake_slack import FakeSlack
from tests.slack.helpers import query, totals


def _lookups(fake: FakeSlack) -> list[str]:
    return [c.args.get("user", "") for c in fake.calls if c.method == "users.info"]


@pytest.mark.parametrize(
    ("action", "looked_up"),
    [
        (AnswerAction(run_id=1, position=0, option_key="a"), False),
        (NextAction(run_id=1), False),
        (TipsAction(deck_id="recsys"), False),
        (StartAction(deck_id="recsys"), True),  # stores the person's name
        (BoardPageAction(scope="people", window="week", page=2, asker="0123456789ab"), True),
        (DailyAnswerAction(post_id=1, option_key="a"), True),  # a daily answer stores its person, name included
    ],
)
def test_only_actions_that_read_the_name_or_admin_flag_need_a_profile(action: object, looked_up: bool) -> None:
    assert needs_profile(action.encode()) is looked_up  # type: ignore[attr-defined]


@pytest.mark.parametrize("action_id", ["rq1:zz:1", "rq9:a:1:0:x", "garbage", "", "rq1:"])
def test_an_action_id_the_core_cannot_decode_needs_no_lookup(action_id: str) -> None:
    # The core answers it with a notice that names nobody: a users.info call would be for nothing.
    assert needs_profile(action_id) is False


async def test_an_answer_in_a_personal_run_is_recorded_without_a_users_info_call(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine
) -> None:
    # The run was started in an earlier process (its directory is empty here): as a daily clicker, new to this one.
    origin = Origin(platform="slack", space_id=TEAM, user_id="U2", display_name="Grace")
    card = (await quiz_engine.start(origin)).view
    action_id = card.buttons[0].action_id  # type: ignore[attr-defined]
    feedback = await slack.press(action_id, "U2")
    assert feedback.body["replace_original"] is True and feedback.problems == []
    assert feedback.body["text"].startswith(("Correct", "Not the best"))
    assert (await totals(quiz_engine, "U2"))[1] == 1
    assert _lookups(fake) == []
    assert query(quiz_engine, "SELECT display_name FROM people WHERE user_id = 'U2'") == [("Grace",)]


async def test_a_new_persons_first_daily_click_still_looks_up_their_name(slack: SlackSender, fake: FakeSlack) -> None:
    # A daily answer stores its person: the name must be the workspace's, not the payload's handle.
    await slack.press(DailyAnswerAction(post_id=1, option_key="a").encode(), "U2")
    assert _lookups(fake) == ["U2"]


async def test_the_core_neither_stores_nor_shows_the_name_or_admin_flag_of_an_answer_or_next_click(
    quiz_engine: QuizEngine,
) -> None:
    # What needs_profile relies on: were it to change, a click would carry the payload's handle, not the user's name.
    owner = Origin(platform="slack", space_id=TEAM, user_id="U7", display_name="Stored Name")
    card = (await quiz_engine.start(owner)).view
    clicker = owner.model_copy(update={"display_name": "Payload Handle", "is_admin": True})
    reply = await quiz_engine.handle(clicker, card.buttons[0].action_id)  # type: ignore[attr-defined]
    assert isinstance(reply.view, AnswerFeedback)
    next_id = reply.view.buttons[0].action_id
    following = await quiz_engine.handle(clicker, next_id)
    for view in (reply.view, following.view):
        assert "Payload Handle" not in view.model_dump_json()
    assert query(quiz_engine, "SELECT display_name FROM people WHERE user_id = 'U7'") == [("Stored Name",)]
