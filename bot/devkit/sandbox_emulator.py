"""The sandbox's Slack: the tests' emulator plus what a Slack client shows its people.

`SlackEmulator` keeps messages and views; this subclass also keeps what Slack shows but does
not store for the app: ephemeral messages (`chat.postEphemeral` and `response_url` replies),
whose modal is open for whom, and the page served at `/` (bot/devkit/sandbox_routes.py).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.devkit.emulator import SlackEmulator


class SandboxError(Exception):
    """A request from the page that cannot be carried out; its text is shown there."""


@dataclass
class Ephemeral:
    """A message only one person sees ("Only visible to you")."""

    id: str
    ts: str
    channel: str
    user: str
    text: str
    blocks: Any
    thread_ts: str | None = None


@dataclass
class Origin:
    """Where a response_url's replies go: who acted, in which channel, on which message."""

    user: str
    channel: str
    message_ts: str | None = None  # a public message acted on
    ephemeral_id: str | None = None  # or an ephemeral one
    thread_ts: str | None = None


@dataclass
class Sessions:
    """Per person: the modal stack (view ids, top last) and the triggers they were given."""

    modals: dict[str, list[str]] = field(default_factory=dict)
    triggers: dict[str, str] = field(default_factory=dict)  # trigger_id → user


class SandboxEmulator(SlackEmulator):
    """The emulator with the sandbox page's routes and the client-side state Slack keeps."""

    def __init__(self, *, clock: Callable[[], datetime] | None = None, port: int = 0) -> None:
        super().__init__(clock=clock)
        self.wanted_port = port
        self.ephemerals: list[Ephemeral] = []
        self.hidden: set[tuple[str, str]] = set()  # (channel, ts) deleted via response_url
        self.origins: dict[str, Origin] = {}
        self.sessions = Sessions()
        self.changes = 0  # bumped on every change the page has to show
        self._eph_ids = itertools.count(1)
        self.page_routes: Callable[[web.Application], None] | None = None

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        if self.page_routes is not None:
            self.page_routes(app)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        await super().start(host, port or self.wanted_port)

    # what the page needs

    def response_url_for(self, origin: Origin) -> str:
        url = self.new_response_url()
        self.origins[url.rsplit("/", 1)[1]] = origin
        return url

    def trigger_for(self, user: str) -> str:
        trigger = f"{next(self._eph_ids)}.{user}.sandbox"
        self.sessions.triggers[trigger] = user
        return trigger

    def stack(self, user: str) -> list[str]:
        return self.sessions.modals.setdefault(user, [])

    def add_ephemeral(
        self, user: str, channel: str, text: str, blocks: Any, thread_ts: str | None = None
    ) -> Ephemeral:
        found = Ephemeral(
            f"E{next(self._eph_ids)}", self._next_ts(), channel, user, text, blocks, thread_ts
        )
        self.ephemerals.append(found)
        self.changes += 1
        return found

    def save_modal(self, user: str, view: dict[str, Any], *, replace: str | None = None) -> str:
        """A modal the app answered a submission with (`response_action` update or push)."""
        saved = self._save_view(view, "modal", {"user_id": user}, view_id=replace)
        if replace is None:
            self.stack(user).append(saved["id"])
        self.changes += 1
        return str(saved["id"])

    def home_view(self, user: str) -> dict[str, Any] | None:
        """The Home tab the app last published for `user`, if any."""
        home_id = self._homes.get(user)
        return self.views[home_id]["view"] if home_id else None

    def post_as(self, user: str, channel: str, text: str) -> None:
        """A person's own message in a channel (the app is not told of it)."""
        self._store(channel, text=text, user=user)
        self.changes += 1

    def stored(self, channel: str) -> list[dict[str, Any]]:
        """The channel's messages as kept, without those deleted through a response_url."""
        return [m for m in self.messages(channel) if (channel, m["ts"]) not in self.hidden]

    # hooks on the Web API methods

    def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        answer = super()._post_ephemeral(args)
        self.ephemerals.append(
            Ephemeral(
                f"E{next(self._eph_ids)}",
                answer["message_ts"],
                answer["channel"],
                str(args["user"]),
                str(args.get("text") or ""),
                copy.deepcopy(args.get("blocks")),
                args.get("thread_ts") or None,
            )
        )
        self.changes += 1
        return answer

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        answer = super()._views_open(args)
        user = self.sessions.triggers.get(str(args.get("trigger_id")))
        if user is not None:
            self.sessions.modals[user] = [answer["view"]["id"]]
            self.changes += 1
        return answer

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        answer = super()._views_open(args)  # the base push is an open without the stack
        user = self.sessions.triggers.get(str(args.get("trigger_id")))
        if user is not None:
            self.stack(user).append(answer["view"]["id"])
            self.changes += 1
        return answer

    async def _serve_response_url(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        answer = await super()._serve_response_url(request)
        origin = self.origins.get(key)
        if answer.status == 200 and origin is not None:
            self._respond(origin, self.calls[-1].args)
        return answer

    def _respond(self, origin: Origin, args: dict[str, Any]) -> None:
        """A response_url reply shown where Slack shows it."""
        text, blocks = str(args.get("text") or ""), args.get("blocks")
        self.changes += 1
        if args.get("delete_original"):
            if origin.ephemeral_id:
                self.ephemerals = [e for e in self.ephemerals if e.id != origin.ephemeral_id]
            elif origin.message_ts:
                self.hidden.add((origin.channel, origin.message_ts))
            return
        if args.get("replace_original") is True or args.get("replace_original") == "true":
            for shown in self.ephemerals:
                if shown.id == origin.ephemeral_id:
                    shown.text, shown.blocks = text, blocks
                    return
            if origin.message_ts:
                for message in self._messages.get(origin.channel, []):
                    if message["ts"] == origin.message_ts:
                        message["text"], message["blocks"] = text, copy.deepcopy(blocks)
                        return
        if args.get("response_type") == "in_channel":
            self._store(origin.channel, text=text, blocks=blocks, thread_ts=origin.thread_ts)
            return
        self.add_ephemeral(origin.user, origin.channel, text, blocks, origin.thread_ts)
