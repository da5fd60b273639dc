"""Entry point of the Slack surface: the one place where settings, engine, bolt app and server are wired."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from aiohttp import web
from pydantic import ValidationError
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.config import EVENTS_PATH, SlackSettings, SlackSettingsError, load_settings
from adapters.slack.handlers import QuizListeners
from adapters.slack.identity import Directory
from adapters.slack.web import build_web_app
from bot.config import CoreSettings
from bot.content import ContentError
from bot.engine import QuizEngine
from bot.runtime import open_engine
from bot.store import SchemaTooNewError

log = logging.getLogger(__name__)

HOST = "0.0.0.0"  # HTTP mode: Slack must reach the port (usually through a tunnel or a reverse proxy)


def build_app(
    engine: QuizEngine,
    *,
    client: AsyncWebClient,
    signing_secret: str = "",
    directory: Directory | None = None,
) -> AsyncApp:
    """The bolt AsyncApp with the quiz's listeners; every Web API call goes through `client` (its base_url decides where)."""
    app = AsyncApp(client=client, signing_secret=signing_secret, name="recsys-quiz")
    QuizListeners(engine, directory or Directory()).register(app)
    return app


def web_client(settings: SlackSettings) -> AsyncWebClient:
    token = settings.bot_token.get_secret_value() if settings.bot_token else None
    return AsyncWebClient(token=token, base_url=settings.api_url)


def socket_mode_handler(app: AsyncApp, app_token: str, client: AsyncWebClient) -> AsyncSocketModeHandler:
    """bolt's aiohttp Socket Mode handler: apps.connections.open through `client`, then one websocket to Slack."""
    return AsyncSocketModeHandler(app, app_token=app_token, web_client=client)


async def serve(core: CoreSettings, settings: SlackSettings) -> None:
    """Run until cancelled: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on PORT at /slack/events."""
    async with open_engine(core) as engine:
        client = web_client(settings)
        signing_secret = settings.signing_secret.get_secret_value() if settings.signing_secret else ""
        app = build_app(engine, client=client, signing_secret=signing_secret)
        if settings.mode == "socket":
            assert settings.app_token is not None
            handler = socket_mode_handler(app, settings.app_token.get_secret_value(), client)
            log.info("recsys-quiz on Slack: Socket Mode, Web API at %s", settings.api_url)
            try:
                await handler.start_async()
            finally:
                await handler.close_async()
            return
        runner = web.AppRunner(build_web_app(app, signing_secret, EVENTS_PATH))
        await runner.setup()
        try:
            await web.TCPSite(runner, HOST, settings.port).start()
            log.info("recsys-quiz on Slack: HTTP mode on port %s, requests at %s", settings.port, EVENTS_PATH)
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()


def run(args: argparse.Namespace) -> int:
    """`recsys-quiz slack`: read the settings, then serve until interrupted."""
    try:
        core = CoreSettings()
        settings = load_settings()
    except SlackSettingsError as error:
        print(f"recsys-quiz slack: {error}", file=sys.stderr)
        return 2
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        print(f"recsys-quiz slack: bad setting: {problems}", file=sys.stderr)
        return 2
    if getattr(args, "db", None):
        core = core.model_copy(update={"db_path": Path(args.db)})
    core.configure_logging()
    try:
        asyncio.run(serve(core, settings))
    except KeyboardInterrupt:
        return 0
    except ContentError as error:
        print("recsys-quiz slack: the decks have problems:\n" + "\n".join(f"  {m}" for m in error.messages), file=sys.stderr)
        return 2
    except SchemaTooNewError as error:
        print(f"recsys-quiz slack: {error}", file=sys.stderr)
        return 2
    return 0
