"""The Salesforce connector: a thin async client of the REST API (see bot/connectors/__init__
for why not simple-salesforce), turning Accounts, Contacts and Users into `bot.domain.crm`
values and writing VoC bot's fields back.

Login: OAuth 2.0 client-credentials flow against `SALESFORCE_URL` (the org's My Domain URL)
with the connected app's consumer key and secret (`SALESFORCE_CLIENT_ID`,
`SALESFORCE_CLIENT_SECRET`); the connected app needs "Enable Client Credentials Flow" and a
Run As user with "API Enabled". The token is fetched on first use and once more when
Salesforce answers INVALID_SESSION_ID.

Account fields read (DEFAULT_FIELDS; each mapped one can be changed or turned off with its
CRM_FIELD_* setting, a blank value meaning "not synced"):

    name             Name                standard
    domain           Website             standard (scheme, www. and path dropped)
    industry         Industry            standard
    owner (CSM)      OwnerId → User.Email standard
    arr              AnnualRevenue       standard          CRM_FIELD_ARR
    plan             Plan__c             custom            CRM_FIELD_PLAN
    segment          Segment__c          custom            CRM_FIELD_SEGMENT
    health           Health__c           custom            CRM_FIELD_HEALTH
    renewal_date     Renewal_Date__c     custom (Date)     CRM_FIELD_RENEWAL
    customer_since   Customer_Since__c   custom (Date)     CRM_FIELD_CUSTOMER_SINCE

Contacts: Email, Name, AccountId (all standard). Salesforce has no standard locale on a
Contact, so none is read.

Pull: SOQL through `queryAll` (so records in the recycle bin come back with IsDeleted and
become archived), `ORDER BY SystemModstamp, Id`, paged with `nextRecordsUrl`; incremental
passes add `WHERE SystemModstamp >= cursor`.

The daily API allowance: every answer's `Sforce-Limit-Info: api-usage=used/allowance` is
read; once what remains is at or under ALLOWANCE_MARGIN (5%) of the allowance, the next call
raises CrmAllowanceSpent instead of being sent, so the org keeps room for its other
integrations. Salesforce frees the allowance over a rolling 24 hours.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, urlsplit

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
    salesforce_name,
)
from bot.domain.errors import CrmAllowanceSpent, CrmRecordRefused, CrmSetupError

API_VERSION = "v62.0"
ALLOWANCE_MARGIN = 0.05  # stop when at most this share of the daily allowance remains
DEFAULT_FIELDS = FieldMap(
    arr="AnnualRevenue",
    plan="Plan__c",
    segment="Segment__c",
    health="Health__c",
    renewal_date="Renewal_Date__c",
    customer_since="Customer_Since__c",
)
SOBJECTS = {CrmObject.COMPANY: "Account", CrmObject.CONTACT: "Contact", CrmObject.NOTE: "Task"}
_ACCOUNT_STANDARD = ("Id", "Name", "Website", "Industry", "OwnerId", "SystemModstamp", "IsDeleted")
_CONTACT_FIELDS = ("Id", "Email", "Name", "AccountId", "SystemModstamp", "IsDeleted")
_NO_COLUMN = re.compile(r"No such column '([^']+)' on (?:entity '|sobject of type )(\w+)")
BATCH = 200  # sObject Collections take at most 200 records a call
TASK_TEXT = 32_000  # Task.Description's length
NOTE_KEY_FIELD = "VoC_Note_Key__c"  # external ID on Task: one Task a note key
NOTE_KEY_SPEC = FieldSpec(CrmObject.NOTE, NOTE_KEY_FIELD, "string", "VoC note key")
# Refusals of one record's values (the others go on), not of the connection or schema.
_VALUE_CODES = frozenset(
    {
        "STRING_TOO_LONG",
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "FIELD_INTEGRITY_EXCEPTION",
        "INVALID_TYPE_ON_FIELD_IN_RECORD",
        "NUMBER_OUTSIDE_VALID_RANGE",
        "REQUIRED_FIELD_MISSING",
        "DUPLICATE_VALUE",
    }
)
_GONE = frozenset({"ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY", "INVALID_ID_FIELD"})
_QUIET = _GONE | {"ALL_OR_NONE_OPERATION_ROLLED_BACK"}
_ABOUT = "Written by VoC bot"
_FIELD_TYPES: dict[str, dict[str, object]] = {
    "number": {"type": "Number", "precision": 18, "scale": 2},
    "string": {"type": "Text", "length": 255},
    "enumeration": {"type": "Text", "length": 255},
    "text": {"type": "LongTextArea", "length": 32768, "visibleLines": 5},
    "datetime": {"type": "DateTime"},
}
log = logging.getLogger(__name__)
_SETUP = (
    "run python -m bot crm setup (or add it in Setup → Object Manager); if it exists, give "
    "the Run As user's permission set Edit access to it"
)


class Salesforce(CrmConnector):
    kind = CrmKind.SALESFORCE

    def __init__(
        self,
        *,
        url: str,
        client_id: str,
        client_secret: str,
        fields: FieldMap = DEFAULT_FIELDS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        retries: int = 6,
    ) -> None:
        self.fields = fields
        self.calls = 0
        self.api_used: int | None = None  # from the last Sforce-Limit-Info
        self.api_allowance: int | None = None
        self._client_id, self._client_secret = client_id, client_secret
        self._http = CrmHttp(
            base_url=url,
            label="Salesforce",
            url_setting="SALESFORCE_URL",
            retries=retries,
            sleep=sleep,
        )
        self._token: str | None = None
        self._described: dict[CrmObject, set[str]] = {}
        self._instance = url.rstrip("/")

    @classmethod
    def from_settings(cls, settings: Settings) -> Salesforce:
        settings.require("SALESFORCE_URL", "SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET")
        assert settings.salesforce_url and settings.salesforce_client_id
        assert settings.salesforce_client_secret is not None
        return cls(
            url=settings.salesforce_url,
            client_id=settings.salesforce_client_id,
            client_secret=settings.salesforce_client_secret.get_secret_value(),
            fields=field_map(settings, DEFAULT_FIELDS),
        )

    # pull

    async def owners(self) -> list[CrmOwner]:
        found: list[CrmOwner] = []
        async for page in self._query("SELECT Id, Email, Name FROM User ORDER BY Id"):
            found.extend(
                CrmOwner(crm_id=r["Id"], email=r.get("Email") or None, name=r.get("Name"))
                for r in page
            )
        return found

    async def companies(self, since: datetime | None) -> AsyncIterator[list[CrmCompany]]:
        mapped = self.fields.mapped()
        names = list(dict.fromkeys([*_ACCOUNT_STANDARD, *mapped.values()]))
        async for page in self._query(_changed("Account", names, since), every=True):
            yield [_company(r, mapped) for r in page]

    async def contacts(self, since: datetime | None) -> AsyncIterator[list[CrmContact]]:
        async for page in self._query(_changed("Contact", _CONTACT_FIELDS, since), every=True):
            yield [_contact(r) for r in page]

    # push

    async def update(self, object: CrmObject, values: Mapping[str, Mapping[str, object]]) -> None:
        """sObject Collections, 200 records a call, all or none: a record deleted in
        Salesforce meanwhile is left out and the rest sent again; any other refusal writes
        nothing."""
        sobject = SOBJECTS[object]
        rows = [
            {"attributes": {"type": sobject}, "id": crm_id}
            | {sf_name(name): _json_value(value) for name, value in fields.items()}
            for crm_id, fields in values.items()
        ]
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            while batch:
                answer = await self._call(
                    "PATCH",
                    f"/services/data/{API_VERSION}/composite/sobjects",
                    json_body={"allOrNone": True, "records": batch},
                )
                results = answer.body if isinstance(answer.body, list) else []
                gone = {
                    row["id"]
                    for row, result in zip(batch, results, strict=False)
                    if not result.get("success") and _error_code(result) in _GONE
                }
                refused = [
                    r for r in results if not r.get("success") and _error_code(r) not in _QUIET
                ]
                if refused:
                    raise _collection_refusal(refused[0], sobject, self.fields)
                if not gone:
                    break
                log.info("CRM records gone", extra={"crm": "Salesforce", "count": len(gone)})
                batch = [row for row in batch if row["id"] not in gone]

    async def read(
        self, object: CrmObject, crm_id: str, fields: tuple[str, ...]
    ) -> dict[str, object] | None:
        names = {sf_name(name): name for name in fields}
        answer = await self._call(
            "GET",
            f"/services/data/{API_VERSION}/sobjects/{SOBJECTS[object]}/{quote(crm_id, safe='')}",
            params={"fields": ",".join(names)},
            ok=(404,),
        )
        if answer.status == 404 or not isinstance(answer.body, dict):
            return None
        return {ours: answer.body.get(theirs) for theirs, ours in names.items()}

    async def find_contact(self, email: str) -> str | None:
        soql = (
            f"SELECT Id FROM Contact WHERE Email = '{_soql_text(email.strip())}' "
            "ORDER BY CreatedDate, Id LIMIT 1"
        )
        async for page in self._query(soql):
            return str(page[0]["Id"]) if page else None
        return None

    async def add_note(self, note: Note) -> str:
        """A Task keyed by NOTE_KEY_FIELD: looked up first (so a retried call neither doubles
        it nor overwrites an outcome appended since), then upserted on that key."""
        key = quote(note.key, safe="")
        path = f"/services/data/{API_VERSION}/sobjects/Task/{NOTE_KEY_FIELD}/{key}"
        found = await self._call("GET", path, params={"fields": "Id"}, ok=(404,))
        if found.status != 404 and isinstance(found.body, dict) and found.body.get("Id"):
            return str(found.body["Id"])
        task: dict[str, object] = {
            "Subject": note.title[:255],
            "Description": note.body[:TASK_TEXT],
            "ActivityDate": note.at.date().isoformat(),
            "Status": "Completed",
            "Priority": "Normal",
        }
        if note.contact_id:
            task["WhoId"] = note.contact_id
        if note.company_id:
            task["WhatId"] = note.company_id
        while True:
            answer = await self._call("PATCH", path, json_body=task, ok=(400, 404))
            gone = _gone_references(answer) & {"WhoId", "WhatId"} & set(task)
            if answer.status != 400 or not gone:
                break
            # the contact or account was deleted in Salesforce since: note on what is left
            task = {name: value for name, value in task.items() if name not in gone}
        if answer.status == 400:
            raise _refusal(answer, self.fields)
        if answer.status == 404:
            raise CrmSetupError(f"Salesforce has no field {NOTE_KEY_FIELD} on Task: {_SETUP}")
        if isinstance(answer.body, dict) and answer.body.get("id"):
            return str(answer.body["id"])
        again = await self._call("GET", path, params={"fields": "Id"})
        return str(again.body["Id"])

    async def append_to_note(self, note_id: str, text: str) -> None:
        path = f"/services/data/{API_VERSION}/sobjects/Task/{quote(note_id, safe='')}"
        answer = await self._call("GET", path, params={"fields": "Description"}, ok=(404,))
        if answer.status == 404:
            return  # deleted in Salesforce: nothing to add to
        before = str(answer.body.get("Description") or "")
        if text.strip() in before:
            return  # already appended (a retried call)
        joined = f"{before}\n\n{text}" if before else text
        await self._call("PATCH", path, json_body={"Description": joined[:TASK_TEXT]})

    async def delete_note(self, note_id: str) -> bool:
        path = f"/services/data/{API_VERSION}/sobjects/Task/{quote(note_id, safe='')}"
        answer = await self._call("DELETE", path, ok=(404,))
        return answer.status != 404

    # schema

    async def missing(self, needed: list[FieldSpec]) -> list[SchemaProblem]:
        """The needed fields (by either name: `voc_nps` or `VoC_Nps__c`) that the objects'
        describe lacks (`crm setup` and `crm check` ask for Task's NOTE_KEY_FIELD too)."""
        settings = {crm: MAPPED_ACCOUNT_FIELDS[ours] for ours, crm in self.fields.mapped().items()}
        self._described.clear()  # the schema as it is now, not as it was
        problems: list[SchemaProblem] = []
        for spec in needed:
            name = sf_name(spec.name)
            if name not in await self._fields_of(spec.object):
                setting = settings.get(name) if spec.object is CrmObject.COMPANY else None
                problem = SchemaProblem(spec.object, name, setting)
                if problem not in problems:
                    problems.append(problem)
        return problems

    async def create_fields(self, specs: list[FieldSpec]) -> list[FieldSpec]:
        """Create the missing custom fields through the Tooling API (plus NOTE_KEY_FIELD);
        returns those it could not create, named as Salesforce names them. Field-level
        security for the new fields is the admin's: the Run As user's permission set must
        grant Edit on them."""
        self._described.clear()
        left: list[FieldSpec] = []
        refused = False  # the Run As user may not create fields: ask once, not each time
        wanted = {(s.object, sf_name(s.name)): s for s in [*specs, NOTE_KEY_SPEC]}
        for (kind, name), spec in wanted.items():
            if name in await self._fields_of(kind):
                continue
            if refused or not name.endswith("__c"):
                left.append(replace(spec, name=name))  # a standard field cannot be made
                continue
            answer = await self._call(
                "POST",
                f"/services/data/{API_VERSION}/tooling/sobjects/CustomField",
                json_body=_custom_field(kind, name, spec),
                ok=(400, 403),
            )
            code = _answer_code(answer)
            if answer.ok or code == "DUPLICATE_DEVELOPER_NAME":
                self._described.pop(kind, None)
                continue
            if code == "REQUEST_LIMIT_EXCEEDED":
                raise _refusal(answer, self.fields)
            refused = answer.status == 403
            log.info("CRM field not created", extra={"crm": "Salesforce", "field": name})
            left.append(replace(spec, name=name))
        return left

    async def _fields_of(self, kind: CrmObject) -> set[str]:
        if kind not in self._described:
            answer = await self._call(
                "GET", f"/services/data/{API_VERSION}/sobjects/{SOBJECTS[kind]}/describe"
            )
            self._described[kind] = {str(f["name"]) for f in answer.body.get("fields", [])}
        return self._described[kind]

    async def close(self) -> None:
        await self._http.close()

    # the API

    async def _query(
        self, soql: str, *, every: bool = False
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of a SOQL query's records; `every` uses queryAll (deleted ones too)."""
        path = f"/services/data/{API_VERSION}/{'queryAll' if every else 'query'}"
        answer = await self._call("GET", path, params={"q": soql})
        while True:
            body = answer.body
            yield list(body.get("records") or [])
            if body.get("done", True) or not body.get("nextRecordsUrl"):
                return
            answer = await self._call("GET", body["nextRecordsUrl"])

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        ok: tuple[int, ...] = (),
    ) -> Answer:
        """One data API call, logged in; raises the CRM errors for any answer that is not
        2xx (or one of `ok`)."""
        self._check_allowance()
        for attempt in range(2):
            if self._token is None:
                await self._login()
            try:
                answer = await self._http.request(
                    method,
                    self._instance + path,
                    params=params,
                    json_body=json_body,
                    headers={"Authorization": f"Bearer {self._token}"},
                )
            finally:
                self.calls = self._http.calls
            self._read_allowance(answer)
            if answer.status == 401 and attempt == 0:
                self._token = None  # expired or revoked: log in once more
                continue
            if answer.ok or answer.status in ok:
                return answer
            raise _refusal(answer, self.fields)
        raise CrmSetupError(
            "Salesforce refused a fresh access token (INVALID_SESSION_ID): check that the "
            "connected app's Run As user is active and has API Enabled"
        )

    async def _login(self) -> None:
        try:
            answer = await self._http.request(
                "POST",
                "/services/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self._client_id,
                    "client_secret": self._client_secret,
                },
            )
        finally:
            self.calls = self._http.calls
        body = answer.body if isinstance(answer.body, dict) else {}
        if answer.ok and body.get("access_token"):
            self._token = str(body["access_token"])
            self._instance = str(body.get("instance_url") or self._instance).rstrip("/")
            return
        error = str(body.get("error", ""))
        if error == "invalid_client" or error == "invalid_client_id":
            raise CrmSetupError(
                "Salesforce refused SALESFORCE_CLIENT_ID / SALESFORCE_CLIENT_SECRET "
                f"({error}): copy the consumer key and secret from the connected app "
                "(Setup → App Manager → your app → View → Manage Consumer Details)"
            )
        if error in ("invalid_grant", "unsupported_grant_type", "invalid_request") and (
            "domain" not in str(body.get("error_description", ""))
        ):
            raise CrmSetupError(
                f"Salesforce refused the client-credentials login ({error}): in the connected "
                "app, enable the Client Credentials Flow and set a Run As user with API Enabled"
            )
        raise CrmSetupError(
            f"SALESFORCE_URL {self._http.base_url} did not answer as a Salesforce org "
            f"(HTTP {answer.status} from /services/oauth2/token): set it to your org's My "
            "Domain URL, e.g. https://yourcompany.my.salesforce.com"
        )

    def _read_allowance(self, answer: Answer) -> None:
        info = answer.headers.get("Sforce-Limit-Info") or answer.headers.get("sforce-limit-info")
        match = re.search(r"api-usage=(\d+)/(\d+)", info or "")
        if match:
            self.api_used, self.api_allowance = int(match[1]), int(match[2])

    def _check_allowance(self) -> None:
        used, allowance = self.api_used, self.api_allowance
        if used is None or not allowance:
            return
        if allowance - used <= allowance * ALLOWANCE_MARGIN:
            raise CrmAllowanceSpent(_spent(used, allowance))


def sf_name(name: str) -> str:
    """VoC bot's push field (`voc_last_score`) as its Salesforce custom field
    (`VoC_Last_Score__c`); any other name (already Salesforce's) as it is."""
    return salesforce_name(name) if name.startswith("voc_") else name


def _custom_field(kind: CrmObject, name: str, spec: FieldSpec) -> dict[str, object]:
    """The Tooling API's CustomField for a spec (Task fields live on Activity)."""
    metadata: dict[str, object] = {"label": spec.label[:40] or name, "description": _ABOUT}
    metadata |= _FIELD_TYPES.get(spec.type, _FIELD_TYPES["string"])
    if name == NOTE_KEY_FIELD:
        metadata |= {"externalId": True, "unique": True}
    entity = "Activity" if kind is CrmObject.NOTE else SOBJECTS[kind]
    return {"FullName": f"{entity}.{name}", "Metadata": metadata}


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _soql_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _gone_references(answer: Answer) -> set[str]:
    """The reference fields a 400 names as pointing at a deleted or unknown record."""
    errors = answer.body if isinstance(answer.body, list) else []
    return {
        str(name)
        for error in errors
        if isinstance(error, dict) and error.get("errorCode") in _GONE
        for name in error.get("fields") or []
    }


def _error_code(result: Mapping[str, Any]) -> str:
    errors = result.get("errors") or [{}]
    return str(errors[0].get("statusCode", ""))


def _answer_code(answer: Answer) -> str:
    body = answer.body if isinstance(answer.body, list) and answer.body else [{}]
    return str(body[0].get("errorCode", "")) if isinstance(body[0], dict) else ""


def _collection_refusal(result: Mapping[str, Any], sobject: str, fields: FieldMap) -> Exception:
    error = (result.get("errors") or [{}])[0]
    code, message = str(error.get("statusCode", "")), str(error.get("message", ""))
    about_a_field = _field_refusal(code, message, error.get("fields"), fields)
    if about_a_field is not None:
        return about_a_field
    if code in _VALUE_CODES:
        return _value_refusal(code, error.get("fields"))
    return CrmSetupError(
        f"Salesforce refused an update of {sobject} {result.get('id')} ({code}: "
        f"{str(error.get('message', ''))[:160]})"
    )


def _spent(used: int, allowance: int) -> str:
    return (
        f"Salesforce's daily API allowance is nearly spent ({used:,} of {allowance:,} calls "
        f"used); stopped to leave the last {ALLOWANCE_MARGIN:.0%} to the org's other "
        "integrations: it frees up over a rolling 24 hours, and the next run goes on from here"
    )


def _refusal(answer: Answer, fields: FieldMap) -> Exception:
    """The CRM error for a data API answer that is not 2xx."""
    errors = answer.body if isinstance(answer.body, list) else []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    code, message = str(first.get("errorCode", "")), str(first.get("message", ""))
    if code == "REQUEST_LIMIT_EXCEEDED":
        used = re.search(r"(\d+)/(\d+)", answer.headers.get("Sforce-Limit-Info", ""))
        if used:
            return CrmAllowanceSpent(_spent(int(used[1]), int(used[2])))
        return CrmAllowanceSpent(
            "Salesforce's daily API allowance is spent (REQUEST_LIMIT_EXCEEDED): it frees up "
            "over a rolling 24 hours, and the next run goes on from here"
        )
    about_a_field = _field_refusal(code, message, first.get("fields"), fields)
    if about_a_field is not None:
        return about_a_field
    if code in _VALUE_CODES:
        return _value_refusal(code, first.get("fields"))
    if code.startswith("INSUFFICIENT_ACCESS") or code in (
        "API_DISABLED_FOR_ORG",
        "API_CURRENTLY_DISABLED",
    ):
        return CrmSetupError(
            f"Salesforce refused the connected app's Run As user ({code}): give it a "
            "permission set with API Enabled and Read/Edit on Accounts, Contacts and Tasks "
            "(and Customize Application for crm setup)"
        )
    return CrmSetupError(
        f"Salesforce refused a call (HTTP {answer.status} {code or 'error'}: "
        f"{message[:160] or 'no details'})"
    )


def _value_refusal(code: str, named: object) -> CrmRecordRefused:
    """One record's values refused; Salesforce's message may quote the value, so only the
    field and the code are said."""
    names = ", ".join(map(str, named)) if isinstance(named, list) and named else "a field"
    return CrmRecordRefused(
        f"Salesforce refused a value of {names} ({code}): check the field's type, length, "
        "picklist values and validation rules in Setup"
    )


def _field_refusal(
    code: str, message: str, named: object, fields: FieldMap
) -> CrmSetupError | None:
    """The line for a refusal about a field (unknown, or not writable), else None."""
    if code == "INVALID_FIELD":
        return _unknown_field(message, fields)
    if code == "INVALID_FIELD_FOR_INSERT_UPDATE":
        names = ", ".join(map(str, named)) if isinstance(named, list) and named else "a field"
        return CrmSetupError(
            f"Salesforce will not let the Run As user write {names}: give its permission set "
            "Edit access to the field (field-level security)"
        )
    return None


def _unknown_field(message: str, fields: FieldMap) -> CrmSetupError:
    match = _NO_COLUMN.search(message)
    name, obj = (match[1], match[2]) if match else ("?", "?")
    settings = {crm: MAPPED_ACCOUNT_FIELDS[ours] for ours, crm in fields.mapped().items()}
    if obj == "Account" and name in settings:
        fix = f"set {settings[name]} to the field's API name, or leave it blank to not sync it"
    else:
        fix = _SETUP
    return CrmSetupError(f"Salesforce has no field {name} on {obj}: {fix}")


def _changed(obj: str, names: tuple[str, ...] | list[str], since: datetime | None) -> str:
    where = f" WHERE SystemModstamp >= {_soql_datetime(since)}" if since is not None else ""
    return f"SELECT {', '.join(names)} FROM {obj}{where} ORDER BY SystemModstamp, Id"


def _soql_datetime(moment: datetime) -> str:
    """A SOQL datetime literal, floored to the second (so `>=` misses nothing)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_datetime(text: str) -> datetime:
    """Salesforce's `2024-05-01T10:00:00.000+0000` (or an ISO form) as an aware datetime."""
    moment = datetime.fromisoformat(re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def domain_of(website: str | None) -> str | None:
    """`https://www.acme.com/about` → `acme.com`."""
    if not website or not website.strip():
        return None
    text = website.strip()
    host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    return host.removeprefix("www.") or None


def _company(record: dict[str, Any], mapped: dict[str, str]) -> CrmCompany:
    values = {ours: record.get(crm) for ours, crm in mapped.items()}
    return CrmCompany(
        crm_id=record["Id"],
        name=_text(record.get("Name")) or record["Id"],
        modified_at=_parse_datetime(record["SystemModstamp"]),
        domain=domain_of(record.get("Website")),
        industry=_text(record.get("Industry")),
        owner_id=record.get("OwnerId") or None,
        arr=_number(values.get("arr")),
        plan=_text(values.get("plan")),
        segment=_text(values.get("segment")),
        health=_text(values.get("health")),
        renewal_date=_date(values.get("renewal_date")),
        customer_since=_date(values.get("customer_since")),
        archived=bool(record.get("IsDeleted")),
    )


def _contact(record: dict[str, Any]) -> CrmContact:
    email = _text(record.get("Email"))
    return CrmContact(
        crm_id=record["Id"],
        email=email.lower() if email else None,
        modified_at=_parse_datetime(record["SystemModstamp"]),
        name=_text(record.get("Name")),
        company_id=record.get("AccountId") or None,
        archived=bool(record.get("IsDeleted")),
    )
