"""`serve()` in both modes runs the daily scheduler as a background task, posting through the fake, and cancels it on stop."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.config import load_settings
from adapters.slack.main import serve
from bot.config import CoreSettings
from bot.origin import Origin
from bot.runtime import open_engine
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM, free_port
from tests.slack.fake_slack import FakeSlack

SCHEDULER = "recsys-quiz daily scheduler"


@pytest.mark.parametrize("mode", ["http", "socket"])
async def test_serve_posts_due_daily_questions_in_the_background_and_stops_the_scheduler_on_the_way_out(
    tmp_path: Path, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_ADMIN_USER_IDS", "PORT", "HOST"):
        monkeypatch.delenv(name, raising=False)
    core = CoreSettings(db=tmp_path / "serve.db")
    # Set up earlier for 00:00 UTC: whenever the test runs, today's post is due, so the scheduler's first tick sends it.
    async with open_engine(core) as engine:
        admin = Origin(platform="slack", space_id=TEAM, user_id="UADMIN", is_admin=True)
        assert (await engine.daily.configure(admin, "C1", "00:00", "UTC")).view.title == "Daily question set"  # type: ignore[union-attr]
    overrides: dict[str, Any] = {"bot_token": BOT_TOKEN, "api_url": fake.api_url}
    if mode == "socket":
        overrides["app_token"] = "xapp-1-serve"
    else:
        overrides.update(signing_secret=SIGNING_SECRET, port=free_port(), host="127.0.0.1")
    settings = load_settings(**overrides)
    assert settings.mode == mode

    stop = asyncio.Event()
    server = asyncio.create_task(serve(core, settings, stop))
    try:
        await fake.wait_for(lambda posted: any(p.via == "chat.postMessage" and p.key == "C1" for p in posted), timeout=10)
        [post] = fake.channel_messages("C1")
        assert post.problems == [] and len(post.buttons) == 4
        assert any(t.get_name() == SCHEDULER for t in asyncio.all_tasks())
    finally:
        stop.set()
        await asyncio.wait_for(server, 10)
    assert not [t for t in asyncio.all_tasks() if t.get_name() == SCHEDULER and not t.done()]
