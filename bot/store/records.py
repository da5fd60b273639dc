"""Frozen records the store returns: runs, answers, board rows, teams, tallies."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

import orjson
from pydantic import BaseModel, ConfigDict


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


# The records of the click hot path are named tuples: built from our own rows, they need no validation
# (a pydantic model per click cost more than the click's SQL), and a frozen dataclass sets each field
# through object.__setattr__: three times the cost of a tuple, for the five steps of every click's run.
class PlanStep(NamedTuple):
    """One question of a run and the order its options are shown in."""

    question: str
    order: tuple[str, ...]


class Run(NamedTuple):
    run_id: int
    person_id: int
    deck_id: str
    deck_version: int
    plan: tuple[PlanStep, ...]
    started_at: int
    finished_at: int | None
    kind: Literal["deck", "review"] = "deck"  # a review run plans due questions and scores no points


class Answer(NamedTuple):
    run_id: int
    position: int
    question_id: str
    option_key: str
    correct: bool
    points: int
    answered_at: int
    # Whether this was the person's first answer to the question (the one that can score); known when recorded.
    first: bool = False
    # When the question comes back for review (its card's due time after this answer); known when recorded.
    next_due: int | None = None


class ClickOutcome(NamedTuple):
    """What a click on an answer button did: `recorded`, or why not (with the run and any existing answer)."""

    status: Literal["recorded", "already_answered", "not_current", "no_run", "not_owner", "invalid"]
    run: Run | None = None
    answer: Answer | None = None


class BoardRow(_Record):
    rank: int
    person_id: int
    user_id: str
    display_name: str
    points: int


class Standing(_Record):
    """Where the asker stands on a board: rank None when they have no points total in the period."""

    person_id: int
    rank: int | None
    points: int


class PeopleBoard(_Record):
    """One page of a people board as read in one go: the board's size, the page shown, its rows, the asker."""

    size: int
    page: int
    rows: tuple[BoardRow, ...]
    me: Standing | None


class TeamRow(_Record):
    team_id: int
    name: str
    members: int
    points: int  # in the period asked for
    active_members: int


class TeamBoard(_Record):
    """One page of a team board as read in one go: size, page shown, (rank, team) rows, the asker's team and standing."""

    size: int
    page: int
    ranked: tuple[tuple[int, TeamRow], ...]
    my_team: str | None
    my_standing: tuple[int, float] | None  # (rank, points per active member) when the team is not on the page


class TeamMember(_Record):
    person_id: int
    user_id: str
    display_name: str
    points: int  # earned for this team in the period asked for


class TeamChange(_Record):
    """What a team command did: `ok`, or why not, with the team concerned."""

    status: Literal["ok", "name_taken", "already_in_team", "no_such_team", "not_in_team"]
    team: str | None = None


class OptionTally(_Record):
    deck_id: str
    question_id: str
    option_key: str
    picks: int


class QuestionTally(_Record):
    deck_id: str
    question_id: str
    answered: int
    correct: int


class PersonSummary(_Record):
    """What stats shows of one person: read together, in one hop to the reader."""

    person_id: int
    tallies: tuple[QuestionTally, ...]
    finished_runs: dict[str, int]  # deck -> runs finished
    points: int  # all time
    answers: int  # all time
    points_by_period: dict[str, int]
    team: str | None
    daily_history: tuple[tuple[bool, bool], ...]  # per sent daily post of the space, oldest first: (answered, still open)


class DailyChannel(_Record):
    channel_key: int
    platform: str
    space_id: str
    channel_id: str
    post_time: str
    timezone: str
    deck_id: str
    enabled: bool
    rotation: dict[str, Any] | None
    configured_by: str
    updated_at: int


class DailyPost(_Record):
    post_id: int
    channel_key: int
    platform: str
    space_id: str
    channel_id: str
    slot: str
    local_date: str
    deck_id: str
    question_id: str
    option_order: tuple[str, ...]
    cycle: int
    status: Literal["sending", "sent", "failed"]
    attempts: int
    last_error: str | None
    next_attempt_at: int | None
    message_ref: str | None
    sent_at: int | None
    closed_at: int | None
    reveal_shown: bool
    answer_count: int
    shown_count: int


class DailyPick(_Record):
    """What the rotation chose for a new post, and the rotation state after it."""

    question_id: str
    option_order: tuple[str, ...]
    cycle: int
    rotation: dict[str, Any]


class ForgetOutcome(_Record):
    """What forgetting a person removed: how many people (one per space they were in) and the rows per table."""

    people: int
    rows: dict[str, int]


class DigestChannel(_Record):
    channel_key: int
    platform: str
    space_id: str
    channel_id: str
    enabled: bool
    configured_by: str
    updated_at: int


class DigestPost(_Record):
    """One week's digest of a channel, claimed before it is sent."""

    digest_id: int
    channel_key: int
    platform: str
    space_id: str
    channel_id: str
    week: str  # the local date of the Monday it is posted on
    status: Literal["sending", "sent", "failed"]
    attempts: int
    last_error: str | None
    next_attempt_at: int | None
    message_ref: str | None
    sent_at: int | None


class Claim(NamedTuple):
    """Who is sending a claimed row (a daily post, a digest, a reminder) and which attempt it is: what comes of the send
    is written only while the row is still being sent under this claim. A row handed to another process after its lease
    (or tried again by this one) is claimed anew, so a sender that was only slow finds it lost the row and writes nothing."""

    instance: str  # the service's instance id, stored as claimed_by
    attempt: int  # the row's attempts as claimed: no two claims of one row see the same count


class DailyAnswerOutcome(NamedTuple):  # one per click of a channel's burst: a tuple is cheaper than a frozen model
    status: Literal["recorded", "already_answered", "closed"]
    option_key: str | None = None
    correct: bool = False
    points: int = 0
    person_id: int | None = None  # who answered (None when the post was closed: nothing was written)


def _run_from_row(row: Sequence[Any]) -> Run:
    """A run from a row that starts with the runs table's columns in table order (`SELECT *` or `r.*` first).

    Read by position: this runs for every click, and sqlite3.Row looks names up one by one.
    """
    plan = tuple([PlanStep(step["question"], tuple(step["order"])) for step in orjson.loads(row[4])])
    return Run(row[0], row[1], row[2], row[3], plan, row[5], row[6], row[7])


# Where the owner's (platform, space id, user id) start in a row of runs joined to people (`r.*, p.platform, ...`).
RUN_OWNER = 8


def plan_json(plan: Sequence[PlanStep]) -> str:
    return json.dumps([{"question": step.question, "order": list(step.order)} for step in plan])


def _answer_from_row(row: sqlite3.Row) -> Answer:
    return Answer(
        run_id=row["run_id"],
        position=row["position"],
        question_id=row["question_id"],
        option_key=row["option_key"],
        correct=bool(row["correct"]),
        points=row["points"],
        answered_at=row["answered_at"],
    )


class StudyCard(_Record):
    """One question as a person's review card: when it comes back and how it went last."""

    deck_id: str
    question_id: str
    due_at: int
    last_rating: int  # fsrs's Rating: 1 Again, 2 Hard, 3 Good, 4 Easy
    reviews: int
    first_review_at: int
    last_review_at: int


class StudyPlan(_Record):
    """A person's timezone, interview day and daily reminder."""

    person_id: int
    zone: str
    interview_day: str | None = None
    remind_time: str | None = None
    remind_next_at: int | None = None
    remind_off_reason: str | None = None
    notice_pending: bool = False


class StudyState(_Record):
    """What planning a person's reviews reads, in one go: their plan, their cards, the days they reviewed (newest first)."""

    person_id: int
    plan: StudyPlan | None
    cards: tuple[StudyCard, ...]
    review_days: tuple[str, ...]


class WrittenAnswer(_Record):
    """An answer a person wrote in their own words to a question of a run; `owner` is their (platform, space id, user id)."""

    written_id: int
    run_id: int
    position: int
    person_id: int
    deck_id: str
    question_id: str
    text: str
    written_at: int
    ticked: int | None
    graded_at: int | None
    owner: tuple[str, str, str]


class WrittenGrade(NamedTuple):
    """What grading a written answer did: `graded` now, `already` graded before (with its ticks), or `no_answer`; and
    whether it graded the card (False when a pick at that question of the run graded it first), and when the card is due."""

    status: Literal["graded", "already", "no_answer"]
    ticked: int = 0
    graded_card: bool = False
    next_due: int | None = None


class Reminder(_Record):
    """A person whose daily reminder is due: who and where, their timezone, reminder time and the due instant read."""

    person_id: int
    platform: str
    space_id: str
    user_id: str
    zone: str
    remind_time: str
    remind_next_at: int
