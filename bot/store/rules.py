"""What every store decides the same way from what it read: a click's check against its run and the answer key,
an answer's points, the changes to score totals, histograms and team totals, and the ranks of a board page.

Pure functions: each store reads the rows (SQLite in its writer, PostgreSQL under row locks), calls these, and
writes what they return, so the rules live once whatever the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, NamedTuple

from bot.store.protocol import AnswerKey
from bot.store.records import Answer, BoardRow, ClickOutcome, DailyAnswerOutcome, DailyChannel, Run, TeamRow
from bot.store.study_rules import CardKey, Grading, RunPlace, StoredCard

Owner = tuple[str, str, str]  # (platform, space id, user id) of a run's person
# Who clicked: (platform, space id, user id), the space None for a click in the person's direct messages with the bot.
Identity = tuple[str, str | None, str]


def judge(key: AnswerKey, run: Run, position: int, option_key: str) -> bool | None:
    """Whether the option is correct at this position of the run, or None when the click does not fit the run.

    A run fits while every step's question still exists in its deck with the same option keys; otherwise its
    deck changed under it and no answer can be recorded in it.
    """
    questions = key.get(run.deck_id)
    if questions is None or position >= len(run.plan):
        return None
    for step in run.plan:
        question = questions.get(step.question)
        if question is None or len(step.order) != len(question.options) or not question.options.issuperset(step.order):
            return None
    question = questions[run.plan[position].question]
    if option_key not in question.options:
        return None
    return option_key == question.correct


def owns(owner: Owner, identity: Identity) -> bool:
    """Whether `identity` may act in a run of `owner`: the same user of the same platform in the same space, or in their
    direct messages with the bot (no space), which are theirs whatever space the run is in: a reminder leads there."""
    return owner[0] == identity[0] and owner[2] == identity[2] and identity[1] in (None, owner[1])


class Click(NamedTuple):  # built per click: a tuple is cheaper than a frozen dataclass
    run_id: int
    identity: Identity
    position: int
    option_key: str
    key: AnswerKey
    at: int
    periods: Sequence[str]


class Accepted(NamedTuple):
    """A click that passed its checks: where its outcome is, the click, its run and owner, and whether it is correct."""

    index: int
    click: Click
    run: Run
    owner: Owner
    correct: bool


def check_clicks(
    clicks: Sequence[Click],
    runs: Mapping[int, tuple[Run, Owner]],
    answered: dict[int, dict[int, Any]],
    answer_of: Callable[[Any], Answer],
) -> tuple[list[ClickOutcome], list[Accepted], list[tuple[int, int]]]:
    """Check clicks in order against their runs as read (`runs`, and `answered`: run -> position -> stored answer row).

    Each click is checked as the database plus the clicks before it in the list leave it, so two clicks on one
    question in the same batch record one answer, as they would one after the other. Returns the outcomes (the
    recorded ones' answers still to be filled in), the accepted clicks, and (outcome index, index of the click of
    this batch that answered first) for double clicks within the batch. `answered` is updated in place.
    """
    outcomes: list[ClickOutcome] = []
    accepted: list[Accepted] = []
    repeats: list[tuple[int, int]] = []
    for click in clicks:
        found = runs.get(click.run_id)
        if found is None:
            outcomes.append(ClickOutcome(status="no_run"))
            continue
        run, owner = found
        if not owns(owner, click.identity):
            outcomes.append(ClickOutcome(status="not_owner", run=run))
            continue
        correct = judge(click.key, run, click.position, click.option_key)
        if correct is None:
            outcomes.append(ClickOutcome(status="invalid", run=run))
            continue
        answers = answered.setdefault(click.run_id, {})
        existing = answers.get(click.position)
        if isinstance(existing, int):  # a double click within the batch: its answer is known once recorded
            repeats.append((len(outcomes), existing))
            outcomes.append(ClickOutcome(status="already_answered", run=run))
            continue
        if existing is not None:
            outcomes.append(ClickOutcome(status="already_answered", run=run, answer=answer_of(existing)))
            continue
        if len(answers) != click.position:
            outcomes.append(ClickOutcome(status="not_current", run=run))
            continue
        answers[click.position] = len(outcomes)
        accepted.append(Accepted(len(outcomes), click, run, owner, correct))
        outcomes.append(ClickOutcome(status="recorded", run=run))  # its answer is filled in once scored
    return outcomes, accepted, repeats


def first_answer_keys(accepted: Sequence[Accepted]) -> list[tuple[int, str, str]]:
    """(person, deck, question) of each accepted click: whether a first answer exists is read for these."""
    return sorted({(a.run.person_id, a.run.deck_id, a.run.plan[a.click.position].question) for a in accepted})


class Credit(NamedTuple):  # built per click: a tuple is cheaper than a frozen dataclass
    """One answer to add to its person's totals: who, on which board (platform and space), its points and periods."""

    person_id: int
    platform: str
    space_id: str
    points: int
    periods: Sequence[str]


class ScoredAnswers(NamedTuple):
    """What recording a batch of accepted clicks writes: rows of answers, first answers, finished runs, and credits."""

    results: list[tuple[int, Answer]]  # (outcome index, the answer)
    # answers: (run, position, person, deck, question, option, correct, points, at)
    rows: list[tuple[int, int, int, str, str, str, int, int, int]]
    firsts: list[tuple[int, str, str, int, int]]  # (person, deck, question, run, position) of first answers
    finished: list[tuple[int, int]]  # (at, run id) of runs whose last question was answered
    credits: list[Credit]


def score_answers(
    accepted: Sequence[Accepted], answered_before: set[tuple[int, str, str]], unscored: Collection[tuple[int, int]] = ()
) -> ScoredAnswers:
    """Points per the scoring rule: a correct answer scores 1 only as the person's first answer to that question of that deck,
    in a deck run (a review scores nothing), and not at a (run, position) in `unscored` (one the person wrote an answer to)."""
    scored = ScoredAnswers([], [], [], [], [])
    for index, click, run, (platform, space_id, _), correct in accepted:
        question_id = run.plan[click.position].question
        key = (run.person_id, run.deck_id, question_id)
        first = key not in answered_before
        answered_before.add(key)
        points = int(first and correct and run.kind == "deck" and (click.run_id, click.position) not in unscored)
        answer = Answer(click.run_id, click.position, question_id, click.option_key, correct, points, click.at, first)
        scored.results.append((index, answer))
        scored.rows.append(
            (click.run_id, click.position, run.person_id, run.deck_id, question_id, click.option_key, int(correct), points, click.at)
        )
        if first:
            scored.firsts.append((*key, click.run_id, click.position))
        if click.position == len(run.plan) - 1:
            scored.finished.append((click.at, click.run_id))
        scored.credits.append(Credit(run.person_id, platform, space_id, points, click.periods))
    return scored


def gradings_of(results: Sequence[tuple[int, Answer]], accepted: Sequence[Accepted]) -> list[Grading]:
    """Each recorded answer as the grading of its review card (a pick: right or wrong)."""
    person_of = {a.index: a.run.person_id for a in accepted}
    deck_of = {a.index: a.run.deck_id for a in accepted}
    return [
        Grading(
            (person_of[index], deck_of[index], answer.question_id), (answer.run_id, answer.position), answer.answered_at, answer.correct
        )
        for index, answer in results
    ]


def with_due(
    results: Sequence[tuple[int, Answer]], accepted: Sequence[Accepted], due: Mapping[RunPlace, int], cards: Mapping[CardKey, StoredCard]
) -> list[tuple[int, Answer]]:
    """The recorded answers with when their question comes back: as graded now, or as the card stood (a written answer to
    that question of the run graded it first)."""
    deck_of = {a.index: (a.run.person_id, a.run.deck_id) for a in accepted}
    out = []
    for index, answer in results:
        card = cards.get((*deck_of[index], answer.question_id))
        next_due = due.get((answer.run_id, answer.position), card.due_at if card else None)
        out.append((index, answer._replace(next_due=next_due)))
    return out


def fill_answers(outcomes: list[ClickOutcome], results: Sequence[tuple[int, Answer]], repeats: Sequence[tuple[int, int]]) -> None:
    """Put each recorded answer into its outcome, and a double click's into the repeat's."""
    for index, answer in results:
        outcomes[index] = outcomes[index]._replace(answer=answer)
    for index, first in repeats:
        outcomes[index] = outcomes[index]._replace(answer=outcomes[first].answer)


class TotalChanges(NamedTuple):
    totals: list[tuple[int, str, str, str, int, int]]  # score_totals increments (person, period, platform, space, points, answers)
    histogram: list[tuple[str, str, str, int, int]]  # points_histogram increments (platform, space, period, points, people)


def total_changes(credits: Sequence[Credit], points_of: dict[tuple[int, str], int]) -> TotalChanges:
    """The increments of people's totals and of the points histogram for these credits, given each (person, period)'s
    current points (`points_of`, updated in place). Many answers of a burst move people between the same few totals,
    so their histogram rows merge. Rows come sorted by key, so every writer locks them in one order."""
    added: dict[tuple[int, str], list[Any]] = {}  # (person, period) -> [platform, space, points, answers]
    histogram: Counter[tuple[str, str, str, int]] = Counter()  # (platform, space, period, points) -> people
    for c in credits:
        for period in c.periods:
            key = (c.person_id, period)
            before = points_of.get(key)
            after = (before or 0) + c.points
            if before is None:  # a new person on this board
                histogram[(c.platform, c.space_id, period, after)] += 1
            elif c.points:  # moved up from one total to another
                histogram[(c.platform, c.space_id, period, before)] -= 1
                histogram[(c.platform, c.space_id, period, after)] += 1
            points_of[key] = after
            change = added.setdefault(key, [c.platform, c.space_id, 0, 0])
            change[2] += c.points
            change[3] += 1
    return TotalChanges(
        totals=[(person_id, period, *change) for (person_id, period), change in sorted(added.items())],
        histogram=[(*board, people) for board, people in sorted(histogram.items()) if people],
    )


class TeamChanges(NamedTuple):
    members: list[tuple[int, str, int, int]]  # team_member_periods increments (team, period, person, points)
    teams: list[tuple[int, str, int, int, str, str]]  # team_totals increments (team, period, points, newly active, platform, space)


def earned_by_team(
    scorers: Sequence[Credit], team_of: Mapping[int, int]
) -> tuple[dict[tuple[int, str, int], int], dict[int, tuple[str, str]]]:
    """(team, period, person) -> points earned for the team, and team -> its board (platform, space)."""
    earned: dict[tuple[int, str, int], int] = {}
    board_of: dict[int, tuple[str, str]] = {}  # a team is in its members' space
    for c in scorers:
        team_id = team_of.get(c.person_id)
        if team_id is not None:
            board_of[team_id] = (c.platform, c.space_id)
            for period in c.periods:
                key = (team_id, period, c.person_id)
                earned[key] = earned.get(key, 0) + c.points
    return earned, board_of


def team_changes(
    earned: Mapping[tuple[int, str, int], int], board_of: Mapping[int, tuple[str, str]], active: set[tuple[int, str, int]]
) -> TeamChanges:
    """The team increments for points earned; the first a member earns in a period makes them active in it (`active`:
    the (team, period, person) that already were)."""
    team_added: dict[tuple[int, str], list[int]] = {}  # (team, period) -> [points, newly active members]
    for (team_id, period, person_id), points in earned.items():
        change = team_added.setdefault((team_id, period), [0, 0])
        change[0] += points
        change[1] += (team_id, period, person_id) not in active
    return TeamChanges(
        members=[(*key, points) for key, points in sorted(earned.items())],
        teams=[(team_id, period, *change, *board_of[team_id]) for (team_id, period), change in sorted(team_added.items())],
    )


class PageWindow(NamedTuple):
    """Where a people-board page is cut from the board index: within the tie group of `start` points and below."""

    start: int  # the points total of the page's first row
    above: int  # people with more points than `start`
    from_end: bool  # read the index upwards (the page is nearer the end of its tie group)
    limit: int
    offset: int


def page_window(totals: Sequence[tuple[int, int]], limit: int, offset: int) -> PageWindow | None:
    """Which points total a page starts in and how to cut it, from the board's histogram (highest first); None past the end.

    The histogram says which total the page starts in and how many people have more, so the index is entered at that
    total and only walked within its tie group, however deep the page; a page nearer the end is read from the end.
    """
    above = 0
    start: int | None = None
    for total, people in totals:
        if above + people > offset:
            start = total
            break
        above += people
    if start is None:
        return None
    skip = offset - above  # rows with `start` points or fewer that come before the page
    remaining = sum(people for _, people in totals) - above  # rows with `start` points or fewer
    after = remaining - skip - limit  # rows after the page (negative: the page runs past the end)
    if after < skip:
        return PageWindow(start, above, True, limit + min(after, 0), max(after, 0))
    return PageWindow(start, above, False, limit, skip)


def ranked_page(rows: Sequence[Sequence[Any]], above: int, offset: int) -> list[BoardRow]:
    """Board rows (person id, user id, display name, points; best first) with ranks: 1 + the people with more points."""
    page: list[BoardRow] = []
    rank = above + 1
    for index, (person_id, user_id, display_name, points) in enumerate(rows):
        if index and points != rows[index - 1][3]:
            rank = offset + index + 1
        page.append(BoardRow(rank=rank, person_id=person_id, user_id=user_id, display_name=display_name, points=points))
    return page


def ranked_teams(rows: Sequence[Any], first_rank: int, offset: int) -> list[tuple[int, TeamRow]]:
    """(rank, team) for a team-board page read best average first; equal averages share a rank, and the page's first row
    has `first_rank` (1 + the teams with a higher average, read by the store)."""
    page: list[tuple[int, TeamRow]] = []
    for index, row in enumerate(rows):
        if index and row["average"] == rows[index - 1]["average"]:
            rank = page[-1][0]
        else:
            rank = first_rank if not index else offset + index + 1
        team = TeamRow(
            team_id=row["team_id"], name=row["name"], members=row["members"], points=row["points"], active_members=row["active_members"]
        )
        page.append((rank, team))
    return page


def rank_in(totals: Sequence[tuple[int, int]], points: int) -> int:
    """A points total's rank on a board: 1 + the people with more."""
    return 1 + sum(people for total, people in totals if total > points)


class DailyAnswer(NamedTuple):  # built per click: a tuple is cheaper than a frozen dataclass
    post_id: int
    person: tuple[str, str, str, str, int]  # (platform, space id, user id, display name, at) for the person upsert
    option_key: str
    correct: bool
    at: int
    periods: Sequence[str]


class CheckedDailyAnswers(NamedTuple):
    outcomes: list[DailyAnswerOutcome]
    rows: list[tuple[int, int, str, int, int, int]]  # daily_answers (post, person, option, correct, points, at)
    counts: list[tuple[int, int]]  # (new answers, post id) per post, sorted by post
    credits: list[Credit]


def check_daily_answers(
    answers: Sequence[DailyAnswer],
    open_posts: Mapping[int, tuple[str, str]],
    person_ids: Mapping[tuple[str, str, str, str, int], int],
    given: dict[tuple[int, int], DailyAnswerOutcome],
) -> CheckedDailyAnswers:
    """Answers to daily posts in order: closed posts and second answers refused, one point for a correct first one.

    `open_posts`: post -> its board (platform, space) for the posts still open; `given`: (post, person) -> the
    answer already recorded (updated in place, so a second click in the same batch is refused too).
    """
    checked = CheckedDailyAnswers([], [], [], [])
    counts: Counter[int] = Counter()
    for answer in answers:
        board = open_posts.get(answer.post_id)
        if board is None:
            checked.outcomes.append(DailyAnswerOutcome(status="closed"))
            continue
        person_id = person_ids[answer.person]
        earlier = given.get((answer.post_id, person_id))
        if earlier is not None:
            checked.outcomes.append(earlier)
            continue
        points = 1 if answer.correct else 0
        recorded = DailyAnswerOutcome(
            status="recorded", option_key=answer.option_key, correct=answer.correct, points=points, person_id=person_id
        )
        given[(answer.post_id, person_id)] = recorded._replace(status="already_answered")
        checked.outcomes.append(recorded)
        checked.rows.append((answer.post_id, person_id, answer.option_key, int(answer.correct), points, answer.at))
        counts[answer.post_id] += 1
        checked.credits.append(Credit(person_id, *board, points, answer.periods))
    checked.counts.extend((n, post) for post, n in sorted(counts.items()))
    return checked


def claimable(current: DailyChannel, seen: DailyChannel) -> bool:
    """Whether a post picked from the channel as `seen` may still be claimed now that it reads `current`."""
    return current.enabled and current.deck_id == seen.deck_id and current.rotation == seen.rotation


class ForgetChanges(NamedTuple):
    """What taking a person's answers out of the shared totals changes: the reverse of what recording them added."""

    histogram: list[tuple[int, str, str, str, int]]  # points_histogram changes (people, platform, space, period, points)
    teams: list[tuple[int, int, int, str]]  # team_totals decrements (points, active members, team, period)
    members: list[tuple[int, int]]  # teams' member counts decrements (members, team)


def forget_changes(
    totals: Sequence[tuple[str, str, str, int]], earned: Sequence[tuple[int, str, int]], memberships: Sequence[int]
) -> ForgetChanges:
    """The changes that take people out of the boards: `totals` are their score_totals rows (platform, space, period,
    points), `earned` their team_member_periods rows (team, period, points), `memberships` the teams they are in.

    Each totals row was one person on a board with that many points, so its histogram row loses one person; each
    earned row made the person an active member of the team in that period, with those points. Rows come sorted by
    key, so every writer locks them in one order.
    """
    histogram: Counter[tuple[str, str, str, int]] = Counter(totals)
    teams: dict[tuple[int, str], list[int]] = {}
    for team_id, period, points in earned:
        change = teams.setdefault((team_id, period), [0, 0])
        change[0] += points
        change[1] += 1
    members = Counter(memberships)
    return ForgetChanges(
        histogram=[(-people, *board) for board, people in sorted(histogram.items())],
        teams=[(points, active, *key) for key, (points, active) in sorted(teams.items())],
        members=[(count, team_id) for team_id, count in sorted(members.items())],
    )
