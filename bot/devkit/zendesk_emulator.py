"""A local stand-in for Zendesk Support's API v2: tickets with their users, groups and forms,
the cursor-based incremental ticket export, ticket metrics, comments, the ticket update
that adds a private comment and tags, and signed webhooks.

Shaped from Zendesk's published API reference: API-token basic auth
(`{email}/token:{token}`; anything else 401 `{"error": "Couldn't authenticate you"}`), the
export's `start_time` refused within the last minute (400 InvalidValue), pages with
`after_cursor` and `end_of_stream`, 404 RecordNotFound, an update body without a `ticket`
object 400, a blank comment 422 RecordInvalid, a closed ticket 422 "closed prevents ticket
update"; a path outside /api/v2 is an HTML 404, as an unknown subdomain answers.
Webhooks are signed as Zendesk signs them: base64(HMAC-SHA256(secret, timestamp + body)).

Seed it directly (`add_user`, `add_ticket`, `solve`), point ZENDESK_URL at `.url`, then read
`notes(ticket_id)` and `tickets[id]["tags"]`. Faults: `fail(op, status, times)`, `delay`.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bot.devkit.local_server import LocalServer
from bot.domain import zendesk

EMAIL = "voc@acme.test"
TOKEN = "zd-emulator-token"
PAGE = 1000  # tickets an export page at most (Zendesk's per_page cap)


@dataclass
class _Fault:
    status: int
    times: int
    retry_after: float | None = None


@dataclass
class Call:
    op: str
    method: str
    path: str
    body: Any = None


@dataclass
class ZendeskEmulator(LocalServer):
    email: str = EMAIL
    token: str = TOKEN
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    page_size: int = PAGE
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    forms: dict[int, dict[str, Any]] = field(default_factory=dict)
    metrics: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    _faults: dict[str, _Fault] = field(default_factory=dict)
    _delays: dict[str, float] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _stamp: Any = field(default_factory=lambda: itertools.count(1))

    # -- seeding and inspecting (no HTTP) ------------------------------------------------------

    @property
    def url(self) -> str:
        return self.root

    def add_user(self, name: str, email: str, role: str = "end-user") -> int:
        user_id = next(self._ids) + 1000
        self.users[user_id] = {"id": user_id, "name": name, "email": email, "role": role}
        return user_id

    def add_group(self, name: str) -> int:
        group_id = next(self._ids) + 2000
        self.groups[group_id] = {"id": group_id, "name": name}
        return group_id

    def add_form(self, name: str, *, default: bool = False) -> int:
        form_id = next(self._ids) + 3000
        self.forms[form_id] = {"id": form_id, "name": name, "default": default}
        return form_id

    def add_ticket(
        self,
        *,
        requester: int,
        assignee: int | None = None,
        group: int | None = None,
        form: int | None = None,
        tags: tuple[str, ...] = (),
        ticket_id: int | None = None,
        subject: str = "Help",
    ) -> int:
        ticket_id = ticket_id or max(self.tickets, default=0) + 1
        now = self.clock()
        self.tickets[ticket_id] = {
            "id": ticket_id,
            "subject": subject,
            "status": "open",
            "requester_id": requester,
            "assignee_id": assignee,
            "group_id": group,
            "ticket_form_id": form,
            "tags": list(tags),
            "created_at": _iso(now),
        }
        self.comments[ticket_id] = [{"id": next(self._ids), "body": subject, "public": True}]
        self.metrics[ticket_id] = {"ticket_id": ticket_id, "solved_at": None}
        self._touch(ticket_id)
        return ticket_id

    def solve(self, ticket_id: int, *, minutes: int, status: str = "solved") -> None:
        """The agent solves it, `minutes` after it was opened (the full resolution time)."""
        self.tickets[ticket_id]["status"] = status
        self.metrics[ticket_id] |= {
            "solved_at": _iso(self.clock()),
            "full_resolution_time_in_minutes": {"calendar": minutes, "business": minutes},
        }
        self._touch(ticket_id)

    def notes(self, ticket_id: int) -> list[str]:
        """The private comments written through the API, oldest first."""
        return [c["body"] for c in self.comments[ticket_id] if not c["public"]]

    def calls_to(self, op: str) -> list[Call]:
        return [call for call in self.calls if call.op == op]

    def fail(
        self, op: str, status: int, *, times: int = 1, retry_after: float | None = None
    ) -> None:
        """The next `times` calls of `op` answer `status` (429 with Retry-After when given)."""
        self._faults[op] = _Fault(status, times, retry_after)

    def delay(self, op: str, seconds: float) -> None:
        """Calls of `op` are taken at once but answered `seconds` later (0 stops it)."""
        self._delays[op] = seconds

    def _touch(self, ticket_id: int) -> None:
        ticket = self.tickets[ticket_id]
        ticket["updated_at"] = _iso(self.clock())
        # generated_timestamp orders the export; a counter breaks ties within one second
        ticket["generated_timestamp"] = int(self.clock().timestamp())
        ticket["_order"] = (ticket["generated_timestamp"], next(self._stamp))

    # -- webhooks ------------------------------------------------------------------------------

    async def send_webhook(
        self, url: str, body: dict[str, Any], *, secret: str, forged: bool = False
    ) -> tuple[int, Any]:
        """POST `body` to `url` signed as Zendesk signs it (or with a wrong signature)."""
        raw = json.dumps(body).encode()
        timestamp = _iso(self.clock())
        signature = zendesk.signature(secret if not forged else secret + "x", timestamp, raw)
        headers = {
            "Content-Type": "application/json",
            "X-Zendesk-Webhook-Signature": signature,
            "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
            "X-Zendesk-Webhook-Id": "01EMULATOR",
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=raw, headers=headers) as response,
        ):
            text = await response.text()
            return response.status, json.loads(text) if text else None

    # -- the API -------------------------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self._serve)

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if not path.startswith("/api/v2/"):
            return web.Response(status=404, text="<html>Help Center Closed</html>")
        op, handler = self._route(request.method, path)
        raw = await request.read()
        self.calls.append(Call(op, request.method, path, raw.decode() or None))
        if not self._authorized(request.headers.get("Authorization", "")):
            return _json(401, {"error": "Couldn't authenticate you"})
        fault = self._faults.get(op)
        if fault and fault.times > 0:
            fault.times -= 1
            wait = fault.retry_after
            headers = {} if wait is None else {"Retry-After": str(int(wait))}
            error = "APIRateLimitExceeded" if fault.status == 429 else "ServiceUnavailable"
            return _json(fault.status, {"error": error}, headers)
        if handler is None:
            return _json(404, {"error": "InvalidEndpoint", "description": "Not found"})
        status, body = handler(request, raw)
        if self._delays.get(op):
            await asyncio.sleep(self._delays[op])
        return _json(status, body)

    def _authorized(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.email}/token:{self.token}".encode()).decode()
        return hmac.compare_digest(header, f"Basic {expected}")

    def _route(self, method: str, path: str) -> tuple[str, Callable[..., tuple[int, Any]] | None]:
        parts = path.removeprefix("/api/v2/").removesuffix(".json").split("/")
        if method == "GET" and parts == ["incremental", "tickets", "cursor"]:
            return "export", self._export
        if parts[0] == "tickets" and len(parts) >= 2 and parts[1].isdigit():
            ticket_id = int(parts[1])
            if len(parts) == 2 and method == "GET":
                return "ticket.get", lambda r, raw: self._ticket(r, ticket_id)
            if len(parts) == 2 and method == "PUT":
                return "ticket.update", lambda r, raw: self._update(ticket_id, raw)
            if parts[2:] == ["metrics"] and method == "GET":
                return "metrics.get", lambda r, raw: self._metrics(ticket_id)
            if parts[2:] == ["comments"] and method == "GET":
                return "comments.get", lambda r, raw: self._comments(ticket_id)
        return "unknown", None

    def _export(self, request: web.Request, raw: bytes) -> tuple[int, Any]:
        cursor = request.query.get("cursor")
        if cursor:
            try:
                after = tuple(int(n) for n in base64.b64decode(cursor).decode().split("|"))
            except ValueError:
                return 400, {"error": "InvalidValue", "description": "Invalid cursor"}
        else:
            start = request.query.get("start_time", "")
            if not start.isdigit():
                return 400, {"error": "InvalidValue", "description": "start_time is required"}
            if int(start) > (self.clock() - timedelta(minutes=1)).timestamp():
                description = "Too recent start_time. Use a start_time older than 1 minute"
                return 400, {"error": "InvalidValue", "description": description}
            after = (int(start) - 1, 1 << 62)
        pending = sorted(
            (t for t in self.tickets.values() if t["_order"] > after), key=lambda t: t["_order"]
        )
        page = pending[: self.page_size]
        last = page[-1]["_order"] if page else after
        next_cursor = base64.b64encode(f"{last[0]}|{last[1]}".encode()).decode()
        return 200, {
            "tickets": [_public(t) for t in page],
            "after_cursor": next_cursor,
            "after_url": f"{self.root}/api/v2/incremental/tickets/cursor.json?cursor={next_cursor}",
            "before_cursor": None,
            "before_url": None,
            "end_of_stream": len(pending) <= self.page_size,
        }

    def _ticket(self, request: web.Request, ticket_id: int) -> tuple[int, Any]:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return _not_found()
        body: dict[str, Any] = {"ticket": _public(ticket)}
        include = set(request.query.get("include", "").split(","))
        if "users" in include:
            ids = {ticket["requester_id"], ticket["assignee_id"]}
            body["users"] = [self.users[i] for i in ids if i in self.users]
        if "groups" in include:
            body["groups"] = [self.groups[i] for i in {ticket["group_id"]} if i in self.groups]
        if "ticket_forms" in include:
            forms = {ticket["ticket_form_id"]}
            body["ticket_forms"] = [self.forms[i] for i in forms if i in self.forms]
        return 200, body

    def _metrics(self, ticket_id: int) -> tuple[int, Any]:
        if ticket_id not in self.metrics:
            return _not_found()
        return 200, {"ticket_metric": self.metrics[ticket_id]}

    def _comments(self, ticket_id: int) -> tuple[int, Any]:
        if ticket_id not in self.comments:
            return _not_found()
        found = self.comments[ticket_id]
        return 200, {
            "comments": found,
            "next_page": None,
            "previous_page": None,
            "count": len(found),
        }

    def _update(self, ticket_id: int, raw: bytes) -> tuple[int, Any]:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return _not_found()
        try:
            document = json.loads(raw)
        except ValueError:
            return 400, {"error": "Unprocessable Entity", "message": "Server could not parse JSON"}
        change = document.get("ticket") if isinstance(document, dict) else None
        if not isinstance(change, dict):
            return 400, {"error": "InvalidValue", "description": "Parameter ticket is required"}
        if ticket["status"] == "closed":
            return 422, _invalid("status", "Status: closed prevents ticket update")
        comment = change.get("comment")
        if comment is not None and (
            not isinstance(comment, dict) or not str(comment.get("body") or "").strip()
        ):
            return 422, _invalid("base", "Comment: cannot be blank")
        tags = change.get("additional_tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            return 422, _invalid("tags", "Tags: is invalid")
        if comment is not None:
            public = bool(comment.get("public", True))
            entry = {"id": next(self._ids), "body": comment["body"], "public": public}
            self.comments[ticket_id].append(entry)
        ticket["tags"] = list(dict.fromkeys([*ticket["tags"], *tags]))
        self._touch(ticket_id)
        return 200, {"ticket": _public(ticket)}


def _public(ticket: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in ticket.items() if not k.startswith("_")}


def _invalid(field_name: str, description: str) -> dict[str, Any]:
    return {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {field_name: [{"description": description}]},
    }


def _not_found() -> tuple[int, Any]:
    return 404, {"error": "RecordNotFound", "description": "Not found"}


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
