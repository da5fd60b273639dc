"""A person's data: export everything held about them as one JSON document, and forget them (they, or an admin, ask)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.actions import ForgetAction
from bot.boards import asker_tag
from bot.notices import shared_reply
from bot.origin import ID_MAX, Origin
from bot.store import ForgetOutcome, Store
from bot.store.person_data import FORMAT_VERSION, SECTIONS
from bot.views import Attachment, Button, Reply, notice

# A confirmation button older than this deletes nothing: an old message scrolled back to must not act by surprise.
CONFIRM_TTL = 15 * 60
ABOUT = (
    "Everything recsys-quiz keeps about you: one entry per space (a chat group, or the terminal) you used it in, and in "
    "each section the rows that hold your data. Times are seconds since 1970-01-01 UTC; correct is 1 or 0. The format "
    "is described in the project's README under 'Your data'."
)
# Section -> what a person calls one and several of those rows, for the summary of what was exported or deleted.
SECTION_WORDS = {
    "profile": ("profile", "profiles"),
    "runs": ("run", "runs"),
    "answers": ("answer", "answers"),
    "first_answers": ("first answer", "first answers"),
    "points": ("points total", "points totals"),
    "teams_created": ("team created", "teams created"),
    "team_membership": ("team membership", "team memberships"),
    "team_points": ("team points total", "team points totals"),
    "daily_answers": ("daily answer", "daily answers"),
    "review_cards": ("review card", "review cards"),
    "reviews": ("review", "reviews"),
    "written_answers": ("written answer", "written answers"),
    "study_plan": ("study plan", "study plans"),
    "reminders": ("reminder sent", "reminders sent"),
    "daily_channels_set_up": ("daily channel set up", "daily channels set up"),
    "digest_channels_set_up": ("digest channel set up", "digest channels set up"),
}
FORGET_WHAT = (
    "This deletes everything recsys-quiz keeps about you: your runs, answers, points, team membership, daily answers, "
    "review cards, the answers you wrote in your own words, your interview date and reminders, in every space you used "
    "it in. Your points leave the boards and your team's totals. How many people picked each "
    "option of past daily questions stays, as anonymous counts, so those posts still add up. This cannot be undone."
)


def identity_hash(platform: str, space_id: str, user_id: str) -> str:
    """What a pending notice is kept under: a hash of who was forgotten, never their ids."""
    return hashlib.sha256(f"{platform}\0{space_id}\0{user_id}".encode()).hexdigest()


def _summary(rows: dict[str, int]) -> str:
    parts = []
    for section, count in rows.items():
        one, several = SECTION_WORDS.get(section, (section, section))
        if section != "profile":
            parts.append(f"{count} {one if count == 1 else several}")
    return ", ".join(parts) if parts else "no answers or points"


class PrivacyService:
    """Export and forget, over the store's declared person-owned tables (bot.store.person_data)."""

    def __init__(self, store: Store, clock: Callable[[], float]) -> None:
        self.store = store
        self._clock = clock

    def _now(self) -> int:
        return int(self._clock())

    # Export -------------------------------------------------------------------------------------

    async def export_document(self, platform: str, user_id: str) -> dict[str, Any]:
        """The export document (README "Your data"): format_version, who, when, and one list of rows per section."""
        sections = await self.store.person_data(platform, user_id)
        return {
            "format_version": FORMAT_VERSION,
            "exported_at": datetime.fromtimestamp(self._now(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "platform": platform,
            "user_id": user_id,
            "about": ABOUT,
            **{section: sections.get(section, []) for section in SECTIONS},
        }

    async def export(self, origin: Origin) -> Reply:
        """Everything held about the person, as a JSON file that goes privately to them with a short notice."""
        document = await self.export_document(origin.platform, origin.user_id)
        counts = {section: len(document[section]) for section in SECTIONS if document[section]}
        day = datetime.fromtimestamp(self._now(), UTC).strftime("%Y-%m-%d")
        attachment = Attachment(
            filename=f"recsys-quiz-data-{day}.json",
            content=json.dumps(document, ensure_ascii=False, indent=2).encode(),
            title="Everything recsys-quiz keeps about you",
        )
        if not counts:
            text = "Nothing is stored about you: the attached document has every section, all empty."
        else:
            text = f"Everything recsys-quiz keeps about you, as one JSON document (format version {FORMAT_VERSION}): {_summary(counts)}."
        return notice("Your data", text, "success").model_copy(update={"attachment": attachment})

    # Forget -------------------------------------------------------------------------------------

    def forget_prompt(self, origin: Origin) -> Reply:
        """The question before anything is deleted, with buttons only the asker can use."""
        tag, issued = asker_tag(origin), self._now()
        buttons = (
            Button(label="Delete my data", action_id=ForgetAction(choice="yes", asker=tag, issued=issued).encode(), style="danger"),
            Button(label="Keep my data", action_id=ForgetAction(choice="no", asker=tag, issued=issued).encode()),
        )
        return notice("Delete everything about you?", FORGET_WHAT, "warning", buttons)

    async def confirm(self, origin: Origin, action: ForgetAction) -> Reply:
        """A click on the confirmation: only the asker's counts, and only while it is fresh."""
        if action.asker != asker_tag(origin):
            return notice(
                "This button belongs to someone else",
                "Only the person who asked to delete their data can answer it, so nothing was deleted.",
                "warning",
            )
        if action.choice == "no":
            return notice("Nothing was deleted", "Your data stays as it was.").model_copy(update={"replace": True})
        if self._now() - action.issued > CONFIRM_TTL:
            return notice(
                "This confirmation has expired",
                "It is more than 15 minutes old, so nothing was deleted. Ask again with `forget-me` if you still want to.",
                "warning",
            )
        reply = await self.forget(origin)
        return reply.model_copy(update={"replace": True})

    async def forget(self, origin: Origin) -> Reply:
        """Delete everything held about the person, in every space of their platform, at once."""
        outcome = await self.store.forget_person(origin.platform, origin.user_id, None, None, self._now())
        return self._forgotten("Your data is deleted", outcome, "You start afresh: anything you do from now on is kept as before.")

    async def admin_forget(self, origin: Origin, user_id: str) -> Reply:
        """For admins: delete a member's data in this space; the member is told on their next command."""
        if not origin.is_admin:
            return shared_reply("admins_only")
        user_id = user_id.strip()
        if not (0 < len(user_id) <= ID_MAX and user_id.isprintable()):
            return notice("Which member?", "That is not a member the bot can look up, so nothing was deleted.", "warning")
        key = identity_hash(origin.platform, origin.space_id, user_id)
        outcome = await self.store.forget_person(origin.platform, user_id, origin.space_id, key, self._now())
        if not outcome.people:
            return notice("Nothing to delete", "The bot keeps nothing about that member here, so nothing was deleted.")
        return self._forgotten("The member's data is deleted", outcome, "They will be told so on their next command.")

    @staticmethod
    def _forgotten(title: str, outcome: ForgetOutcome, after: str) -> Reply:
        if not outcome.people:
            return notice("Nothing to delete", "Nothing was stored about you, so nothing was deleted.")
        kept = " Anonymous counts stay on past daily questions." if outcome.rows.get("daily_answers") else ""
        text = f"Deleted: {_summary(outcome.rows)}. Boards and team totals no longer count them.{kept} {after}"
        return notice(title, text, "success")

    async def pending_notice(self, origin: Origin) -> str | None:
        """The line a member is owed on their next command after an admin forgot them (once), else None."""
        forgotten_at = await self.store.take_forget_notice(identity_hash(origin.platform, origin.space_id, origin.user_id))
        if forgotten_at is None:
            return None
        day = datetime.fromtimestamp(forgotten_at, UTC).strftime("%d %b %Y")
        return (
            f"An admin here deleted everything recsys-quiz kept about you on {day} (UTC): your runs, answers, points and "
            "team membership. You start afresh; what you do from now on is kept as before."
        )

    async def with_pending_notice(self, origin: Origin, reply: Reply) -> Reply:
        """`reply`, with the forgotten member's notice above it when one is owed."""
        line = await self.pending_notice(origin)
        return reply.model_copy(update={"preface": line}) if line else reply
