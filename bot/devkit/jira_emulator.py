"""A local stand-in for Jira Cloud's REST API v3: myself, project, issue create, JQL search,
and the admin webhooks a site sends, signed with their secret.

Shaped from Atlassian's published API reference: basic auth with an email and API token
(401 otherwise), `GET /project/{key}` answering 404 for a project it does not know, issue
create validating its fields and the Atlassian Document Format description and answering
400 with Jira's `{"errorMessages": [...], "errors": {field: message}}`, `POST /search/jql`
paging with `nextPageToken` (absent on the last page) over the JQL this bot writes
(`project =`, `labels =`, `updated >= "yyyy-MM-dd HH:mm"`, `ORDER BY`), and webhooks
(`jira:issue_updated`) signed `X-Hub-Signature: sha256=<HMAC-SHA256 hex of the body>`.

Tests move issues (`move`) and read `issues`; faults: `fail(op, status, times, retry_after,
after_write)` answers the next calls of "issue.create", "search" (or any path) with an
error, optionally after doing the work (a gateway timing out on a write that landed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from bot.devkit.local_server import LocalServer

EMAIL = "voc-bot@example.com"
TOKEN = "ATATT-emulator-token"
PROJECT = "PROD"
STATUSES = {"To Do": "new", "In Progress": "indeterminate", "Done": "done"}
_BLOCKS = {"paragraph", "heading", "bulletList", "orderedList", "blockquote", "rule"}
_INLINE = {"text", "hardBreak"}
_MARKS = {"strong", "em", "code", "link", "underline", "strike"}
_CLAUSE = re.compile(r'(project|labels|updated)\s*(=|>=)\s*"([^"]*)"')


@dataclass
class Issue:
    key: str
    id: str
    fields: dict[str, Any]
    status: str = "To Do"
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_json(self, site: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "self": f"{site}/rest/api/3/issue/{self.id}",
            "fields": {
                **self.fields,
                "status": {"name": self.status, "statusCategory": {"key": STATUSES[self.status]}},
                "updated": self.updated.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            },
        }


@dataclass(frozen=True)
class _Fault:
    status: int
    retry_after: float | None
    after_write: bool


class JiraEmulator(LocalServer):
    def __init__(
        self, *, projects: tuple[str, ...] = (PROJECT,), clock: Callable[[], datetime] | None = None
    ) -> None:
        self.projects = set(projects)
        self.issues: dict[str, Issue] = {}
        self.calls: list[tuple[str, str]] = []  # (method, path)
        self.token = TOKEN
        self._clock = clock or (lambda: datetime.now(UTC))
        self._faults: dict[str, deque[_Fault]] = {}
        self._ids = itertools.count(10001)
        self._numbers = itertools.count(1)

    @property
    def url(self) -> str:
        return self.root

    # what tests do

    def fail(
        self,
        op: str,
        status: int,
        times: int = 1,
        retry_after: float | None = None,
        after_write: bool = False,
    ) -> None:
        self._faults.setdefault(op, deque()).extend(
            _Fault(status, retry_after, after_write) for _ in range(times)
        )

    def move(self, key: str, status: str) -> Issue:
        """Move an issue to a status ("To Do", "In Progress", "Done"), updated now."""
        issue = self.issues[key]
        issue.status, issue.updated = status, self._clock()
        return issue

    def webhook_body(self, key: str) -> bytes:
        issue = self.issues[key]
        event = {
            "timestamp": int(issue.updated.timestamp() * 1000),
            "webhookEvent": "jira:issue_updated",
            "issue_event_type_name": "issue_generic",
            "issue": issue.as_json(self.root),
            "changelog": {"items": [{"field": "status", "toString": issue.status}]},
        }
        return json.dumps(event).encode()

    async def send_webhook(self, target: str, key: str, secret: str) -> int:
        """POST the issue's `jira:issue_updated` to `target`, signed as Jira signs; the
        status the app answered."""
        body = self.webhook_body(key)
        headers = {"Content-Type": "application/json", "X-Hub-Signature": sign(secret, body)}
        async with aiohttp.ClientSession() as session:
            async with session.post(target, data=body, headers=headers) as answer:
                return answer.status

    # the API

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/rest/api/3/myself", self._myself)
        app.router.add_get("/rest/api/3/project/{key}", self._project)
        app.router.add_post("/rest/api/3/issue", self._create)
        app.router.add_post("/rest/api/3/search/jql", self._search)

    def _gate(self, request: web.Request, op: str) -> tuple[web.Response | None, _Fault | None]:
        self.calls.append((request.method, request.path))
        expected = base64.b64encode(f"{EMAIL}:{self.token}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return _error(401, ["You are not authenticated. Authentication required."]), None
        queue = self._faults.get(op) or self._faults.get(request.path)
        fault = queue.popleft() if queue else None
        if fault is not None and not fault.after_write:
            return _fault_answer(fault), None
        return None, fault

    async def _myself(self, request: web.Request) -> web.Response:
        refused, _ = self._gate(request, "myself")
        return refused or web.json_response(
            {"accountId": "5b10ac8d82e05b22cc7d4ef5", "emailAddress": EMAIL, "timeZone": "UTC"}
        )

    async def _project(self, request: web.Request) -> web.Response:
        refused, _ = self._gate(request, "project")
        if refused:
            return refused
        key = request.match_info["key"]
        if key not in self.projects:
            return _error(404, [f"No project could be found with key '{key}'."])
        types = [{"name": "Task", "subtask": False}, {"name": "Subtask", "subtask": True}]
        return web.json_response({"id": "10000", "key": key, "name": key, "issueTypes": types})

    async def _create(self, request: web.Request) -> web.Response:
        refused, fault = self._gate(request, "issue.create")
        if refused:
            return refused
        try:
            fields = (await request.json())["fields"]
        except (ValueError, KeyError, TypeError):
            return _error(400, ["Invalid request payload. Refer to the REST API documentation."])
        errors = _field_errors(fields, self.projects)
        if errors:
            return _error(400, [], errors)
        number, issue_id = next(self._numbers), str(next(self._ids))
        key = f"{fields['project']['key']}-{number}"
        kept = {
            k: fields[k] for k in ("summary", "description", "labels", "issuetype") if k in fields
        }
        self.issues[key] = Issue(key, issue_id, kept, updated=self._clock())
        if fault is not None:
            return _fault_answer(fault)
        return web.json_response(
            {"id": issue_id, "key": key, "self": f"{self.root}/rest/api/3/issue/{issue_id}"},
            status=201,
        )

    async def _search(self, request: web.Request) -> web.Response:
        refused, fault = self._gate(request, "search")
        if refused:
            return refused
        try:
            body = await request.json()
            matches = self._matching(str(body["jql"]))
        except (ValueError, KeyError, TypeError) as exc:
            return _error(400, [f"Error in the JQL Query: {exc}"])
        size = min(int(body.get("maxResults") or 50), 100)
        start = int(body.get("nextPageToken") or 0)
        page = matches[start : start + size]
        answer: dict[str, Any] = {"issues": [i.as_json(self.root) for i in page]}
        if start + size < len(matches):
            answer["nextPageToken"] = str(start + size)
        else:
            answer["isLast"] = True
        return _fault_answer(fault) if fault else web.json_response(answer)

    def _matching(self, jql: str) -> list[Issue]:
        where, _, order = jql.partition(" ORDER BY ")
        found = list(self.issues.values())
        for clause in (c.strip() for c in where.split(" AND ")):
            matched = _CLAUSE.fullmatch(clause)
            if matched is None:
                raise ValueError(f"the clause {clause!r} is not understood")
            name, _op, value = matched.groups()
            if name == "project":
                found = [i for i in found if i.key.startswith(f"{value}-")]
            elif name == "labels":
                found = [i for i in found if value in i.fields.get("labels", [])]
            else:
                since = datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
                found = [i for i in found if i.updated.replace(second=0, microsecond=0) >= since]
        if order.startswith("updated"):
            found.sort(key=lambda i: (i.updated, int(i.id)))
        return found


def sign(secret: str, body: bytes) -> str:
    """Jira's admin-webhook signature: `sha256=` and the HMAC-SHA256 hex of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _error(status: int, messages: list[str], errors: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"errorMessages": messages, "errors": errors or {}}, status=status)


def _fault_answer(fault: _Fault) -> web.Response:
    headers = {"Retry-After": str(int(fault.retry_after))} if fault.retry_after is not None else {}
    return web.json_response(
        {"errorMessages": ["Rate limit exceeded." if fault.status == 429 else "Unavailable."]},
        status=fault.status,
        headers=headers,
    )


def _field_errors(fields: Any, projects: set[str]) -> dict[str, str]:
    if not isinstance(fields, dict):
        return {"fields": "fields must be an object"}
    errors: dict[str, str] = {}
    project = fields.get("project")
    if not isinstance(project, dict) or project.get("key") not in projects:
        errors["project"] = "valid project is required"
    summary = fields.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors["summary"] = "You must specify a summary of the issue."
    elif len(summary) > 255 or "\n" in summary:
        errors["summary"] = "Summary must be less than 255 characters, on one line."
    if (fields.get("issuetype") or {}).get("name") not in {"Task", "Subtask"}:
        errors["issuetype"] = "Specify a valid issue type"
    if "description" in fields and not _adf_ok(fields["description"]):
        errors["description"] = "Operation value must be an Atlassian Document (see the ADF)."
    labels = fields.get("labels", [])
    if not isinstance(labels, list) or any(
        not isinstance(x, str) or not x or " " in x or len(x) > 255 for x in labels
    ):
        errors["labels"] = "Labels cannot contain spaces and must be strings."
    return errors


def _adf_ok(doc: Any) -> bool:
    """A description Jira accepts: a `doc` of version 1 whose blocks and inline nodes are
    known, text nodes non-empty, marks known, a link carrying its href."""
    if not isinstance(doc, dict) or doc.get("type") != "doc" or doc.get("version") != 1:
        return False
    content = doc.get("content")
    return isinstance(content, list) and all(_block_ok(node) for node in content)


def _block_ok(node: Any) -> bool:
    if not isinstance(node, dict) or node.get("type") not in _BLOCKS | {"listItem"}:
        return False
    kind, content = node["type"], node.get("content", [])
    if not isinstance(content, list):
        return False
    if kind == "rule":
        return not content
    if kind in {"paragraph", "heading"}:
        level = (node.get("attrs") or {}).get("level")
        if kind == "heading" and level not in range(1, 7):
            return False
        return all(_inline_ok(child) for child in content)
    if kind in {"bulletList", "orderedList"}:
        return bool(content) and all(
            isinstance(c, dict) and c.get("type") == "listItem" and _block_ok(c) for c in content
        )
    return bool(content) and all(
        _block_ok(c) and c.get("type") != "listItem" for c in content
    )  # listItem, blockquote


def _inline_ok(node: Any) -> bool:
    if not isinstance(node, dict) or node.get("type") not in _INLINE:
        return False
    if node["type"] == "hardBreak":
        return True
    text = node.get("text")
    if not isinstance(text, str) or not text:
        return False
    for mark in node.get("marks", []):
        if not isinstance(mark, dict) or mark.get("type") not in _MARKS:
            return False
        if mark["type"] == "link" and not str((mark.get("attrs") or {}).get("href", "")):
            return False
    return True
