"""The Zendesk connector: solved tickets in (incremental export, the ticket with its people,
group and form, its metrics), a private note and a tag back.

A thin async client on `CrmHttp` (429 `Retry-After` and 5xx retried, calls counted),
authenticated with an API token: basic auth as `{ZENDESK_EMAIL}/token:{ZENDESK_TOKEN}`
(Admin Center › Apps and integrations › Zendesk API). The agent the token belongs to must
be able to see and edit the tickets.

Endpoints (Zendesk Support API v2):
    GET /api/v2/incremental/tickets/cursor.json?start_time=… | cursor=…   (10 calls a minute)
    GET /api/v2/tickets/{id}.json?include=users,groups,ticket_forms
    GET /api/v2/tickets/{id}/metrics.json       full_resolution_time_in_minutes.calendar
    GET /api/v2/tickets/{id}/comments.json      the note looked up before writing it again
    PUT /api/v2/tickets/{id}.json               {"ticket": {"comment": {"body", "public":
                                                false}, "additional_tags": [...]}}
A closed ticket cannot be updated (422 "closed prevents ticket update"): `add_note` says so.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from bot.connectors.http import Answer, CrmHttp
from bot.core.config import Settings
from bot.domain.errors import ConfigError, CrmSetupError
from bot.domain.zendesk import ExportPage, Ticket, issue_type

LABEL = "Zendesk"
EXPORT = "/api/v2/incremental/tickets/cursor.json"
_CREDENTIALS = (
    "Zendesk refused the credentials: check ZENDESK_EMAIL and ZENDESK_TOKEN "
    "(an API token from Admin Center › Apps and integrations › Zendesk API)"
)


class Zendesk:
    """One Zendesk account's API, reached at ZENDESK_URL."""

    def __init__(self, http: CrmHttp) -> None:
        self.http = http

    @classmethod
    def from_settings(
        cls, settings: Settings, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> Zendesk:
        if not settings.zendesk_on or settings.zendesk_token is None:
            raise ConfigError(
                "Zendesk is not set: set ZENDESK_URL, ZENDESK_EMAIL and ZENDESK_TOKEN "
                "(see .env.example)"
            )
        login = f"{settings.zendesk_email}/token:{settings.zendesk_token.get_secret_value()}"
        auth = "Basic " + base64.b64encode(login.encode()).decode()
        http = CrmHttp(
            base_url=settings.zendesk_url or "",
            label=LABEL,
            url_setting="ZENDESK_URL",
            headers={"Authorization": auth, "Accept": "application/json"},
            sleep=sleep,
        )
        return cls(http)

    @property
    def calls(self) -> int:
        return self.http.calls

    async def close(self) -> None:
        await self.http.close()

    async def export(self, *, cursor: str | None, start_time: datetime) -> ExportPage:
        """One page of tickets changed since the cursor (or `start_time` on the first pass)."""
        params = {"cursor": cursor} if cursor else {"start_time": str(int(start_time.timestamp()))}
        answer = self._checked(await self.http.request("GET", EXPORT, params=params))
        body = answer.body
        tickets = tuple(
            (int(t["id"]), str(t.get("status") or "")) for t in body.get("tickets") or []
        )
        return ExportPage(
            tickets, body.get("after_cursor") or cursor, bool(body.get("end_of_stream"))
        )

    async def ticket(self, ticket_id: int) -> Ticket | None:
        """The ticket with its requester's email, agent, group, form and resolution time;
        None when Zendesk has no such ticket (deleted)."""
        path = f"/api/v2/tickets/{ticket_id}.json"
        answer = await self.http.request(
            "GET", path, params={"include": "users,groups,ticket_forms"}
        )
        if answer.status == 404 and _is_json(answer):
            return None
        body = self._checked(answer).body
        raw = body["ticket"]
        users = {u["id"]: u for u in body.get("users") or []}
        groups = {g["id"]: g for g in body.get("groups") or []}
        forms = {f["id"]: f for f in body.get("ticket_forms") or []}
        tags = tuple(str(tag) for tag in raw.get("tags") or [])
        form = forms.get(raw.get("ticket_form_id")) or {}
        metrics = await self._metrics(ticket_id)
        return Ticket(
            id=ticket_id,
            status=str(raw.get("status") or ""),
            requester_email=(users.get(raw.get("requester_id")) or {}).get("email"),
            agent=(users.get(raw.get("assignee_id")) or {}).get("name"),
            group=(groups.get(raw.get("group_id")) or {}).get("name"),
            issue_type=issue_type(None if form.get("default") else form.get("name"), tags),
            solved_at=_time(metrics.get("solved_at")),
            resolution_minutes=(metrics.get("full_resolution_time_in_minutes") or {}).get(
                "calendar"
            ),
            tags=tags,
        )

    async def _metrics(self, ticket_id: int) -> dict[str, Any]:
        answer = await self.http.request("GET", f"/api/v2/tickets/{ticket_id}/metrics.json")
        if answer.status == 404 and _is_json(answer):
            return {}
        return dict(self._checked(answer).body.get("ticket_metric") or {})

    async def has_note(self, ticket_id: int, *, marker: str, tag: str) -> bool:
        """Whether the ticket already carries VoC bot's note (its marker) or tag: an earlier
        delivery that may have landed is looked up before writing again."""
        path = f"/api/v2/tickets/{ticket_id}/comments.json"
        while path:
            body = self._checked(await self.http.request("GET", path)).body
            if any(marker in str(c.get("body") or "") for c in body.get("comments") or []):
                return True
            path = body.get("next_page") or ""
        answer = await self.http.request("GET", f"/api/v2/tickets/{ticket_id}.json")
        return tag in (self._checked(answer).body["ticket"].get("tags") or [])

    async def add_note(self, ticket_id: int, *, body: str, tag: str) -> bool:
        """One private comment and the tag, in one update; False when the ticket is closed
        (Zendesk takes no update then) or gone."""
        update = {"ticket": {"comment": {"body": body, "public": False}, "additional_tags": [tag]}}
        path = f"/api/v2/tickets/{ticket_id}.json"
        answer = await self.http.request("PUT", path, json_body=update)
        if answer.status == 422 and "closed" in str(answer.body):
            return False
        if answer.status == 404 and _is_json(answer):
            return False
        self._checked(answer)
        return True

    def _checked(self, answer: Answer) -> Answer:
        """The answer when it is a success; CrmSetupError naming what to fix otherwise."""
        if answer.ok and isinstance(answer.body, dict):
            return answer
        if answer.status in (401, 403):
            raise CrmSetupError(_CREDENTIALS)
        if answer.status == 404 and not _is_json(answer):
            raise CrmSetupError(
                f"no Zendesk account answers at {self.http.base_url}: check ZENDESK_URL "
                "(https://SUBDOMAIN.zendesk.com)"
            )
        error = answer.body.get("error") if isinstance(answer.body, dict) else None
        reason = error or "no reason"
        raise CrmSetupError(f"Zendesk refused a call (HTTP {answer.status}, {reason})")


def _is_json(answer: Answer) -> bool:
    return isinstance(answer.body, dict)


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
