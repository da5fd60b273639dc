"""A small fake of Discord's REST API and gateway on 127.0.0.1, strict about deadlines, double answers and limits."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

API = "/api/v10"
DEADLINE = 3.0  # seconds Discord waits for the first response to an interaction
FOLLOWUP_WINDOW = 15 * 60.0
BOT_ID = "1100000000000000001"
APP_ID = BOT_ID  # modern applications: the bot user's id is the application id
GUILD_ID = "1200000000000000001"
CHANNEL_ID = "1300000000000000001"  # where every interaction happens
OTHER_CHANNEL_ID = "1300000000000000002"  # another text channel of the guild
EPHEMERAL = 64
# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
POSTING = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS
JSON_BODY = web.RequestKey("json_body", object)
FILES = web.RequestKey("files", object)  # the file parts of a multipart request, as [File]
ATTACHMENT_SIZE_LIMIT = 8 * 1024 * 1024  # what the fake's interactions say they take (attachment_size_limit)

# Discord's message limits (DESIGN.md "Platform facts").
LIMITS = {
    "content": 2000,
    "embeds": 10,
    "title": 256,
    "description": 4096,
    "fields": 25,
    "field_name": 256,
    "field_value": 1024,
    "footer": 2048,
    "author": 256,
    "embed_total": 6000,
    "rows": 5,
    "buttons_per_row": 5,
    "label": 80,
    "custom_id": 100,
}

# Discord's modal limits (https://discord.com/developers/docs/components/reference): a title of 45 characters, a
# custom_id of 100, at most 5 top-level components; a label's text 45 and description 100; a text input's custom_id 100,
# placeholder 100, lengths 0-4000; a text display's content 4000. A text input inside a label takes no label of its own.
MODAL_LIMITS = {"title": 45, "custom_id": 100, "components": 5, "label": 45, "description": 100, "input_value": 4000, "placeholder": 100}
MODAL = 9  # the interaction response type that opens a modal
MODAL_SUBMIT = 5  # the interaction type of its submission
CANNOT_MESSAGE_USER = 50007


def modal_problems(data: Any) -> list[str]:
    """Every way a modal breaks Discord's rules (Discord would refuse the response with 400)."""
    if not isinstance(data, dict) or set(data) - {"custom_id", "title", "components"}:
        return [f"a modal takes custom_id, title and components only: {data!r}"]
    problems: list[str] = []
    if not 1 <= len(data.get("title") or "") <= MODAL_LIMITS["title"]:
        problems.append(f"modal title of {len(data.get('title') or '')} characters")
    if not 1 <= len(data.get("custom_id") or "") <= MODAL_LIMITS["custom_id"]:
        problems.append(f"modal custom_id of {len(data.get('custom_id') or '')} characters")
    components = data.get("components") or []
    if not 1 <= len(components) <= MODAL_LIMITS["components"]:
        problems.append(f"{len(components)} modal components")
    inputs = 0
    for component in components:
        kind = component.get("type")
        if kind == 10:
            if not 1 <= len(component.get("content") or "") <= MODAL_LIMITS["input_value"]:
                problems.append("text display content out of range")
        elif kind == 18:
            if not 1 <= len(component.get("label") or "") <= MODAL_LIMITS["label"]:
                problems.append(f"label text of {len(component.get('label') or '')} characters")
            if len(component.get("description") or "") > MODAL_LIMITS["description"]:
                problems.append("label description over 100")
            inner = component.get("component") or {}
            if inner.get("label") is not None:  # discord.py sends `label: null` there, which Discord takes as none
                problems.append("a text input inside a label has a label of its own")
            problems += _text_input_problems(inner)
            inputs += 1
        elif kind == 1 and len(component.get("components") or []) == 1:  # the older form: a text input in an action row
            inner = component["components"][0]
            if not 1 <= len(inner.get("label") or "") <= MODAL_LIMITS["label"]:
                problems.append("text input label out of range")
            problems += _text_input_problems(inner)
            inputs += 1
        else:
            problems.append(f"unexpected modal component {component!r}")
    if not inputs:
        problems.append("a modal without an input")
    return problems


def _text_input_problems(item: dict[str, Any]) -> list[str]:
    problems = []
    if item.get("type") != 4 or item.get("style") not in (1, 2):
        problems.append(f"not a text input: {item!r}")
    if not 1 <= len(item.get("custom_id") or "") <= MODAL_LIMITS["custom_id"]:
        problems.append("text input custom_id out of range")
    if len(item.get("placeholder") or "") > MODAL_LIMITS["placeholder"]:
        problems.append("placeholder over 100")
    for key in ("min_length", "max_length"):
        if key in item and not 0 <= int(item[key]) <= MODAL_LIMITS["input_value"]:
            problems.append(f"{key} {item[key]} out of 0-4000")
    return problems


# The JSON fields each message endpoint takes, as discord-api-types (v10) defines its body: field -> whether it may
# be null. Discord itself ignores what it does not know; this fake refuses it (400, and a violation), so that the
# bot sends exactly the fields an endpoint takes and leaves out the ones it has nothing for.
MESSAGE_CREATE = {  # POST /channels/{id}/messages: RESTPostAPIChannelMessageJSONBody (nothing nullable)
    field: False
    for field in (
        "content",
        "nonce",
        "tts",
        "embeds",
        "allowed_mentions",
        "message_reference",
        "components",
        "sticker_ids",
        "attachments",
        "flags",
        "enforce_nonce",
        "poll",
        "shared_client_theme",
    )
}
MESSAGE_EDIT = {  # PATCH /channels/{id}/messages/{id}: RESTPatchAPIChannelMessageJSONBody (no tts)
    "content": True,
    "embeds": True,
    "flags": True,
    "allowed_mentions": True,
    "attachments": False,
    "components": True,
}
WEBHOOK_EXECUTE = {  # POST /webhooks/{app}/{token} (followups): RESTPostAPIWebhookWithTokenJSONBody
    field: False
    for field in (
        "content",
        "username",
        "avatar_url",
        "tts",
        "embeds",
        "allowed_mentions",
        "components",
        "attachments",
        "flags",
        "thread_name",
        "applied_tags",
        "poll",
    )
}
WEBHOOK_MESSAGE_EDIT = {  # PATCH /webhooks/{app}/{token}/messages/{id}: RESTPatchAPIWebhookWithTokenMessageJSONBody
    "content": True,
    "embeds": True,
    "allowed_mentions": True,
    "components": True,
    "attachments": False,
    "poll": False,
}
# The data of a type 4, 5 or 7 interaction response: APIInteractionResponseCallbackData, that is the webhook
# execute body without username and avatar_url.
CALLBACK_DATA = {field: nullable for field, nullable in WEBHOOK_EXECUTE.items() if field not in ("username", "avatar_url")}


def body_problems(body: Any, schema: dict[str, bool]) -> list[str]:
    """How a message body breaks its endpoint's type: a field the endpoint does not take, null where it may not be."""
    if not isinstance(body, dict):
        return [f"the body is not a JSON object: {body!r}"]
    problems = [f"unknown field {name!r}" for name in body if name not in schema]
    problems += [f"{name} is null" for name, value in body.items() if value is None and not schema.get(name, True)]
    if "content" in body and not isinstance(body["content"], str | None):
        problems.append(f"content is not a string: {body['content']!r}")
    return problems


_snowflakes = itertools.count(1_400_000_000_000_000_001)


def snowflake() -> str:
    return str(next(_snowflakes))


DISCORD_EPOCH_MS = 1_420_070_400_000
_sequence = itertools.count()


def interaction_snowflake(age: float = 0.0) -> str:
    """An id made `age` seconds ago, as Discord's are: the bot reads its 3 s window from the id's timestamp."""
    created_ms = int((time.time() - age) * 1000) - DISCORD_EPOCH_MS
    return str(created_ms << 22 | next(_sequence) % (1 << 22))  # the low bits keep ids of the same ms apart


def user_payload(user_id: str, name: str, *, global_name: str | None = None, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "global_name": global_name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


BOT_USER = user_payload(BOT_ID, "recsys-quiz", bot=True)


@dataclass
class Call:
    """One request the bot made to the fake."""

    method: str
    path: str
    json: Any
    at: float  # monotonic
    port: int = 0  # this fake's port it came in on


@dataclass(frozen=True)
class ChannelRef:
    """A channel option's value in `FakeDiscord.slash` (sent as type 7 with Discord's resolved channel data)."""

    id: str


@dataclass(frozen=True)
class UserRef:
    """A user option's value in `FakeDiscord.slash` (sent as type 6 with Discord's resolved user and member data)."""

    user: dict[str, Any]


@dataclass
class File:
    """A file part of a multipart request (`files[n]`), as Discord receives it."""

    field: str
    filename: str
    content: bytes


def attachment_problems(body: dict[str, Any], files: list[File], limit: int = ATTACHMENT_SIZE_LIMIT) -> list[str]:
    """How a message's files break what Discord checks: every `files[n]` part declared in `attachments` (by id n, with its
    filename) and the other way round, each within the size limit, and an embed's `attachment://` image naming one."""
    problems: list[str] = []
    declared = {str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)}
    parts = {f.field.removeprefix("files[").removesuffix("]"): f for f in files}
    if set(declared) != set(parts):
        problems.append(f"attachments {sorted(declared)} do not match the file parts {sorted(parts)}")
    for index, part in parts.items():
        if index in declared and declared[index].get("filename") != part.filename:
            problems.append(f"files[{index}] is {part.filename!r} but its attachment says {declared[index].get('filename')!r}")
        if len(part.content) > limit:
            problems.append(f"files[{index}] has {len(part.content)} bytes (the limit is {limit})")
    names = {part.filename for part in files}
    for embed in body.get("embeds") or []:
        url = (embed.get("image") or {}).get("url", "")
        if url.startswith("attachment://") and url.removeprefix("attachment://") not in names:
            problems.append(f"the embed's image {url} names no attached file")
    return problems


@dataclass
class Pending:
    """An interaction the fake dispatched, and what the bot did about it."""

    id: str
    token: str
    payload: dict[str, Any]
    sent_at: float
    responses: list[Call] = field(default_factory=list)  # callbacks (first response)
    followups: list[Call] = field(default_factory=list)  # webhook posts and edits after it
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    delivered: asyncio.Event = field(default_factory=asyncio.Event)  # a message was sent or edited
    thinking_flags: int | None = None  # after a type 5 response, until a followup takes its place (or it is deleted)
    files: list[File] = field(default_factory=list)  # files sent with its responses and followups
    modal: dict[str, Any] | None = None  # the modal a type 9 response opened
    last_message: dict[str, Any] | None = None  # what the person sees now: the reply, or the suggestions
    delivered_at: float | None = None  # monotonic time of the first message shown

    def deliver(self, message: dict[str, Any]) -> None:
        """Record the message the person now sees for this interaction."""
        self.last_message = message
        if self.delivered_at is None:
            self.delivered_at = time.monotonic()
        self.delivered.set()


def _port(request: web.Request) -> int:
    """The port of this fake a request came in on."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return int(sockname[1]) if sockname else 0


def _json(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json": discord.py does not parse "application/json; charset=utf-8".
    return web.Response(status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"})


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"code": code, "message": message}, status)


COMMAND_NAME = re.compile(r"^[-_a-z0-9]{1,32}$")  # Discord also allows other scripts' letters; this bot uses ASCII


def command_problems(command: dict[str, Any]) -> list[str]:
    """Every way a command synced to Discord breaks its limits (Discord would refuse the whole sync with 400)."""
    problems: list[str] = []
    total = 0

    def visit(item: dict[str, Any], where: str, depth: int) -> None:
        nonlocal total
        name, description = item.get("name", ""), item.get("description", "")
        total += len(name) + len(description)
        if not COMMAND_NAME.match(name):
            problems.append(f"{where}: bad name {name!r}")
        if not 1 <= len(description) <= 100:
            problems.append(f"{where}: description of {len(description)} characters (1 to 100)")
        options = item.get("options") or []
        if len(options) > 25:
            problems.append(f"{where}: more than 25 options")
        if item.get("type") == 2 and depth > 1:
            problems.append(f"{where}: a subcommand group nested in a group")
        required_seen_optional = False
        for option in options:
            if option.get("type") not in (1, 2):
                if option.get("required") and required_seen_optional:
                    problems.append(f"{where}: a required option after an optional one")
                required_seen_optional |= not option.get("required")
            choices = option.get("choices") or []
            if len(choices) > 25:
                problems.append(f"{where} {option.get('name')}: more than 25 choices")
            for choice in choices:
                total += len(choice["name"]) + len(str(choice["value"]))
                if not 1 <= len(choice["name"]) <= 100:
                    problems.append(f"{where} {option.get('name')}: choice name of {len(choice['name'])} characters")
            visit(option, f"{where} {option.get('name')}", depth + 1)

    visit(command, f"command {command.get('name')}", 0)
    if total > 8000:
        problems.append(f"command {command.get('name')}: {total} characters in all (Discord allows 8000)")
    return problems


def limit_problems(data: dict[str, Any]) -> list[str]:
    """Every way a message payload breaks Discord's limits or could mention someone."""
    problems: list[str] = []
    if data.get("allowed_mentions") != {"parse": []} and data.get("allowed_mentions", {}).get("parse") != []:
        problems.append(f"allowed_mentions is not none: {data.get('allowed_mentions')!r}")
    if len(data.get("content") or "") > LIMITS["content"]:
        problems.append("content over 2000")
    embeds = data.get("embeds") or []
    if len(embeds) > LIMITS["embeds"]:
        problems.append("more than 10 embeds")
    for embed in embeds:
        total = 0
        for key, limit in (("title", "title"), ("description", "description")):
            text = embed.get(key) or ""
            total += len(text)
            if len(text) > LIMITS[limit]:
                problems.append(f"embed {key} over {LIMITS[limit]}")
        fields = embed.get("fields") or []
        if len(fields) > LIMITS["fields"]:
            problems.append("more than 25 fields")
        for f in fields:
            total += len(f.get("name", "")) + len(f.get("value", ""))
            if not f.get("name") or not f.get("value"):
                problems.append("empty field name or value")
            if len(f.get("name", "")) > LIMITS["field_name"]:
                problems.append("field name over 256")
            if len(f.get("value", "")) > LIMITS["field_value"]:
                problems.append("field value over 1024")
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        total += len(footer) + len(author)
        if len(footer) > LIMITS["footer"]:
            problems.append("footer over 2048")
        if len(author) > LIMITS["author"]:
            problems.append("author name over 256")
        if total > LIMITS["embed_total"]:
            problems.append(f"embed total {total} over 6000")
    rows = data.get("components") or []
    if len(rows) > LIMITS["rows"]:
        problems.append("more than 5 rows")
    seen: set[str] = set()
    for row in rows:
        children = row.get("components") or []
        if row.get("type") != 1 or not children:
            problems.append("a row that is not a non-empty action row")
        if len(children) > LIMITS["buttons_per_row"]:
            problems.append("more than 5 buttons in a row")
        for button in children:
            if len(button.get("label") or "") > LIMITS["label"]:
                problems.append("button label over 80")
            custom_id = button.get("custom_id") or ""
            if not custom_id or len(custom_id) > LIMITS["custom_id"]:
                problems.append(f"bad custom_id length: {custom_id!r}")
            if custom_id in seen:
                problems.append(f"duplicate custom_id {custom_id!r}")
            seen.add(custom_id)
    return problems


def shard_of(guild_id: object, shard_count: int) -> int:
    """The shard Discord sends a guild's events and interactions to; direct messages (and, in this fake, a guild id
    that is no snowflake, as the fuzz tests send) go to shard 0."""
    return (int(guild_id) >> 22) % shard_count if isinstance(guild_id, str) and guild_id.isdigit() else 0


def guild_on_shard(shard_id: int, shard_count: int, number: int = 0) -> str:
    """A guild id (a snowflake like GUILD_ID) whose events Discord sends to shard `shard_id` of `shard_count`."""
    base = (int(GUILD_ID) >> 22) + number * shard_count
    return str((base - base % shard_count + shard_id) << 22 | 1)


@dataclass
class Connection:
    """A gateway connection: its websocket and the shard it identified as ([id, count]; [0, 1] without sharding)."""

    ws: web.WebSocketResponse
    shard: tuple[int, int] | None = None
    port: int = 0  # this fake's port the connection came in on (see listen_again)


class FakeDiscord:
    """Serves what discord.py needs to log in, connect, sync commands and answer interactions; records it all.

    Sharding as Discord does it: `GET /gateway/bot` recommends `shards`; each gateway connection identifies as one
    shard ([id, count]); a guild's interactions go to the connection whose shard is (guild_id >> 22) % count, and
    direct messages to shard 0's. `listen_again()` serves the same fake on another port, so that a test running
    several bot processes (one per port) can tell which process answered what (each Call records its port).
    """

    def __init__(self, *, deadline: float = DEADLINE, shards: int = 1) -> None:
        self.deadline = deadline
        self.shards = shards  # the shard count GET /gateway/bot recommends
        self.token = "fake-bot-token"
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.synced: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id -> command tree as PUT
        self.interactions: dict[str, Pending] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.identifies: list[dict[str, Any]] = []
        self.bot_gateway_calls = 0
        self.forbidden_guilds: set[str] = set()  # guilds the bot was not invited to
        # The guild's text channels; the bot's role (@everyone here) has `bot_permissions`, and a channel may deny some.
        self.channels: dict[str, str] = {CHANNEL_ID: "study", OTHER_CHANNEL_ID: "announcements"}
        self.bot_permissions = POSTING
        self.channel_denies: dict[str, int] = {}
        self.channel_messages: dict[str, dict[str, Any]] = {}  # messages the bot posted to channels, as they are now
        self.channel_posts: list[Call] = []  # POST /channels/{id}/messages
        self.channel_files: dict[str, list[File]] = {}  # message id -> the files posted with it
        self.channel_edits: list[Call] = []  # PATCH /channels/{id}/messages/{id}
        self.channel_deletes: list[Call] = []  # DELETE /channels/{id}/messages/{id}
        self.channel_refusals: list[Call] = []  # posts and edits refused for a missing permission
        self.channel_post_failures: list[int] = []  # HTTP statuses the next channel posts get (e.g. 503: Discord is down)
        self.callback_failures: list[tuple[int, int]] = []  # (status, code) the next interaction responses get instead
        self.callback_hold = 0.0  # seconds an interaction response waits before it is answered (a slow Discord)
        self._sockets: list[Connection] = []
        self.dispatched: list[tuple[str, tuple[int, int], int]] = []  # (interaction id or event, shard, port) of every dispatch
        self.dm_channels: dict[str, str] = {}  # DM channel id -> its user, as POST /users/@me/channels opened them
        self.direct_messages: list[Call] = []  # messages the bot sent into DM channels
        self.refusing_dms: set[str] = set()  # users whose DMs are closed to the bot: 403, code 50007
        self.connections: set[tuple[str, int]] = set()  # the bot's (address, port) of every connection it used
        self._seq = 0
        self._ready = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # Server -------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record])
        app.router.add_get(f"{API}/users/@me", self._me)
        app.router.add_post(f"{API}/users/@me/channels", self._open_dm)
        app.router.add_get(f"{API}/oauth2/applications/@me", self._application)
        app.router.add_get(f"{API}/gateway/bot", self._gateway_bot)
        app.router.add_get(f"{API}/gateway", self._gateway_plain)
        app.router.add_put(f"{API}/applications/{{app}}/commands", self._sync)
        app.router.add_put(f"{API}/applications/{{app}}/guilds/{{guild}}/commands", self._sync)
        app.router.add_post(f"{API}/interactions/{{id}}/{{token}}/callback", self._callback)
        app.router.add_post(f"{API}/webhooks/{{app}}/{{token}}", self._followup)
        app.router.add_patch(f"{API}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._edit)
        app.router.add_delete(f"{API}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._delete)
        app.router.add_get(f"{API}/guilds/{{guild}}", self._guild)
        app.router.add_get(f"{API}/guilds/{{guild}}/members/{{user}}", self._member)
        app.router.add_get(f"{API}/channels/{{channel}}", self._channel)
        app.router.add_post(f"{API}/channels/{{channel}}/messages", self._channel_post)
        app.router.add_patch(f"{API}/channels/{{channel}}/messages/{{message}}", self._channel_edit)
        app.router.add_delete(f"{API}/channels/{{channel}}/messages/{{message}}", self._channel_delete)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._unexpected)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        self.port = await self.listen_again()

    async def listen_again(self) -> int:
        """Serve this fake on one more port of 127.0.0.1 as well (its REST API and gateway); returns the port."""
        assert self._runner is not None
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return site.port

    async def stop(self) -> None:
        for connection in list(self._sockets):
            await connection.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def api_base_at(self, port: int) -> str:
        return f"http://127.0.0.1:{port}{API}"

    def gateway_url_at(self, port: int) -> str:
        return f"ws://127.0.0.1:{port}/gateway"

    @property
    def api_base(self) -> str:
        return self.api_base_at(self.port)

    @property
    def gateway_url(self) -> str:
        return self.gateway_url_at(self.port)

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body: Any = None
        files: list[File] = []
        if request.can_read_body and request.content_type == "multipart/form-data":
            # discord.py sends files as Discord takes them: a `payload_json` part and one `files[n]` part per file.
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    files.append(File(str(part.name), str(part.filename), bytes(await part.read())))  # type: ignore[union-attr]
        elif request.can_read_body:
            text = await request.text()
            try:
                body = json.loads(text) if text else None
            except json.JSONDecodeError:
                body = text
        request[FILES] = files
        needs_token = request.path.startswith(API) and not request.path.startswith(f"{API}/webhooks") and "/callback" not in request.path
        request[JSON_BODY] = body
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if peer:
            self.connections.add((peer[0], peer[1]))
        self.calls.append(Call(request.method, request.path, body, time.monotonic(), _port(request)))
        if needs_token and request.headers.get("Authorization") != f"Bot {self.token}":
            return _error(401, 0, "401: Unauthorized")  # as Discord does: login then fails
        return await handler(request)

    async def _unexpected(self, request: web.Request) -> web.Response:
        self.violations.append(f"unexpected request {request.method} {request.path}")
        return _error(404, 0, "404: Not Found")

    async def _me(self, request: web.Request) -> web.Response:
        return _json(BOT_USER)

    async def _application(self, request: web.Request) -> web.Response:
        return _json(
            {
                "id": APP_ID,
                "name": "recsys-quiz",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": user_payload("1000000000000000009", "owner"),
                "verify_key": "0" * 64,
                "flags": 0,
            }
        )

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        self.bot_gateway_calls += 1
        # As Discord: the gateway to connect to (this fake's, on the port asked) with the recommended shard count and
        # session limits.
        return _json(
            {
                "url": self.gateway_url_at(_port(request)),
                "shards": self.shards,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
            }
        )

    async def _gateway_plain(self, request: web.Request) -> web.Response:
        return _json({"url": self.gateway_url_at(_port(request))})

    async def _sync(self, request: web.Request) -> web.Response:
        if request.match_info["app"] != APP_ID:
            self.violations.append(f"command sync for another application {request.match_info['app']}")
        scope = request.match_info.get("guild", "global")
        if scope in self.forbidden_guilds:
            return _error(403, 50001, "Missing Access")
        commands = request[JSON_BODY] or []
        for command in commands:
            self.violations.extend(command_problems(command))
        self.synced[scope] = commands
        echoed = []
        for command in commands:
            item = {"id": snowflake(), "application_id": APP_ID, "version": snowflake(), "type": 1, "description": "", **command}
            if scope != "global":
                item["guild_id"] = scope
            echoed.append(item)
        return _json(echoed)

    # Gateway ------------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        connection = Connection(ws, port=_port(request))
        self._sockets.append(connection)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}, "s": None, "t": None}))
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            if frame["op"] == 1:
                await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
            elif frame["op"] == 2:
                self.identifies.append(frame["d"])
                shard = frame["d"].get("shard") or [0, 1]
                connection.shard = (int(shard[0]), int(shard[1]))
                self._seq += 1
                ready = {
                    "v": 10,
                    "user": BOT_USER,
                    "guilds": [],
                    "session_id": f"session-{len(self.identifies)}",
                    "resume_gateway_url": self.gateway_url_at(connection.port),
                    "application": {"id": APP_ID, "flags": 0},
                    "shard": shard,
                }
                await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": self._seq, "d": ready}))
                self._ready.set()
        if connection in self._sockets:
            self._sockets.remove(connection)
        return ws

    def connection_for(self, guild_id: object) -> Connection:
        """The live connection Discord would send this guild's events to: the newest one identified as its shard."""
        live = [c for c in self._sockets if not c.ws.closed and c.shard is not None]
        assert live, "no bot is connected to the fake gateway"
        counts = {c.shard[1] for c in live if c.shard is not None}
        assert len(counts) == 1, f"the bot's connections disagree on the shard count: {sorted(counts)}"
        count = counts.pop()
        wanted = shard_of(guild_id, count)
        chosen = [c for c in live if c.shard == (wanted, count)]
        assert chosen, f"no connection runs shard {wanted} of {count}, which guild {guild_id} belongs to"
        return chosen[-1]

    async def _dispatch(self, payload: dict[str, Any], event: str = "INTERACTION_CREATE") -> None:
        connection = self.connection_for(payload.get("guild_id") if isinstance(payload, dict) else None)
        assert connection.shard is not None
        self._seq += 1
        label = payload.get("id") if isinstance(payload, dict) and isinstance(payload.get("id"), str) else event
        self.dispatched.append((str(label), connection.shard, connection.port))
        await connection.ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": payload}))

    # Interactions the tests send ----------------------------------------------------------------

    def permissions_in(self, channel_id: str) -> int:
        """The bot's permissions in a channel: its role's, less the channel's deny overwrite."""
        return self.bot_permissions & ~self.channel_denies.get(channel_id, 0)

    def _base(
        self,
        kind: int,
        user: dict[str, Any],
        *,
        guild: bool = True,
        permissions: int = 0,
        channel_type: int = 0,
        age: float = 0.0,
        guild_id: str = GUILD_ID,
    ) -> dict[str, Any]:
        user = copy.deepcopy(user)  # a test may alter the payload; the user it passed in stays as it was
        interaction_id = interaction_snowflake(age)
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": APP_ID,
            "type": kind,
            "token": f"token-{interaction_id}",
            "version": 1,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "locale": "en-US",
            "app_permissions": str(self.permissions_in(CHANNEL_ID)) if guild else "0",
            "entitlements": [],
            "channel_id": CHANNEL_ID,
        }
        if guild:
            payload |= {
                "guild_id": guild_id,
                "guild_locale": "en-US",
                "guild": {"id": guild_id, "locale": "en-US", "features": []},
                "channel": {
                    "id": CHANNEL_ID,
                    "type": channel_type,  # 0 text; 11 a public thread
                    "guild_id": guild_id,
                    "name": "study",
                    "position": 0,
                    "permission_overwrites": [],
                    "nsfw": False,
                    "parent_id": None,
                },
                "member": {
                    "user": user,
                    "roles": [],
                    "joined_at": "2026-01-01T00:00:00+00:00",
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                    "permissions": str(permissions),
                    "nick": None,
                    "avatar": None,
                },
                "authorizing_integration_owners": {"0": guild_id},
                "context": 0,
            }
            if channel_type in (10, 11, 12):  # a thread: its own id, inside the text channel
                payload["channel"] |= {
                    "parent_id": CHANNEL_ID,
                    "owner_id": user["id"],
                    "message_count": 0,
                    "member_count": 1,
                    "thread_metadata": {
                        "archived": False,
                        "auto_archive_duration": 1440,
                        "archive_timestamp": "2026-01-01T00:00:00+00:00",
                    },
                }
        else:
            payload |= {
                "user": user,
                "channel": {"id": CHANNEL_ID, "type": 1, "recipients": [user]},
                "authorizing_integration_owners": {"1": user["id"]},
                "context": 1,
            }
        return payload

    async def send(self, payload: dict[str, Any], *, age: float = 0.0) -> Pending:
        """Dispatch an INTERACTION_CREATE; `age` pretends it reached us that many seconds late."""
        pending = Pending(id=payload["id"], token=payload["token"], payload=payload, sent_at=time.monotonic() - age)
        self.interactions[pending.id] = pending
        await self._dispatch(payload)
        return pending

    def _command_data(self, sub: str, options: dict[str, Any] | None, focused: str | None = None) -> dict[str, Any]:
        """`sub` is "start" or "team create" (a subcommand group, type 2, around the subcommand)."""
        leaf: list[dict[str, Any]] = []
        resolved: dict[str, Any] = {}
        for name, value in (options or {}).items():
            if isinstance(value, UserRef):
                user_id = value.user["id"]
                leaf.append({"type": 6, "name": name, "value": user_id})
                resolved.setdefault("users", {})[user_id] = value.user
                resolved.setdefault("members", {})[user_id] = {
                    "roles": [],
                    "joined_at": "2026-01-01T00:00:00+00:00",
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                    "permissions": "0",
                    "nick": None,
                    "avatar": None,
                }
            elif isinstance(value, ChannelRef):
                leaf.append({"type": 7, "name": name, "value": value.id})
                resolved.setdefault("channels", {})[value.id] = {
                    "id": value.id,
                    "name": self.channels.get(value.id, "unknown"),
                    "type": 0,
                    "permissions": str(ADMINISTRATOR),  # the *user's* permissions there, as Discord sends them
                }
            else:
                leaf.append({"type": 3, "name": name, "value": value} | ({"focused": True} if name == focused else {}))
        *group, command = sub.split()
        options_tree: list[dict[str, Any]] = [{"type": 1, "name": command, "options": leaf}]
        if group:
            options_tree = [{"type": 2, "name": group[0], "options": options_tree}]
        data: dict[str, Any] = {"id": "1500000000000000001", "name": "recsys-quiz", "type": 1, "options": options_tree}
        if resolved:
            data["resolved"] = resolved
        return data

    async def slash(
        self,
        user: dict[str, Any],
        sub: str,
        options: dict[str, Any] | None = None,
        *,
        guild: bool = True,
        age: float = 0.0,
        permissions: int = 0,
        channel_type: int = 0,
        guild_id: str = GUILD_ID,
    ) -> Pending:
        """`/recsys-quiz <sub> [options]` typed by `user`, who has `permissions` in the guild (MANAGE_GUILD: an admin)."""
        payload = self._base(2, user, guild=guild, permissions=permissions, channel_type=channel_type, age=age, guild_id=guild_id)
        payload["data"] = self._command_data(sub, options)
        return await self.send(payload, age=age)

    async def autocomplete(self, user: dict[str, Any], sub: str, options: dict[str, Any], focused: str) -> Pending:
        """`user` is typing option `focused` of `/recsys-quiz <sub>`: Discord asks for suggestions (type 4)."""
        payload = self._base(4, user)
        payload["data"] = self._command_data(sub, options, focused)
        return await self.send(payload)

    async def click(
        self,
        user: dict[str, Any],
        message: dict[str, Any],
        custom_id: str,
        *,
        age: float = 0.0,
        guild_id: str = GUILD_ID,
        guild: bool = True,
    ) -> Pending:
        """`user` clicks the button `custom_id` on `message` (as Discord sends it: with the message and its components);
        `guild=False`: in the bot's direct messages with them."""
        payload = self._base(3, user, age=age, guild_id=guild_id, guild=guild)
        payload["message"] = message
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        return await self.send(payload, age=age)

    async def submit_modal(self, user: dict[str, Any], opened: Pending, values: dict[str, str], *, guild: bool = True) -> Pending:
        """`user` fills in and submits the modal `opened` showed (a MODAL_SUBMIT, as Discord sends it: the components'
        types and ids with the values typed; with the message whose button opened it). Discord's client holds the person
        to the inputs' lengths, so a value that breaks them fails the test."""
        modal = opened.modal
        assert modal is not None, "the interaction opened no modal"

        def filled(component: dict[str, Any]) -> dict[str, Any]:
            if component["type"] == 18:
                return {"type": 18, "id": component.get("id", 0), "component": filled(component["component"])}
            if component["type"] == 1:
                return {"type": 1, "components": [filled(c) for c in component["components"]]}
            if component["type"] == 4:
                value = values.get(component["custom_id"], "")
                assert component.get("min_length", 0) <= len(value) <= component.get("max_length", 4000), len(value)
                return {"type": 4, "id": component.get("id", 0), "custom_id": component["custom_id"], "value": value}
            return {"type": component["type"], "id": component.get("id", 0)}

        data = {"custom_id": modal["custom_id"], "components": [filled(c) for c in modal["components"]]}
        return await self.modal_submit(user, data, message=opened.payload.get("message"), guild=guild)

    async def modal_submit(self, user: dict[str, Any], data: Any, *, message: dict[str, Any] | None = None, guild: bool = True) -> Pending:
        """A MODAL_SUBMIT with this `data`, whatever it holds (a submission of a modal the bot never opened, say)."""
        payload = self._base(MODAL_SUBMIT, user, guild=guild)
        payload["data"] = data
        if message is not None:
            payload["message"] = message
        return await self.send(payload)

    async def answered(self, pending: Pending, timeout: float = 5.0) -> Call:
        """The bot's first response to an interaction (fails the test if none comes)."""
        await asyncio.wait_for(pending.answered.wait(), timeout)
        return pending.responses[0]

    async def delivered(self, pending: Pending, timeout: float = 5.0) -> dict[str, Any]:
        """The message the bot finally showed for an interaction (after a defer: the edit or followup)."""
        await asyncio.wait_for(pending.delivered.wait(), timeout)
        assert pending.last_message is not None
        return pending.last_message

    # REST the bot calls to answer ---------------------------------------------------------------

    def _message(
        self, data: dict[str, Any], *, message_id: str | None = None, flags: int = 0, files: list[File] | None = None
    ) -> dict[str, Any]:
        attachments = [
            {
                "id": snowflake(),
                "filename": f.filename,
                "size": len(f.content),
                "url": f"https://cdn.example/{f.filename}",
                "proxy_url": f"https://media.example/{f.filename}",
            }
            for f in files or []
        ]
        message = {
            "id": message_id or snowflake(),
            "channel_id": CHANNEL_ID,
            "author": BOT_USER,
            "content": data.get("content") or "",
            "timestamp": "2026-11-27T00:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": attachments,
            "embeds": data.get("embeds") or [],
            "components": data.get("components") or [],
            "pinned": False,
            "type": 20,
            "flags": flags | (data.get("flags") or 0),
            "application_id": APP_ID,
        }
        self.messages[message["id"]] = message
        return message

    def _check_message(self, where: str, data: dict[str, Any], files: list[File] | None = None) -> None:
        for problem in [*limit_problems(data), *attachment_problems(data, files or [])]:
            self.violations.append(f"{where}: {problem}")

    def _refused_body(self, where: str, body: Any, schema: dict[str, bool]) -> web.Response | None:
        """Discord's 400 for a body its endpoint's type does not allow (recorded as a violation), else None."""
        problems = body_problems(body, schema)
        if not problems:
            return None
        self.violations.extend(f"{where}: {problem}" for problem in problems)
        return _error(400, 50035, f"Invalid Form Body: {'; '.join(problems)}")

    async def _callback(self, request: web.Request) -> web.Response:
        if self.callback_hold:
            await asyncio.sleep(self.callback_hold)
        now = time.monotonic()
        pending = self.interactions.get(request.match_info["id"])
        body = request[JSON_BODY] or {}
        if pending is None or pending.token != request.match_info["token"]:
            self.violations.append(f"callback for an unknown interaction {request.match_info['id']}")
            return _error(404, 10062, "Unknown interaction")
        call = Call("POST", request.path, body, now, _port(request))
        if self.callback_failures:
            status, code = self.callback_failures.pop(0)
            return _error(status, code, "refused by the test")
        if pending.responses:
            self.violations.append(f"interaction {pending.id} answered twice")
            return _error(400, 40060, "Interaction has already been acknowledged.")
        if now - pending.sent_at > self.deadline:
            self.violations.append(f"interaction {pending.id} answered late: {now - pending.sent_at:.2f} s")
            return _error(404, 10062, "Unknown interaction")
        kind = body.get("type")
        data = body.get("data") or {}
        is_click = pending.payload["type"] == 3
        if pending.payload["type"] == 4:
            if kind != 8 or len(data.get("choices", [])) > 25:
                self.violations.append(f"interaction {pending.id}: autocomplete answered with {body!r}")
                return _error(400, 50035, "Invalid Form Body")
            pending.responses.append(call)
            pending.answered.set()
            pending.deliver(data)
            return web.Response(status=204)
        if kind == MODAL:
            problems = [] if pending.payload["type"] in (2, 3) else ["a modal answers only a command or a click"]
            problems += modal_problems(data)
            if problems:
                self.violations.extend(f"interaction {pending.id} modal: {problem}" for problem in problems)
                return _error(400, 50035, f"Invalid Form Body: {'; '.join(problems)}")
            pending.responses.append(call)
            pending.answered.set()
            pending.modal = data
            pending.deliver({"modal": data})
            return (
                _json({"interaction": {"id": pending.id, "type": pending.payload["type"]}})
                if "with_response" in request.query
                else web.Response(status=204)
            )
        # A submitted form may update the message whose button opened it, as a click does.
        is_click = is_click or (pending.payload["type"] == MODAL_SUBMIT and "message" in pending.payload)
        if kind not in (4, 5, 6, 7) or (kind in (6, 7) and not is_click):
            self.violations.append(f"interaction {pending.id}: response type {kind} is not valid here")
            return _error(400, 50035, "Invalid Form Body")
        if kind != 6:
            refused = self._refused_body(f"interaction {pending.id} response type {kind}", data, CALLBACK_DATA)
            if refused is not None:
                return refused
        pending.responses.append(call)
        pending.answered.set()
        if kind == 7:
            self._check_not_shared(pending)
        info: dict[str, Any] = {"id": pending.id, "type": pending.payload["type"]}
        result: dict[str, Any] = {"interaction": info}
        if kind in (4, 7):
            files = request[FILES]
            self._check_message(f"interaction {pending.id}", data, files)
            pending.files.extend(files)
            if kind == 4:
                message = self._message(data, files=files)
            else:
                clicked = pending.payload.get("message") or {"id": snowflake()}  # Discord always sends it; a test may not
                message = self._message({**clicked, **data}, message_id=clicked["id"], flags=clicked.get("flags", 0))
            pending.deliver(message)
            info |= {"response_message_id": message["id"], "response_message_ephemeral": bool(message["flags"] & EPHEMERAL)}
            result["resource"] = {"type": kind, "message": message}
        elif kind == 5:
            info |= {"response_message_loading": True, "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL)}
            pending.thinking_flags = data.get("flags", 0)
            result["resource"] = {"type": kind}
        # As Discord: the created message comes back only when asked for (discord.py always asks).
        return _json(result) if "with_response" in request.query else web.Response(status=204)

    def _followup_target(self, request: web.Request) -> Pending | None:
        pending = next((p for p in self.interactions.values() if p.token == request.match_info["token"]), None)
        if pending is None or request.match_info["app"] != APP_ID:
            self.violations.append(f"{request.method} {request.path}: unknown interaction token")
            return None
        if not pending.responses:
            self.violations.append(f"{request.method} {request.path}: followup before the interaction was answered")
            return None
        if time.monotonic() - pending.sent_at > FOLLOWUP_WINDOW:
            self.violations.append(f"{request.method} {request.path}: followup after 15 minutes")
            return None
        return pending

    async def _followup(self, request: web.Request) -> web.Response:
        pending = self._followup_target(request)
        if pending is None:
            return _error(404, 10015, "Unknown Webhook")
        data = request[JSON_BODY] or {}
        refused = self._refused_body(f"followup {pending.id}", data, WEBHOOK_EXECUTE)
        if refused is not None:
            return refused
        files = request[FILES]
        self._check_message(f"followup {pending.id}", data, files)
        pending.files.extend(files)
        pending.followups.append(Call("POST", request.path, data, time.monotonic(), _port(request)))
        if pending.thinking_flags is not None:
            # As Discord: the first followup after "thinking..." takes its place, and keeps its visibility.
            message = self._message({**data, "flags": 0}, flags=pending.thinking_flags, files=files)
            pending.thinking_flags = None
        else:
            message = self._message(data, files=files)
        pending.deliver(message)
        return _json(message)

    async def _edit(self, request: web.Request) -> web.Response:
        pending = self._followup_target(request)
        if pending is None:
            return _error(404, 10015, "Unknown Webhook")
        data = request[JSON_BODY] or {}
        refused = self._refused_body(f"edit {pending.id}", data, WEBHOOK_MESSAGE_EDIT)
        if refused is not None:
            return refused
        self._check_message(f"edit {pending.id}", data)
        pending.followups.append(Call("PATCH", request.path, data, time.monotonic(), _port(request)))
        first = pending.responses[0].json.get("type")
        if request.match_info["message"] == "@original" and pending.payload["type"] == 3 and first in (6, 7):
            self._check_not_shared(pending)
            original = pending.payload["message"]  # after type 6 or 7 the original is the clicked message
            message = self._message({**original, **data}, message_id=original["id"], flags=original.get("flags", 0))
        else:
            message = self._message(data, flags=pending.thinking_flags or 0)
            pending.thinking_flags = None
        pending.deliver(message)
        return _json(message)

    def _check_not_shared(self, pending: Pending) -> None:
        # A click on a channel post (the daily question) must never turn that shared message into one person's reply.
        clicked = pending.payload.get("message") or {}
        if clicked.get("id") in self.channel_messages:
            self.violations.append(f"interaction {pending.id}: replaced the shared channel message {clicked['id']}")

    async def _delete(self, request: web.Request) -> web.Response:
        pending = self._followup_target(request)
        if pending is not None:
            pending.followups.append(Call("DELETE", request.path, None, time.monotonic(), _port(request)))
            if request.match_info["message"] == "@original":
                pending.thinking_flags = None  # the "thinking..." message is gone: a followup now is a new message
        return web.Response(status=204)

    # Guild, channels and channel messages (daily posts) -----------------------------------------

    async def _guild(self, request: web.Request) -> web.Response:
        if request.match_info["guild"] != GUILD_ID:
            return _error(404, 10004, "Unknown Guild")
        role = {
            "id": GUILD_ID,  # @everyone has the guild's id
            "name": "@everyone",
            "permissions": str(self.bot_permissions),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        return _json(
            {
                "id": GUILD_ID,
                "name": "study group",
                "icon": None,
                "owner_id": "1000000000000000009",
                "roles": [role],
                "emojis": [],
                "stickers": [],
                "features": [],
                "premium_tier": 0,
                "verification_level": 0,
                "default_message_notifications": 0,
                "explicit_content_filter": 0,
                "mfa_level": 0,
                "nsfw_level": 0,
                "preferred_locale": "en-US",
            }
        )

    async def _member(self, request: web.Request) -> web.Response:
        if request.match_info["guild"] != GUILD_ID or request.match_info["user"] != BOT_ID:
            return _error(404, 10007, "Unknown Member")
        member = {
            "user": BOT_USER,
            "roles": [],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
        }
        return _json(member)

    def _channel_payload(self, channel_id: str) -> dict[str, Any]:
        deny = self.channel_denies.get(channel_id, 0)
        return {
            "id": channel_id,
            "type": 0,
            "guild_id": GUILD_ID,
            "name": self.channels[channel_id],
            "position": 0,
            "permission_overwrites": [{"id": GUILD_ID, "type": 0, "allow": "0", "deny": str(deny)}] if deny else [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }

    async def _channel(self, request: web.Request) -> web.Response:
        channel_id = request.match_info["channel"]
        if channel_id not in self.channels:
            return _error(404, 10003, "Unknown Channel")
        if not self.permissions_in(channel_id) & VIEW_CHANNEL:
            return _error(403, 50001, "Missing Access")
        return _json(self._channel_payload(channel_id))

    def _refused(self, request: web.Request, channel_id: str, needed: int) -> web.Response | None:
        if channel_id not in self.channels:
            return _error(404, 10003, "Unknown Channel")
        allowed = self.permissions_in(channel_id)
        if not allowed & VIEW_CHANNEL:
            self.channel_refusals.append(Call(request.method, request.path, request[JSON_BODY], time.monotonic(), _port(request)))
            return _error(403, 50001, "Missing Access")
        if allowed & needed != needed:
            self.channel_refusals.append(Call(request.method, request.path, request[JSON_BODY], time.monotonic(), _port(request)))
            return _error(403, 50013, "Missing Permissions")
        return None

    async def _open_dm(self, request: web.Request) -> web.Response:
        """POST /users/@me/channels: the DM channel with a user (the same one each time), as Discord opens it."""
        body = request[JSON_BODY] or {}
        recipient = str(body.get("recipient_id", "")) if isinstance(body, dict) else ""
        if set(body) != {"recipient_id"} or not recipient.isdigit():
            self.violations.append(f"opening a DM with {body!r}")
            return _error(400, 50035, "Invalid Form Body")
        channel_id = next((c for c, user in self.dm_channels.items() if user == recipient), None) or snowflake()
        self.dm_channels[channel_id] = recipient
        user = user_payload(recipient, f"user-{recipient}")
        return _json({"id": channel_id, "type": 1, "recipients": [user], "last_message_id": None, "flags": 0})

    async def _direct_message(self, request: web.Request, channel_id: str) -> web.Response:
        if self.dm_channels[channel_id] in self.refusing_dms:
            return _error(403, CANNOT_MESSAGE_USER, "Cannot send messages to this user")
        data = request[JSON_BODY] or {}
        refused = self._refused_body(f"direct message to {channel_id}", data, MESSAGE_CREATE)
        if refused is not None:
            return refused
        self._check_message(f"direct message to {channel_id}", data)
        self.direct_messages.append(Call("POST", request.path, data, time.monotonic(), _port(request)))
        message = self._message(data) | {"channel_id": channel_id, "type": 0, "flags": 0}
        message.pop("application_id")
        self.messages[message["id"]] = message
        return _json(message)

    async def _channel_post(self, request: web.Request) -> web.Response:
        channel_id = request.match_info["channel"]
        if channel_id in self.dm_channels:
            return await self._direct_message(request, channel_id)
        files = request[FILES]
        # As Discord: a message with files also needs Attach Files in the channel.
        refused = self._refused(request, channel_id, SEND_MESSAGES | EMBED_LINKS | (ATTACH_FILES if files else 0))
        if refused is not None:
            return refused
        if self.channel_post_failures:
            return _error(self.channel_post_failures.pop(0), 0, "Service Unavailable")
        data = request[JSON_BODY] or {}
        refused = self._refused_body(f"channel post to {channel_id}", data, MESSAGE_CREATE)
        if refused is not None:
            return refused
        self._check_message(f"channel post to {channel_id}", data, files)
        if data.get("flags", 0) & EPHEMERAL:
            self.violations.append(f"channel post to {channel_id}: ephemeral flag on a channel message")
        self.channel_posts.append(Call("POST", request.path, data, time.monotonic(), _port(request)))
        message = self._message(data, files=files) | {"channel_id": channel_id, "guild_id": GUILD_ID, "type": 0, "flags": 0}
        self.channel_files[message["id"]] = files
        message.pop("application_id")
        self.messages[message["id"]] = self.channel_messages[message["id"]] = message
        return _json(message)

    async def _channel_delete(self, request: web.Request) -> web.Response:
        """DELETE of a channel message: a bot deletes its own messages without Manage Messages; 204 No Content."""
        channel_id, message_id = request.match_info["channel"], request.match_info["message"]
        refused = self._refused(request, channel_id, 0)
        if refused is not None:
            return refused
        message = self.channel_messages.get(message_id)
        if message is None or message["channel_id"] != channel_id:
            return _error(404, 10008, "Unknown Message")
        self.channel_deletes.append(Call("DELETE", request.path, None, time.monotonic(), _port(request)))
        del self.channel_messages[message_id]
        return web.Response(status=204)

    async def _channel_edit(self, request: web.Request) -> web.Response:
        channel_id, message_id = request.match_info["channel"], request.match_info["message"]
        refused = self._refused(request, channel_id, 0)
        if refused is not None:
            return refused
        message = self.channel_messages.get(message_id)
        if message is None or message["channel_id"] != channel_id:
            return _error(404, 10008, "Unknown Message")
        data = request[JSON_BODY] or {}
        refused = self._refused_body(f"channel edit of {message_id}", data, MESSAGE_EDIT)
        if refused is not None:
            return refused
        self._check_message(f"channel edit of {message_id}", data)
        self.channel_edits.append(Call("PATCH", request.path, data, time.monotonic(), _port(request)))
        for key in ("content", "embeds", "components"):
            if key in data:
                message[key] = data[key] or ([] if key != "content" else "")
        message["edited_timestamp"] = "2026-11-27T00:00:01+00:00"
        return _json(message)
