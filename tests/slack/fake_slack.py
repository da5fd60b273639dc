"""A fake of the Slack Web API, response_url endpoints and the Socket Mode websocket, on 127.0.0.1 (aiohttp, port 0)."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

# Slack's Block Kit limits, enforced on everything the bot sends.
MAX_BLOCKS = 50
SECTION_TEXT = 3000
HEADER_TEXT = 150
BUTTON_TEXT = 75
ACTION_ID = 255
BUTTON_VALUE = 2000
ACTIONS_ELEMENTS = 25
CONTEXT_ELEMENTS = 10
SECTION_FIELDS = 10
# Slack takes at most five messages on one response_url (within 30 minutes), each a JSON body.
RESPONSE_URL_USES = 5
# A Home tab (views.publish): up to 100 blocks; private_metadata and callback_id as a modal's (below).
HOME_BLOCKS = 100
# files.completeUploadExternal's channel_id: a channel, group, DM or shared channel id, never a user id.
UPLOAD_CHANNEL = re.compile(r"^[CGDZ][A-Z0-9]{8,}$")

# Modals (https://docs.slack.dev/reference/views/modal-views): title, submit and close of 24 characters, a callback_id
# of 255, private_metadata of 3,000, at most 100 blocks; a plain_text_input holds at most 3,000 characters; an input's
# label and hint 2,000. A trigger_id opens a modal within 3 seconds of the interaction that carried it.
MODAL_TEXT = 24
CALLBACK_ID = 255
PRIVATE_METADATA = 3000
MODAL_BLOCKS = 100
INPUT_MAX = 3000
INPUT_LABEL = 2000
TRIGGER_LIFETIME = 3.0


def modal_problems(view: Any) -> list[str]:
    """Every way a modal view breaks Slack's rules (views.open would answer invalid_arguments)."""
    if not isinstance(view, dict) or view.get("type") != "modal":
        return [f"not a modal view: {view!r}"]
    problems: list[str] = []
    for key, required in (("title", True), ("submit", False), ("close", False)):
        text = view.get(key)
        if text is None and not required:
            continue
        if not isinstance(text, dict) or text.get("type") != "plain_text" or not 1 <= len(text.get("text") or "") <= MODAL_TEXT:
            problems.append(f"modal {key}: {text!r} (plain_text of 1 to {MODAL_TEXT} characters)")
    if not 1 <= len(view.get("callback_id") or "") <= CALLBACK_ID:
        problems.append("callback_id out of range")
    if len(view.get("private_metadata") or "") > PRIVATE_METADATA:
        problems.append("private_metadata over 3000")
    blocks = view.get("blocks") or []
    if not 1 <= len(blocks) <= MODAL_BLOCKS:
        problems.append(f"{len(blocks)} blocks in a modal")
    inputs = [b for b in blocks if b.get("type") == "input"]
    if inputs and not view.get("submit"):
        problems.append("a modal with an input needs a submit button")
    for block in inputs:
        element = block.get("element") or {}
        label = block.get("label") or {}
        if label.get("type") != "plain_text" or not 1 <= len(label.get("text") or "") <= INPUT_LABEL:
            problems.append("input label out of range")
        if len((block.get("hint") or {}).get("text") or "") > INPUT_LABEL:
            problems.append("input hint over 2000")
        if element.get("type") != "plain_text_input" or not element.get("action_id"):
            problems.append(f"unexpected input element {element!r}")
        for key in ("min_length", "max_length"):
            if key in element and not 0 <= int(element[key]) <= INPUT_MAX:
                problems.append(f"plain_text_input {key} {element[key]} out of 0-{INPUT_MAX}")
    problems += block_kit_problems({"text": "-", "blocks": [b for b in blocks if b.get("type") != "input"]})
    return problems


def block_kit_problems(message: dict[str, Any], *, max_blocks: int = MAX_BLOCKS, needs_text: bool = True) -> list[str]:
    """Every way a message (or a view's blocks) breaks Slack's rules (empty when Slack would accept it)."""
    problems: list[str] = []
    text = message.get("text")
    blocks = message.get("blocks")
    if needs_text and not (isinstance(text, str) and text.strip()):
        problems.append("no plain-text `text` fallback")
    if blocks is None:
        return problems
    if not isinstance(blocks, list):
        return [*problems, "blocks is not a list"]
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks (max {max_blocks})")
    action_ids: list[str] = []

    def text_object(obj: Any, where: str, limit: int, kinds: tuple[str, ...] = ("plain_text", "mrkdwn")) -> None:
        if not isinstance(obj, dict) or obj.get("type") not in kinds:
            problems.append(f"{where}: not a {'/'.join(kinds)} text object")
            return
        value = obj.get("text")
        if not isinstance(value, str) or not value:
            problems.append(f"{where}: empty text")
        elif len(value) > limit:
            problems.append(f"{where}: {len(value)} characters (max {limit})")

    for i, block in enumerate(blocks):
        kind = block.get("type") if isinstance(block, dict) else None
        where = f"blocks[{i}] ({kind})"
        if kind == "section":
            if "text" in block:
                text_object(block["text"], where, SECTION_TEXT)
            fields = block.get("fields") or []
            if len(fields) > SECTION_FIELDS:
                problems.append(f"{where}: {len(fields)} fields")
            if "text" not in block and not fields:
                problems.append(f"{where}: neither text nor fields")
        elif kind == "header":
            text_object(block.get("text"), where, HEADER_TEXT, ("plain_text",))
        elif kind == "context":
            elements = block.get("elements") or []
            if not elements or len(elements) > CONTEXT_ELEMENTS:
                problems.append(f"{where}: {len(elements)} elements")
            for element in elements:
                text_object(element, where, SECTION_TEXT)
        elif kind == "actions":
            elements = block.get("elements") or []
            if not elements or len(elements) > ACTIONS_ELEMENTS:
                problems.append(f"{where}: {len(elements)} elements (1 to {ACTIONS_ELEMENTS})")
            for element in elements:
                if element.get("type") == "button":
                    text_object(element.get("text"), f"{where} button", BUTTON_TEXT, ("plain_text",))
                    if len(str(element.get("value", ""))) > BUTTON_VALUE:
                        problems.append(f"{where}: button value too long")
                    if element.get("style") not in (None, "primary", "danger"):
                        problems.append(f"{where}: button style {element.get('style')!r}")
                action_id = element.get("action_id")
                if not isinstance(action_id, str) or not action_id or len(action_id) > ACTION_ID:
                    problems.append(f"{where}: bad action_id {action_id!r}")
                else:
                    action_ids.append(action_id)
        elif kind != "divider":
            problems.append(f"{where}: unexpected block type")
    if len(action_ids) != len(set(action_ids)):
        problems.append("duplicate action_id in one message")
    return problems


@dataclass
class ApiCall:
    method: str
    token: str | None
    args: dict[str, Any]


@dataclass
class Posted:
    """A message the bot sent to a response_url or through chat.*: what Slack would have shown."""

    via: str  # "response_url" or the Web API method
    key: str  # the response_url's key, or the channel
    body: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    ts: str | None = None  # chat.*: the message's ts

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return list(self.body.get("blocks") or [])

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [e for b in self.blocks if b.get("type") == "actions" for e in b["elements"] if e.get("type") == "button"]

    @property
    def action_ids(self) -> list[str]:
        return [b["action_id"] for b in self.buttons]

    @property
    def all_text(self) -> str:
        return json.dumps(self.body, ensure_ascii=False)


def view_problems(view: Any) -> list[str]:
    """Every way a Home tab breaks Slack's rules for views.publish."""
    if not isinstance(view, dict):
        return ["view is not an object"]
    problems = [] if view.get("type") == "home" else [f"view type {view.get('type')!r} is not home"]
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        problems.append("a view needs 1 to 100 blocks")
    if len(str(view.get("private_metadata", ""))) > PRIVATE_METADATA:
        problems.append("private_metadata over 3000")
    if len(str(view.get("callback_id", ""))) > CALLBACK_ID:
        problems.append("callback_id over 255")
    if any(key in view for key in ("submit", "close", "title")):
        problems.append("a home tab has no title, submit or close")
    return problems + block_kit_problems(view, max_blocks=HOME_BLOCKS, needs_text=False)


@dataclass
class Upload:
    """A file the bot uploaded with files_upload_v2 and shared (files.completeUploadExternal)."""

    channel: str
    filename: str
    title: str
    content: bytes
    initial_comment: str | None


class FakeSlack:
    """Records every Web API call and every message, answering like Slack (ok/error JSON)."""

    BOT_USER = "UBOT"
    TEAM = "T1"

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.posted: list[Posted] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.socket_acks: list[dict[str, Any]] = []
        self.socket_outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.revoked: set[str] = set()  # tokens Slack answers with invalid_auth
        self.socket_connections = 0
        self.response_url_status = 200  # set to e.g. 404 to play an expired response_url
        self.not_member: set[str] = set()  # channels the bot was never invited to: chat.postMessage says not_in_channel
        self.archived: set[str] = set()
        self.failures: dict[str, list[str | int]] = {}  # method -> next answers: a Slack error code, or an HTTP status
        self.retry_after = 1  # seconds, in the Retry-After of a 429
        self.response_url_uses: Counter[str] = Counter()
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}  # (channel, ts) -> the message as it stands now
        self.homes: dict[str, dict[str, Any]] = {}  # user -> their Home tab as last published
        self.published: list[tuple[str, dict[str, Any], list[str]]] = []  # views.publish calls: (user, view, problems)
        self.uploads: list[Upload] = []  # files shared by files.completeUploadExternal
        self.dms: dict[str, str] = {}  # user -> the id of the app's DM with them (conversations.open)
        self._pending_files: dict[str, dict[str, Any]] = {}  # file id -> {filename, length, content}
        self.triggers: dict[str, float] = {}  # trigger ids handed out with interactions -> when (monotonic)
        self.views_opened: list[dict[str, Any]] = []  # modals views.open showed
        self.dm_refusals: dict[str, str] = {}  # user id -> the error a direct message to them gets (user_not_found, ...)
        self._ts = itertools.count(1)
        self._changed = asyncio.Condition()
        self._keys = itertools.count(1)
        self._server: TestServer | None = None
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._app = app

    # Lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        self._server = TestServer(self._app, host="127.0.0.1", port=0)
        await self._server.start_server()

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    @property
    def base(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("")).rstrip("/")

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def new_response_url(self) -> str:
        return f"{self.base}/response/{next(self._keys)}"

    def add_user(self, user_id: str, display_name: str, *, is_admin: bool = False, is_owner: bool = False) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": self.TEAM,
            "name": user_id.lower(),
            "real_name": display_name,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "profile": {"display_name": display_name, "real_name": display_name},
        }

    # Waiting -------------------------------------------------------------------------------------

    async def _record(self, posted: Posted) -> None:
        async with self._changed:
            self.posted.append(posted)
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[list[Posted]], bool], timeout: float = 5.0) -> list[Posted]:
        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: predicate(self.posted))

        await asyncio.wait_for(until(), timeout)
        return list(self.posted)

    async def next_message(self, after: int, timeout: float = 5.0) -> Posted:
        """The first message posted once `after` messages have been (await the bot's answer to one request)."""
        posted = await self.wait_for(lambda p: len(p) > after, timeout)
        return posted[after]

    # Handlers -----------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        self.calls.append(ApiCall(method=method, token=token, args=args))
        if not token:
            return _slack_json({"ok": False, "error": "not_authed"})
        if method == "apps.connections.open":
            if not token.startswith("xapp-") or token in self.revoked:
                return _slack_json({"ok": False, "error": "invalid_auth"})
            ws = self.base.replace("http://", "ws://") + "/socket"
            return _slack_json({"ok": True, "url": ws})
        if not token.startswith("xoxb-") or token in self.revoked:
            return _slack_json({"ok": False, "error": "invalid_auth"})
        queued = self.failures.get(method)
        if queued:
            failure = queued.pop(0)
            if isinstance(failure, int):  # an HTTP error page, as Slack's edge sends under load
                return web.Response(status=failure, text="<html>Service Unavailable</html>", content_type="text/html")
            status = 429 if failure == "ratelimited" else 200
            return web.json_response({"ok": False, "error": failure}, status=status, headers={"Retry-After": str(self.retry_after)})
        if method == "auth.test":
            return _slack_json(
                {
                    "ok": True,
                    "url": "https://fake.slack.com/",
                    "team": "Fake",
                    "user": "recsys-quiz",
                    "team_id": self.TEAM,
                    "user_id": self.BOT_USER,
                    "bot_id": "BBOT",
                    "is_enterprise_install": False,
                }
            )
        if method == "users.info":
            user = self.users.get(str(args.get("user")))
            return _slack_json({"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"})
        if method == "views.open":
            return self._views_open(args)
        if (
            method == "chat.postMessage"
            and str(args.get("channel", "")).startswith(("U", "W"))
            and str(args["channel"]) in self.dm_refusals
        ):
            return _slack_json({"ok": False, "error": self.dm_refusals[str(args["channel"])]})
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            return await self._chat(method, args)
        if method == "chat.delete":
            return await self._chat_delete(args)
        if method == "conversations.open":
            return self._open_dm(args)
        if method == "files.getUploadURLExternal":
            return self._upload_url(args)
        if method == "files.completeUploadExternal":
            return await self._complete_upload(args)
        if method == "views.publish":
            return await self._publish_view(args)
        return _slack_json({"ok": False, "error": "unknown_method"})

    def _open_dm(self, args: dict[str, Any]) -> web.Response:
        users = str(args.get("users", "")).split(",")
        if len(users) != 1 or users[0] not in self.users:
            return _slack_json({"ok": False, "error": "user_not_found"})
        channel = self.dms.setdefault(users[0], f"D{len(self.dms) + 1:09d}")
        return _slack_json({"ok": True, "channel": {"id": channel}})

    def _upload_url(self, args: dict[str, Any]) -> web.Response:
        filename, length = args.get("filename"), str(args.get("length", ""))
        if not filename or not length.isdigit() or int(length) < 1:
            return _slack_json({"ok": False, "error": "invalid_arguments"})
        file_id = f"F{len(self._pending_files) + 1:09d}"
        self._pending_files[file_id] = {"filename": filename, "length": int(length), "content": None}
        return _slack_json({"ok": True, "file_id": file_id, "upload_url": f"{self.base}/upload/{file_id}"})

    async def _upload(self, request: web.Request) -> web.Response:
        pending = self._pending_files.get(request.match_info["file_id"])
        body = await request.read()
        if pending is None:
            return web.Response(status=404, text="unknown upload")
        if len(body) != pending["length"]:  # Slack wants exactly the length it was told
            return web.Response(status=400, text=f"expected {pending['length']} bytes, got {len(body)}")
        pending["content"] = body
        return web.Response(status=200, text=f"OK - {len(body)}")

    async def _complete_upload(self, args: dict[str, Any]) -> web.Response:
        files = json.loads(args["files"]) if isinstance(args.get("files"), str) else args.get("files")
        channel = args.get("channel_id")
        if not isinstance(files, list) or not files:
            return _slack_json({"ok": False, "error": "invalid_arguments"})
        if channel is not None and not UPLOAD_CHANNEL.match(str(channel)):
            return _slack_json({"ok": False, "error": "invalid_arguments", "errors": ["channel_id must match ^[CGDZ][A-Z0-9]{8,}$"]})
        if channel in self.archived:
            return _slack_json({"ok": False, "error": "is_archived"})
        if channel in self.not_member:
            return _slack_json({"ok": False, "error": "not_in_channel"})
        shared = []
        for item in files:
            pending = self._pending_files.get(str(item.get("id")))
            if pending is None or pending["content"] is None:
                return _slack_json({"ok": False, "error": "file_not_found"})
            shared.append(
                Upload(str(channel), pending["filename"], str(item.get("title") or ""), pending["content"], args.get("initial_comment"))
            )
        async with self._changed:
            self.uploads.extend(shared)
            self._changed.notify_all()
        return _slack_json({"ok": True, "files": [{"id": item["id"], "title": item.get("title")} for item in files]})

    async def _publish_view(self, args: dict[str, Any]) -> web.Response:
        view = json.loads(args["view"]) if isinstance(args.get("view"), str) else args.get("view")
        user = str(args.get("user_id"))
        if user not in self.users:
            return _slack_json({"ok": False, "error": "user_not_found"})
        problems = view_problems(view)
        async with self._changed:
            self.published.append((user, view, problems))
            if not problems:
                self.homes[user] = view
            self._changed.notify_all()
        if problems:
            return _slack_json({"ok": False, "error": "invalid_arguments", "errors": problems})
        return _slack_json({"ok": True, "view": {"id": f"V{len(self.published):09d}", **view}})

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until `predicate` holds of what the fake recorded (uploads, published views, messages)."""

        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        await asyncio.wait_for(until(), timeout)

    async def _chat(self, method: str, args: dict[str, Any]) -> web.Response:
        channel = str(args.get("channel"))
        if channel in self.archived:
            return _slack_json({"ok": False, "error": "is_archived"})
        if channel in self.not_member and method != "chat.postEphemeral":
            return _slack_json({"ok": False, "error": "not_in_channel"})
        if method == "chat.update" and (channel, str(args.get("ts"))) not in self.messages:
            return _slack_json({"ok": False, "error": "message_not_found"})
        for key in ("blocks", "attachments"):  # slack_sdk sends these JSON-encoded inside a form body
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        problems = block_kit_problems(args)
        # Every message gets its own ts, as on Slack; an update keeps the ts of the message it edits.
        ts = str(args["ts"]) if method == "chat.update" else f"1700000000.{next(self._ts):06d}"
        await self._record(Posted(via=method, key=channel, body=args, problems=problems, ts=ts))
        if problems:
            return _slack_json({"ok": False, "error": "invalid_blocks", "errors": problems})
        if method != "chat.postEphemeral":
            self.messages[(channel, ts)] = {k: v for k, v in args.items() if k in ("text", "blocks")}
        return _slack_json({"ok": True, "channel": channel, "ts": ts, "message_ts": ts})

    async def _chat_delete(self, args: dict[str, Any]) -> web.Response:
        """chat.delete of a message the bot posted, as Slack answers it; message_not_found when there is none."""
        channel, ts = str(args.get("channel")), str(args.get("ts"))
        if self.messages.pop((channel, ts), None) is None:
            return _slack_json({"ok": False, "error": "message_not_found"})
        await self._record(Posted(via="chat.delete", key=channel, body=args, problems=[], ts=ts))
        return _slack_json({"ok": True, "channel": channel, "ts": ts})

    def new_trigger_id(self) -> str:
        """A trigger_id as an interaction carries it: it opens a modal within 3 seconds."""
        trigger = f"{next(self._keys)}.{len(self.triggers)}.trigger"
        self.triggers[trigger] = time.monotonic()
        return trigger

    def _views_open(self, args: dict[str, Any]) -> web.Response:
        view = json.loads(args["view"]) if isinstance(args.get("view"), str) else args.get("view")
        issued = self.triggers.pop(str(args.get("trigger_id")), None)  # each opens one modal
        if issued is None or time.monotonic() - issued > TRIGGER_LIFETIME:
            return _slack_json({"ok": False, "error": "expired_trigger_id" if issued else "invalid_trigger_id"})
        problems = modal_problems(view)
        if problems:
            return _slack_json({"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": problems}})
        self.views_opened.append(view)
        return _slack_json({"ok": True, "view": {"id": f"V{len(self.views_opened)}", **view}})

    def direct_messages(self, user: str) -> list[Posted]:
        """The app's direct messages to a user (chat.postMessage with their user id as the channel)."""
        return self.channel_messages(user)

    async def next_reply(self, after: int, timeout: float = 5.0) -> Posted:
        """The first private answer (response_url or chat.postEphemeral) once `after` messages have been posted."""

        def replies(posted: list[Posted]) -> list[Posted]:
            return [p for p in posted[after:] if p.via in ("response_url", "chat.postEphemeral")]

        return replies(await self.wait_for(lambda posted: bool(replies(posted)), timeout))[0]

    def fail_next(self, method: str, *failures: str | int) -> None:
        """The next calls of `method` fail: a Slack error code (429 for ratelimited) or an HTTP status."""
        self.failures.setdefault(method, []).extend(failures)

    def channel_messages(self, channel: str, via: str = "chat.postMessage") -> list[Posted]:
        """Calls of `via` on a channel, oldest first (by default the shared messages, not the ephemeral ones)."""
        return [p for p in self.posted if p.via == via and p.key == channel]

    async def _response_url(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        if request.content_type != "application/json":
            return web.Response(status=400, text="invalid_payload")
        body = await request.json()
        if self.response_url_status != 200:
            return web.Response(status=self.response_url_status, text="expired_url")
        self.response_url_uses[key] += 1
        if self.response_url_uses[key] > RESPONSE_URL_USES:
            return web.Response(status=404, text="used_url")
        problems = block_kit_problems(body)
        await self._record(Posted(via="response_url", key=key, body=body, problems=problems))
        if problems:
            return web.Response(status=400, text="invalid_blocks")
        return web.Response(status=200, text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode as Slack runs it: `hello`, then envelopes; the app acks each by envelope_id."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        async with self._changed:
            self.socket_connections += 1
            self._changed.notify_all()
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}})

        async def pump() -> None:
            while True:
                await ws.send_json(await self.socket_outbox.get())

        sender = asyncio.ensure_future(pump())
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    ack = json.loads(msg.data)
                    async with self._changed:
                        self.socket_acks.append(ack)
                        self._changed.notify_all()
        finally:
            sender.cancel()
        return ws

    async def wait_for_socket_connection(self, timeout: float = 10.0) -> None:
        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: self.socket_connections > 0)

        await asyncio.wait_for(until(), timeout)

    async def wait_for_socket_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: any(a.get("envelope_id") == envelope_id for a in self.socket_acks))

        await asyncio.wait_for(until(), timeout)
        return next(a for a in self.socket_acks if a.get("envelope_id") == envelope_id)


def _slack_json(body: dict[str, Any]) -> web.Response:
    return web.json_response(body)
