"""The weekly digest's chart: accuracy per topic this week against last, drawn with matplotlib as a PNG."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import NamedTuple

# 1200 x 675 pixels (16:9): Discord shows an embed image up to about that width, Slack previews it the same.
WIDTH_INCHES, HEIGHT_INCHES, DPI = 8.0, 4.5, 150
TOPICS_SHOWN = 12  # more bars than this are unreadable at chat size; the digest's text lists every topic


class TopicWeek(NamedTuple):
    """One topic's share of correct answers in a channel this week and last (None: no answers that week)."""

    topic: str
    this_week: float | None
    last_week: float | None


def accuracy_chart(rows: Sequence[TopicWeek], title: str) -> bytes:
    """A grouped bar chart, one pair of bars per topic, as PNG bytes.

    matplotlib is imported here, not at module level: `recsys-quiz play` never pays for it, and only the
    process that posts a digest does, once.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display: the figure is only ever written to bytes
    from matplotlib.figure import Figure

    shown = list(rows)[:TOPICS_SHOWN]
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    axes = figure.subplots()
    positions = range(len(shown))
    width = 0.38
    last = [100 * (r.last_week or 0.0) for r in shown]
    this = [100 * (r.this_week or 0.0) for r in shown]
    axes.bar([p - width / 2 for p in positions], last, width, label="Last week", color="#9aa5b1")
    axes.bar([p + width / 2 for p in positions], this, width, label="This week", color="#3b82f6")
    axes.set_xticks(list(positions), [_short(r.topic) for r in shown], rotation=30, ha="right", fontsize=8)
    axes.set_ylim(0, 100)
    axes.set_ylabel("Correct answers (%)")
    axes.set_title(title, fontsize=11)
    axes.legend(loc="upper right", fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    if not shown:
        axes.text(0.5, 0.5, "No answers yet", ha="center", va="center", transform=axes.transAxes)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _short(topic: str, limit: int = 22) -> str:
    return topic if len(topic) <= limit else topic[: limit - 1] + "…"
