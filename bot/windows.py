"""Board windows (this week, this month, all time) in a timezone: period keys and the labels boards show."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal, get_args
from zoneinfo import ZoneInfo

Window = Literal["week", "month", "all"]
WINDOWS: tuple[str, ...] = get_args(Window)


def _local(at: float, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(at, zone)


def period_key(window: str, at: float, zone: ZoneInfo) -> str:
    """The aggregate key an instant falls in: weeks start on Monday 00:00 local time."""
    local = _local(at, zone)
    if window == "week":
        monday = local.date() - timedelta(days=local.weekday())
        return f"week:{monday.isoformat()}"
    if window == "month":
        return f"month:{local:%Y-%m}"
    if window == "all":
        return "all"
    raise ValueError(f"unknown window {window!r}")


@lru_cache(maxsize=16)  # every answer asks; a burst's answers share a few seconds, hence a few keys
def period_keys(at: float, zone: ZoneInfo) -> tuple[str, str, str]:
    """Every period an answer at `at` counts towards: all time, its week, its month."""
    local = _local(at, zone)
    monday = local.date() - timedelta(days=local.weekday())
    return ("all", f"week:{monday.isoformat()}", f"month:{local:%Y-%m}")


def window_label(window: str, at: float, zone: ZoneInfo) -> str:
    local = _local(at, zone)
    if window == "week":
        monday = local.date() - timedelta(days=local.weekday())
        return f"This week (from Monday {monday.day} {monday:%b %Y})"
    if window == "month":
        return f"This month ({local:%B %Y})"
    return "All time"
