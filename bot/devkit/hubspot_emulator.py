"""A local stand-in for HubSpot's CRM v3 API: owners, companies, contacts and notes, their
search, batch read/update and properties, with HubSpot's error shapes, limits and faults.

Shaped from HubSpot's published API reference: private-app Bearer tokens (401
INVALID_AUTHENTICATION), scopes (403 MISSING_SCOPES), list pages of ≤100 with `after`,
search pages of ≤200 and at most 10,000 results a query, batches of ≤100, an unknown
property in a write is a 400 VALIDATION_ERROR naming PROPERTY_DOESNT_EXIST, the burst limit
(429 with Retry-After and the X-HubSpot-RateLimit-* headers) and search's own lower rate.

Seed it directly (`add_company`, `add_contact`, `modify`, `archive`: no HTTP, fast enough
for tens of thousands of records), point a connector at `.url`, then inspect `calls` and
`writes_to(...)`. Faults: `fail`, `delay`, `rate_limit`, `search_rate_limit`.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import json
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.devkit.local_server import LocalServer

TOKEN = "pat-na1-emulator"
TYPES = ("companies", "contacts", "notes")
ALL_SCOPES = frozenset(
    {
        "crm.objects.owners.read",
        "crm.objects.companies.read",
        "crm.objects.companies.write",
        "crm.objects.contacts.read",
        "crm.objects.contacts.write",
        "crm.schemas.companies.read",
        "crm.schemas.companies.write",
        "crm.schemas.contacts.read",
        "crm.schemas.contacts.write",
    }
)
# Notes are engagements: HubSpot grants them with the contacts scopes.
_SCOPE_OBJECT = {"companies": "companies", "contacts": "contacts", "notes": "contacts"}
MODIFIED = {"companies": "hs_lastmodifieddate", "contacts": "lastmodifieddate"}
_MODIFIED_ANY = frozenset({"hs_lastmodifieddate", "lastmodifieddate"})
_DEFAULT_PROPERTIES = {
    "companies": ("name", "domain"),
    "contacts": ("firstname", "lastname", "email"),
    "notes": ("hs_note_body", "hs_timestamp"),
}
_READ_ONLY = frozenset({"hs_object_id", "createdate", *_MODIFIED_ANY})
_STANDARD: dict[str, dict[str, str]] = {
    "companies": {
        "name": "string", "domain": "string", "industry": "enumeration",
        "annualrevenue": "number", "hubspot_owner_id": "enumeration",
        "lifecyclestage": "enumeration", "hs_lifecyclestage_customer_date": "datetime",
        "numberofemployees": "number", "city": "string", "country": "string",
        "description": "string", "phone": "string", "website": "string", "type": "enumeration",
    },
    "contacts": {
        "email": "string", "firstname": "string", "lastname": "string",
        "hs_language": "enumeration", "associatedcompanyid": "number", "company": "string",
        "jobtitle": "string", "phone": "string", "lifecyclestage": "enumeration",
        "hubspot_owner_id": "enumeration",
    },
    "notes": {
        "hs_note_body": "string", "hs_timestamp": "datetime", "hubspot_owner_id": "enumeration",
        "hs_attachment_ids": "enumeration",
    },
}  # fmt: skip
# What a customer-success portal typically adds to companies (VoC bot's default mapping).
PORTAL_CUSTOM = {
    "plan": "enumeration",
    "segment": "enumeration",
    "health": "enumeration",
    "renewal_date": "date",
}
NOTE_TO_CONTACT, NOTE_TO_COMPANY = 202, 190
SEARCH_CAP = 10_000
_FIELD_TYPES = {
    "string": {"text", "textarea", "html", "phonenumber", "file"},
    "number": {"number", "calculation_equation"},
    "date": {"date"},
    "datetime": {"date"},
    "enumeration": {"select", "radio", "checkbox", "booleancheckbox"},
    "bool": {"booleancheckbox"},
}


@dataclass
class Call:
    """One request the emulator answered."""

    method: str
    path: str
    status: int
    op: str = ""
    body: Any = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Record:
    """One CRM object as the emulator keeps it."""

    id: str
    type: str
    properties: dict[str, str]
    created: datetime
    updated: datetime
    archived: bool = False
    archived_at: datetime | None = None
    contacts: list[str] = field(default_factory=list)  # associated contact ids
    companies: list[str] = field(default_factory=list)  # associated company ids


@dataclass
class Owner:
    id: str
    email: str | None
    first_name: str
    last_name: str
    user_id: int


@dataclass
class _Fault:
    status: int
    retry_after: float | None


class _Refused(Exception):
    """An error answer in HubSpot's shape."""

    def __init__(self, status: int, category: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.category, self.message, self.extra = status, category, message, extra


class _Window:
    """A sliding window of accepted calls: `max_calls` per `seconds`."""

    def __init__(self, max_calls: int, seconds: float) -> None:
        self.max, self.seconds = max_calls, seconds
        self.stamps: deque[float] = deque()

    def take(self, now: float) -> float:
        """0 when the call is accepted, else seconds until the window has room."""
        while self.stamps and self.stamps[0] <= now - self.seconds:
            self.stamps.popleft()
        if len(self.stamps) >= self.max:
            return self.stamps[0] + self.seconds - now
        self.stamps.append(now)
        return 0.0

    def remaining(self) -> int:
        return max(self.max - len(self.stamps), 0)


class HubSpotEmulator(LocalServer):
    """An aiohttp server answering HubSpot's CRM v3 paths, with seeding and fault injection."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        scopes: frozenset[str] | set[str] | None = None,
        clock: Callable[[], datetime] | None = None,
        ticks: Callable[[], float] = time.monotonic,
    ) -> None:
        """`clock` dates the records; `ticks` (seconds) times the rate-limit windows, so a
        test can drive both with injected clocks instead of waiting."""
        self.token = token
        self._ticks = ticks
        self.scopes = frozenset(ALL_SCOPES if scopes is None else scopes)
        self.calls: list[Call] = []
        self.objects: dict[str, dict[str, Record]] = {t: {} for t in TYPES}
        self.owners: dict[str, Owner] = {}
        self.properties: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in TYPES}
        self.groups: dict[str, set[str]] = {t: {f"{t[:-1]}information"} for t in TYPES}
        self._order: dict[str, list[int]] = {t: [] for t in TYPES}  # ids, ascending
        self._writes: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self._faults: dict[str, deque[_Fault | None]] = {}
        self._delays: dict[str, float] = {}
        self._burst: _Window | None = None
        self._search: _Window | None = None
        self._ids = itertools.count(1001)
        self._owner_ids = itertools.count(501)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._last = datetime.min.replace(tzinfo=UTC)
        for object_type, names in _STANDARD.items():
            for name, kind in names.items():
                self._define(object_type, name, kind, f"{object_type[:-1]}information")
        for name, kind in PORTAL_CUSTOM.items():
            self._define("companies", name, kind, "companyinformation")

    # lifecycle

    client_max_size = 16 * 1024 * 1024

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self._serve)

    @property
    def url(self) -> str:
        """The base URL (HUBSPOT_API_URL), without a trailing slash."""
        return self.root

    # seeding

    def add_owner(self, email: str | None, first_name: str = "", last_name: str = "") -> str:
        owner_id = str(next(self._owner_ids))
        self.owners[owner_id] = Owner(
            owner_id, email, first_name, last_name, user_id=int(owner_id) * 7
        )
        return owner_id

    def add_company(self, properties: dict[str, Any], archived: bool = False) -> str:
        record = self._insert("companies", properties)
        if archived:
            self.archive("companies", record.id)
        return record.id

    def add_contact(self, properties: dict[str, Any], company_id: str | None = None) -> str:
        props = dict(properties)
        if company_id is not None:
            props["associatedcompanyid"] = company_id
        record = self._insert("contacts", props)
        if company_id is not None:
            record.companies.append(company_id)
        return record.id

    def modify(self, object_type: str, object_id: str, **props: Any) -> None:
        """Change a record as a HubSpot user would: its last-modified date moves on."""
        record = self.objects[object_type][object_id]
        for name, value in props.items():
            if value is None:
                record.properties.pop(name, None)
            else:
                record.properties[name] = _text(value)
        record.updated = self._now()

    def archive(self, object_type: str, object_id: str) -> None:
        record = self.objects[object_type][object_id]
        record.archived, record.archived_at = True, self._now()
        record.updated = record.archived_at

    def add_property(
        self,
        object_type: str,
        name: str,
        type: str = "string",
        group: str | None = None,
        options: list[str] | None = None,
    ) -> None:
        """A property as an admin would make it; `options` makes it a dropdown
        (enumeration) that refuses any other value with INVALID_OPTION."""
        self._define(object_type, name, type, group or f"{object_type[:-1]}information")
        if options is not None:
            self.properties[object_type][name] |= {
                "type": "enumeration",
                "fieldType": "select",
                "options": [{"label": o.title(), "value": o} for o in options],
            }

    def remove_property(self, object_type: str, name: str) -> None:
        self.properties[object_type].pop(name, None)

    # inspection

    def writes_to(self, object_type: str, object_id: str) -> list[tuple[str, str]]:
        """Every property written through the API to this record, in order: (name, value)."""
        return list(self._writes.get((object_type, object_id), []))

    def calls_to(self, op: str) -> list[Call]:
        """Recorded calls of one operation (e.g. "contacts.search") or exact path."""
        return [c for c in self.calls if op in (c.op, c.path)]

    def notes(self) -> list[Record]:
        return [n for n in self.objects["notes"].values() if not n.archived]

    # faults

    def fail(
        self,
        path_or_op: str,
        status: int,
        times: int = 1,
        retry_after: float | None = None,
        after: int = 0,
    ) -> None:
        """Answer the next `times` calls of an operation ("contacts.batch_update") or exact
        path with `status`, once `after` more of them went through (a CRM that goes down
        mid-pass); `times=0` clears its queued faults."""
        queue = self._faults.setdefault(path_or_op, deque())
        if times == 0:
            queue.clear()
            return
        queue.extend([None] * after)
        queue.extend(_Fault(status, retry_after) for _ in range(times))

    def delay(self, path_or_op: str, seconds: float) -> None:
        """Answer every call of an operation or path after a pause (0 removes it). The call
        is carried out and recorded first, as a CRM that did the work but answered late: a
        client killed while it waits has written all the same."""
        if seconds > 0:
            self._delays[path_or_op] = seconds
        else:
            self._delays.pop(path_or_op, None)

    def rate_limit(self, max_calls: int, window_seconds: float) -> None:
        """HubSpot's burst limit: `max_calls` a rolling window, 429 beyond, with headers."""
        self._burst = _Window(max_calls, window_seconds)

    def search_rate_limit(self, max_calls: int, window_seconds: float = 1.0) -> None:
        """Search's own lower limit (HubSpot documents a few requests a second)."""
        self._search = _Window(max_calls, window_seconds)

    # internals: state

    def _now(self) -> datetime:
        now = max(self._clock(), self._last)  # never backwards
        self._last = now
        return now

    def _define(self, object_type: str, name: str, kind: str, group: str) -> None:
        self.properties[object_type][name] = {
            "name": name,
            "label": name.replace("_", " ").title(),
            "type": kind,
            "fieldType": "date" if kind in ("date", "datetime") else _default_field(kind),
            "groupName": group,
            "description": "",
            "options": [],
            "hidden": False,
            "formField": False,
            "hubspotDefined": name in _STANDARD.get(object_type, {}),
        }

    def _insert(self, object_type: str, properties: dict[str, Any]) -> Record:
        now = self._now()
        record_id = str(next(self._ids))
        props = {k: _text(v) for k, v in properties.items() if v is not None}
        if object_type == "contacts" and "email" in props:
            props["email"] = props["email"].strip().lower()
        record = Record(record_id, object_type, props, now, now)
        self.objects[object_type][record_id] = record
        self._order[object_type].append(int(record_id))
        return record

    def _write(self, record: Record, props: dict[str, str]) -> None:
        log = self._writes.setdefault((record.type, record.id), [])
        for name, value in props.items():
            log.append((name, value))
            if value == "":
                record.properties.pop(name, None)
            else:
                record.properties[name] = value
        record.updated = self._now()

    def _render(
        self, record: Record, wanted: list[str] | None, associations: bool = False
    ) -> dict[str, Any]:
        names = wanted if wanted else list(_DEFAULT_PROPERTIES[record.type])
        known = self.properties[record.type]
        props: dict[str, Any] = {
            n: record.properties.get(n) for n in names if n in known and n not in _READ_ONLY
        }
        props["hs_object_id"] = record.id
        props["createdate"] = _iso(record.created)
        if record.type in MODIFIED:
            props[MODIFIED[record.type]] = _iso(record.updated)
        else:
            props["hs_lastmodifieddate"] = _iso(record.updated)
        body: dict[str, Any] = {
            "id": record.id,
            "properties": props,
            "createdAt": _iso(record.created),
            "updatedAt": _iso(record.updated),
            "archived": record.archived,
        }
        if record.archived_at is not None:
            body["archivedAt"] = _iso(record.archived_at)
        if associations and (record.contacts or record.companies):
            body["associations"] = {
                kind: {"results": [{"id": i, "type": kind[:-1] + "_to_" + record.type[:-1]}
                                   for i in ids]}
                for kind, ids in (("contacts", record.contacts), ("companies", record.companies))
                if ids
            }  # fmt: skip
        return body

    def _value(self, record: Record, name: str) -> str | None:
        if name == "hs_object_id":
            return record.id
        if name == "createdate":
            return str(_ms(record.created))
        if name in _MODIFIED_ANY:
            return str(_ms(record.updated))
        return record.properties.get(name)

    # internals: HTTP

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        body: Any = None
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                body = None
        op, handler, args, scope = self._route(request.method, path)
        headers: dict[str, str] = {}
        status, payload = 200, None
        try:
            if handler is None:
                raise _Refused(404, "OBJECT_NOT_FOUND", f"Unable to route {request.method} {path}")
            auth = request.headers.get("Authorization", "")
            if auth != f"Bearer {self.token}":
                raise _Refused(
                    401,
                    "INVALID_AUTHENTICATION",
                    "Authentication credentials not found. This API supports OAuth 2.0 "
                    "authentication and you can find more details at "
                    "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                )
            if scope not in self.scopes:
                raise _Refused(
                    403,
                    "MISSING_SCOPES",
                    "This app hasn't been granted all required scopes to make this call. "
                    "Read more about required scopes here: https://developers.hubspot.com/scopes.",
                    errors=[
                        {
                            "message": "One or more of the following scopes are required.",
                            "context": {"requiredGranularScopes": [scope]},
                        }
                    ],
                    links={"scopes": "https://developers.hubspot.com/scopes"},
                )
            self._limit(op, headers)
            fault = self._fault(op, path)
            if fault is not None:
                if fault.retry_after is not None:
                    headers["Retry-After"] = _seconds(fault.retry_after)
                raise _Refused(
                    fault.status,
                    "RATE_LIMITS" if fault.status == 429 else "INTERNAL_ERROR",
                    "You have reached your ten_secondly_rolling limit."
                    if fault.status == 429
                    else "Internal error",
                    **({"errorType": "RATE_LIMIT"} if fault.status == 429 else {}),
                )
            status, payload = handler(request, body, *args)
        except _Refused as refused:
            status = refused.status
            payload = {
                "status": "error",
                "message": refused.message,
                "correlationId": str(uuid.uuid4()),
                "category": refused.category,
                **refused.extra,
            }
        self.calls.append(Call(request.method, path, status, op, body))
        pause = self._delays.get(op, self._delays.get(path))
        if pause:  # the work is done; only the answer is late (a client may die waiting)
            await asyncio.sleep(pause)
        if payload is None:
            return web.Response(status=status, headers=headers)
        return web.Response(
            status=status,
            text=json.dumps(payload),
            content_type="application/json",
            headers=headers,
        )

    def _route(
        self, method: str, path: str
    ) -> tuple[str, Callable[..., tuple[int, Any]] | None, tuple[str, ...], str]:
        parts = path.strip("/").split("/")
        if parts[:2] != ["crm", "v3"] or len(parts) < 3:
            return "unknown", None, (), ""
        rest = parts[2:]
        if rest == ["owners"] and method == "GET":
            return "owners.list", self._owners_list, (), "crm.objects.owners.read"
        if rest[0] == "properties" and len(rest) >= 2 and rest[1] in TYPES:
            object_type = rest[1]
            schema = "companies" if object_type == "companies" else "contacts"
            access = "read" if method == "GET" else "write"
            scope = f"crm.schemas.{schema}.{access}"
            if len(rest) == 2 and method in ("GET", "POST"):
                handler = self._properties_read if method == "GET" else self._properties_create
                return f"{object_type}.properties_{access}", handler, (object_type,), scope
            if rest[2:] == ["groups"] and method in ("GET", "POST"):
                handler = self._groups_read if method == "GET" else self._groups_create
                return f"{object_type}.groups_{access}", handler, (object_type,), scope
            return "unknown", None, (), ""
        if rest[0] != "objects" or len(rest) < 2 or rest[1] not in TYPES:
            return "unknown", None, (), ""
        object_type, tail = rest[1], rest[2:]
        base = f"crm.objects.{_SCOPE_OBJECT[object_type]}"
        read, write = f"{base}.read", f"{base}.write"
        table: dict[tuple[str, tuple[str, ...]], tuple[str, Callable[..., Any], str]] = {
            ("GET", ()): ("list", self._list, read),
            ("POST", ()): ("create", self._create, write),
            ("POST", ("search",)): ("search", self._search_objects, read),
            ("POST", ("batch", "read")): ("batch_read", self._batch_read, read),
            ("POST", ("batch", "update")): ("batch_update", self._batch_update, write),
        }
        if (method, tuple(tail)) in table:
            name, handler, scope = table[(method, tuple(tail))]
            return f"{object_type}.{name}", handler, (object_type,), scope
        if len(tail) == 1 and tail[0] not in ("search", "batch"):
            by_id: dict[str, tuple[str, Callable[..., Any], str]] = {
                "GET": ("get", self._get, read),
                "PATCH": ("update", self._patch, write),
                "DELETE": ("delete", self._delete, write),
            }
            if method in by_id:
                name, one, scope = by_id[method]
                return f"{object_type}.{name}", one, (object_type, tail[0]), scope
        return "unknown", None, (), ""

    def _limit(self, op: str, headers: dict[str, str]) -> None:
        now = self._ticks()
        searching = op.endswith(".search")
        if searching and self._search is not None:
            wait = self._search.take(now)
            if wait > 0:
                headers["Retry-After"] = _seconds(wait)
                raise _Refused(
                    429,
                    "RATE_LIMITS",
                    "You have reached your secondly limit.",
                    errorType="RATE_LIMIT",
                    policyName="SECONDLY",
                )
        if self._burst is None:
            return
        wait = self._burst.take(now)
        if not searching:  # HubSpot's search answers carry no rate-limit headers
            headers["X-HubSpot-RateLimit-Max"] = str(self._burst.max)
            headers["X-HubSpot-RateLimit-Remaining"] = str(self._burst.remaining())
            headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = str(
                int(self._burst.seconds * 1000)
            )
        if wait > 0:
            headers["Retry-After"] = _seconds(wait)
            raise _Refused(
                429,
                "RATE_LIMITS",
                "You have reached your ten_secondly_rolling limit.",
                errorType="RATE_LIMIT",
                policyName="TEN_SECONDLY_ROLLING",
            )

    def _fault(self, op: str, path: str) -> _Fault | None:
        for key in (op, path):
            queue = self._faults.get(key)
            if queue:
                return queue.popleft()  # None: a call let through before the faults
        return None

    # handlers: owners and objects

    def _owners_list(self, request: web.Request, body: Any) -> tuple[int, Any]:
        limit = _limit(request, 100, 500)
        owners = sorted(self.owners.values(), key=lambda o: int(o.id))
        after = request.query.get("after")
        start = next((i for i, o in enumerate(owners) if o.id == after), 0) if after else 0
        page = owners[start : start + limit]
        payload: dict[str, Any] = {
            "results": [
                {
                    "id": o.id,
                    "email": o.email,
                    "firstName": o.first_name,
                    "lastName": o.last_name,
                    "userId": o.user_id,
                    "createdAt": "2024-01-01T00:00:00.000Z",
                    "updatedAt": "2024-01-01T00:00:00.000Z",
                    "archived": False,
                    "type": "PERSON",
                }
                for o in page
            ]
        }
        if start + limit < len(owners):
            payload["paging"] = {"next": {"after": owners[start + limit].id}}
        return 200, payload

    def _list(self, request: web.Request, body: Any, object_type: str) -> tuple[int, Any]:
        limit = _limit(request, 10, 100)
        archived = request.query.get("archived", "false") == "true"
        wanted = _wanted(request)
        order, records = self._order[object_type], self.objects[object_type]
        after = request.query.get("after")
        start = bisect.bisect_left(order, int(after)) if after and after.isdigit() else 0
        page: list[Record] = []
        index = start
        while index < len(order) and len(page) < limit:
            record = records[str(order[index])]
            if record.archived == archived:
                page.append(record)
            index += 1
        payload: dict[str, Any] = {"results": [self._render(r, wanted) for r in page]}
        while index < len(order) and records[str(order[index])].archived != archived:
            index += 1
        if index < len(order):
            nxt = str(order[index])
            payload["paging"] = {"next": {"after": nxt, "link": f"{request.path}?after={nxt}"}}
        return 200, payload

    def _get(
        self, request: web.Request, body: Any, object_type: str, object_id: str
    ) -> tuple[int, Any]:
        archived = request.query.get("archived", "false") == "true"
        id_property = request.query.get("idProperty")
        if id_property:  # e.g. a contact by its email: a unique property, not the id
            value = object_id.strip().casefold()
            record = next(
                (
                    r
                    for r in self.objects[object_type].values()
                    if r.archived == archived
                    and (r.properties.get(id_property) or "").casefold() == value
                ),
                None,
            )
        else:
            record = self.objects[object_type].get(object_id)
        if record is None or record.archived != archived:
            raise _Refused(404, "OBJECT_NOT_FOUND", "resource not found")
        return 200, self._render(record, _wanted(request), associations=True)

    def _patch(
        self, request: web.Request, body: Any, object_type: str, object_id: str
    ) -> tuple[int, Any]:
        record = self.objects[object_type].get(object_id)
        if record is None or record.archived:
            raise _Refused(404, "OBJECT_NOT_FOUND", "resource not found")
        props = self._checked(object_type, (body or {}).get("properties") or {})
        self._write(record, props)
        return 200, self._render(record, list(props))

    def _delete(
        self, request: web.Request, body: Any, object_type: str, object_id: str
    ) -> tuple[int, Any]:
        record = self.objects[object_type].get(object_id)
        if record is None or record.archived:
            raise _Refused(404, "OBJECT_NOT_FOUND", "resource not found")
        self.archive(object_type, object_id)
        return 204, None

    def _create(self, request: web.Request, body: Any, object_type: str) -> tuple[int, Any]:
        body = body or {}
        props = self._checked(object_type, body.get("properties") or {})
        if object_type == "notes" and not props.get("hs_timestamp"):
            raise _Refused(
                400,
                "VALIDATION_ERROR",
                "Property values were not valid: hs_timestamp is required",
                errors=[{"message": "hs_timestamp is required", "code": "REQUIRED_FIELD"}],
            )
        if object_type == "contacts" and props.get("email"):
            email = props["email"].strip().lower()
            for existing in self.objects["contacts"].values():
                if not existing.archived and existing.properties.get("email") == email:
                    raise _Refused(
                        409, "CONFLICT", f"Contact already exists. Existing ID: {existing.id}"
                    )
        links = self._associations(object_type, body.get("associations") or [])
        record = self._insert(object_type, {})
        for kind, target in links:
            getattr(record, kind).append(target)
        self._write(record, props)
        return 201, self._render(record, list(props))

    def _associations(self, object_type: str, items: list[Any]) -> list[tuple[str, str]]:
        links = []
        for item in items:
            target = str(((item or {}).get("to") or {}).get("id", ""))
            for kind in (item or {}).get("types") or []:
                type_id = kind.get("associationTypeId")
                expected = {NOTE_TO_CONTACT: "contacts", NOTE_TO_COMPANY: "companies"}.get(type_id)
                if object_type != "notes" or expected is None:
                    raise _Refused(400, "VALIDATION_ERROR", f"Unknown association type {type_id}")
                other = self.objects[expected].get(target)
                if other is None or other.archived:
                    raise _Refused(
                        400,
                        "VALIDATION_ERROR",
                        f"One or more associations are invalid: no {expected[:-1]} {target}",
                    )
                links.append((expected, target))
        return links

    def _checked(self, object_type: str, props: dict[str, Any]) -> dict[str, str]:
        """The properties of a write, as text; 400 when one is unknown or read-only."""
        known = self.properties[object_type]
        unknown = [name for name in props if name not in known and name not in _READ_ONLY]
        if unknown:
            details = [
                {
                    "isValid": False,
                    "message": f'Property "{name}" does not exist',
                    "error": "PROPERTY_DOESNT_EXIST",
                    "name": name,
                    "localizedErrorMessage": f'Property "{name}" does not exist',
                }
                for name in unknown
            ]
            raise _Refused(
                400,
                "VALIDATION_ERROR",
                f"Property values were not valid: {json.dumps(details)}",
                errors=[
                    {
                        "message": f'Property "{name}" does not exist',
                        "code": "PROPERTY_DOESNT_EXIST",
                        "context": {"propertyName": [name]},
                    }
                    for name in unknown
                ],
            )
        invalid = [
            (name, value)
            for name, value in props.items()
            if known.get(name, {}).get("type") == "enumeration"
            and value not in ("", None)
            and _text(value) not in {o["value"] for o in known[name]["options"]}
        ]
        if invalid:
            details = [
                {
                    "isValid": False,
                    "message": f"{_text(value)} was not one of the allowed options",
                    "error": "INVALID_OPTION",
                    "name": name,
                }
                for name, value in invalid
            ]
            raise _Refused(
                400,
                "VALIDATION_ERROR",
                f"Property values were not valid: {json.dumps(details)}",
                errors=[
                    {
                        "message": f"{_text(value)} was not one of the allowed options",
                        "code": "INVALID_OPTION",
                        "context": {"propertyName": [name]},
                    }
                    for name, value in invalid
                ],
            )
        read_only = [name for name in props if name in _READ_ONLY]
        if read_only:
            raise _Refused(
                400,
                "VALIDATION_ERROR",
                f'Property values were not valid: "{read_only[0]}" is a read only property',
                errors=[{"message": f"{n} is read-only", "code": "READ_ONLY_VALUE"}
                        for n in read_only],
            )  # fmt: skip
        return {name: _text(value) for name, value in props.items()}

    def _batch_inputs(self, body: Any) -> list[dict[str, Any]]:
        inputs = (body or {}).get("inputs")
        if not isinstance(inputs, list) or not inputs:
            raise _Refused(400, "VALIDATION_ERROR", "inputs is required")
        if len(inputs) > 100:
            raise _Refused(
                400,
                "VALIDATION_ERROR",
                f"Batch input size ({len(inputs)}) exceeds the limit of 100",
                errors=[{"message": "inputs may not exceed 100", "code": "TOO_MANY_INPUTS"}],
            )
        return [i for i in inputs if isinstance(i, dict)]

    def _batch_answer(
        self, object_type: str, results: list[dict[str, Any]], missing: list[str]
    ) -> tuple[int, Any]:
        stamp = _iso(datetime.now(UTC))
        payload: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": stamp,
            "completedAt": stamp,
        }
        if not missing:
            return 200, payload
        payload["numErrors"] = 1
        payload["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": f"Could not get some {object_type[:-1].upper()} objects, they may be "
                "deleted or not exist. Check that ids are valid.",
                "context": {"ids": missing},
            }
        ]
        return 207, payload

    def _batch_read(self, request: web.Request, body: Any, object_type: str) -> tuple[int, Any]:
        inputs = self._batch_inputs(body)
        wanted = list((body or {}).get("properties") or [])
        archived = request.query.get("archived", "false") == "true"
        results, missing = [], []
        for item in inputs:
            record = self.objects[object_type].get(str(item.get("id")))
            if record is None or record.archived != archived:
                missing.append(str(item.get("id")))
            else:
                results.append(self._render(record, wanted))
        return self._batch_answer(object_type, results, missing)

    def _batch_update(self, request: web.Request, body: Any, object_type: str) -> tuple[int, Any]:
        inputs = self._batch_inputs(body)
        checked = [
            (str(i.get("id")), self._checked(object_type, i.get("properties") or {}))
            for i in inputs
        ]
        results, missing = [], []
        for record_id, props in checked:
            record = self.objects[object_type].get(record_id)
            if record is None or record.archived:
                missing.append(record_id)
                continue
            self._write(record, props)
            results.append(self._render(record, list(props)))
        return self._batch_answer(object_type, results, missing)

    def _search_objects(self, request: web.Request, body: Any, object_type: str) -> tuple[int, Any]:
        body = body or {}
        limit = min(max(int(body.get("limit") or 10), 1), 200)
        after = int(body.get("after") or 0)
        if after + limit > SEARCH_CAP:
            raise _Refused(
                400,
                "VALIDATION_ERROR",
                "There was a problem with the request. Paging beyond 10000 results is not "
                "supported: narrow the search with filters instead.",
            )
        groups = body.get("filterGroups") or []
        matched = [
            r
            for r in self.objects[object_type].values()
            if not r.archived and (not groups or any(self._matches(r, g) for g in groups))
        ]
        sorts = body.get("sorts") or []
        if sorts:
            sort = sorts[0]
            name = sort.get("propertyName", "") if isinstance(sort, dict) else str(sort)
            descending = isinstance(sort, dict) and sort.get("direction") == "DESCENDING"
            matched.sort(key=lambda r: (_sortable(self._value(r, name)), int(r.id)),
                         reverse=descending)  # fmt: skip
        else:
            matched.sort(key=lambda r: int(r.id))
        page = matched[after : after + limit]
        payload: dict[str, Any] = {
            "total": len(matched),
            "results": [self._render(r, list(body.get("properties") or [])) for r in page],
        }
        if after + limit < len(matched):
            payload["paging"] = {"next": {"after": str(after + limit)}}
        return 200, payload

    def _matches(self, record: Record, group: dict[str, Any]) -> bool:
        for rule in group.get("filters") or []:
            name, operator = rule.get("propertyName", ""), rule.get("operator", "EQ")
            have = self._value(record, name)
            want = rule.get("value")
            if operator == "HAS_PROPERTY":
                ok = have not in (None, "")
            elif operator == "NOT_HAS_PROPERTY":
                ok = have in (None, "")
            elif operator == "IN":
                ok = have is not None and have.casefold() in {
                    str(v).casefold() for v in rule.get("values") or []
                }
            elif have is None:
                ok = operator == "NEQ"
            else:
                left, right = _sortable(have), _sortable(_filter_value(name, want))
                if type(left) is not type(right):
                    left, right = str(left), str(right)
                ok = {
                    "EQ": left == right,
                    "NEQ": left != right,
                    "GT": left > right,
                    "GTE": left >= right,
                    "LT": left < right,
                    "LTE": left <= right,
                }.get(operator, False)
            if not ok:
                return False
        return True

    # handlers: properties

    def _properties_read(
        self, request: web.Request, body: Any, object_type: str
    ) -> tuple[int, Any]:
        return 200, {"results": list(self.properties[object_type].values())}

    def _properties_create(
        self, request: web.Request, body: Any, object_type: str
    ) -> tuple[int, Any]:
        body = body or {}
        name, kind = str(body.get("name") or ""), str(body.get("type") or "")
        field_type, group = str(body.get("fieldType") or ""), str(body.get("groupName") or "")
        problems = []
        if (
            not name
            or not name[0].isalpha()
            or not all(c.islower() or c.isdigit() or c == "_" for c in name)
        ):
            problems.append(f"name '{name}' must be lowercase letters, digits and underscores")
        if name.startswith("hs_"):
            problems.append("the hs_ prefix is reserved for HubSpot's own properties")
        if not body.get("label"):
            problems.append("label is required")
        if kind not in _FIELD_TYPES:
            problems.append(f"type '{kind}' is not one of {sorted(_FIELD_TYPES)}")
        elif field_type not in _FIELD_TYPES[kind]:
            problems.append(f"fieldType '{field_type}' does not fit type '{kind}'")
        if group not in self.groups[object_type]:
            problems.append(f"property group '{group}' does not exist")
        if problems:
            raise _Refused(400, "VALIDATION_ERROR", "; ".join(problems))
        if name in self.properties[object_type]:
            raise _Refused(409, "OBJECT_ALREADY_EXISTS", f"Property named '{name}' already exists.")
        self._define(object_type, name, kind, group)
        created = self.properties[object_type][name]
        created.update(
            label=body["label"], fieldType=field_type, description=body.get("description", "")
        )
        return 201, created

    def _groups_read(self, request: web.Request, body: Any, object_type: str) -> tuple[int, Any]:
        return 200, {
            "results": [
                {"name": g, "label": g.title(), "displayOrder": -1, "archived": False}
                for g in sorted(self.groups[object_type])
            ]
        }

    def _groups_create(self, request: web.Request, body: Any, object_type: str) -> tuple[int, Any]:
        name = str((body or {}).get("name") or "")
        if not name or not (body or {}).get("label"):
            raise _Refused(400, "VALIDATION_ERROR", "name and label are required")
        if name in self.groups[object_type]:
            raise _Refused(
                409, "OBJECT_ALREADY_EXISTS", f"A property group named '{name}' already exists."
            )
        self.groups[object_type].add(name)
        return 201, {"name": name, "label": body["label"], "displayOrder": -1, "archived": False}


def _default_field(kind: str) -> str:
    return {"number": "number", "enumeration": "select", "bool": "booleancheckbox"}.get(
        kind, "text"
    )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _iso(value)
    return "" if value is None else str(value)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _seconds(wait: float) -> str:
    """Retry-After in whole seconds, as HTTP says (never 0 for a refusal)."""
    return str(max(int(-(-wait // 1)), 1))


def _sortable(value: str | None) -> Any:
    """Numbers (epoch milliseconds included) compare as numbers, text case-insensitively."""
    if value is None:
        return ""
    try:
        return float(value)
    except ValueError:
        return value.casefold()


def _filter_value(name: str, value: Any) -> str:
    """A date filter may be epoch milliseconds or ISO 8601; both compare as milliseconds."""
    text = "" if value is None else str(value)
    if name in _MODIFIED_ANY | {"createdate", "hs_timestamp"} and not text.lstrip("-").isdigit():
        try:
            return str(_ms(datetime.fromisoformat(text.replace("Z", "+00:00"))))
        except ValueError:
            return text
    return text


def _limit(request: web.Request, default: int, cap: int) -> int:
    try:
        return min(max(int(request.query.get("limit", default)), 1), cap)
    except ValueError:
        return default


def _wanted(request: web.Request) -> list[str]:
    names: list[str] = []
    for value in request.query.getall("properties", []):
        names.extend(n.strip() for n in value.split(",") if n.strip())
    return names
