"""Leaderboards, study groups (teams) and stats: the community use cases, returning views."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from zoneinfo import ZoneInfo

from bot.actions import BoardPageAction
from bot.content import DeckLibrary, Question
from bot.daily import streak_of
from bot.notices import shared_reply
from bot.origin import Origin
from bot.store import Store, TeamRow
from bot.teams import TeamNameError, normalise_team_name, team_name_key
from bot.views import (
    Button,
    DeckProgress,
    LeaderboardRow,
    LeaderboardView,
    OptionShare,
    QuestionStatsLine,
    QuestionStatsView,
    Reply,
    StatsView,
    TeamLine,
    TeamListView,
    TeamMemberLine,
    TeamView,
    TopicAccuracy,
    WindowPoints,
    notice,
)
from bot.windows import WINDOWS, period_key, window_label

PAGE_SIZE = 10
SCOPES = ("people", "teams")
PEOPLE_RANKING = "Ranked by points; equal points share a rank (1, 2, 2, 4)."
TEAM_RANKING = (
    "Teams are ranked by points per active member (members who scored in this window), so a small, "
    "focused group can beat a big one; equal averages share a rank (1, 2, 2, 4). Points a member earns "
    "count for the team they are in at the time."
)


def asker_tag(origin: Origin) -> str:
    """A short tag of who asked for a board: paging buttons only work for them."""
    return hashlib.sha256(f"{origin.platform}:{origin.space_id}:{origin.user_id}".encode()).hexdigest()[:12]


def _average(team: TeamRow) -> float:
    return round(team.points / team.active_members, 2)


def shared_ranks(keys: list[float]) -> list[int]:
    """Ranks for keys sorted best first, where equal keys share a rank (1, 2, 2, 4)."""
    ranks: list[int] = []
    for index, key in enumerate(keys):
        ranks.append(ranks[-1] if index and key == keys[index - 1] else index + 1)
    return ranks


class Boards:
    """People and team boards, team membership, and stats, over the store's running totals."""

    def __init__(self, store: Store, decks: DeckLibrary, zone: ZoneInfo, clock: Callable[[], float], scoring_rule: str) -> None:
        self.store = store
        self.decks = decks
        self.zone = zone
        self._clock = clock
        self._scoring_rule = scoring_rule

    def _now(self) -> float:
        return self._clock()

    def period(self, window: str) -> str:
        return period_key(window, self._now(), self.zone)

    def label(self, window: str) -> str:
        return window_label(window, self._now(), self.zone)

    # Boards -------------------------------------------------------------------------------------

    async def leaderboard(self, origin: Origin, scope: str = "people", window: str = "all", page: int = 1) -> Reply:
        scope, window = scope.strip().lower(), window.strip().lower()
        if scope not in SCOPES:
            return notice("Unknown board", f"There is no '{scope}' board: use people or teams.", "warning")
        if window not in WINDOWS:
            return notice("Unknown window", f"There is no '{window}' window: use week, month or all.", "warning")
        if scope == "people":
            view = await self._people_board(origin, window, max(page, 1))
        else:
            view = await self._team_board(origin, window, max(page, 1))
        return Reply(view=view, ephemeral=True, replace=page > 1)

    async def page(self, origin: Origin, action: BoardPageAction) -> Reply:
        if action.asker != asker_tag(origin):
            return notice(
                "This board belongs to someone else",
                "Only the person who asked for a board can page it. Ask for your own with the leaderboard command.",
                "warning",
            )
        reply = await self.leaderboard(origin, action.scope, action.window, action.page)
        return reply.model_copy(update={"replace": True})

    def _page_buttons(self, origin: Origin, scope: str, window: str, page: int, pages: int) -> tuple[Button, ...]:
        if pages <= 1:
            return ()
        tag = asker_tag(origin)
        return (
            Button(
                label="Previous",
                action_id=BoardPageAction(scope=scope, window=window, page=max(page - 1, 1), asker=tag).encode(),
                disabled=page <= 1,
            ),
            Button(
                label="Next",
                action_id=BoardPageAction(scope=scope, window=window, page=min(page + 1, pages), asker=tag).encode(),
                disabled=page >= pages,
            ),
        )

    async def _people_board(self, origin: Origin, window: str, page: int) -> LeaderboardView:
        period = self.period(window)
        board = await self.store.people_board(origin.platform, origin.space_id, period, PAGE_SIZE, page, origin.user_id)
        total, page, rows, me = board.size, board.page, board.rows, board.me
        pages = max(1, math.ceil(total / PAGE_SIZE))
        person_id = me.person_id if me is not None else None
        footer = None
        if me is not None and not any(r.person_id == me.person_id for r in rows):
            footer = f"You: rank {me.rank} of {total}, {me.points} points." if me.rank else "You have no answers in this window yet."
        return LeaderboardView(
            title="Leaderboard: people",
            window=self.label(window),
            timezone=self.zone.key,
            ranking_rule=f"{PEOPLE_RANKING} {self._scoring_rule}",
            rows=tuple(LeaderboardRow(rank=r.rank, name=r.display_name, points=r.points, is_asker=r.person_id == person_id) for r in rows),
            empty_text="No answers in this window yet: start a quiz to get on the board.",
            footer=footer,
            page=page,
            pages=pages,
            buttons=self._page_buttons(origin, "people", window, page, pages),
        )

    async def _team_board(self, origin: Origin, window: str, page: int) -> LeaderboardView:
        period = self.period(window)
        board = await self.store.team_board(origin.platform, origin.space_id, period, PAGE_SIZE, page, origin.user_id)
        total, page, my_team, standing = board.size, board.page, board.my_team, board.my_standing
        pages = max(1, math.ceil(total / PAGE_SIZE))
        rows = tuple(
            LeaderboardRow(
                rank=rank,
                name=team.name,
                points=team.points,
                detail=f"{team.active_members} active of {team.members}, {_average(team):g} per active member",
                is_asker=team.name == my_team,
            )
            for rank, team in board.ranked
        )
        footer = None
        if my_team is not None and not any(r.is_asker for r in rows):
            footer = (
                f"Your team {my_team}: rank {standing[0]} of {total}, {standing[1]:g} per active member."
                if standing
                else f"Your team {my_team} has no points in this window yet."
            )
        return LeaderboardView(
            title="Leaderboard: teams",
            window=self.label(window),
            timezone=self.zone.key,
            ranking_rule=TEAM_RANKING,
            rows=rows,
            empty_text="No team has points in this window yet.",
            empty_hint="teams",
            footer=footer,
            page=page,
            pages=pages,
            buttons=self._page_buttons(origin, "teams", window, page, pages),
        )

    # Teams --------------------------------------------------------------------------------------

    async def team_create(self, origin: Origin, raw_name: str) -> Reply:
        try:
            name = normalise_team_name(raw_name)
        except TeamNameError as error:
            return notice("Team name not accepted", f"{error} Nothing was changed.", "warning")
        person_id = await self.store.ensure_person(origin, int(self._now()))
        change = await self.store.create_team(person_id, origin.platform, origin.space_id, name, team_name_key(name), int(self._now()))
        if change.status == "already_in_team":
            return notice("You're already in a team", f"You are in {change.team}. Leave it first with `team leave`.", "warning")
        if change.status == "name_taken":
            return notice("That name is taken", f"There is already a team called {change.team} here. Join it with `team join`.", "warning")
        return notice("Team created", f"You created {name} and joined it. Others can join with `team join {name}`.", "success")

    async def team_join(self, origin: Origin, raw_name: str) -> Reply:
        try:
            name = normalise_team_name(raw_name)
        except TeamNameError:
            return notice("No such team", "There is no team by that name here. See the teams with `team list`.", "warning")
        person_id = await self.store.ensure_person(origin, int(self._now()))
        change = await self.store.join_team(person_id, origin.platform, origin.space_id, team_name_key(name), int(self._now()))
        if change.status == "already_in_team":
            return notice("You're already in a team", f"You are in {change.team}. Leave it first with `team leave`.", "warning")
        if change.status == "no_such_team":
            return notice("No such team", f"There is no team called {name} here. See the teams with `team list`.", "warning")
        return notice("Joined", f"You joined {change.team}. Points you earn from now on count for it.", "success")

    async def team_leave(self, origin: Origin) -> Reply:
        person_id = await self.store.person_id(origin)
        change = await self.store.leave_team(person_id) if person_id is not None else None
        if change is None or change.status == "not_in_team":
            return notice("You're not in a team", "There is nothing to leave. Join one with `team join` and its name.", "warning")
        return notice("Left the team", f"You left {change.team}. The points you earned for it stay with it.", "success")

    async def team_names(self, origin: Origin, prefix: str = "", limit: int = 25) -> list[str]:
        """Names of the space's teams starting with `prefix` (or a look-alike of it): cheap enough for autocomplete on every keystroke."""
        names = await self.store.team_names(origin.platform, origin.space_id, team_name_key(prefix.strip()), limit)
        return sorted(names, key=str.casefold)  # the store orders by key, where "Mango" is spelt "rnango"

    async def team_list(self, origin: Origin) -> Reply:
        person_id = await self.store.person_id(origin)
        mine = await self.store.team_of(person_id) if person_id is not None else None
        teams = sorted(await self.store.teams(origin.platform, origin.space_id, self.period("all")), key=lambda t: t.name.casefold())
        view = TeamListView(
            window=self.label("all"),
            teams=tuple(TeamLine(name=t.name, members=t.members, points=t.points, is_mine=t.name == mine) for t in teams),
            footer=f"You are in {mine}." if mine else "You are not in a team: join one with `team join` and its name.",
        )
        return Reply(view=view, ephemeral=True)

    async def team_show(self, origin: Origin, raw_name: str | None = None) -> Reply:
        if raw_name is None or not raw_name.strip():
            person_id = await self.store.person_id(origin)
            raw_name = await self.store.team_of(person_id) if person_id is not None else None
            if raw_name is None:
                return notice("Which team?", "You are not in a team: give `team show` a team's name, or see `team list`.", "warning")
        try:
            key = team_name_key(normalise_team_name(raw_name))
        except TeamNameError:
            return notice("No such team", "There is no team by that name here. See the teams with `team list`.", "warning")
        found = await self.store.team_members(origin.platform, origin.space_id, key, self.period("all"))
        if found is None:
            return notice("No such team", "There is no team by that name here. See the teams with `team list`.", "warning")
        name, members = found
        teams = await self.store.teams(origin.platform, origin.space_id, self.period("all"))
        points = next((t.points for t in teams if t.name == name), 0)
        view = TeamView(
            name=name,
            window=self.label("all"),
            points=points,
            members=tuple(TeamMemberLine(name=m.display_name, points=m.points) for m in members),
            footer="Points are those each member earned while in the team; earlier members' points stay in the total.",
        )
        return Reply(view=view, ephemeral=True)

    # Stats --------------------------------------------------------------------------------------

    async def stats(self, origin: Origin) -> StatsView:
        """The asker's progress per deck, accuracy per topic, weakest topic, points per window and team."""
        periods = {window: self.period(window) for window in WINDOWS}
        summary = await self.store.person_summary(origin.platform, origin.space_id, origin.user_id, list(periods.values()))
        if summary is None:
            return StatsView(name=origin.name, decks=(), topics=(), weakest_topic=None, points=0, answers=0, timezone=self.zone.key)
        tallies, finished = summary.tallies, summary.finished_runs
        decks: list[DeckProgress] = []
        topics: dict[str, list[int]] = {}
        for deck in self.decks:
            deck_tallies = [t for t in tallies if t.deck_id == deck.id]
            answered = {t.question_id for t in deck_tallies}
            if not answered and not finished.get(deck.id):
                continue
            known = sum(1 for q in deck.questions if q.id in answered)
            decks.append(
                DeckProgress(deck_title=deck.title, answered=known, total=len(deck.questions), runs_finished=finished.get(deck.id, 0))
            )
            for tally in deck_tallies:
                question = deck.question(tally.question_id)
                if question is not None:
                    counts = topics.setdefault(question.topic, [0, 0])
                    counts[0] += tally.correct
                    counts[1] += tally.answered
        topic_views = tuple(TopicAccuracy(topic=t, correct=c, answered=n) for t, (c, n) in sorted(topics.items()))
        weakest = min(topic_views, key=lambda t: (t.correct / t.answered, t.topic)).topic if topic_views else None
        windows = tuple(WindowPoints(window=self.label(w), points=summary.points_by_period.get(p, 0)) for w, p in periods.items())
        return StatsView(
            name=origin.name,
            decks=tuple(decks),
            topics=topic_views,
            weakest_topic=weakest,
            points=summary.points,
            answers=summary.answers,
            windows=windows,
            timezone=self.zone.key,
            team=summary.team,
            streak=streak_of(list(summary.daily_history)) if summary.daily_history else None,
        )

    async def question_stats(self, origin: Origin, deck_id: str | None = None) -> Reply:
        """For admins: per question, answers, share correct and share per option (first answers only)."""
        if not origin.is_admin:
            return shared_reply("admins_only")
        deck = self.decks.get(deck_id)
        if deck is None:
            return notice("Unknown deck", f"There is no deck called '{deck_id}'.", "warning")
        tallies = [t for t in await self.store.first_answer_tallies(origin.platform, origin.space_id) if t.deck_id == deck.id]
        lines = [
            question_line(position, question, {t.option_key: t.picks for t in tallies if t.question_id == question.id})
            for position, question in enumerate(deck.questions, start=1)
        ]
        view = QuestionStatsView(
            deck_title=deck.title,
            questions=tuple(lines),
            note="First answers only: replays come after seeing the explanation, so they would flatter the figures.",
        )
        return Reply(view=view, ephemeral=True)


def question_line(position: int, question: Question, picks: Mapping[str, int]) -> QuestionStatsLine:
    """How a question was answered: `picks` is option key -> answers; marks the wrong answer that fools people most."""
    answered = sum(picks.values())
    wrong = [o for o in question.options if not o.correct and picks.get(o.key, 0)]
    top_wrong = max(wrong, key=lambda o: picks[o.key]).key if wrong else None
    options = tuple(
        OptionShare(
            key=o.key,
            text=_opening(o.text),
            picks=picks.get(o.key, 0),
            share=picks.get(o.key, 0) / answered if answered else 0.0,
            correct=o.correct,
            top_wrong=o.key == top_wrong,
        )
        for o in question.options
    )
    correct_share = picks.get(question.correct_option.key, 0) / answered if answered else 0.0
    return QuestionStatsLine(
        position=position, topic=question.topic, prompt=question.prompt, answered=answered, correct_share=correct_share, options=options
    )


def _opening(text: str, words: int = 8) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")
