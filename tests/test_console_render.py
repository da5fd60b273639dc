"""Terminal rendering: every view type renders, and user text is printed as text, never as rich markup."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rich.console import Console

from adapters.console.render import render
from bot.views import VIEW_TYPES
from tests.view_samples import samples

MARKUP = "[bold red]owned[/bold red] [link=http://evil.example]click[/link] :skull:"


def printed(view: Any) -> str:
    console = Console(record=True, width=120, color_system=None)
    console.print(render(view))
    return console.export_text()


def test_the_samples_cover_every_view_type() -> None:
    assert set(samples()) == set(VIEW_TYPES)


@pytest.mark.parametrize("view_type", VIEW_TYPES, ids=lambda t: t.__name__)
def test_every_view_type_renders_with_its_text(view_type: type) -> None:
    assert "Ranking at scale" in printed(samples("Ranking at scale")[view_type])


@pytest.mark.parametrize("view_type", VIEW_TYPES, ids=lambda t: t.__name__)
def test_user_text_is_shown_literally_not_as_markup(view_type: type) -> None:
    text = "".join(printed(samples(MARKUP)[view_type]).split())
    assert "[boldred]owned[/boldred]" in text and ":skull:" in text


def test_unknown_objects_are_refused_loudly() -> None:
    with pytest.raises(TypeError):
        render(object())


def test_stats_say_one_point_and_two_points() -> None:
    from bot.views import StatsView, WindowPoints

    view = StatsView(
        name="ann",
        decks=(),
        topics=(),
        weakest_topic=None,
        points=3,
        answers=3,
        windows=(WindowPoints(window="This week", points=1), WindowPoints(window="All time", points=2)),
    )
    shown = printed(view)
    assert re.search(r"This week: 1 point\b(?!s)", shown) and "All time: 2 points" in shown
