"""`python -m bot sandbox`: the app, its scheduler and a Slack-like page to use them by hand.

It starts what the demo starts (bot/devkit/demo.py: the Slack emulator, a local HubSpot, the
app serving `POST /slack/events`, the demo's sample accounts), sends the NPS survey, lets a
few people answer, and starts the scheduler on an injected clock. The emulator then serves a
page (bot/devkit/sandbox_routes.py, static files in bot/devkit/sandbox/) where one acts as a
person of the sample: every tap, modal submission and `/voc` command goes to the app as the
same signed request Slack sends.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import signal
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from blocks.ids import ActionId
from bot.devkit import demo as sample
from bot.devkit import sandbox_routes
from bot.devkit.demo import ADMIN, CONNECT_CHANNEL, CONNECT_CSV, CSMS, SUPPORT, VOC_CHANNEL, Demo
from bot.devkit.payloads import (
    TEAM,
    app_home_opened,
    block_suggestion,
    form_body,
    interactive_body,
    signed_headers,
    signed_json_headers,
    slash_command,
    view_submission,
)
from bot.devkit.sandbox_emulator import Origin, SandboxEmulator, SandboxError
from bot.scheduler import build_scheduler, drain, stop_scheduler
from bot.services import crm_admin, crm_sync
from bot.services.digest import post_now
from bot.services.history import import_responses
from bot.services.importer import import_contacts
from bot.services.surveys import start_relationship_campaign

DIGEST_CHANNEL = "CDIGEST"
SCHEDULER_TICK = timedelta(seconds=5)  # real seconds between the scheduler's passes
CLOCK_STEP = timedelta(hours=6)  # a jump of the clock runs the scheduler at least this often
STAFF = (CSMS[0].user_id, CSMS[1].user_id, ADMIN, SUPPORT.user_id)


@dataclass(frozen=True)
class Persona:
    user_id: str
    name: str
    role: str
    hint: str
    team: str | None = None  # another organisation's team id


PERSONAS = (
    Persona(
        CSMS[0].user_id,
        "Siti Rahman",
        "CSM",
        "Claim a card in #voc and log the follow-up, or type /voc Acme: they want SSO #feature",
    ),
    Persona(
        ADMIN,
        "Priya",
        "admin",
        "Type /voc help or /voc campaigns, or post the digest from the Terminal on the left",
    ),
    Persona(
        "U101",
        "Olivia",
        "customer · Acme Logistics",
        "Tap a score in the survey the VoC bot sent you, then tell them why",
    ),
    Persona(
        "U9KIN02",
        "Marcus",
        "customer · Kinabalu Freight (Slack Connect)",
        "Answer the survey in #kinabalu-freight: only you see your score",
        sample.CONNECT_TEAM,
    ),
    Persona(
        SUPPORT.user_id,
        "Mei Tan",
        "support manager",
        "Open the Home tab, or move the clock to watch reminders and escalations",
    ),
)
CHANNELS = (
    (VOC_CHANNEL, "voc", STAFF),
    (DIGEST_CHANNEL, "voc-digest", STAFF),
    (CONNECT_CHANNEL, "kinabalu-freight", (CSMS[0].user_id, "U9KIN01", "U9KIN02")),
)
# Accounts whose people answer before the page opens (the demo's scores): #voc has cards.
ANSWERED_ACCOUNTS = (1, 2, 3)


class Sandbox:
    """The running sample: the demo's wiring, the page's emulator and the scheduler."""

    def __init__(self, workdir: Path, port: int = 0) -> None:
        self.workdir = workdir
        self.demo = Demo(workdir, io.StringIO())
        self.emulator = SandboxEmulator(clock=self.demo.clock, port=port)
        self.demo.emulator = self.demo.transcript.emulator = self.emulator
        self.clock = self.demo.clock
        self.scheduler: AsyncIOScheduler | None = None
        self.lock = asyncio.Lock()  # one clock jump at a time
        self.emulator.page_routes = lambda app: sandbox_routes.register(app, self)

    @property
    def url(self) -> str:
        return self.emulator.url

    async def __aenter__(self) -> Sandbox:
        await self.demo.__aenter__()
        try:
            await self._seed()
        except BaseException:
            await self.demo.__aexit__(None, None, None)
            raise
        settings = self.demo.runtime.settings
        settings.scheduler_tick = SCHEDULER_TICK
        self.scheduler = build_scheduler(self.demo.runtime)
        self.scheduler.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self.scheduler is not None:
            await stop_scheduler(self.scheduler, self.demo.runtime)
        await self.demo.__aexit__(None, None, None)

    async def _seed(self) -> None:
        """The demo's accounts from HubSpot, the survey sent, some people answered."""
        rt, clock, emulator = self.demo.runtime, self.clock, self.emulator
        settings = rt.settings
        settings.digest_channel = DIGEST_CHANNEL
        settings.support_managers = [SUPPORT.user_id]
        settings.voc_staff = [CSMS[0].user_id, CSMS[1].user_id]
        emulator.add_user(ADMIN, name="Priya (admin)", email="priya@vendor.example")
        emulator.add_channel(VOC_CHANNEL, list(STAFF))
        emulator.add_channel(DIGEST_CHANNEL, list(STAFF))
        await crm_admin.setup(rt)
        await crm_sync.sync(rt, now=clock())
        await import_contacts(db=rt.db, csv_text=CONNECT_CSV, now=clock())
        await start_relationship_campaign(rt, kind="nps", now=clock(), send_now=True)
        await self.demo.run_due()
        for index, person in enumerate(self.demo.people):
            account, position = divmod(index, 5)
            score = sample.SCORES[account][position]
            if account not in ANSWERED_ACCOUNTS or score is None:
                continue
            channel, messages = self.demo.dm(person.user_id)
            await self.demo.tap(
                person.user_id, channel, messages[0], f"{ActionId.RATE_PREFIX}{score}"
            )
        history = sample.history_csv(self.demo.people, _next_monday(clock()))
        await import_responses(db=rt.db, csv_text=history)
        await self.demo.run_due()

    # what the page shows

    def names(self) -> dict[str, str]:
        shown = {p.user_id: p.name for p in self.demo.people + list(sample.CONNECT_PEOPLE)}
        shown |= {s.user_id: s.name.split(" (")[0] for s in (*CSMS, SUPPORT)}
        shown |= {ADMIN: "Priya", self.emulator.bot_user_id: "VoC bot"}
        return shown

    def persona(self, user_id: str) -> Persona:
        for persona in PERSONAS:
            if persona.user_id == user_id:
                return persona
        raise SandboxError(f"nobody called {user_id!r} in the sandbox; pick someone in the list")

    def conversations(self, user: str) -> list[dict[str, str]]:
        shown = [
            {"id": channel, "name": f"#{name}", "kind": "channel"}
            for channel, name, members in CHANNELS
            if user in members
        ]
        if self.persona(user).team is None:
            dm = self.emulator.dm_channel(user)
            shown.append({"id": dm, "name": "VoC bot", "kind": "dm"})
        return shown

    def version(self) -> str:
        emulator = self.emulator
        return f"{len(emulator.calls)}.{emulator.changes}.{self.clock().timestamp():.0f}"

    def state(self, user: str) -> dict[str, Any]:
        known = any(p.user_id == user for p in PERSONAS)
        persona = self.persona(user) if known else PERSONAS[0]
        user = persona.user_id
        emulator = self.emulator
        conversations = self.conversations(user)
        messages: dict[str, list[dict[str, Any]]] = {}
        for conversation in conversations:
            channel = conversation["id"]
            shown = [self._message(m, channel) for m in emulator.stored(channel)]
            shown += [
                {
                    "ts": e.ts,
                    "ephemeral": e.id,
                    "user": emulator.bot_user_id,
                    "text": e.text,
                    "blocks": e.blocks,
                    "thread_ts": e.thread_ts,
                    "files": [],
                }
                for e in emulator.ephemerals
                if e.user == user and e.channel == channel
            ]
            messages[channel] = sorted(shown, key=lambda m: float(m["ts"]))
        stack = emulator.stack(user)
        modal = emulator.views[stack[-1]]["view"] if stack else None
        home = emulator.home_view(user)
        return {
            "version": self.version(),
            "clock": _clock_label(self.clock()),
            "me": {"id": user, "name": persona.name, "role": persona.role, "hint": persona.hint},
            "admin": user == ADMIN,
            "people": [{"id": p.user_id, "name": p.name, "role": p.role} for p in PERSONAS],
            "names": self.names(),
            "conversations": conversations,
            "messages": messages,
            "modal": modal,
            "modal_depth": len(stack),
            "home": home,
        }

    def _message(self, message: dict[str, Any], channel: str) -> dict[str, Any]:
        files = [
            {"id": f["id"], "title": f.get("title") or f.get("name"), "url": f"files/{f['id']}"}
            for f in message.get("files") or []
        ]
        return {
            "ts": message["ts"],
            "user": message.get("user"),
            "text": message.get("text") or "",
            "blocks": message.get("blocks"),
            "thread_ts": message.get("thread_ts"),
            "files": files,
            "channel": channel,
        }

    # a person's hands

    async def act(self, user: str, request: dict[str, Any]) -> dict[str, Any]:
        """A button, select or overflow used in a message or a modal."""
        persona = self.persona(user)
        action = _action(request)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {
                "id": user,
                "username": persona.name.lower(),
                "name": persona.name.lower(),
                "team_id": persona.team or TEAM["id"],
            },
            "api_app_id": "A0001",
            "token": "legacy-verification-token",
            "team": TEAM,
            "trigger_id": self.emulator.trigger_for(user),
            "actions": [action],
            "state": {"values": request.get("state") or {}},
        }
        view_id = request.get("view_id")
        if view_id:
            view = self._open_view(user, str(view_id))
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = {**view, "state": {"values": request.get("state") or {}}}
        else:
            channel, ts = str(request.get("channel") or ""), str(request.get("ts") or "")
            ephemeral = request.get("ephemeral") or None
            message = self._find_message(user, channel, ts, ephemeral)
            payload["container"] = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": bool(ephemeral),
            }
            payload["channel"] = {"id": channel, "name": self._channel_name(channel)}
            payload["message"] = {"type": "message", **message}
            payload["response_url"] = self.emulator.response_url_for(
                Origin(
                    user,
                    channel,
                    message_ts=None if ephemeral else ts,
                    ephemeral_id=ephemeral,
                    thread_ts=message.get("thread_ts"),
                )
            )
        await self._post_interactive(payload)
        return {}

    async def submit(self, user: str, view_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """The modal's submit button: a view_submission; its errors come back to the page."""
        view = self._open_view(user, view_id)
        payload = view_submission(
            user=user,
            callback_id=str(view.get("callback_id") or ""),
            private_metadata=str(view.get("private_metadata") or ""),
            values=values,
        )
        payload["user"]["team_id"] = self.persona(user).team or TEAM["id"]
        payload["trigger_id"] = self.emulator.trigger_for(user)
        payload["view"] = {**view, "state": {"values": values}}
        answer = await self._post_interactive(payload)
        stack = self.emulator.stack(user)
        action = answer.get("response_action")
        if action == "errors":
            return {"errors": answer.get("errors") or {}}
        if action == "update":
            self.emulator.save_modal(user, answer["view"], replace=view_id)
        elif action == "push":
            self.emulator.save_modal(user, answer["view"])
        elif action == "clear":
            stack.clear()
        elif view_id in stack:
            stack.remove(view_id)
        self.emulator.changes += 1
        return {}

    async def suggest(self, user: str, request: dict[str, Any]) -> dict[str, Any]:
        """Typing in an external select: a block_suggestion; the app answers the options."""
        view = self._open_view(user, str(request.get("view_id")))
        payload = block_suggestion(
            user=user,
            action_id=str(request.get("action_id") or ""),
            block_id=str(request.get("block_id") or ""),
            value=str(request.get("value") or ""),
        )
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = view
        answer = await self._post_interactive(payload)
        options = list(answer.get("options") or [])
        for group in answer.get("option_groups") or []:
            options += group.get("options") or []
        return {"options": options}

    def close(self, user: str) -> dict[str, Any]:
        stack = self.emulator.stack(user)
        if stack:
            stack.pop()
        self.emulator.changes += 1
        return {}

    async def command(self, user: str, channel: str, text: str) -> dict[str, Any]:
        """The composer: `/voc …` is a signed slash command; anything else a plain message."""
        self.persona(user)
        if channel not in {c["id"] for c in self.conversations(user)}:
            raise SandboxError("pick a channel or the VoC bot DM on the left first")
        text = text.strip()
        if not text:
            raise SandboxError("type a message, or /voc help")
        if not text.startswith("/"):
            self.emulator.post_as(user, channel, text)
            return {}
        command, _, rest = text.partition(" ")
        if command != "/voc":
            raise SandboxError(f"{command} is not a command of this app; try /voc help")
        origin = Origin(user, channel)
        fields = slash_command(
            user=user,
            text=rest.strip(),
            channel=channel,
            response_url=self.emulator.response_url_for(origin),
        )
        fields["trigger_id"] = self.emulator.trigger_for(user)
        fields["user_name"] = self.persona(user).name.lower()
        fields["channel_name"] = self._channel_name(channel)
        body = form_body(fields)
        answer = await self._post(body, signed_headers(self._secret, body))
        if answer.get("text") or answer.get("blocks"):  # an ack with a message: ephemeral
            self.emulator.add_ephemeral(
                user, channel, str(answer.get("text") or ""), answer.get("blocks")
            )
        return {}

    async def open_home(self, user: str) -> dict[str, Any]:
        self.persona(user)
        body = json.dumps(app_home_opened(user=user))
        await self._post(body, signed_json_headers(self._secret, body))
        return {}

    async def post_digest(self, user: str) -> dict[str, Any]:
        """`python -m bot digest --post`, run by the admin from the page's terminal."""
        if user != ADMIN:
            raise SandboxError("only an admin runs `python -m bot digest --post`")
        await post_now(self.demo.runtime, self.clock())
        await self.demo.runtime.settle()
        self.emulator.changes += 1
        return {}

    async def move_clock(self, step: str) -> dict[str, Any]:
        """Move the app's clock; the scheduler runs at least every 6 hours of the jump."""
        now = self.clock()
        if step == "1d":
            target = now + timedelta(days=1)
        elif step == "48h":
            target = now + timedelta(hours=48)
        elif step == "monday":
            target = _next_monday(now)
        else:
            raise SandboxError(f"unknown clock step {step!r}: use 1d, 48h or monday")
        async with self.lock:
            while self.clock() < target:
                self.clock.advance(min(CLOCK_STEP, target - self.clock()))
                await drain(self.demo.runtime, self.clock())
                await self.demo.runtime.settle()
        self.emulator.changes += 1
        return {"clock": _clock_label(self.clock())}

    # plumbing

    @property
    def _secret(self) -> str:
        return self.demo.secret

    def _channel_name(self, channel: str) -> str:
        if channel.startswith("D"):
            return "directmessage"
        return next((name for c, name, _m in CHANNELS if c == channel), "general")

    def _open_view(self, user: str, view_id: str) -> dict[str, Any]:
        home = self.emulator.home_view(user)
        mine = [*self.emulator.stack(user), home["id"] if home else None]
        if view_id not in mine or view_id not in self.emulator.views:
            raise SandboxError("that modal is closed; open it again")
        return dict(self.emulator.views[view_id]["view"])

    def _find_message(
        self, user: str, channel: str, ts: str, ephemeral: str | None
    ) -> dict[str, Any]:
        if channel not in {c["id"] for c in self.conversations(user)}:
            raise SandboxError("that conversation is not one this person is in")
        if ephemeral:
            for shown in self.emulator.ephemerals:
                if shown.id == ephemeral and shown.user == user:
                    return {"ts": shown.ts, "text": shown.text, "blocks": shown.blocks or []}
            raise SandboxError("that message is gone")
        for message in self.emulator.stored(channel):
            if message["ts"] == ts:
                return {
                    key: message[key]
                    for key in ("ts", "text", "blocks", "thread_ts", "user")
                    if message.get(key) is not None
                }
        raise SandboxError("that message is gone")

    async def _post_interactive(self, payload: dict[str, Any]) -> dict[str, Any]:
        body = interactive_body(payload)
        return await self._post(body, signed_headers(self._secret, body))

    async def _post(self, body: str, headers: dict[str, str]) -> dict[str, Any]:
        """POST to the app's /slack/events as Slack does; its JSON answer, if any."""
        http = self.demo.http
        assert http is not None
        async with http.post(self.demo.url, data=body.encode(), headers=headers) as response:
            text = await response.text()
            if response.status != 200:
                raise SandboxError(f"the app answered {response.status}: {text[:200]}")
        await self.demo.runtime.settle()
        self.emulator.changes += 1
        if not text.strip():
            return {}
        try:
            answer = json.loads(text)
        except ValueError:
            return {"text": text}
        return answer if isinstance(answer, dict) else {}


def _action(request: dict[str, Any]) -> dict[str, Any]:
    kind = str(request.get("type") or "button")
    action: dict[str, Any] = {
        "type": kind,
        "action_id": str(request.get("action_id") or ""),
        "block_id": str(request.get("block_id") or ""),
        "action_ts": f"{datetime.now().timestamp():.6f}",
    }
    if kind == "button":
        action["value"] = str(request.get("value") or "")
        action["text"] = {"type": "plain_text", "text": str(request.get("text") or "")}
    else:
        option = request.get("selected_option")
        if not isinstance(option, dict):
            raise SandboxError("choose an option")
        action["selected_option"] = option
    return action


def _next_monday(now: datetime) -> datetime:
    """The next Monday 09:00 (the weekly digest's default time)."""
    monday = now + timedelta(days=(7 - now.weekday()) % 7 or 7)
    return monday.replace(hour=9, minute=0, second=0, microsecond=0)


def _clock_label(now: datetime) -> str:
    return f"{now:%a %d %b %Y, %H:%M} UTC"


async def run(out: TextIO, *, port: int = 0, workdir: Path | None = None) -> None:
    """Start the sandbox, print its URL and serve until SIGINT / SIGTERM."""
    folder = workdir or Path(tempfile.mkdtemp(prefix="vocbot-sandbox-"))
    (folder / "demo.db").unlink(missing_ok=True)
    for name in sample.NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(
        "Starting the sandbox: the demo's accounts, the survey sent, a few answers…",
        file=out,
        flush=True,
    )
    async with Sandbox(folder, port) as sandbox:
        print(f"Open {sandbox.url} in your browser. Ctrl-C stops it.", file=out, flush=True)
        await stop.wait()
