"""Every Slack request takes bolt's own path: its middleware and app.error apply to all of them, clicks included;
and the adapter uses slack_bolt and slack_sdk through public names only, patching nothing of theirs."""

from __future__ import annotations

import ast
import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp

import adapters.slack
from adapters.slack import handlers
from adapters.slack.handlers import QuizListeners
from bot.engine import QuizEngine
from tests.slack.conftest import SlackSender, serving, settled
from tests.slack.fake_slack import FakeSlack
from tests.slack.helpers import best_and_wrong, totals

LIBRARIES = ("slack_bolt", "slack_sdk")


async def test_a_global_middleware_sees_every_request_clicks_and_unhandled_ones_included(
    wired: tuple[AsyncApp, QuizListeners], fake: FakeSlack, quiz_engine: QuizEngine
) -> None:
    app, listeners = wired
    seen: list[str] = []

    @app.middleware
    async def count(body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> None:  # noqa: A002 - bolt's name
        seen.append(str(body.get("type") or body.get("command")))
        await next()

    async with serving(app, fake) as slack:
        card = await slack.ask("start")
        best, _ = best_and_wrong(quiz_engine, card)
        feedback = await slack.press(best)
        following = await slack.press(feedback.action_ids[0])
        await slack.press(following.action_ids[0])
        await slack.press(best)  # a second click on an answered question: a notice, through bolt as well
        other = await slack.post(slack.form({"type": "message_action", "callback_id": "x", "team": {"id": "T1"}, "user": {"id": "U1"}}))
    await listeners.in_flight.drain()
    assert other.status == 404
    assert seen == ["/recsys-quiz", *["block_actions"] * 4, "message_action"]
    assert (await totals(quiz_engine))[1] == 2


async def test_a_listener_that_raises_after_the_ack_reaches_app_error_on_every_click(
    slack: SlackSender, fake: FakeSlack, quiz_engine: QuizEngine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    card = await slack.ask("start")
    acknowledged = asyncio.Event()

    async def raising(*_: object, **__: object) -> bool:
        await acknowledged.wait()  # fail once Slack has its 200, as a reply that breaks would
        raise RuntimeError("delivery broke")

    monkeypatch.setattr(handlers, "deliver", raising)
    caplog.set_level(logging.ERROR)
    for button in card.action_ids[:3]:  # the first click and the ones after it alike
        answer = await slack.click(button)
        assert answer.status == 200
    acknowledged.set()
    await settled()
    failures = [r for r in caplog.records if r.name == "adapters.slack.errors" and r.levelno == logging.ERROR]
    assert len(failures) == 3
    assert all(r.exc_info is not None and isinstance(r.exc_info[1], RuntimeError) for r in failures)
    assert "'block_actions' payload failed after it was acknowledged" in failures[0].getMessage()


async def test_a_listener_bug_before_the_ack_is_logged_in_full_not_taken_for_bad_input(
    wired: tuple[AsyncApp, QuizListeners], fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = wired

    @app.command("/recsys-quiz-broken")
    async def broken(body: dict[str, Any]) -> None:
        raise KeyError("a bug of ours")  # the same type bolt's matchers raise on odd bodies

    caplog.set_level(logging.DEBUG, logger="adapters.slack")
    async with serving(app, fake) as slack:
        answer = await slack.post(slack.slash_body("start").replace("%2Frecsys-quiz", "%2Frecsys-quiz-broken"))
    assert answer.status == 500
    [failure] = [r for r in caplog.records if r.name == "adapters.slack.errors"]
    assert failure.levelno == logging.ERROR and failure.exc_info is not None


def _adapter_modules() -> list[Path]:
    return sorted(Path(adapters.slack.__file__).parent.glob("*.py"))


def _private(dotted: str) -> bool:
    """A leading underscore anywhere in the path, or one of the modules bolt and slack_sdk call internal
    (`slack_bolt.request.async_internals`, `slack_sdk.web.internal_utils`, ...)."""
    return any(part.startswith("_") or "internal" in part for part in dotted.split("."))


def test_the_adapter_imports_only_public_names_of_slack_bolt_and_slack_sdk() -> None:
    offences: list[str] = []
    for path in _adapter_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in LIBRARIES:
                if _private(node.module):
                    offences.append(f"{path.name}: from {node.module}")
                offences.extend(f"{path.name}: {node.module}.{alias.name}" for alias in node.names if alias.name.startswith("_"))
            elif isinstance(node, ast.Import):
                offences.extend(
                    f"{path.name}: import {alias.name}"
                    for alias in node.names
                    if alias.name.split(".")[0] in LIBRARIES and _private(alias.name)
                )
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                root = node.value
                while isinstance(root, ast.Attribute):
                    root = root.value
                if not (isinstance(root, ast.Name) and root.id in ("self", "cls")):  # an object's own state is its own
                    offences.append(f"{path.name}:{node.lineno}: uses {ast.unparse(node)}")  # another object's private part
    assert offences == []


def test_the_adapter_patches_no_attribute_of_slack_bolt_or_slack_sdk() -> None:
    offences: list[str] = []
    for path in _adapter_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.asname or alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            and ((node.module or "") if isinstance(node, ast.ImportFrom) else "").split(".")[0] in LIBRARIES
            or isinstance(node, ast.Import)
            and any(a.name.split(".")[0] in LIBRARIES for a in node.names)
            for alias in node.names
        }
        for node in ast.walk(tree):
            targets = (
                node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else []
            )
            for target in targets:
                root = target
                while isinstance(root, ast.Attribute):
                    root = root.value
                if isinstance(target, ast.Attribute) and isinstance(root, ast.Name) and root.id in imported:
                    offences.append(f"{path.name}:{node.lineno}: assigns {ast.unparse(target)}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr"):
                offences.append(f"{path.name}:{node.lineno}: {node.func.id}()")
    assert offences == []
