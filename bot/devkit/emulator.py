"""A local stand-in for the Slack Web API: records calls, keeps a little state, injects faults."""

from __future__ import annotations

import asyncio
import base64
import copy
import itertools
import json
import math
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.devkit import emulator_tiers
from bot.devkit.emulator_socket import SocketModeEndpoint
from bot.devkit.local_server import LocalServer

# Arguments that clients may send as JSON strings inside a form body or query string.
_JSON_ARGS = ("blocks", "metadata", "attachments", "view", "files")
_SERVER_ERRORS = {500: "internal_error", 503: "service_unavailable"}
_TEXT_TYPES = ("plain_text", "mrkdwn")
_BLOCK_TYPES = frozenset(
    {
        "actions", "alert", "call", "card", "carousel", "container", "context",
        "context_actions", "divider", "file", "header", "image", "input", "markdown", "plan",
        "rich_text", "section", "table", "task_card", "video",
    }
)  # fmt: skip
_ELEMENT_TYPES = frozenset(
    {
        "button", "channels_select", "checkboxes", "conversations_select", "datepicker",
        "datetimepicker", "email_text_input", "external_select", "feedback_buttons",
        "file_input", "icon_button", "image", "multi_channels_select",
        "multi_conversations_select", "multi_external_select", "multi_static_select",
        "multi_users_select", "number_input", "overflow", "plain_text_input", "radio_buttons",
        "rich_text_input", "static_select", "timepicker", "url_text_input", "users_select",
        "workflow_button",
    }
)  # fmt: skip
_OPTION_LIMITS = {
    "static_select": 100,
    "multi_static_select": 100,
    "overflow": 5,
    "checkboxes": 10,
    "radio_buttons": 10,
}


@dataclass
class Call:
    """One request the emulator answered."""

    method: str
    args: dict[str, Any]
    http_method: str
    ok: bool
    at: float = field(default_factory=time.monotonic)  # when it arrived
    status: int = 200  # the HTTP status of the answer


@dataclass
class _User:
    id: str
    email: str | None
    name: str
    tz: str
    locale: str
    deleted: bool
    is_bot: bool
    dm_error: str | None
    team_id: str | None = None  # None: the bot's own workspace; else another organisation
    guest: bool = False  # a guest of the workspace (Slack's is_restricted)


@dataclass
class _Fault:
    status: int
    error: str | None
    retry_after: int = 1


@dataclass
class _Chaos:
    status: int
    probability: float
    rng: random.Random


@dataclass
class _Bucket:
    rate: float
    burst: int
    tokens: float
    stamp: float

    def take(self, now: float) -> float:
        """Take a token; return 0 on success, else the seconds until one is free."""
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class _ApiError(Exception):
    """A Slack error answer: `{"ok": false, "error": ...}` plus extra fields."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


class SlackEmulator(LocalServer):
    """An aiohttp server answering `/api/<method>` the way Slack does, with fault injection."""

    def __init__(
        self,
        *,
        bot_user_id: str = "UBOT",
        team_id: str = "T0001",
        clock: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`clock` stamps messages (`ts`); `monotonic` times the rate limits' buckets."""
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self.bot_id = "B0001"
        self.calls: list[Call] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self._users: dict[str, _User] = {}
        self._dms: dict[str, str] = {}
        self._dm_users: dict[str, str] = {}
        self._channel_members: dict[str, list[str]] = {}  # channels whose members are known
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._reactions: set[tuple[str, str, str]] = set()
        self._triggers: set[str] = set()
        self._external_ids: dict[str, str] = {}
        self._homes: dict[str, str] = {}
        self._uploads: dict[str, bytes] = {}
        self._response_keys: set[str] = set()
        self._faults: dict[str, deque[_Fault]] = {}
        self._chaos: dict[str, _Chaos] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._hangs: dict[str, asyncio.Event] = {}
        self._lost: dict[str, _Chaos] = {}
        self._latency: dict[str, float] = {}
        self.tiers: emulator_tiers.TierLimits | None = None  # limit_tiers() switches them on
        self._in_flight: dict[str, int] = {}
        self.peak_in_flight: dict[str, int] = {}
        self._released = asyncio.Event()
        self._ids = itertools.count(1)
        self._clock = clock
        self._monotonic = monotonic
        self.socket_mode = SocketModeEndpoint()
        self._last_micros = 0
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._connections_open,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.getPermalink": self._get_permalink,
            "conversations.open": self._open,
            "conversations.history": self._history,
            "conversations.members": self._members,
            "users.lookupByEmail": self._lookup_by_email,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "reactions.add": self._reactions_add,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }
        self.add_user(bot_user_id, name="vocbot", is_bot=True)

    # lifecycle

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/{method}", self._serve_api)
        app.router.add_post("/upload/{file_id}", self._serve_upload)
        app.router.add_post("/response/{key}", self._serve_response_url)
        app.router.add_get(self.socket_mode.path, self.socket_mode.serve)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._released = asyncio.Event()
        await super().start(host, port)

    async def stop(self) -> None:
        """Release held answers and shut the server down."""
        self._released.set()
        await self.socket_mode.close()
        await super().stop()

    @property
    def url(self) -> str:
        """The server's root URL, e.g. `http://127.0.0.1:PORT/`."""
        return self.root + "/"

    @property
    def api_url(self) -> str:
        """The base URL for `AsyncWebClient(base_url=...)`."""
        return self.url + "api/"

    # state set-up and inspection

    def calls_to(self, method: str, *, ok: bool | None = None) -> list[Call]:
        """Recorded calls of one method, optionally only the ok (or failed) ones."""
        return [c for c in self.calls if c.method == method and (ok is None or c.ok == ok)]

    def add_user(
        self,
        user_id: str,
        *,
        email: str | None = None,
        name: str = "",
        tz: str = "UTC",
        locale: str = "en-US",
        deleted: bool = False,
        is_bot: bool = False,
        dm_error: str | None = None,
        team_id: str | None = None,
        guest: bool = False,
    ) -> None:
        """Add (or replace) a workspace member, or with `team_id` someone of another team.

        Someone of another team (Slack Connect) is not found by `users.lookupByEmail`;
        `users.info` shows them with their `team_id` and `profile.email`. A DM to them is
        refused (`invalid_user_combination`) unless they share a channel with the bot;
        `dm_error` refuses it anyway (e.g. `restricted_action`: their org blocks app DMs).
        """
        ZoneInfo(tz)  # fail here, not inside a request, on a bad zone name
        if is_bot and dm_error is None:
            dm_error = "cannot_dm_bot"
        team = None if team_id == self.team_id else team_id
        self._users[user_id] = _User(
            user_id, email, name, tz, locale, deleted, is_bot, dm_error, team, guest
        )

    def add_channel(self, channel: str, members: list[str], *, bot_member: bool = True) -> None:
        """A channel with known members, e.g. a Slack Connect channel shared with a customer.

        Without `bot_member` the bot is not in it: reading its members answers
        `not_in_channel`, and so does posting in it.
        """
        _conversation(channel)
        listed = [member for member in members if member != self.bot_user_id]
        self._channel_members[channel] = [self.bot_user_id, *listed] if bot_member else listed

    def remove_channel(self, channel: str) -> None:
        """Forget a channel: Slack then answers `channel_not_found` for it."""
        self._channel_members.pop(channel, None)

    def dm_channel(self, user_id: str) -> str:
        """The stable `D…` id of the app's DM with a user."""
        if user_id not in self._dms:
            channel = "D" + user_id[1:]
            while channel in self._dm_users:
                channel += "X"
            self._dms[user_id] = channel
            self._dm_users[channel] = user_id
        return self._dms[user_id]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Stored messages of a channel (or a user's DM) in posting order."""
        if channel[:1] in ("U", "W"):
            channel = self.dm_channel(channel)
        return copy.deepcopy(self._messages.get(channel, []))

    def uploaded_files(self) -> dict[str, bytes]:
        """File id → the bytes POSTed to its upload URL."""
        return dict(self._uploads)

    def new_response_url(self) -> str:
        """A fresh response_url on this server; POSTs to it are recorded."""
        key = f"R{next(self._ids):08d}"
        self._response_keys.add(key)
        return f"{self.url}response/{key}"

    # fault injection

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int = 1,
        times: int = 1,
    ) -> None:
        """Fault the next `times` calls of `method`; `times=0` clears its queued faults."""
        if status == 200 and not error:
            raise ValueError("a status 200 fault needs an error code")
        if times < 0:
            raise ValueError("times must be >= 0")
        queue = self._faults.setdefault(method, deque())
        if times == 0:
            queue.clear()
        queue.extend(_Fault(status, error, retry_after) for _ in range(times))

    def rate_limit(self, method: str, per_second: float, *, burst: int = 1) -> None:
        """Cap `method` with a token bucket; calls over the cap get 429."""
        if per_second <= 0 or burst < 1:
            raise ValueError("per_second must be > 0 and burst >= 1")
        self._buckets[method] = _Bucket(per_second, burst, float(burst), self._monotonic())

    def limit_tiers(self, *, scale: float = 1.0, burst: int = 1) -> emulator_tiers.TierLimits:
        """Answer 429 past Slack's tier limits, on a clock `scale` times real time
        (bot/devkit/emulator_tiers.py)."""
        self.tiers = emulator_tiers.TierLimits(scale=scale, burst=burst)
        return self.tiers

    def fail_randomly(self, method: str, *, status: int, probability: float, seed: int = 0) -> None:
        """Answer a seeded-random share of `method` calls with `status`."""
        if status < 400:
            raise ValueError("random faults need an HTTP error status")
        self._chaos[method] = _Chaos(status, probability, random.Random(seed))

    def lose_answers(
        self, method: str, *, probability: float, status: int = 503, seed: int = 0
    ) -> None:
        """Carry out a seeded-random share of `method` calls, then answer `status` anyway.

        What a proxy's 503 or a dropped connection looks like: Slack stored the message but
        the caller never heard. `probability=0` stops it.
        """
        if status < 500:
            raise ValueError("a lost answer is a server error status")
        if probability <= 0:
            self._lost.pop(method, None)
            return
        self._lost[method] = _Chaos(status, probability, random.Random(seed))

    def delay(self, method: str, seconds: float) -> None:
        """Answer every `method` call `seconds` late, as a distant server would."""
        self._latency[method] = seconds

    def hang_after_store(self, method: str) -> asyncio.Event:
        """Process and store the next `method` call, then hold its answer until `stop()`."""
        event = asyncio.Event()
        self._hangs[method] = event
        return event

    # HTTP plumbing

    async def _serve_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        self._in_flight[method] = self._in_flight.get(method, 0) + 1
        self.peak_in_flight[method] = max(
            self.peak_in_flight.get(method, 0), self._in_flight[method]
        )
        try:
            if method in self._latency:
                await asyncio.sleep(self._latency[method])
            return await self._answer_api(request, method)
        finally:
            self._in_flight[method] -= 1

    async def _answer_api(self, request: web.Request, method: str) -> web.StreamResponse:
        try:
            args = await _read_args(request)
        except _ApiError as exc:
            self.calls.append(Call(method, {}, request.method, False))
            return web.json_response({"ok": False, "error": exc.error})
        call = Call(method, args, request.method, False)
        faulted = self._fault_response(method)
        if faulted is not None:
            call.status = faulted.status
            self.calls.append(call)
            return faulted
        try:
            handler = self._handlers.get(method)
            if handler is None:
                raise _ApiError("unknown_method")
            _check_token(request, args, app_level=method == "apps.connections.open")
            body: dict[str, Any] = {"ok": True, **handler(args)}
        except _ApiError as exc:
            body = {"ok": False, "error": exc.error, **exc.extra}
        call.ok = body["ok"]
        self.calls.append(call)
        lost = self._lost.get(method)
        if lost is not None and body["ok"] and lost.rng.random() < lost.probability:
            call.status, call.ok = lost.status, False  # stored above; the answer goes missing
            return _fault_answer(_Fault(lost.status, None))
        hang = self._hangs.pop(method, None)
        if hang is not None:
            hang.set()
            await self._released.wait()
        return web.json_response(body)

    async def _serve_upload(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["file_id"]
        if file_id not in self.files:
            return web.Response(status=404, text="file not found")
        if request.content_type == "multipart/form-data":
            form = await request.post()
            parts = [v for v in form.values() if isinstance(v, web.FileField)]
            data = parts[0].file.read() if parts else b""
        else:
            data = await request.read()
        self._uploads[file_id] = data
        return web.Response(text=f"OK - {len(data)}")

    async def _serve_response_url(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["key"] not in self._response_keys:
            return web.Response(status=404, text="no_such_response_url")
        faulted = self._fault_response("response_url")
        try:
            args = json.loads(await request.text() or "{}")
        except ValueError:
            args = {}
        if not isinstance(args, dict):
            args = {}
        if faulted is None and args.get("blocks") is not None:
            problems = validate_blocks(args["blocks"], limit=50)
            if problems:  # Slack answers a bad message on a response_url with 400
                faulted = web.Response(status=400, text="invalid_blocks")
        self.calls.append(Call("response_url", args, request.method, faulted is None))
        return faulted or web.Response(text="ok")

    def _fault_response(self, method: str) -> web.Response | None:
        queue = self._faults.get(method)
        if queue:
            return _fault_answer(queue.popleft())
        chaos = self._chaos.get(method)
        if chaos is not None and chaos.rng.random() < chaos.probability:
            return _fault_answer(_Fault(chaos.status, None))
        bucket = self._buckets.get(method)
        if bucket is not None:
            wait = bucket.take(self._monotonic())
            if wait > 0:
                return _fault_answer(_Fault(429, None, max(1, math.ceil(wait))))
        if self.tiers is not None:
            return self.tiers.check(method)
        return None

    # shared pieces of the methods

    def _next_ts(self) -> str:
        # Microsecond counter from the clock: ts values are unique and sort as strings. An
        # injected clock keeps ts in step with an app whose "now" is faked.
        now = self._clock().timestamp() if self._clock else time.time()
        micros = max(round(now * 1_000_000), self._last_micros + 1)
        self._last_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08X}"

    def _dm_to(self, user_id: str, *, unknown: str) -> str:
        user = self._users.get(user_id)
        if user is None:
            raise _ApiError(unknown)
        if user.deleted:
            raise _ApiError("account_inactive")
        if user.dm_error:
            raise _ApiError(user.dm_error)
        if user.team_id is not None and not self._shares_channel_with_bot(user_id):
            raise _ApiError("invalid_user_combination")
        return self.dm_channel(user_id)

    def _shares_channel_with_bot(self, user_id: str) -> bool:
        return any(
            user_id in members and self.bot_user_id in members
            for members in self._channel_members.values()
        )

    def _post_target(self, channel: Any) -> str:
        if isinstance(channel, str) and channel[:1] in ("U", "W"):
            return self._dm_to(channel, unknown="channel_not_found")
        channel = _conversation(channel)
        members = self._channel_members.get(channel)
        if members is not None and self.bot_user_id not in members:
            raise _ApiError("not_in_channel")
        if channel in self._dm_users:
            self._dm_to(self._dm_users[channel], unknown="channel_not_found")
        return channel

    def _find(self, channel: str, ts: Any) -> dict[str, Any]:
        for message in self._messages.get(channel, []):
            if message["ts"] == ts:
                return message
        raise _ApiError("message_not_found")

    def _store(self, channel: str, **fields: Any) -> dict[str, Any]:
        message = {
            "ts": self._next_ts(),
            "channel": channel,
            "text": "",
            "blocks": None,
            "metadata": None,
            "thread_ts": None,
            "user": self.bot_user_id,
            **copy.deepcopy(fields),
        }
        self._messages.setdefault(channel, []).append(message)
        return message

    def _public(self, message: dict[str, Any], *, metadata: bool) -> dict[str, Any]:
        """A stored message as Slack shows it in answers and history."""
        shown: dict[str, Any] = {
            "type": "message",
            "user": message["user"],
            "bot_id": self.bot_id,
            "team": self.team_id,
            "text": message["text"],
            "ts": message["ts"],
        }
        for key in ("blocks", "thread_ts", "files"):
            if message.get(key) is not None:
                shown[key] = message[key]
        if metadata and message["metadata"] is not None:
            shown["metadata"] = message["metadata"]
        return copy.deepcopy(shown)

    def _user_object(self, user: _User, *, locale: bool) -> dict[str, Any]:
        offset = datetime.now(ZoneInfo(user.tz)).utcoffset()
        shown: dict[str, Any] = {
            "id": user.id,
            "team_id": user.team_id or self.team_id,
            "name": user.name or user.id.lower(),
            "real_name": user.name,
            "deleted": user.deleted,
            "is_bot": user.is_bot,
            "is_restricted": user.guest,
            "is_ultra_restricted": False,
            "tz": user.tz,
            "tz_label": user.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": {"real_name": user.name, "display_name": user.name},
        }
        if user.email is not None:
            shown["profile"]["email"] = user.email
        if locale:
            shown["locale"] = user.locale
        return shown

    # Web API methods: each returns the ok answer's fields or raises _ApiError

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://acme.slack.com/",
            "team": "Acme",
            "user": "vocbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _connections_open(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {"url": "ws" + self.url.removeprefix("http").rstrip("/") + self.socket_mode.path}

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._post_target(args.get("channel"))
        text, blocks = _content(args, text_limit=40_000)
        metadata = _metadata(args)
        thread_ts = args.get("thread_ts") or None
        message = self._store(
            channel, text=text, blocks=blocks, metadata=metadata, thread_ts=thread_ts
        )
        return {
            "channel": channel,
            "ts": message["ts"],
            "message": self._public(message, metadata=True),
        }

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _conversation(args.get("channel"))
        text, blocks = _content(args, text_limit=4_000)
        metadata = _metadata(args)
        message = self._find(channel, args.get("ts"))
        if "text" in args:
            message["text"] = text
        if "blocks" in args:
            message["blocks"] = copy.deepcopy(blocks)
        if metadata is not None:
            message["metadata"] = copy.deepcopy(metadata)
        return {
            "channel": channel,
            "ts": message["ts"],
            "text": message["text"],
            "message": self._public(message, metadata=True),
        }

    def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._post_target(args.get("channel"))
        if not args.get("user"):
            raise _ApiError("user_not_in_channel")
        _content(args, text_limit=40_000)
        return {"message_ts": self._next_ts(), "channel": channel}

    def _get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _conversation(args.get("channel"))
        ts = self._find(channel, args.get("message_ts"))["ts"]
        link = f"https://acme.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def _open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if not users:
            raise _ApiError("users_list_not_supplied")
        if len(users) > 1:
            raise _ApiError("not_supported", detail="the emulator opens one-to-one DMs only")
        return {"channel": {"id": self._dm_to(users[0], unknown="user_not_found")}}

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _conversation(args.get("channel"))
        oldest = _ts_bound(args.get("oldest"), "invalid_ts_oldest")
        latest = _ts_bound(args.get("latest"), "invalid_ts_latest")
        inclusive = _flag(args.get("inclusive"))
        with_metadata = _flag(args.get("include_all_metadata"))
        found = [
            m
            for m in reversed(self._messages.get(channel, []))
            if m["thread_ts"] in (None, m["ts"])  # replies live in threads, not history
            and _within(Decimal(m["ts"]), oldest, latest, inclusive=inclusive)
        ]
        start = _decode_cursor(args.get("cursor"))
        try:
            limit = max(1, min(999, int(args.get("limit") or 100)))
        except ValueError:
            raise _ApiError("invalid_limit") from None
        page = found[start : start + limit]
        more = start + limit < len(found)
        result: dict[str, Any] = {
            "messages": [self._public(m, metadata=with_metadata) for m in page],
            "has_more": more,
            "pin_count": 0,
        }
        if more:
            result["response_metadata"] = {"next_cursor": _encode_cursor(start + limit)}
        return result

    def _lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email") or "").lower()
        for user in self._users.values():
            if email and (user.email or "").lower() == email and user.team_id is None:
                return {"user": self._user_object(user, locale=False)}
        raise _ApiError("users_not_found")

    def _members(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _conversation(args.get("channel"))
        members = self._channel_members.get(channel)
        if members is None:
            raise _ApiError("channel_not_found")
        if self.bot_user_id not in members:
            raise _ApiError("not_in_channel")
        start = _decode_cursor(args.get("cursor"))
        try:
            limit = max(1, min(1000, int(args.get("limit") or 100)))
        except ValueError:
            raise _ApiError("invalid_limit") from None
        page = members[start : start + limit]
        more = start + limit < len(members)
        return {
            "members": list(page),
            "response_metadata": {"next_cursor": _encode_cursor(start + limit) if more else ""},
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(args.get("user")))
        if user is None:
            raise _ApiError("user_not_found")
        return {"user": self._user_object(user, locale=_flag(args.get("include_locale")))}

    def _users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        ours = [user for user in self._users.values() if user.team_id is None]
        show = lambda user, locale: self._user_object(user, locale=locale)  # noqa: E731
        return emulator_tiers.users_list(ours, show, args, _ApiError)

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = _view_arg(args, kind="modal")
        trigger = self._use_trigger(args)
        return {"view": self._save_view(view, "modal", {"trigger_id": trigger})}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._views_open(args)

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id") or self._external_ids.get(str(args.get("external_id")))
        stored = self.views.get(str(view_id))
        if stored is None:
            raise _ApiError("not_found")
        view = _view_arg(args, kind=stored["kind"])
        given_hash = args.get("hash")
        if given_hash and given_hash != stored["view"]["hash"]:
            raise _ApiError("hash_conflict")
        owner = {k: v for k, v in stored.items() if k not in ("view", "kind")}
        return {"view": self._save_view(view, stored["kind"], owner, view_id=stored["view"]["id"])}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = args.get("user_id")
        if not isinstance(user_id, str) or not user_id:
            raise _ApiError("invalid_arguments")
        view = _view_arg(args, kind="home")
        home_id = self._homes.get(user_id)
        saved = self._save_view(view, "home", {"user_id": user_id}, view_id=home_id)
        self._homes[user_id] = saved["id"]
        return {"view": saved}

    def _use_trigger(self, args: dict[str, Any]) -> str:
        trigger = args.get("trigger_id")
        if not isinstance(trigger, str) or not trigger:
            raise _ApiError("invalid_trigger_id")
        if trigger in self._triggers:
            raise _ApiError("expired_trigger_id")
        self._triggers.add(trigger)
        return trigger

    def _save_view(
        self, view: dict[str, Any], kind: str, owner: dict[str, Any], *, view_id: str | None = None
    ) -> dict[str, Any]:
        view_id = view_id or self._new_id("V")
        external_id = view.get("external_id")
        if external_id and self._external_ids.get(external_id, view_id) != view_id:
            raise _ApiError("duplicate_external_id")
        saved = {
            "callback_id": "",
            "private_metadata": "",
            "external_id": "",
            "state": {"values": {}},
            **copy.deepcopy(view),
            "id": view_id,
            "team_id": self.team_id,
            "hash": f"{int(time.time())}.{self._new_id('h')}",
            "root_view_id": view_id,
            "app_id": "A0001",
            "bot_id": self.bot_id,
        }
        if external_id:
            self._external_ids[external_id] = view_id
        self.views[view_id] = {"view": saved, **owner, "kind": kind}
        return copy.deepcopy(saved)

    def _reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _conversation(args.get("channel"))
        if not args.get("name"):
            raise _ApiError("invalid_name")
        if not args.get("timestamp"):
            raise _ApiError("bad_timestamp")
        key = (channel, str(args["timestamp"]), str(args["name"]))
        if key in self._reactions:
            raise _ApiError("already_reacted")
        self._reactions.add(key)
        return {}

    def _get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = args.get("filename")
        try:
            length = int(args.get("length") or "")
        except ValueError:
            raise _ApiError("invalid_arguments") from None
        if not filename:
            raise _ApiError("invalid_arguments")
        file_id = self._new_id("F")
        self.files[file_id] = {
            "id": file_id,
            "name": filename,
            "title": filename,
            "size": length,
            "channels": [],
        }
        return {"upload_url": f"{self.url}upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        entries = args.get("files")
        if not isinstance(entries, list) or not entries:
            raise _ApiError("invalid_arguments")
        ids = [e.get("id") if isinstance(e, dict) else None for e in entries]
        if any(i not in self.files or i not in self._uploads for i in ids):
            raise _ApiError("file_not_found")
        channel = _conversation(args["channel_id"]) if args.get("channel_id") else None
        for entry in entries:
            found = self.files[entry["id"]]
            found["title"] = entry.get("title") or found["title"]
            if channel is not None:
                found["channels"].append(channel)
        shared = [copy.deepcopy(self.files[entry["id"]]) for entry in entries]
        if channel is not None:
            self._store(
                channel,
                text=str(args.get("initial_comment") or ""),
                thread_ts=args.get("thread_ts") or None,
                files=shared,
            )
        return {"files": shared}


# request helpers


async def _read_args(request: web.Request) -> dict[str, Any]:
    """Merge the query string with a form or JSON body, parsing JSON-valued arguments."""
    args: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.body_exists:
        if request.content_type == "application/json":
            raw = await request.text()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise _ApiError("invalid_json") from None
                if not isinstance(body, dict):
                    raise _ApiError("invalid_json")
                args.update(body)
        else:
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
    for key in _JSON_ARGS:
        value = args.get(key)
        if isinstance(value, str) and value.lstrip().startswith(("[", "{")):
            try:
                args[key] = json.loads(value)
            except ValueError:
                pass  # left as a string; validation reports it
    return args


def _check_token(request: web.Request, args: dict[str, Any], *, app_level: bool = False) -> None:
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else args.get("token")
    if not token:
        raise _ApiError("not_authed")
    if not isinstance(token, str) or not token.startswith("xapp-" if app_level else "xoxb-"):
        raise _ApiError("invalid_auth")


def _fault_answer(fault: _Fault) -> web.Response:
    if fault.status == 429:
        return web.json_response(
            {"ok": False, "error": fault.error or "ratelimited"},
            status=429,
            headers={"Retry-After": str(int(fault.retry_after))},
        )
    error = fault.error or _SERVER_ERRORS.get(fault.status, "fatal_error")
    return web.json_response({"ok": False, "error": error}, status=fault.status)


def _conversation(channel: Any) -> str:
    if not isinstance(channel, str) or channel[:1] not in ("C", "D", "G") or len(channel) < 2:
        raise _ApiError("channel_not_found")
    return channel


def _content(args: dict[str, Any], *, text_limit: int) -> tuple[str, Any]:
    """Check a message's text and blocks; return them."""
    text = args.get("text")
    text = "" if text is None else str(text)
    blocks = args.get("blocks")
    if not text and not blocks and not args.get("attachments"):
        raise _ApiError("no_text")
    if len(text) > text_limit:
        raise _ApiError("msg_too_long")
    if blocks is not None and blocks != "":
        problems = validate_blocks(blocks, limit=50)
        if problems:
            raise _ApiError("invalid_blocks", errors=problems)
    return text, blocks


def _metadata(args: dict[str, Any]) -> dict[str, Any] | None:
    metadata = args.get("metadata")
    if metadata is None or metadata == "":
        return None
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload", {}), dict)
    ):
        raise _ApiError("invalid_metadata_format")
    return metadata


def _view_arg(args: dict[str, Any], *, kind: str) -> dict[str, Any]:
    view = args.get("view")
    if not isinstance(view, dict):
        raise _ApiError("invalid_arguments")
    problems = validate_view(view)
    if view.get("type") != kind:
        problems.append(f"view: type must be {kind!r} here")
    if problems:
        raise _ApiError("invalid_blocks", errors=problems)
    return view


def _flag(value: Any) -> bool:
    return value is True or value in ("true", "1", 1)


def _ts_bound(value: Any, error: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise _ApiError(error) from None


def _within(
    ts: Decimal, oldest: Decimal | None, latest: Decimal | None, *, inclusive: bool
) -> bool:
    if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
        return False
    return latest is None or ts < latest or (ts == latest and inclusive)


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: Any) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(str(cursor)).decode().removeprefix("offset:"))
    except ValueError:
        raise _ApiError("invalid_cursor") from None


# Block Kit validation


def validate_blocks(blocks: list[dict[str, Any]], *, limit: int) -> list[str]:
    """Problems Slack would answer `invalid_blocks` for; empty when the blocks are fine."""
    checker = _Checker()
    checker.blocks(blocks, limit)
    return checker.errors


def validate_view(view: dict[str, Any]) -> list[str]:
    """Problems with a modal or Home tab view; empty when it is fine."""
    if not isinstance(view, dict):
        return ["view: must be an object"]
    checker = _Checker()
    kind = view.get("type")
    if kind not in ("modal", "home"):
        checker.fail("view", f"unknown view type {kind!r}")
    checker.blocks(view.get("blocks"), 100)
    checker.length("view", view.get("private_metadata"), 3_000, "private_metadata")
    checker.length("view", view.get("callback_id"), 255, "callback_id")
    checker.length("view", view.get("external_id"), 255, "external_id")
    if kind == "modal":
        checker.text("view.title", view.get("title"), 24, plain=True)
        for key in ("submit", "close"):
            if view.get(key) is not None:
                checker.text(f"view.{key}", view[key], 24, plain=True)
        blocks = view.get("blocks")
        if not isinstance(blocks, list):
            blocks = []
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and view.get("submit") is None:
            checker.fail("view", "a modal with input blocks needs a submit button")
    if len(json.dumps(view)) > 250_000:
        checker.fail("view", "over 250 kB")
    return checker.errors


class _Checker:
    """Collects Block Kit problems as `where: what` strings."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def length(self, where: str, value: Any, limit: int, what: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.fail(where, f"{what} is {len(value)} chars, over {limit}")

    def text(self, where: str, obj: Any, limit: int, *, plain: bool = False) -> None:
        allowed = ("plain_text",) if plain else _TEXT_TYPES
        if not isinstance(obj, dict) or obj.get("type") not in allowed:
            self.fail(where, f"must be a text object of type {' or '.join(allowed)}")
            return
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self.fail(where, "text must be a non-empty string")
            return
        self.length(where, text, limit, "text")

    def blocks(self, blocks: Any, limit: int) -> None:
        if not isinstance(blocks, list):
            self.fail("blocks", "must be a list")
            return
        if len(blocks) > limit:
            self.fail("blocks", f"{len(blocks)} blocks, over {limit}")
        block_ids: set[str] = set()
        for i, block in enumerate(blocks):
            where = f"blocks[{i}]"
            if not isinstance(block, dict) or block.get("type") not in _BLOCK_TYPES:
                kind = block.get("type") if isinstance(block, dict) else None
                self.fail(where, f"unknown block type {kind!r}")
                continue
            block_id = block.get("block_id")
            if block_id is not None:
                self._identifier(where, "block_id", block_id, block_ids)
            check = getattr(self, f"_{block['type']}", None)
            if check is not None:
                check(where, block)

    def _identifier(self, where: str, what: str, value: Any, seen: set[str]) -> None:
        if not isinstance(value, str) or not value:
            self.fail(where, f"{what} must be a non-empty string")
            return
        self.length(where, value, 255, what)
        if value in seen:
            self.fail(where, f"duplicate {what} {value!r}")
        seen.add(value)

    def _section(self, where: str, block: dict[str, Any]) -> None:
        text, fields = block.get("text"), block.get("fields")
        if text is None and not fields:
            self.fail(where, "a section needs text or fields")
        if text is not None:
            self.text(f"{where}.text", text, 3_000)
        if fields is not None:
            if not isinstance(fields, list) or len(fields) > 10:
                self.fail(where, "fields must be a list of at most 10 text objects")
            else:
                for j, field in enumerate(fields):
                    self.text(f"{where}.fields[{j}]", field, 2_000)
        if block.get("accessory") is not None:
            self.element(f"{where}.accessory", block["accessory"], set())

    def _header(self, where: str, block: dict[str, Any]) -> None:
        self.text(f"{where}.text", block.get("text"), 150, plain=True)

    def _context(self, where: str, block: dict[str, Any]) -> None:
        elements = self._element_list(where, block, 10)
        for j, element in enumerate(elements):
            if isinstance(element, dict) and element.get("type") == "image":
                self.element(f"{where}.elements[{j}]", element, set())
            else:
                self.text(f"{where}.elements[{j}]", element, 3_000)

    def _actions(self, where: str, block: dict[str, Any]) -> None:
        action_ids: set[str] = set()
        for j, element in enumerate(self._element_list(where, block, 25)):
            self.element(f"{where}.elements[{j}]", element, action_ids)

    def _input(self, where: str, block: dict[str, Any]) -> None:
        self.text(f"{where}.label", block.get("label"), 2_000, plain=True)
        if block.get("hint") is not None:
            self.text(f"{where}.hint", block["hint"], 2_000, plain=True)
        if block.get("element") is None:
            self.fail(where, "an input block needs an element")
        else:
            self.element(f"{where}.element", block["element"], set())

    def _image(self, where: str, block: dict[str, Any]) -> None:
        self.element(where, {**block, "type": "image"}, set())
        if block.get("title") is not None:
            self.text(f"{where}.title", block["title"], 2_000, plain=True)

    def _markdown(self, where: str, block: dict[str, Any]) -> None:
        text = block.get("text")
        if not isinstance(text, str) or not text:
            self.fail(where, "a markdown block needs text")
        self.length(where, text, 12_000, "text")

    def _element_list(self, where: str, block: dict[str, Any], limit: int) -> list[Any]:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.fail(where, "elements must be a non-empty list")
            return []
        if len(elements) > limit:
            self.fail(where, f"{len(elements)} elements, over {limit}")
        return elements

    def element(self, where: str, element: Any, action_ids: set[str]) -> None:
        kind = element.get("type") if isinstance(element, dict) else None
        if not isinstance(element, dict) or kind not in _ELEMENT_TYPES:
            self.fail(where, f"unknown element type {kind!r}")
            return
        if element.get("action_id") is not None:
            self._identifier(where, "action_id", element["action_id"], action_ids)
        if element.get("placeholder") is not None:
            self.text(f"{where}.placeholder", element["placeholder"], 150, plain=True)
        if kind == "button":
            self.text(f"{where}.text", element.get("text"), 75, plain=True)
            self.length(where, element.get("value"), 2_000, "value")
            self.length(where, element.get("url"), 3_000, "url")
        elif kind == "image":
            if not element.get("image_url") and not element.get("slack_file"):
                self.fail(where, "an image needs image_url or slack_file")
            self.length(where, element.get("image_url"), 3_000, "image_url")
            if not isinstance(element.get("alt_text"), str) or not element["alt_text"]:
                self.fail(where, "an image needs alt_text")
        elif kind == "plain_text_input":
            for key in ("max_length", "min_length"):
                value = element.get(key)
                if value is not None and (not isinstance(value, int) or not 0 <= value <= 3_000):
                    self.fail(where, f"{key} must be between 0 and 3000")
        if kind in _OPTION_LIMITS:
            self._options_of(where, element, _OPTION_LIMITS[kind])

    def _options_of(self, where: str, element: dict[str, Any], limit: int) -> None:
        plain = element["type"] not in ("checkboxes", "radio_buttons")
        groups = element.get("option_groups")
        if groups is not None and "static_select" in element["type"]:
            if not isinstance(groups, list) or len(groups) > 100:
                self.fail(where, "option_groups must be a list of at most 100 groups")
                return
            for j, group in enumerate(groups):
                inner = group.get("options") if isinstance(group, dict) else None
                self._options(f"{where}.option_groups[{j}]", inner, limit, plain=plain)
            return
        self._options(where, element.get("options"), limit, plain=plain)

    def _options(self, where: str, options: Any, limit: int, *, plain: bool) -> None:
        if not isinstance(options, list) or not options:
            self.fail(where, "options must be a non-empty list")
            return
        if len(options) > limit:
            self.fail(where, f"{len(options)} options, over {limit}")
        for j, option in enumerate(options):
            at = f"{where}.options[{j}]"
            if not isinstance(option, dict):
                self.fail(at, "an option must be an object")
                continue
            self.text(f"{at}.text", option.get("text"), 75, plain=plain)
            if not isinstance(option.get("value"), str) or not option["value"]:
                self.fail(at, "an option needs a value")
            self.length(at, option.get("value"), 150, "value")
            if option.get("description") is not None:
                self.text(f"{at}.description", option["description"], 75, plain=plain)
