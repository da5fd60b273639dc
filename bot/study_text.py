"""How study mode says when a question comes back: shared by run feedback and written answers."""

from __future__ import annotations

import math

DAY = 86_400


def comes_back(due: int | None, now: float) -> str | None:
    """When a question comes back for review, as the person reads it ("Comes back for review in 4 days."); None when unknown."""
    if due is None:
        return None
    days = math.ceil((due - now) / DAY)
    if days <= 0:
        return "Comes back for review later today."
    if days == 1:
        return "Comes back for review tomorrow."
    return f"Comes back for review in {days} days."
