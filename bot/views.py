"""Platform-neutral cards the engine returns; each adapter renders every one of them its own way."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.commands import CommandSpec

ButtonStyle = Literal["primary", "secondary", "success", "danger"]
Tone = Literal["info", "success", "warning", "error"]
# A sentence each adapter adds to a notice in its own words: how to start a run there, who its admins are, or an
# example of `daily set`, `interview` or `remind` in its syntax, or how a person gives their timezone there.
Hint = Literal["start", "admins", "daily_set", "interview", "remind", "zone", "teams"]
# The notices every surface shows the same way (bot.notices builds them): a test renders each on every surface.
NoticeCode = Literal["not_recorded", "recorded_not_shown", "not_yours", "expired", "incomplete", "admins_only"]


class _View(BaseModel):
    # defer_build: a model's validator is built on first use, so start-up only pays for the models it uses.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Button(_View):
    """A button: its label and the action id it carries."""

    label: str
    action_id: str
    style: ButtonStyle = "secondary"
    disabled: bool = False


class OptionLine(_View):
    """An option as shown in this run: its letter and text."""

    letter: str
    text: str


class QuestionCard(_View):
    """A question with its options lettered in this run's order, and one button per option."""

    kind: Literal["question"] = "question"
    deck_title: str
    topic: str
    position: int  # 1-based, for "Question 2 / 5"
    total: int
    prompt: str
    options: tuple[OptionLine, ...]
    buttons: tuple[Button, ...]  # one per option, in the options' order
    note: str | None = None  # e.g. "Resumed where you left off."
    more_buttons: tuple[Button, ...] = ()  # after the answers: "Write my answer"


class AnswerFeedback(_View):
    """The verdict on one answer, the best answer, why, and what the chosen answer missed."""

    kind: Literal["feedback"] = "feedback"
    deck_title: str
    topic: str
    position: int
    total: int
    prompt: str
    correct: bool
    chosen: OptionLine
    best: OptionLine
    explanation: str
    missed: str | None  # what the chosen answer left out; None when it was the best one
    key_points: tuple[str, ...] = ()  # the checklist an interviewer listens for in the best answer
    sources: tuple[str, ...] = ()  # where the question's figures come from: to read further
    points: int  # points this answer earned
    scoring_note: str  # why it earned them (or why it was practice)
    buttons: tuple[Button, ...]
    next_review: str | None = None  # when the question comes back for review: "Comes back in 4 days (Mon 12 Jan)."


class TopicResult(_View):
    topic: str
    correct: int
    total: int


class TipLine(_View):
    title: str
    text: str


class ScoreCard(_View):
    """The end of a run: the score, the result per topic, the deck's tips."""

    kind: Literal["score"] = "score"
    deck_title: str
    score: int
    total: int
    points: int
    topics: tuple[TopicResult, ...]
    tips: tuple[TipLine, ...]
    scoring_note: str
    buttons: tuple[Button, ...]


class TipsView(_View):
    """How to structure an answer: the deck's tips."""

    kind: Literal["tips"] = "tips"
    deck_title: str
    tips: tuple[TipLine, ...]
    buttons: tuple[Button, ...] = ()


class DeckLine(_View):
    id: str
    title: str
    questions: int


class HelpView(_View):
    """What the bot does, its commands, its decks and the scoring rule."""

    kind: Literal["help"] = "help"
    intro: str
    commands: tuple[CommandSpec, ...]  # each adapter writes them in its own syntax
    decks: tuple[DeckLine, ...]
    scoring_rule: str
    buttons: tuple[Button, ...] = ()


class LeaderboardRow(_View):
    rank: int
    name: str  # user-supplied text: adapters escape it
    points: int
    detail: str = ""
    is_asker: bool = False


class LeaderboardView(_View):
    """A ranked board: the window, its timezone and how ranks are counted are always stated."""

    kind: Literal["leaderboard"] = "leaderboard"
    title: str
    window: str  # "All time", "This week (from Mon 24 Nov)", ...
    timezone: str
    ranking_rule: str
    rows: tuple[LeaderboardRow, ...]
    empty_text: str = "No points yet: answer a question to get on the board."
    empty_hint: Hint | None = None  # the adapter appends its own sentence to empty_text
    footer: str | None = None
    page: int = 1
    pages: int = 1
    buttons: tuple[Button, ...] = ()


class DeckProgress(_View):
    deck_title: str
    answered: int  # distinct questions answered at least once
    total: int
    runs_finished: int


class TopicAccuracy(_View):
    topic: str
    correct: int
    answered: int


class WindowPoints(_View):
    window: str  # "This week (from Monday 23 Nov 2026)"
    points: int


class Streak(_View):
    current: int  # consecutive daily posts answered, up to the latest one
    best: int


class StatsView(_View):
    """A person's own progress: per deck, per topic, the weakest topic, points per window and streak."""

    kind: Literal["stats"] = "stats"
    name: str
    decks: tuple[DeckProgress, ...]
    topics: tuple[TopicAccuracy, ...]
    weakest_topic: str | None
    points: int
    answers: int
    windows: tuple[WindowPoints, ...] = ()
    timezone: str = "UTC"
    team: str | None = None  # user-supplied text: adapters escape it
    streak: Streak | None = None
    lines: tuple[str, ...] = ()  # further figures later features add


class TeamLine(_View):
    name: str  # user-supplied text: adapters escape it
    members: int
    points: int
    is_mine: bool = False


class TeamListView(_View):
    """The study groups of a space."""

    kind: Literal["team_list"] = "team_list"
    window: str
    teams: tuple[TeamLine, ...]
    empty_text: str = "No teams yet: create one with `team create` and a name."
    footer: str | None = None


class TeamMemberLine(_View):
    name: str  # user-supplied text: adapters escape it
    points: int


class TeamView(_View):
    """One team: its members and the points each earned for it in the window."""

    kind: Literal["team"] = "team"
    name: str
    window: str
    points: int
    members: tuple[TeamMemberLine, ...]
    footer: str | None = None


class OptionShare(_View):
    key: str
    text: str  # the option's opening words
    picks: int
    share: float  # 0..1 of first answers to the question
    correct: bool
    top_wrong: bool = False  # the wrong answer that fools people most


class QuestionStatsLine(_View):
    position: int
    topic: str
    prompt: str
    answered: int
    correct_share: float
    options: tuple[OptionShare, ...]


class QuestionStatsView(_View):
    """For admins: per question, how people answered (first answers only, so replays do not skew it)."""

    kind: Literal["question_stats"] = "question_stats"
    deck_title: str
    questions: tuple[QuestionStatsLine, ...]
    note: str


class OptionResult(_View):
    letter: str
    picks: int
    share: float  # 0..1 of the post's answers
    correct: bool


class DailyPostView(_View):
    """The shared daily question in a channel: open with buttons and a count, or closed with the reveal."""

    kind: Literal["daily_post"] = "daily_post"
    deck_title: str
    date_label: str  # "Daily question · Friday 27 November 2026"
    topic: str
    prompt: str
    options: tuple[OptionLine, ...]
    buttons: tuple[Button, ...]  # disabled once closed
    answered: int
    closed: bool = False
    best_letter: str | None = None  # set once closed
    results: tuple[OptionResult, ...] = ()  # set once closed
    explanation: str | None = None  # set once closed


class DailyFeedback(_View):
    """One person's private feedback on a daily answer, with their streak."""

    kind: Literal["daily_feedback"] = "daily_feedback"
    deck_title: str
    date_label: str
    topic: str
    correct: bool
    chosen: OptionLine
    best: OptionLine
    explanation: str
    missed: str | None
    key_points: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    points: int
    scoring_note: str
    streak: Streak


class WritePrompt(_View):
    """A form for an answer in one's own words (a modal, or multi-line input): the question, and the id its submission carries."""

    kind: Literal["write_prompt"] = "write_prompt"
    deck_title: str
    topic: str
    position: int
    total: int
    prompt: str
    submit_action_id: str  # the form's id; its submission brings it back with the text
    key_points: int  # how many points the checklist after it has


class ChecklistPoint(_View):
    text: str
    ticked: bool


class WrittenChecklist(_View):
    """What the person wrote beside the question's key points: they tick the points they covered, then grade it."""

    kind: Literal["written_checklist"] = "written_checklist"
    deck_title: str
    topic: str
    position: int
    total: int
    prompt: str
    text: str  # what the person wrote: shown to them alone, as text (adapters escape it)
    points: tuple[ChecklistPoint, ...]
    buttons: tuple[Button, ...]  # one per point, ticking or unticking it, then the grading one
    note: str | None = None


class WrittenResult(_View):
    """A graded written answer: the share of key points covered and the grade it gives, the points as ticked, the best answer."""

    kind: Literal["written_result"] = "written_result"
    deck_title: str
    topic: str
    position: int
    total: int
    prompt: str
    covered: int
    total_points: int
    grade: str  # Again, Hard, Good or Easy
    grade_note: str  # what the grade means for the question
    points: tuple[ChecklistPoint, ...]
    best: OptionLine
    explanation: str
    next_review: str | None
    scoring_note: str
    buttons: tuple[Button, ...]


class Notice(_View):
    """A short message: information, a refusal or an error, with optional buttons to go on."""

    kind: Literal["notice"] = "notice"
    tone: Tone = "info"
    title: str
    text: str
    buttons: tuple[Button, ...] = ()
    hint: Hint | None = None  # the adapter appends its own sentence for it
    code: NoticeCode | None = None  # set on the shared notices of bot.notices


View = (
    QuestionCard
    | AnswerFeedback
    | ScoreCard
    | TipsView
    | HelpView
    | LeaderboardView
    | StatsView
    | TeamListView
    | TeamView
    | QuestionStatsView
    | DailyPostView
    | DailyFeedback
    | WritePrompt
    | WrittenChecklist
    | WrittenResult
    | Notice
)
VIEW_TYPES: tuple[type[_View], ...] = (
    QuestionCard,
    AnswerFeedback,
    ScoreCard,
    TipsView,
    HelpView,
    LeaderboardView,
    StatsView,
    TeamListView,
    TeamView,
    QuestionStatsView,
    DailyPostView,
    DailyFeedback,
    WritePrompt,
    WrittenChecklist,
    WrittenResult,
    Notice,
)


class Attachment(_View):
    """A file that goes with a reply (the export's JSON document): each surface delivers it its own way."""

    filename: str
    content: bytes
    title: str
    media_type: str = "application/json"


class Reply(_View):
    """A view and how to deliver it."""

    # Picked by `kind`: checking a view against each of them in turn cost more than building it.
    view: Annotated[View, Field(discriminator="kind")]
    ephemeral: bool = True  # visible only to the person who acted
    replace: bool = False  # update the clicked message instead of sending a new one
    attachment: Attachment | None = None  # delivered privately to the person, with the view
    preface: str | None = None  # a line shown above the view (a notice the person is owed, e.g. that an admin forgot them)


# Views that are not replies: each is published by the surfaces that have a place for it (a person's home page, a
# channel's weekly digest), so only those surfaces render it.


class HomeView(_View):
    """A person's own page (Slack's App Home): progress per deck, streak, their team's rank, the week's top five."""

    kind: Literal["home"] = "home"
    name: str  # user-supplied text: adapters escape it
    decks: tuple[DeckProgress, ...]
    streak: Streak | None
    points_this_week: int
    week: str  # "This week (from Monday 23 Nov 2026)"
    timezone: str
    team: str | None  # user-supplied text: adapters escape it
    team_rank: int | None  # the team's rank this week (None: no points this week, or no team)
    teams_ranked: int  # teams with points this week
    top: tuple[LeaderboardRow, ...]  # the week's top five people
    # Study mode (issue 19) fills this in: how many review cards are due today, with a Review button among `buttons`.
    # None leaves the line out.
    due_reviews: int | None = None
    buttons: tuple[Button, ...] = ()


class TopicWeekLine(_View):
    """A topic's share of correct answers this week and the week before (None: no answers that week)."""

    topic: str
    this_week: float | None
    last_week: float | None
    answers: int  # this week


class DigestView(_View):
    """A channel's weekly digest: the week's top people and teams, accuracy per topic, the most-missed question, a chart."""

    kind: Literal["digest"] = "digest"
    week: str  # "Week from Monday 17 Nov 2026"
    timezone: str
    answers: int  # answers of the week the figures count
    people: tuple[LeaderboardRow, ...]
    teams: tuple[LeaderboardRow, ...]
    topics: tuple[TopicWeekLine, ...]
    most_missed: QuestionStatsLine | None  # the question most answers got wrong this week
    most_missed_deck: str | None = None
    chart_title: str
    chart_filename: str = "recsys-quiz-digest.png"
    note: str  # which answers the figures count, and how people are ranked


def notice(title: str, text: str, tone: Tone = "info", buttons: tuple[Button, ...] = (), hint: Hint | None = None) -> Reply:
    """A private notice, as a reply."""
    return Reply(view=Notice(tone=tone, title=title, text=text, buttons=buttons, hint=hint), ephemeral=True)
