"""A person's home page (Slack's App Home): their progress, streak and team's rank, and the week's top five."""

from __future__ import annotations

from bot.actions import BoardPageAction, StartAction
from bot.boards import Boards, asker_tag
from bot.origin import Origin
from bot.views import Button, HomeView, LeaderboardRow

TOP = 5  # people shown from the week's board


async def home_view(boards: Boards, origin: Origin) -> HomeView:
    """What a person sees on their home page, read from the same totals as stats and the boards.

    Its buttons carry the same actions as the commands' buttons: Start begins (or resumes) a run of the first deck,
    Leaderboard shows this week's people board, paged for this person only.
    """
    stats = await boards.stats(origin)
    period = boards.period("week")
    store = boards.store
    people = await store.people_board(origin.platform, origin.space_id, period, TOP, 1, origin.user_id)
    teams = await store.team_board(origin.platform, origin.space_id, period, 1, 1, origin.user_id)
    me = people.me.person_id if people.me is not None else None
    # The team's rank: from the page when it is on it, else from the standing the board reads for the asker.
    on_page = [rank for rank, team in teams.ranked if team.name == teams.my_team]
    team_rank = on_page[0] if on_page else (teams.my_standing[0] if teams.my_standing else None)
    buttons = (
        Button(label="Start", action_id=StartAction(deck_id=boards.decks.default.id).encode(), style="primary"),
        Button(
            label="Leaderboard",
            action_id=BoardPageAction(scope="people", window="week", page=1, asker=asker_tag(origin)).encode(),
        ),
    )
    return HomeView(
        name=origin.name,
        decks=stats.decks,
        streak=stats.streak,
        points_this_week=people.me.points if people.me is not None else 0,
        week=boards.label("week"),
        timezone=boards.zone.key,
        team=teams.my_team,
        team_rank=team_rank,
        teams_ranked=teams.size,
        top=tuple(LeaderboardRow(rank=r.rank, name=r.display_name, points=r.points, is_asker=r.person_id == me) for r in people.rows),
        buttons=buttons,
    )
