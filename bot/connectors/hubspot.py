"""The HubSpot connector: CRM v3 objects, search, batch, properties, owners and notes.

A thin async client on `CrmHttp` (see `bot/connectors/__init__.py` for why not
hubspot-api-client), authenticated with a private app's access token (`HUBSPOT_TOKEN`).
The private app needs the scopes `SCOPES` lists.

Default field mapping (`DEFAULT_FIELDS`; each CRM_FIELD_* setting overrides one, a blank
one turns it off), all on the company object:

    arr             annualrevenue                     standard ("Annual revenue")
    customer_since  hs_lifecyclestage_customer_date   standard ("Became a Customer Date")
    plan            plan                              custom: the portal must have it
    segment         segment                           custom: the portal must have it
    health          health                            custom: the portal must have it
    renewal_date    renewal_date                      custom: the portal must have it

Standard fields read as well: name, domain, industry, hubspot_owner_id (companies); email,
firstname, lastname, associatedcompanyid (the primary company), hs_language (contacts).
`python -m bot crm check` names any mapped property the portal lacks.

Pull: a full pass pages the list endpoints (100 a page), then the archived records
(`archived=true`). An incremental pass searches on the last-modified date (companies:
`hs_lastmodifieddate`, contacts: `lastmodifieddate`) ascending, 200 a page; a search stops
at 10,000 results, so the connector starts a new search at the last date it saw (skipping
the records it already returned). Search does not see archived records: an incremental
pass also pages the archived list and keeps those archived since the cursor.

Push: `batch/update` in chunks of 100 (None clears a property: HubSpot takes ""). A note
carries the custom property `voc_note_key`: `add_note` searches for it first, so one key is
never two notes; `crm setup` creates it with the push properties in the `voc` group.

Limits: every answer but search's carries X-HubSpot-RateLimit-Max/-Interval-Milliseconds;
the connector keeps its own calls inside that rolling window (one call spare), and search
calls inside search's lower rate (`SEARCH_RATE`), so a sync does not spend calls on 429s.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from bot.connectors.fields import field_map
from bot.connectors.http import Answer, CrmHttp
from bot.core.config import Settings
from bot.domain.crm import (
    MAPPED_ACCOUNT_FIELDS,
    CrmCompany,
    CrmConnector,
    CrmContact,
    CrmKind,
    CrmObject,
    CrmOwner,
    FieldMap,
    FieldSpec,
    Note,
    SchemaProblem,
)
from bot.domain.errors import CrmRecordRefused, CrmSetupError

log = logging.getLogger(__name__)

DEFAULT_FIELDS = FieldMap(
    arr="annualrevenue",
    plan="plan",
    segment="segment",
    health="health",
    renewal_date="renewal_date",
    customer_since="hs_lifecyclestage_customer_date",
)
SCOPES = (
    "crm.objects.owners.read",
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.schemas.companies.read",
    "crm.schemas.companies.write",
    "crm.schemas.contacts.read",
    "crm.schemas.contacts.write",
)
PATHS = {CrmObject.COMPANY: "companies", CrmObject.CONTACT: "contacts", CrmObject.NOTE: "notes"}
SINGULAR = {"companies": "company", "contacts": "contact", "notes": "note"}
MODIFIED = {"companies": "hs_lastmodifieddate", "contacts": "lastmodifieddate"}
COMPANY_PROPERTIES = ("name", "domain", "industry", "hubspot_owner_id")
CONTACT_PROPERTIES = ("email", "firstname", "lastname", "associatedcompanyid", "hs_language")
NOTE_KEY = "voc_note_key"
NOTE_KEY_SPEC = FieldSpec(CrmObject.NOTE, NOTE_KEY, "string", "VoC bot note key")
GROUP = "voc"
# Refusals about the portal's schema (the setup's to fix), not about one record's values.
_SETUP_CODES = frozenset({"PROPERTY_DOESNT_EXIST", "READ_ONLY_VALUE"})
LIST_PAGE, SEARCH_PAGE, BATCH = 100, 200, 100
SEARCH_CAP = 10_000  # results one search query can page through
SEARCH_RATE = (4, 1.0)  # search calls a window of seconds (HubSpot: a few a second)
NOTE_TO_CONTACT, NOTE_TO_COMPANY = 202, 190
_FIELD_TYPES = {
    "number": ("number", "number"),
    "string": ("string", "text"),
    "text": ("string", "textarea"),
    "datetime": ("datetime", "date"),
    "date": ("date", "date"),
    "enumeration": ("string", "text"),  # options are not known up front: free text
}
_PRIVATE_APPS = "HubSpot › Settings › Integrations › Private Apps"


class _Pacer:
    """Keeps calls inside HubSpot's rolling burst window (learned from its headers) and
    search calls inside search's own rate."""

    def __init__(
        self,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float],
        search_rate: tuple[int, float],
    ) -> None:
        self.sleep, self.clock = sleep, clock
        self.max: int | None = None
        self.window = 10.0
        self.sent: deque[float] = deque(maxlen=5000)
        self.search_max, self.search_window = search_rate
        self.searched: deque[float] = deque()

    async def __call__(self, path: str) -> None:
        if path.endswith("/search"):  # a tenth of the window spare: HubSpot counts a call
            # when it arrives, and one sent on the window's edge may arrive with one sent
            # late in the window before it (the burst limit keeps one call spare instead)
            await self._room(
                self.searched, self.search_max, self.search_window, spare=self.search_window / 10
            )
        if self.max is not None:
            await self._room(self.sent, max(self.max - 1, 1), self.window)
        now = self.clock()
        self.sent.append(now)
        if path.endswith("/search"):
            self.searched.append(now)

    async def _room(
        self, stamps: deque[float], budget: int, window: float, spare: float = 0.005
    ) -> None:
        now = self.clock()
        while stamps and stamps[0] <= now - window - spare:
            stamps.popleft()
        while len(stamps) >= budget:  # wait until the oldest call has left the window
            oldest = stamps.popleft()
            if oldest + window + spare > now:
                await self.sleep(oldest + window + spare - now)
                now = max(self.clock(), oldest + window + spare)

    def learn(self, headers: Mapping[str, str]) -> None:
        lower = {name.lower(): value for name, value in headers.items()}
        try:
            most = int(lower["x-hubspot-ratelimit-max"])
            interval = int(lower["x-hubspot-ratelimit-interval-milliseconds"]) / 1000
        except (KeyError, ValueError):
            return
        if most > 0 and interval > 0:
            self.max, self.window = most, interval


class HubSpot(CrmConnector):
    kind = CrmKind.HUBSPOT

    def __init__(
        self,
        *,
        token: str,
        base_url: str = "https://api.hubapi.com",
        fields: FieldMap = DEFAULT_FIELDS,
        retries: int = 6,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        search_rate: tuple[int, float] = SEARCH_RATE,
    ) -> None:
        self.fields = fields
        self.calls = 0
        self._pacer = _Pacer(sleep, clock, search_rate)
        self.http = CrmHttp(
            base_url=base_url,
            label="HubSpot",
            url_setting="HUBSPOT_API_URL",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            retries=retries,
            sleep=sleep,
            pace=self._pacer,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> HubSpot:
        if settings.hubspot_token is None:
            raise CrmSetupError(
                "HUBSPOT_TOKEN is not set: create a private app in "
                f"{_PRIVATE_APPS} and set HUBSPOT_TOKEN to its access token"
            )
        return cls(
            token=settings.hubspot_token.get_secret_value(),
            base_url=settings.hubspot_api_url,
            fields=field_map(settings, DEFAULT_FIELDS),
        )

    # the calls

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        allow: tuple[int, ...] = (),
    ) -> Answer:
        """One API call; an answer that is neither ok nor in `allow` raises CrmSetupError, or
        CrmRecordRefused when a write was refused for its values alone."""
        try:
            answer = await self.http.request(method, path, json_body=json_body, params=params)
        finally:
            self.calls = self.http.calls
        self._pacer.learn(answer.headers)
        if answer.ok or answer.status in allow:
            return answer
        raise self._refusal(method, path, answer)

    def _refusal(self, method: str, path: str, answer: Answer) -> CrmSetupError | CrmRecordRefused:
        body = answer.body if isinstance(answer.body, dict) else {}
        category = str(body.get("category") or "")
        if answer.status == 401:
            return CrmSetupError(
                "HubSpot refused HUBSPOT_TOKEN (401 INVALID_AUTHENTICATION): create a private "
                f"app in {_PRIVATE_APPS} with the scopes {', '.join(SCOPES)}, and set "
                "HUBSPOT_TOKEN to its access token"
            )
        if answer.status == 403:
            scopes = _required_scopes(body) or ["(HubSpot did not say which)"]
            return CrmSetupError(
                f"HubSpot's private app lacks the scope {', '.join(scopes)} (403 "
                f"{category or 'FORBIDDEN'}): add it in {_PRIVATE_APPS} › your app › Scopes, "
                "commit the change, and set HUBSPOT_TOKEN to the token it shows"
            )
        unknown = _unknown_properties(body)
        if answer.status == 400 and unknown:
            return CrmSetupError(self._unknown_line(path, unknown))
        refused = _refused_values(body)
        if answer.status == 400 and method != "GET" and refused:
            return CrmRecordRefused(
                f"HubSpot refused a value of {', '.join(refused)} (400 {category}: "
                f"{', '.join(sorted(set(refused.values())))}): check the property's type "
                "and options in HubSpot"
            )
        message = str(body.get("message") or answer.body or "")[:200]
        return CrmSetupError(
            f"HubSpot refused {method} {path.split('?')[0]} ({answer.status} "
            f"{category}): {message}".replace("\n", " ")
        )

    def _unknown_line(self, path: str, names: list[str]) -> str:
        object_type = next((t for t in SINGULAR if f"/{t}" in path), "")
        settings = {crm: MAPPED_ACCOUNT_FIELDS[name] for name, crm in self.fields.mapped().items()}
        lines = []
        for name in names:
            if name in settings and object_type == "companies":
                lines.append(
                    f"HubSpot has no {SINGULAR[object_type]} property '{name}': set "
                    f"{settings[name]} to an existing property, or leave it blank to not sync it"
                )
            else:
                lines.append(
                    f"HubSpot has no {SINGULAR.get(object_type, 'such')} property '{name}': "
                    "run python -m bot crm setup to create VoC bot's properties"
                )
        return "; ".join(lines)

    # pull

    async def owners(self) -> list[CrmOwner]:
        found: list[CrmOwner] = []
        after: str | None = None
        while True:
            params = {"limit": "100", "archived": "false"}
            if after:
                params["after"] = after
            answer = await self._call("GET", "/crm/v3/owners", params=params)
            for item in answer.body.get("results") or []:
                name = " ".join(p for p in (item.get("firstName"), item.get("lastName")) if p)
                found.append(CrmOwner(str(item["id"]), item.get("email") or None, name or None))
            after = _next(answer.body)
            if after is None:
                return found

    def _company_properties(self) -> list[str]:
        return [*COMPANY_PROPERTIES, *self.fields.mapped().values()]

    async def companies(self, since: datetime | None) -> AsyncIterator[list[CrmCompany]]:
        async for page in self._records("companies", self._company_properties(), since):
            yield [self._company(item) for item in page]

    async def contacts(self, since: datetime | None) -> AsyncIterator[list[CrmContact]]:
        async for page in self._records("contacts", list(CONTACT_PROPERTIES), since):
            yield [_contact(item) for item in page]

    async def _records(
        self, object_type: str, properties: list[str], since: datetime | None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        if since is None:
            async for page in self._list(object_type, properties, archived=False):
                yield page
        else:
            async for page in self._changed(object_type, properties, since):
                yield page
        async for page in self._list(object_type, properties, archived=True):
            if since is not None:
                page = [i for i in page if _when(i.get("archivedAt")) >= since]
            if page:
                yield page

    async def _list(
        self, object_type: str, properties: list[str], *, archived: bool
    ) -> AsyncIterator[list[dict[str, Any]]]:
        after: str | None = None
        while True:
            params = {
                "limit": str(LIST_PAGE),
                "properties": ",".join(properties),
                "archived": "true" if archived else "false",
            }
            if after:
                params["after"] = after
            answer = await self._call("GET", f"/crm/v3/objects/{object_type}", params=params)
            results = answer.body.get("results") or []
            if results:
                yield results
            after = _next(answer.body)
            if after is None:
                return

    async def _changed(
        self, object_type: str, properties: list[str], since: datetime
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Records modified at or after `since`, oldest first, through the 10,000 cap."""
        modified = MODIFIED[object_type]
        floor = _ms(since)
        after = 0
        edge_ms, edge_ids = -1, set[str]()  # the last date seen, and the ids seen at it
        fresh_since_restart = 0
        while True:
            body = {
                "filterGroups": [
                    {
                        "filters": [
                            {"propertyName": modified, "operator": "GTE", "value": str(floor)}
                        ]
                    }
                ],
                "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
                "properties": properties,
                "limit": SEARCH_PAGE,
                "after": str(after),
            }
            answer = await self._call(
                "POST", f"/crm/v3/objects/{object_type}/search", json_body=body
            )
            results = answer.body.get("results") or []
            page = []
            for item in results:
                props = item.get("properties") or {}
                stamp = _ms(_when(props.get(modified) or item.get("updatedAt")))
                if stamp == edge_ms and item["id"] in edge_ids:
                    continue  # read before this search restarted at its date
                if stamp != edge_ms:
                    edge_ms, edge_ids = stamp, set()
                edge_ids.add(item["id"])
                page.append(item)
            if page:
                fresh_since_restart += len(page)
                yield page
            following = _next(answer.body)
            if following is None:
                return
            if int(following) + SEARCH_PAGE <= SEARCH_CAP:
                after = int(following)
                continue
            if not fresh_since_restart:  # 10,000 records share one date: nothing more to do
                log.warning(
                    "HubSpot search cannot page past one date",
                    extra={"object": object_type, "at_ms": edge_ms},
                )
                return
            floor, after, fresh_since_restart = edge_ms, 0, 0

    def _company(self, item: dict[str, Any]) -> CrmCompany:
        props = item.get("properties") or {}
        mapped = self.fields.mapped()

        def value(name: str) -> str | None:
            crm = mapped.get(name)
            return _blank(props.get(crm)) if crm else None

        return CrmCompany(
            crm_id=str(item["id"]),
            name=_blank(props.get("name")) or _blank(props.get("domain")) or f"#{item['id']}",
            modified_at=_when(item.get("updatedAt")),
            domain=_blank(props.get("domain")),
            industry=_blank(props.get("industry")),
            owner_id=_blank(props.get("hubspot_owner_id")),
            arr=_number(value("arr")),
            plan=value("plan"),
            segment=value("segment"),
            health=value("health"),
            renewal_date=_day(value("renewal_date")),
            customer_since=_day(value("customer_since")),
            archived=bool(item.get("archived")),
        )

    # push

    async def update(self, object: CrmObject, values: Mapping[str, Mapping[str, object]]) -> None:
        object_type = PATHS[object]
        inputs = [
            {"id": str(crm_id), "properties": {k: _property(v) for k, v in fields.items()}}
            for crm_id, fields in values.items()
        ]
        for start in range(0, len(inputs), BATCH):
            answer = await self._call(
                "POST",
                f"/crm/v3/objects/{object_type}/batch/update",
                json_body={"inputs": inputs[start : start + BATCH]},
            )
            errors = answer.body.get("errors") if isinstance(answer.body, dict) else None
            for error in errors or []:  # 207: records deleted in HubSpot meanwhile
                gone = ((error or {}).get("context") or {}).get("ids") or []
                log.info(
                    "HubSpot records gone before an update",
                    extra={"object": object_type, "count": len(gone)},
                )

    async def read(
        self, object: CrmObject, crm_id: str, fields: tuple[str, ...]
    ) -> dict[str, object] | None:
        answer = await self._call(
            "GET",
            f"/crm/v3/objects/{PATHS[object]}/{crm_id}",
            params={"properties": ",".join(fields)},
            allow=(404,),
        )
        if answer.status == 404:
            return None
        props = answer.body.get("properties") or {}
        return {name: _blank(props.get(name)) for name in fields}

    async def find_contact(self, email: str) -> str | None:
        """By `idProperty=email`: exact, immediate (search's index lags), and not held to
        search's lower rate."""
        answer = await self._call(
            "GET",
            f"/crm/v3/objects/contacts/{quote(email.strip().lower(), safe='')}",
            params={"idProperty": "email", "properties": "email"},
            allow=(404,),
        )
        return None if answer.status == 404 else str(answer.body["id"])

    async def add_note(self, note: Note) -> str:
        found = await self._call(
            "POST",
            "/crm/v3/objects/notes/search",
            json_body={
                "filterGroups": [
                    {"filters": [{"propertyName": NOTE_KEY, "operator": "EQ", "value": note.key}]}
                ],
                "properties": [NOTE_KEY],
                "limit": 1,
            },
        )
        for item in found.body.get("results") or []:
            return str(item["id"])
        associations = [
            {
                "to": {"id": str(target)},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": kind}],
            }
            for target, kind in (
                (note.contact_id, NOTE_TO_CONTACT),
                (note.company_id, NOTE_TO_COMPANY),
            )
            if target
        ]
        created = await self._call(
            "POST",
            "/crm/v3/objects/notes",
            json_body={
                "properties": {
                    "hs_note_body": _note_html(note.title, note.body),
                    "hs_timestamp": _property(note.at),
                    NOTE_KEY: note.key,
                },
                "associations": associations,
            },
        )
        return str(created.body["id"])

    async def append_to_note(self, note_id: str, text: str) -> None:
        """Add a paragraph once: a retry finds it already there and writes nothing."""
        answer = await self._call(
            "GET",
            f"/crm/v3/objects/notes/{note_id}",
            params={"properties": "hs_note_body"},
            allow=(404,),
        )
        if answer.status == 404:
            log.info("HubSpot note gone before an append", extra={"note_id": note_id})
            return
        body = str((answer.body.get("properties") or {}).get("hs_note_body") or "")
        paragraph = _paragraph(text)
        if paragraph in body:
            return
        await self._call(
            "PATCH",
            f"/crm/v3/objects/notes/{note_id}",
            json_body={"properties": {"hs_note_body": body + paragraph}},
        )

    async def delete_note(self, note_id: str) -> bool:
        answer = await self._call("DELETE", f"/crm/v3/objects/notes/{note_id}", allow=(404,))
        return answer.status != 404

    # schema

    async def missing(self, needed: list[FieldSpec]) -> list[SchemaProblem]:
        """What of `needed` the portal lacks (`crm setup` and `crm check` ask for the note key
        `add_note` relies on too; a sync asks only for the fields it reads)."""
        settings = {crm: MAPPED_ACCOUNT_FIELDS[name] for name, crm in self.fields.mapped().items()}
        problems: list[SchemaProblem] = []
        known: dict[CrmObject, set[str]] = {}
        for spec in needed:
            if spec.object not in known:
                answer = await self._call("GET", f"/crm/v3/properties/{PATHS[spec.object]}")
                known[spec.object] = {str(p.get("name")) for p in answer.body.get("results") or []}
            if spec.name not in known[spec.object]:
                setting = settings.get(spec.name) if spec.object is CrmObject.COMPANY else None
                problems.append(SchemaProblem(spec.object, spec.name, setting))
        return problems

    async def create_fields(self, specs: list[FieldSpec]) -> list[FieldSpec]:
        """Create each property in the `voc` group (made first when missing); one that
        exists already counts as done. Returns those HubSpot refused."""
        refused: list[FieldSpec] = []
        grouped: set[CrmObject] = set()
        for spec in _with_note_key(specs):
            object_type = PATHS[spec.object]
            if spec.object not in grouped:
                await self._call(
                    "POST",
                    f"/crm/v3/properties/{object_type}/groups",
                    json_body={"name": GROUP, "label": "VoC bot", "displayOrder": -1},
                    allow=(409,),
                )
                grouped.add(spec.object)
            kind, field_type = _FIELD_TYPES.get(spec.type, ("string", "text"))
            answer = await self._call(
                "POST",
                f"/crm/v3/properties/{object_type}",
                json_body={
                    "name": spec.name,
                    "label": spec.label,
                    "type": kind,
                    "fieldType": field_type,
                    "groupName": GROUP,
                    "description": "Written by VoC bot",
                },
                allow=(400, 409),
            )
            if answer.status == 400:
                body = answer.body if isinstance(answer.body, dict) else {}
                log.warning(
                    "HubSpot refused a property",
                    extra={"property": spec.name, "why": str(body.get("message"))[:200]},
                )
                refused.append(spec)
        return refused

    async def close(self) -> None:
        await self.http.close()


def _with_note_key(specs: list[FieldSpec]) -> list[FieldSpec]:
    return [*specs, NOTE_KEY_SPEC] if NOTE_KEY_SPEC not in specs else list(specs)


def _property(value: object) -> str:
    """A value as HubSpot's properties take it: None clears ("")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        at = value if value.tzinfo else value.replace(tzinfo=UTC)
        return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_URL = re.compile(r"https?://[^\s<>\"']+")


def _paragraph(text: str) -> str:
    """Plain text as one HTML paragraph: escaped, line breaks kept, links clickable."""
    escaped = html.escape(text.strip(), quote=True)
    linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
    return "<p>" + linked.replace("\n", "<br>") + "</p>"


def _note_html(title: str, body: str) -> str:
    return f"<p><strong>{html.escape(title.strip())}</strong></p>" + _paragraph(body)


def _contact(item: dict[str, Any]) -> CrmContact:
    props = item.get("properties") or {}
    name = " ".join(n for n in (_blank(props.get("firstname")), _blank(props.get("lastname"))) if n)
    email = _blank(props.get("email"))
    return CrmContact(
        crm_id=str(item["id"]),
        email=email.lower() if email else None,
        modified_at=_when(item.get("updatedAt")),
        name=name or None,
        company_id=_blank(props.get("associatedcompanyid")),
        locale=_blank(props.get("hs_language")),
        archived=bool(item.get("archived")),
    )


def _next(body: Any) -> str | None:
    after = (((body or {}).get("paging") or {}).get("next") or {}).get("after")
    return str(after) if after not in (None, "") else None


def _blank(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _when(value: Any) -> datetime:
    """HubSpot's ISO 8601 stamp (or epoch milliseconds) as an aware UTC datetime."""
    text = str(value or "").strip()
    if not text:
        return datetime.min.replace(tzinfo=UTC)
    if text.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _day(value: str | None) -> date | None:
    """A date property ("2025-03-01", or midnight UTC as ISO or epoch milliseconds)."""
    if value is None:
        return None
    try:
        if len(value) == 10 and value[4] == "-":
            return date.fromisoformat(value)
        return _when(value).date()
    except ValueError:
        return None


def _ms(at: datetime) -> int:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return int(at.timestamp() * 1000)


def _required_scopes(body: Mapping[str, Any]) -> list[str]:
    scopes: list[str] = []
    for error in body.get("errors") or []:
        context = (error or {}).get("context") or {}
        for key in ("requiredGranularScopes", "requiredScopes", "requiredScope"):
            scopes.extend(str(s) for s in context.get(key) or [])
    return list(dict.fromkeys(scopes))


def _refused_values(body: Mapping[str, Any]) -> dict[str, str]:
    """The properties whose values a write was refused for, with HubSpot's code for each
    (INVALID_OPTION, INVALID_INTEGER, …); not an unknown or read-only property."""
    refused: dict[str, str] = {}
    for error in body.get("errors") or []:
        code = str((error or {}).get("code") or "")
        if code and code not in _SETUP_CODES:
            for name in (error.get("context") or {}).get("propertyName") or []:
                refused[str(name)] = code
    return refused


def _unknown_properties(body: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for error in body.get("errors") or []:
        if (error or {}).get("code") == "PROPERTY_DOESNT_EXIST":
            context = error.get("context") or {}
            names.extend(str(n) for n in context.get("propertyName") or [])
    if not names and "PROPERTY_DOESNT_EXIST" in str(body.get("message") or ""):
        names = re.findall(r'Property \\?"([^"\\]+)\\?" does not exist', str(body["message"]))
    return list(dict.fromkeys(names))
