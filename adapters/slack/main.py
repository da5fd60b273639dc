"""Entry point of the Slack surface: the one place where settings, engine, bolt app and server are wired."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.config import EVENTS_PATH, SlackSettings, SlackSettingsError, load_settings
from adapters.slack.daily import SlackDailyPublisher, SlackDigestPublisher
from adapters.slack.errors import on_error
from adapters.slack.front import front_door, runner
from adapters.slack.handlers import QuizListeners
from adapters.slack.identity import Directory
from adapters.slack.reminders import SlackReminderSender
from adapters.slack.retries import RateLimits, web_api_handlers
from adapters.wiring import core_settings, run_async
from bot.config import CoreSettings
from bot.daily import DailyScheduler
from bot.engine import QuizEngine
from bot.runtime import open_engine, tune_gc

log = logging.getLogger(__name__)


def build_app(engine: QuizEngine, **options: Any) -> AsyncApp:
    """wire()'s bolt app alone, for whoever needs only the app (tests, scripts)."""
    return wire(engine, **options)[0]


def wire(
    engine: QuizEngine, *, client: AsyncWebClient, signing_secret: str = "", directory: Directory | None = None
) -> tuple[AsyncApp, QuizListeners]:
    """The bolt AsyncApp with the quiz's listeners and error handler, and the listeners (to drain on stop).

    bolt does all of a request's handling in both modes: its signature check (request verification on; Socket Mode
    requests carry none and bolt skips it), parsing, authorization, middleware and dispatch, and `app.error` for
    whatever fails. Listeners acknowledge first and work after (bolt's default, not process_before_response).
    A request no listener takes is handed to `app.error` (raise_error_for_unhandled_request) instead of bolt's
    WARNING per request. Every Web API call goes through `client` (its base_url decides where), and so do the
    engine's daily posts on Slack (chat.postMessage / chat.update).
    """
    app = AsyncApp(client=client, signing_secret=signing_secret, name="recsys-quiz", raise_error_for_unhandled_request=True)
    app.error(on_error)
    publisher = SlackDailyPublisher(client)
    engine.daily.attach("slack", publisher)
    engine.digest.attach("slack", SlackDigestPublisher(publisher))
    engine.reminders.attach("slack", SlackReminderSender(client))
    listeners = QuizListeners(engine, directory or Directory(), publisher)
    listeners.register(app)
    return app, listeners


# How often the reminder scheduler looks for reminders due: a reminder is at most this late.
REMIND_INTERVAL = 30.0


@contextlib.asynccontextmanager
async def schedulers(engine: QuizEngine) -> AsyncIterator[list[asyncio.Task[None]]]:
    """The daily-post (with the weekly digest's) and reminder schedulers as background tasks for as long as the bot serves;
    cancelled on the way out."""
    tasks = [
        asyncio.create_task(DailyScheduler(engine.daily, also=(engine.digest.tick,)).run(), name="recsys-quiz daily scheduler"),
        asyncio.create_task(DailyScheduler(engine.reminders, interval=REMIND_INTERVAL).run(), name="recsys-quiz reminder scheduler"),
    ]
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


# Connections kept open to Slack at once (Web API and response_urls together); more requests wait for one.
SLACK_CONNECTIONS = 100
# slack_sdk's own default per call; with a shared session its clients leave the timeout to the session.
SLACK_CALL_TIMEOUT = aiohttp.ClientTimeout(total=30)


def http_session() -> aiohttp.ClientSession:
    """The one HTTP client of the process: every Web API call and every response_url post reuses its
    keep-alive connections (slack_sdk alone opens a new session, and a new connection, per call)."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=SLACK_CONNECTIONS), timeout=SLACK_CALL_TIMEOUT)


def web_client(
    settings: SlackSettings, session: aiohttp.ClientSession | None = None, rate_limits: RateLimits | None = None
) -> AsyncWebClient:
    """The Web API client, with slack_sdk's retry handlers (429 and dropped connections); with `session`, its calls
    (and the response_url posts, see delivery) share that pool. `rate_limits` is its 429 handler (see Directory)."""
    token = settings.bot_token.get_secret_value() if settings.bot_token else None
    handlers = web_api_handlers(rate_limits or RateLimits())
    return AsyncWebClient(token=token, base_url=settings.api_url, session=session, retry_handlers=handlers)


def socket_mode_handler(app: AsyncApp, app_token: str, client: AsyncWebClient) -> AsyncSocketModeHandler:
    """bolt's aiohttp Socket Mode handler: apps.connections.open through `client`, then one websocket to Slack."""
    return AsyncSocketModeHandler(app, app_token=app_token, web_client=client)


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM, so a container stop or Ctrl-C closes the database cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):  # not on this platform / not the main thread (uvloop: ValueError)
            pass
    return stop


# How often a worker started by `--workers` checks that the process that started it is still there.
ORPHAN_CHECK = 1.0


async def stop_when_orphaned(stop: asyncio.Event, parent: int, every: float = ORPHAN_CHECK) -> None:
    """Set `stop` once the process that started this worker is gone (killed, say, with SIGKILL), so that no worker
    goes on serving, and sharing the port, with nobody watching it."""
    while os.getppid() == parent:
        await asyncio.sleep(every)
    log.warning("the process that started this worker (pid %d) is gone; stopping", parent)
    stop.set()


class SlackStartupError(RuntimeError):
    """Slack refused a token at startup; the message names the setting to fix."""


async def preflight(client: AsyncWebClient, settings: SlackSettings) -> None:
    """Fail fast with the setting's name when Slack refuses a token (bolt would only log it on the first request)."""
    try:
        await client.auth_test()
    except SlackApiError as error:
        raise SlackStartupError(
            f"Slack refused SLACK_BOT_TOKEN ({error.response.get('error')}); copy it again from OAuth & Permissions"
        ) from None
    if settings.app_token is not None:
        try:
            await client.apps_connections_open(app_token=settings.app_token.get_secret_value())
        except SlackApiError as error:
            raise SlackStartupError(
                f"Slack refused SLACK_APP_TOKEN ({error.response.get('error')}); it needs the connections:write scope "
                "(Basic Information > App-Level Tokens) and Socket Mode turned on"
            ) from None


async def serve(core: CoreSettings, settings: SlackSettings, stop: asyncio.Event | None = None, *, worker: int | None = None) -> None:
    """Run until `stop` is set (default: SIGINT/SIGTERM): Socket Mode when SLACK_APP_TOKEN is set, else HTTP.

    `worker`: this process is that worker of `recsys-quiz slack --workers N`; in HTTP mode it shares the port with
    the others (SO_REUSEPORT: the kernel spreads new connections over every socket bound to it).
    """
    named = f" (worker {worker}, pid {os.getpid()})" if worker is not None else ""
    stop = stop or _stop_on_signals()
    # The session outlives the server and the scheduler (they stop first) and is closed on the way out.
    async with open_engine(core) as engine, http_session() as session:
        rate_limits = RateLimits()
        client = web_client(settings, session, rate_limits)
        await preflight(client, settings)
        signing_secret = settings.signing_secret.get_secret_value() if settings.signing_secret else ""
        directory = Directory(admin_user_ids=settings.admin_ids, rate_limits=rate_limits)
        app, listeners = wire(engine, client=client, signing_secret=signing_secret, directory=directory)
        if settings.mode == "socket":
            assert settings.app_token is not None
            handler = socket_mode_handler(app, settings.app_token.get_secret_value(), client)
            await handler.connect_async()
            log.info("recsys-quiz on Slack%s: Socket Mode, Web API at %s", named, settings.api_url)
            try:
                async with schedulers(engine):
                    await stop.wait()
            finally:
                await handler.close_async()
                await listeners.in_flight.drain()
        else:
            http = runner(front_door(app, EVENTS_PATH))
            await http.setup()
            try:
                await web.TCPSite(http, settings.host, settings.port, reuse_port=worker is not None).start()
                log.info("recsys-quiz on Slack%s: HTTP mode on %s:%s, requests at %s", named, settings.host, settings.port, EVENTS_PATH)
                async with schedulers(engine):
                    await stop.wait()
            finally:
                await http.cleanup()  # no new requests; those under way get their 200
                await listeners.in_flight.drain()  # and the acknowledged ones their answers, before the database closes
    log.info("recsys-quiz on Slack%s: stopped", named)


def run(args: argparse.Namespace) -> int:
    """`recsys-quiz slack` (or one worker of `--workers N`): read the settings, then serve until interrupted."""
    worker: int | None = getattr(args, "worker", None)
    parent = os.getppid()
    try:
        settings = load_settings()
    except SlackSettingsError as error:
        print(f"recsys-quiz slack: {error}", file=sys.stderr)
        return 2
    core = core_settings(args)  # RECSYS_QUIZ_DB and the rest of the core's settings, as for every surface
    core.configure_logging()
    tune_gc()  # process-wide, so here in the process's entry point rather than in serve()

    async def main() -> int:
        stop = _stop_on_signals()
        orphaned = asyncio.create_task(stop_when_orphaned(stop, parent)) if worker is not None else None
        try:
            await serve(core, settings, stop, worker=worker)
        finally:
            if orphaned is not None:
                orphaned.cancel()
        return 0

    try:
        # run_async turns broken decks and an unusable database into one line and exit code 2.
        return run_async(main(), core.db, serving=True)
    except KeyboardInterrupt:
        return 0
    except SlackStartupError as error:
        print(f"recsys-quiz slack: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # the port is taken, or Slack cannot be reached
        print(f"recsys-quiz slack: {error}", file=sys.stderr)
        return 1
