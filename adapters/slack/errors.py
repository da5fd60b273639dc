"""bolt's `app.error` for the quiz: requests bolt cannot take are refused quietly; failures after the ack are logged in full."""

from __future__ import annotations

import logging
import sysconfig
import traceback
from pathlib import Path
from typing import Any

import slack_bolt
import slack_sdk
from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

# What bolt's own checks and matchers raise on a body of an unexpected shape: a 400-digit timestamp (OverflowError
# in slack_sdk's SignatureVerifier), `interactive_message` without `actions` (KeyError in the action matcher), a
# block_actions whose `actions` is empty (IndexError) or whose action_id is a number (TypeError), and the like.
INPUT_ERRORS = (KeyError, IndexError, TypeError, AttributeError, ValueError, OverflowError, RecursionError)
DESCRIBED = 60  # characters of a request's type or command that reach the log
# Where bolt's checks and matchers run: bolt, slack_sdk (its signature verifier) and the standard library (which
# also holds site-packages in an install outside a virtual environment: those are not the standard library).
_LIBRARIES = (Path(slack_bolt.__file__).resolve().parent, Path(slack_sdk.__file__).resolve().parent)
_STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()
_INSTALLED = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}


def _library_frame(filename: str) -> bool:
    path = Path(filename).resolve()
    if any(path.is_relative_to(root) for root in _LIBRARIES):
        return True
    return path.is_relative_to(_STDLIB) and not any(path.is_relative_to(root) for root in _INSTALLED)


def raised_by_the_libraries(error: BaseException) -> bool:
    """Whether every frame of `error`'s traceback is bolt's, slack_sdk's or the standard library's, as when their
    checks and matchers refuse a body they do not expect; a frame of any other code (ours) makes it a bug."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and all(_library_frame(frame.filename) for frame in frames)


def describe(body: object) -> str:
    """What a request was, for one log line: its payload type or slash command (bounded, never the whole body)."""
    if not isinstance(body, dict):
        return "a request"
    if isinstance(body.get("command"), str):
        return f"the slash command {body['command'][:DESCRIBED]!r}"
    event = body.get("event")
    if isinstance(event, dict) and isinstance(event.get("type"), str):  # Events API: the event's type tells them apart
        return f"an event {event['type'][:DESCRIBED]!r}"
    kind = body.get("type")
    return f"a {str(kind)[:DESCRIBED]!r} payload" if kind is not None else "a request without a type"


async def on_error(error: Exception, body: dict[str, Any], context: AsyncBoltContext, response: BoltResponse | None) -> BoltResponse | None:
    """bolt calls this for every error in its middleware, matchers and listeners (and, with the app's
    `raise_error_for_unhandled_request`, for a request no listener takes); a returned response replaces bolt's 500.

    - No listener for it (a payload type or command this app does not use): bolt's 404 stands, one DEBUG line.
    - Raised before the acknowledgement inside bolt's (or slack_sdk's) own checks or matchers, on a body of a shape
      they do not expect:
      401 while the request was not yet authorized (the signature check choked: its timestamp is no number
      it can use), else 404 (not something this app handles). One DEBUG line, no traceback: it is input, not a bug.
    - Raised after the acknowledgement (`response` is None then): a failure of this app's listener, logged with
      its traceback; Slack already has its 200.
    """
    if isinstance(error, BoltUnhandledRequestError):
        log.debug("no listener takes %s: answered 404", describe(body))
        return None
    if response is None:
        log.error("handling %s failed after it was acknowledged", describe(body), exc_info=error)
        return None
    if isinstance(error, INPUT_ERRORS) and raised_by_the_libraries(error):
        status = 404 if context.authorize_result is not None else 401
        log.debug("refused %s that bolt could not handle (%s %.200r): answered %s", describe(body), type(error).__name__, error, status)
        return BoltResponse(status=status, body="")
    log.error("handling %s failed before it was acknowledged", describe(body), exc_info=error)
    return None
