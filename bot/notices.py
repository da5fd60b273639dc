"""The notices every surface shows alike: what happened to the person's click, in one set of words for all of them."""

from __future__ import annotations

from bot.views import Notice, NoticeCode, Reply

_NOTICES: dict[NoticeCode, Notice] = {
    "not_recorded": Notice(
        code="not_recorded",
        tone="error",
        title="Something went wrong",
        text="Nothing was recorded. Please try again in a moment.",
    ),
    "recorded_not_shown": Notice(
        code="recorded_not_shown",
        tone="warning",
        title="That reply could not be shown",
        text="What you did went through, but its reply could not be shown. Click the button again to see where you are.",
        hint="start",
    ),
    "not_yours": Notice(
        code="not_yours",
        tone="warning",
        title="This quiz belongs to someone else",
        text="Only the person who started a run can answer in it, so nothing was recorded.",
        hint="start",
    ),
    "expired": Notice(
        code="expired",
        tone="warning",
        title="This button has expired",
        text="It is too old to answer, so nothing was recorded.",
        hint="start",
    ),
    "incomplete": Notice(
        code="incomplete",
        tone="warning",
        title="That did not come through",
        text="It arrived without what the quiz needs to act on it (who, where or which button), so nothing was recorded.",
    ),
    "admins_only": Notice(
        code="admins_only",
        tone="warning",
        title="Admins only",
        text="Only admins here can do that, so nothing changed.",
        hint="admins",
    ),
}
NOTICE_CODES: tuple[NoticeCode, ...] = tuple(_NOTICES)


def shared_notice(code: NoticeCode) -> Notice:
    """The notice for `code`, the same on every surface."""
    return _NOTICES[code]


def shared_reply(code: NoticeCode) -> Reply:
    return Reply(view=_NOTICES[code], ephemeral=True)
