"""A local stand-in for a Salesforce org's REST API: records calls, keeps the org's records,
injects faults.

Shaped from Salesforce's REST API reference: the OAuth 2.0 client-credentials token endpoint
(`POST /services/oauth2/token`), SOQL `query` / `queryAll` with `nextRecordsUrl` paging,
sObject rows (`GET/PATCH/DELETE …/sobjects/{object}/{id}`, `POST …/sobjects/{object}`),
upsert by external ID (`PATCH …/sobjects/{object}/{field}/{value}`), sObject Collections
(`PATCH …/composite/sobjects`, at most 200 records), `describe`, and the Tooling API's
`CustomField` create. Every API answer carries `Sforce-Limit-Info: api-usage=used/allowance`.
It rejects what Salesforce rejects: an unknown SOQL column is `INVALID_FIELD`, an expired
token `INVALID_SESSION_ID`, a spent allowance `REQUEST_LIMIT_EXCEEDED`.

The SOQL it understands is what the connector sends: `SELECT f, … FROM Object [WHERE
cond [AND cond …]] [ORDER BY f, …] [LIMIT n]`, a condition being `Field op value` with op
one of = != < <= > >= and a value a 'string', a datetime literal, a number, true/false/null.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from bot.devkit.local_server import LocalServer

API_VERSION = "v62.0"
ID_PREFIXES = {"Account": "001", "Contact": "003", "User": "005", "Task": "00T"}
MAX_COLLECTION = 200  # sObject Collections take at most 200 records a call

# describe: the standard fields of each object (name → describe type)
_STANDARD: dict[str, dict[str, str]] = {
    "Account": {
        "Id": "id", "Name": "string", "Website": "url", "Industry": "picklist",
        "Type": "picklist", "OwnerId": "reference", "AnnualRevenue": "currency",
        "NumberOfEmployees": "int", "IsDeleted": "boolean", "CreatedDate": "datetime",
        "LastModifiedDate": "datetime", "SystemModstamp": "datetime",
    },
    "Contact": {
        "Id": "id", "FirstName": "string", "LastName": "string", "Name": "string",
        "Email": "email", "AccountId": "reference", "OwnerId": "reference", "Title": "string",
        "IsDeleted": "boolean", "CreatedDate": "datetime", "LastModifiedDate": "datetime",
        "SystemModstamp": "datetime",
    },
    "User": {
        "Id": "id", "Username": "string", "Email": "email", "Name": "string",
        "IsActive": "boolean", "CreatedDate": "datetime", "SystemModstamp": "datetime",
    },
    "Task": {
        "Id": "id", "Subject": "string", "Description": "textarea", "WhoId": "reference",
        "WhatId": "reference", "ActivityDate": "date", "Status": "picklist",
        "Priority": "picklist", "OwnerId": "reference", "IsDeleted": "boolean",
        "CreatedDate": "datetime", "LastModifiedDate": "datetime", "SystemModstamp": "datetime",
    },
}  # fmt: skip
# the custom Account fields a typical org has (the connector's defaults map to them)
TYPICAL_ACCOUNT_FIELDS = {
    "Plan__c": "picklist",
    "Segment__c": "picklist",
    "Health__c": "picklist",
    "Renewal_Date__c": "date",
    "Customer_Since__c": "date",
}
_METADATA_TYPES = {
    "Number": "double",
    "Text": "string",
    "LongTextArea": "textarea",
    "TextArea": "textarea",
    "DateTime": "datetime",
    "Date": "date",
    "Picklist": "picklist",
    "Checkbox": "boolean",
}
_READ_ONLY = frozenset({"Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp"})
_REFERENCES = {"WhoId": ("Contact",), "WhatId": ("Account",), "AccountId": ("Account",)}


@dataclass
class Call:
    """One request the emulator answered."""

    op: str  # token, query, queryAll, sobject, upsert, composite, describe, tooling
    method: str
    path: str
    params: dict[str, str]
    body: Any
    status: int = 200


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    code: str | None = None


@dataclass
class _Cursor:
    records: list[dict[str, Any]]
    offset: int


@dataclass
class _Org:
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    external: dict[str, set[str]] = field(default_factory=dict)  # externalId fields
    picklists: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # restricted


class _Refused(Exception):
    """An error answer in Salesforce's shape: `[{"message": …, "errorCode": …}]`."""

    def __init__(
        self, status: int, code: str, message: str, *, fields: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = fields


class SalesforceEmulator(LocalServer):
    """An aiohttp server answering like a Salesforce org, with fault injection.

    `url` is the org's My Domain URL (what `SALESFORCE_URL` holds); the token endpoint
    answers it as `instance_url`. `clock` stamps `SystemModstamp`.
    """

    def __init__(
        self,
        *,
        client_id: str = "voc-consumer-key",
        client_secret: str = "voc-consumer-secret",
        allowance: int = 100_000,
        batch_size: int = 2000,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.allowance = allowance  # the org's daily API allowance
        self.api_used = 0  # API calls counted against it
        self.batch_size = batch_size  # records a query page
        self.calls: list[Call] = []
        self.tooling_allowed = True  # False: the Tooling API answers 403 INSUFFICIENT_ACCESS
        # False: the connected app has no client-credentials flow / Run As user (invalid_grant)
        self.client_credentials_enabled = True
        self._clock = clock or (lambda: datetime.now(UTC))
        self._org = _Org()
        for obj, standard in _STANDARD.items():
            self._org.records[obj] = {}
            self._org.fields[obj] = dict(standard)
            self._org.external[obj] = set()
        self._org.fields["Account"].update(TYPICAL_ACCOUNT_FIELDS)
        self._writes: dict[tuple[str, str], list[tuple[str, Any]]] = {}
        self._tokens: set[str] = set()
        self._cursors: dict[str, _Cursor] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._latency: dict[str, float] = {}
        self._ids = itertools.count(1)

    # lifecycle

    client_max_size = 16 * 1024 * 1024

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/services/oauth2/token", self._serve_token)
        app.router.add_route("*", "/services/data/{version}/{rest:.*}", self._serve_data)

    @property
    def url(self) -> str:
        """The org's URL, e.g. `http://127.0.0.1:PORT` (no trailing slash)."""
        return self.root

    # seeding

    def add_user(self, user_id: str, email: str | None, name: str = "") -> str:
        self._put("User", user_id, {"Email": email, "Name": name, "IsActive": True})
        return user_id

    def add_account(self, fields: dict[str, Any]) -> str:
        """A new Account (any fields of its describe); returns its Id."""
        return self._put("Account", self._new_id("Account"), dict(fields))

    def add_contact(self, fields: dict[str, Any], account_id: str | None = None) -> str:
        values = dict(fields)
        if account_id is not None:
            values["AccountId"] = account_id
        return self._put("Contact", self._new_id("Contact"), values)

    def modify(self, obj: str, record_id: str, **fields: Any) -> None:
        """Change a record as a person in Salesforce would (SystemModstamp moves on)."""
        record = self._org.records[obj][record_id]
        record.update(fields)
        self._stamp(obj, record)

    def delete(self, obj: str, record_id: str) -> None:
        """Move a record to the recycle bin: only queryAll still sees it (IsDeleted)."""
        record = self._org.records[obj][record_id]
        record["IsDeleted"] = True
        self._stamp(obj, record)

    def add_field(
        self,
        obj: str,
        name: str,
        type_: str = "string",
        *,
        external_id: bool = False,
        picklist: list[str] | None = None,
    ) -> None:
        """A field as an admin would add it (describe type: string, double, date, …);
        `picklist` makes it a restricted picklist that refuses any other value."""
        self._org.fields[obj][name] = "picklist" if picklist is not None else type_
        if external_id:
            self._org.external[obj].add(name)
        if picklist is not None:
            self._org.picklists[(obj, name)] = list(picklist)

    def remove_field(self, obj: str, name: str) -> None:
        self._org.fields[obj].pop(name, None)
        self._org.external[obj].discard(name)
        self._org.picklists.pop((obj, name), None)

    def expire_tokens(self) -> None:
        """Every access token handed out so far stops working (INVALID_SESSION_ID)."""
        self._tokens.clear()

    # faults

    def fail(
        self,
        where: str,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
        *,
        code: str | None = None,
    ) -> None:
        """Answer the next `times` calls of an op (token, query, queryAll, sobject, upsert,
        composite, describe, tooling) or of a path prefix (`/services/…`) with `status`,
        in Salesforce's error shape (`code` overrides the errorCode the status implies:
        429 and 403 REQUEST_LIMIT_EXCEEDED, 503 SERVER_UNAVAILABLE, 401 INVALID_SESSION_ID);
        `times=0` clears the queued faults."""
        if times == 0:
            self._faults.pop(where, None)
            return
        queue = self._faults.setdefault(where, deque())
        queue.extend(_Fault(status, retry_after, code) for _ in range(times))

    def delay(self, where: str, seconds: float) -> None:
        """Answer every call of an op or path prefix `seconds` late."""
        self._latency[where] = seconds

    # inspection

    def calls_to(self, op: str) -> list[Call]:
        return [c for c in self.calls if c.op == op]

    def record(self, obj: str, record_id: str) -> dict[str, Any] | None:
        """A copy of one record's fields (deleted ones too, with IsDeleted)."""
        record = self._org.records.get(obj, {}).get(record_id)
        return dict(record) if record is not None else None

    def records(self, obj: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self._org.records[obj].values()]

    def writes_to(self, obj: str, record_id: str) -> list[tuple[str, Any]]:
        """Every field the API wrote on a record, `(field, value)` in order."""
        return list(self._writes.get((obj, record_id), []))

    def fields_of(self, obj: str) -> dict[str, str]:
        return dict(self._org.fields[obj])

    # records

    def _new_id(self, obj: str) -> str:
        return f"{ID_PREFIXES.get(obj, '00X')}{next(self._ids):015d}"

    def _put(self, obj: str, record_id: str, fields: dict[str, Any]) -> str:
        now = self._clock()
        record: dict[str, Any] = {"Id": record_id, "IsDeleted": False, "CreatedDate": now}
        record.update(fields)
        self._stamp(obj, record)
        self._org.records[obj][record_id] = record
        return record_id

    def _stamp(self, obj: str, record: dict[str, Any]) -> None:
        record["SystemModstamp"] = record["LastModifiedDate"] = self._clock()
        if obj == "Contact":
            names = (record.get("FirstName"), record.get("LastName"))
            record["Name"] = " ".join(n for n in names if n) or None

    def _write(self, obj: str, record: dict[str, Any], values: dict[str, Any]) -> None:
        for name, value in values.items():
            record[name] = value
            self._writes.setdefault((obj, record["Id"]), []).append((name, value))
        self._stamp(obj, record)

    def _check_writable(self, obj: str, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name not in self._org.fields[obj]:
                raise _Refused(
                    400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj}"
                )
            if name in _READ_ONLY or (name == "Name" and obj != "Account"):
                raise _Refused(
                    400,
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {name}. Please check the security "
                    "settings of this field and verify that it is read/write for your profile "
                    "or permission set.",
                    fields=[name],
                )
            allowed = self._org.picklists.get((obj, name))
            if allowed is not None and value not in (None, "") and value not in allowed:
                raise _Refused(
                    400,
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"bad value for restricted picklist field: {value}",
                    fields=[name],
                )
            targets = _REFERENCES.get(name, ())
            if targets and value and not any(self._exists(t, value) for t in targets):
                raise _Refused(
                    400,
                    "INVALID_CROSS_REFERENCE_KEY",
                    f"invalid cross reference id: {name}",
                    fields=[name],
                )

    def _exists(self, obj: str, record_id: Any) -> bool:
        record = self._org.records[obj].get(record_id)
        return record is not None and not record["IsDeleted"]

    def _live(self, obj: str, record_id: str) -> dict[str, Any]:
        record = self._org.records.get(obj, {}).get(record_id)
        if record is None:
            raise _Refused(404, "NOT_FOUND", "The requested resource does not exist")
        if record["IsDeleted"]:
            raise _Refused(404, "ENTITY_IS_DELETED", "entity is deleted")
        return record

    # HTTP plumbing

    async def _serve_token(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        call = Call(
            "token", request.method, request.path, {}, {"grant_type": form.get("grant_type")}
        )
        self.calls.append(call)
        faulted = await self._faulted(call)
        if faulted is not None:
            return faulted
        refused = self._token_refusal(
            form.get("grant_type"), form.get("client_id"), form.get("client_secret")
        )
        if refused is not None:
            call.status = 400
            return web.json_response(
                {"error": refused[0], "error_description": refused[1]}, status=400
            )
        token = f"00D000000000001!{next(self._ids):020d}"
        self._tokens.add(token)
        stamp = str(int(self._clock().timestamp() * 1000))
        return web.json_response(
            {
                "access_token": token,
                "instance_url": self.url,
                "id": f"{self.url}/id/00D000000000001AAA/005000000000001AAA",
                "token_type": "Bearer",
                "issued_at": stamp,
                "signature": "emulated",
                "scope": "api",
            }
        )

    def _token_refusal(
        self, grant: object, client_id: object, secret: object
    ) -> tuple[str, str] | None:
        if grant != "client_credentials":
            return "unsupported_grant_type", "grant type not supported"
        if client_id != self.client_id:
            return "invalid_client_id", "client identifier invalid"
        if secret != self.client_secret:
            return "invalid_client", "invalid client credentials"
        if not self.client_credentials_enabled:
            return "invalid_grant", "no client credentials user enabled"
        return None

    async def _serve_data(self, request: web.Request) -> web.StreamResponse:
        rest = request.match_info["rest"].strip("/")
        body: Any = None
        if request.can_read_body:
            try:
                body = json.loads(await request.text() or "null")
            except ValueError:
                body = None
        call = Call(
            _op(request.method, rest), request.method, request.path, dict(request.query), body
        )
        self.calls.append(call)
        faulted = await self._faulted(call)
        if faulted is not None:
            return faulted
        try:
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in self._tokens:
                raise _Refused(401, "INVALID_SESSION_ID", "Session expired or invalid")
            if self.api_used >= self.allowance:
                raise _Refused(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            self.api_used += 1
            status, answer = self._route(request.method, rest, dict(request.query), body)
        except _Refused as exc:
            status, answer = exc.status, [{"message": exc.message, "errorCode": exc.code}]
            if exc.fields is not None:
                answer[0]["fields"] = exc.fields
        call.status = status
        headers = {"Sforce-Limit-Info": f"api-usage={self.api_used}/{self.allowance}"}
        if answer is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(answer, status=status, headers=headers)

    async def _faulted(self, call: Call) -> web.Response | None:
        keys = [k for k in (*self._latency, *self._faults) if _matches(k, call)]
        for key in keys:
            if key in self._latency:
                await asyncio.sleep(self._latency[key])
        for key in keys:
            queue = self._faults.get(key)
            if queue:
                fault = queue.popleft()
                call.status = fault.status
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
                code, message = _FAULTS.get(
                    fault.status, ("UNKNOWN_EXCEPTION", "An unexpected error occurred")
                )
                code = fault.code or code
                if call.op == "token":
                    body: Any = {"error": "server_error", "error_description": message}
                else:
                    body = [{"message": message, "errorCode": code}]
                    headers["Sforce-Limit-Info"] = f"api-usage={self.api_used}/{self.allowance}"
                return web.json_response(body, status=fault.status, headers=headers)
        return None

    def _route(self, method: str, rest: str, params: dict[str, str], body: Any) -> tuple[int, Any]:
        parts = [unquote(p) for p in rest.split("/")]
        if parts[0] in ("query", "queryAll") and len(parts) == 1:
            return 200, self._query(params.get("q", ""), with_deleted=parts[0] == "queryAll")
        if parts[0] in ("query", "queryAll") and len(parts) == 2:
            return 200, self._next_page(parts[1])
        if parts[:2] == ["composite", "sobjects"] and method == "PATCH":
            return 200, self._collection_update(body)
        if parts[:3] == ["tooling", "sobjects", "CustomField"] and method == "POST":
            return 201, self._create_field(body)
        if parts[0] == "sobjects" and len(parts) >= 2:
            obj = parts[1]
            if obj not in self._org.fields:
                raise _Refused(404, "NOT_FOUND", f"The requested resource does not exist: {obj}")
            if len(parts) == 2 and method == "POST":
                return 201, self._create(obj, body)
            if len(parts) == 3 and parts[2] == "describe":
                return 200, self._describe(obj)
            if len(parts) == 3:
                return self._row(method, obj, parts[2], params, body)
            if len(parts) == 4:
                return self._by_external_id(method, obj, parts[2], parts[3], params, body)
        raise _Refused(404, "NOT_FOUND", "The requested resource does not exist")

    # query

    def _query(self, soql: str, *, with_deleted: bool) -> dict[str, Any]:
        query = _parse_soql(soql)
        if query.obj not in self._org.fields:
            raise _Refused(400, "INVALID_TYPE", f"sObject type '{query.obj}' is not supported.")
        known = self._org.fields[query.obj]
        for name in (*query.fields, *(c[0] for c in query.where), *query.order):
            if name not in known:
                raise _Refused(
                    400,
                    "INVALID_FIELD",
                    f"No such column '{name}' on entity '{query.obj}'. If you are attempting "
                    "to use a custom field, be sure to append the '__c' after the custom field "
                    "name. Please reference your WSDL or the describe call for the appropriate "
                    "names.",
                )
        rows: Iterable[dict[str, Any]] = self._org.records[query.obj].values()
        if not with_deleted:
            rows = (r for r in rows if not r["IsDeleted"])
        chosen = [r for r in rows if all(_holds(r.get(f), op, v) for f, op, v in query.where)]
        for name in reversed(query.order):
            chosen.sort(key=_sort_by(name))
        if query.limit is not None:
            chosen = chosen[: query.limit]
        out = [self._project(query.obj, r, query.fields) for r in chosen]
        locator = f"01g{next(self._ids):015d}"
        self._cursors[locator] = _Cursor(out, 0)
        return self._page(locator)

    def _next_page(self, locator_offset: str) -> dict[str, Any]:
        locator, _, offset = locator_offset.rpartition("-")
        cursor = self._cursors.get(locator)
        if cursor is None or not offset.isdigit() or int(offset) != cursor.offset:
            raise _Refused(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(locator)

    def _page(self, locator: str) -> dict[str, Any]:
        cursor = self._cursors[locator]
        start, end = cursor.offset, cursor.offset + self.batch_size
        answer: dict[str, Any] = {
            "totalSize": len(cursor.records),
            "done": end >= len(cursor.records),
            "records": cursor.records[start:end],
        }
        if answer["done"]:
            del self._cursors[locator]
        else:
            cursor.offset = end
            answer["nextRecordsUrl"] = f"/services/data/{API_VERSION}/query/{locator}-{end}"
        return answer

    def _project(self, obj: str, record: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attributes": {
                "type": obj,
                "url": f"/services/data/{API_VERSION}/sobjects/{obj}/{record['Id']}",
            }
        }
        for name in names:
            out[name] = _json_value(record.get(name))
        return out

    # rows

    def _row(
        self, method: str, obj: str, record_id: str, params: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        record = self._live(obj, record_id)
        if method == "GET":
            wanted = [n for n in params.get("fields", "").split(",") if n] or list(
                self._org.fields[obj]
            )
            for name in wanted:
                if name not in self._org.fields[obj]:
                    raise _Refused(
                        400, "INVALID_FIELD", f"No such column '{name}' on entity '{obj}'."
                    )
            return 200, self._project(obj, record, wanted)
        if method == "PATCH":
            values = _record_values(body)
            self._check_writable(obj, values)
            self._write(obj, record, values)
            return 204, None
        if method == "DELETE":
            record["IsDeleted"] = True
            self._stamp(obj, record)
            return 204, None
        raise _Refused(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed.")

    def _create(self, obj: str, body: Any) -> dict[str, Any]:
        values = _record_values(body)
        self._check_writable(obj, values)
        record_id = self._put(obj, self._new_id(obj), {})
        self._write(obj, self._org.records[obj][record_id], values)
        return {"id": record_id, "success": True, "errors": []}

    def _by_external_id(
        self, method: str, obj: str, name: str, value: str, params: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        if name not in self._org.external[obj]:
            raise _Refused(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {name}",
            )
        found = [
            r
            for r in self._org.records[obj].values()
            if r.get(name) == value and not r["IsDeleted"]
        ]
        if method == "GET":
            if not found:
                raise _Refused(404, "NOT_FOUND", "The requested resource does not exist")
            return self._row("GET", obj, found[0]["Id"], params, None)
        if method != "PATCH":
            raise _Refused(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed.")
        values = _record_values(body)
        values.pop(name, None)
        self._check_writable(obj, values)
        if found:
            self._write(obj, found[0], values)
            return 204, None
        answer = self._create(obj, {name: value, **values})
        return 201, {**answer, "created": True}

    def _collection_update(self, body: Any) -> list[dict[str, Any]]:
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise _Refused(400, "JSON_PARSER_ERROR", "records is required")
        rows = body["records"]
        if len(rows) > MAX_COLLECTION:
            raise _Refused(
                400, "EXCEEDED_ID_LIMIT", f"Maximum number of records exceeded ({MAX_COLLECTION})"
            )
        results: list[dict[str, Any]] = []
        staged: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        for row in rows:
            obj = (row.get("attributes") or {}).get("type", "")
            record_id = row.get("id") or row.get("Id")
            values = {k: v for k, v in row.items() if k not in ("attributes", "id", "Id")}
            try:
                if obj not in self._org.fields:
                    raise _Refused(400, "INVALID_TYPE", f"sObject type '{obj}' is not supported.")
                record = self._live(obj, str(record_id))
                self._check_writable(obj, values)
            except _Refused as exc:
                code = "INVALID_CROSS_REFERENCE_KEY" if exc.code == "NOT_FOUND" else exc.code
                results.append(_failed(record_id, code, exc.message, exc.fields))
                continue
            staged.append((obj, record, values))
            results.append({"id": record_id, "success": True, "errors": []})
        if body.get("allOrNone") and any(not r["success"] for r in results):
            return [
                r
                if not r["success"]
                else _failed(
                    r["id"],
                    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                    "Record rolled back because not all records were valid and the request "
                    "was using AllOrNone header",
                )
                for r in results
            ]
        for obj, record, values in staged:
            self._write(obj, record, values)
        return results

    # schema

    def _describe(self, obj: str) -> dict[str, Any]:
        fields = [
            {
                "name": name,
                "type": type_,
                "label": name.removesuffix("__c").replace("_", " "),
                "custom": name.endswith("__c"),
                "externalId": name in self._org.external[obj],
                "updateable": name not in _READ_ONLY and (name != "Name" or obj == "Account"),
            }
            for name, type_ in self._org.fields[obj].items()
        ]
        return {"name": obj, "label": obj, "custom": False, "fields": fields}

    def _create_field(self, body: Any) -> dict[str, Any]:
        if not self.tooling_allowed:
            raise _Refused(
                403, "INSUFFICIENT_ACCESS", "insufficient access rights on cross-reference id"
            )
        full = str((body or {}).get("FullName", ""))
        metadata = (body or {}).get("Metadata") or {}
        entity, _, name = full.partition(".")
        obj = "Task" if entity == "Activity" else entity
        if obj not in self._org.fields or not name.endswith("__c"):
            raise _Refused(400, "INVALID_FIELD", f"Invalid FullName: {full}")
        if metadata.get("type") not in _METADATA_TYPES or not metadata.get("label"):
            raise _Refused(400, "FIELD_INTEGRITY_EXCEPTION", "Metadata needs a type and a label")
        if name in self._org.fields[obj]:
            raise _Refused(
                400, "DUPLICATE_DEVELOPER_NAME", f"There's already a field named {name} on {obj}"
            )
        self._org.fields[obj][name] = _METADATA_TYPES[metadata["type"]]
        if metadata.get("externalId"):
            self._org.external[obj].add(name)
        return {"id": f"00N{next(self._ids):015d}", "success": True, "errors": []}


# SOQL


@dataclass
class _Soql:
    fields: list[str]
    obj: str
    where: list[tuple[str, str, Any]]
    order: list[str]
    limit: int | None


_SOQL = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<obj>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+(?P<order>.+?))?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CONDITION = re.compile(
    r"^\s*(?P<field>\w+)\s*(?P<op>=|!=|<=|>=|<|>)\s*(?P<value>'(?:[^'\\]|\\.)*'|\S+)\s*$"
)
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")


def _parse_soql(soql: str) -> _Soql:
    match = _SOQL.match(soql)
    if match is None:
        raise _Refused(400, "MALFORMED_QUERY", f"unexpected token in: {soql[:80]}")
    where: list[tuple[str, str, Any]] = []
    if match["where"]:
        for part in re.split(r"\s+AND\s+", match["where"], flags=re.IGNORECASE):
            cond = _CONDITION.match(part)
            if cond is None:
                raise _Refused(400, "MALFORMED_QUERY", f"unexpected token: {part.strip()}")
            where.append((cond["field"], cond["op"], _literal(cond["value"])))
    order = [
        re.sub(r"\s+ASC$", "", p.strip(), flags=re.IGNORECASE)
        for p in (match["order"] or "").split(",")
        if p.strip()
    ]
    return _Soql(
        fields=[f.strip() for f in match["fields"].split(",")],
        obj=match["obj"],
        where=where,
        order=order,
        limit=int(match["limit"]) if match["limit"] else None,
    )


def _literal(text: str) -> Any:
    if text.startswith("'"):
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if _DATETIME.match(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    try:
        return float(text)
    except ValueError:
        raise _Refused(400, "MALFORMED_QUERY", f"unexpected token: {text}") from None


def _holds(value: Any, op: str, wanted: Any) -> bool:
    if isinstance(value, str) and isinstance(wanted, str):
        value, wanted = value.lower(), wanted.lower()  # SOQL compares text case-blind
    if op == "=":
        return bool(value == wanted)
    if op == "!=":
        return bool(value != wanted)
    if value is None or wanted is None:
        return False
    try:
        return {
            "<": value < wanted,
            "<=": value <= wanted,
            ">": value > wanted,
            ">=": value >= wanted,
        }[op]
    except TypeError:
        return False


def _sort_by(name: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    def key(record: dict[str, Any]) -> tuple[int, Any]:
        value = record.get(name)
        return (0, "") if value is None else (1, value)

    return key


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
            f"{value.microsecond // 1000:03d}+0000"
        )
    if isinstance(value, date):
        return value.isoformat()
    return value


def _record_values(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _Refused(400, "JSON_PARSER_ERROR", "the body must be a JSON object")
    return {k: v for k, v in body.items() if k != "attributes"}


def _failed(
    record_id: Any, code: str, message: str, fields: list[str] | None = None
) -> dict[str, Any]:
    return {
        "id": record_id,
        "success": False,
        "errors": [{"statusCode": code, "message": message, "fields": fields or []}],
    }


def _op(method: str, rest: str) -> str:
    head = rest.split("/")
    if head[0] in ("query", "queryAll"):
        return "queryAll" if head[0] == "queryAll" and len(head) == 1 else "query"
    if head[0] == "composite":
        return "composite"
    if head[0] == "tooling":
        return "tooling"
    if head[-1] == "describe":
        return "describe"
    if head[0] == "sobjects" and len(head) == 4:
        return "upsert"
    return "sobject"


def _matches(key: str, call: Call) -> bool:
    return call.path.startswith(key) if key.startswith("/") else key == call.op


_FAULTS = {
    429: ("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."),
    500: ("UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId"),
    503: ("SERVER_UNAVAILABLE", "Server Unavailable"),
    401: ("INVALID_SESSION_ID", "Session expired or invalid"),
    403: ("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
}
