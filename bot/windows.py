"""Board windows (this week, this month, all time) in a timezone: period keys and the labels boards show."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal, get_args
from zoneinfo import ZoneInfo

Window = Literal["week", "month", "all"]
WINDOWS: tuple[str, ...] = get_args(Window)


def _local(at: float, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(at, zone)


def _monday(local: datetime) -> date:
    """The first day of the week `local` falls in: weeks start on Monday 00:00 local time."""
    return local.date() - timedelta(days=local.weekday())


def period_key(window: str, at: float, zone: ZoneInfo) -> str:
    """The aggregate key an instant falls in: weeks start on Monday 00:00 local time."""
    local = _local(at, zone)
    if window == "week":
        return f"week:{_monday(local).isoformat()}"
    if window == "month":
        return f"month:{local:%Y-%m}"
    if window == "all":
        return "all"
    raise ValueError(f"unknown window {window!r}")


def _period_keys(at: float, zone: ZoneInfo) -> tuple[str, str, str]:
    """Every period an answer at `at` counts towards: all time, its week, its month."""
    local = _local(at, zone)
    return ("all", f"week:{_monday(local).isoformat()}", f"month:{local:%Y-%m}")


# Every answer asks; a burst's answers share a few seconds, hence a few keys. Wrapped rather than decorated so that
# mutation testing reaches the body (mutmut leaves decorated functions alone).
period_keys = lru_cache(maxsize=16)(_period_keys)


def window_label(window: str, at: float, zone: ZoneInfo) -> str:
    """How a board names its window: "This week (from Monday 21 Sep 2026)", "This month (September 2026)", "All time"."""
    local = _local(at, zone)
    if window == "week":
        monday = _monday(local)
        return f"This week (from Monday {monday.day} {monday:%b %Y})"
    if window == "month":
        return f"This month ({local:%B %Y})"
    return "All time"
