"""The Jira Cloud connector: REST API v3 issue create, JQL search, project and myself.

Why a thin async client and not the `jira` package (pycontribs/jira): that client is
synchronous (requests), so every call would block the event loop the bot's listeners and
scheduler share, or need a thread each. This one runs on aiohttp, which the bot already
uses, over the one HTTP session every connector shares (`bot/connectors/http.py`): calls
counted, 429 + `Retry-After` and 5xx retried with one policy, `CrmUnavailable` when spent.

Authentication is basic auth with the account's email and an API token (JIRA_EMAIL,
JIRA_TOKEN). Answers Jira documents and what they mean here:

    GET  /rest/api/3/myself            401: the email or token is wrong
    GET  /rest/api/3/project/{key}     404: no such project (or no permission to see it)
    POST /rest/api/3/issue             201 {"id", "key"}; 400 {"errorMessages", "errors"}
    POST /rest/api/3/search/jql        {"issues", "nextPageToken"} (absent on the last page)

JQL reads a date such as `updated >= "2026-12-07 09:30"` in the searching user's time zone
(minutes, no seconds): `changed_since` writes the cursor in the zone `myself` names, a
minute early, and the caller drops what it has already seen.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.connectors.http import FIRST_WAIT, MAX_WAIT, Answer, CrmHttp
from bot.core.config import Settings
from bot.domain.errors import CrmSetupError, CrmUnavailable
from bot.domain.jira import LABEL_PREFIX, IssueDraft, JiraIssue, issue_of

log = logging.getLogger(__name__)

API = "/rest/api/3"
SEARCH_PAGE = 100
FIELDS = ["status", "updated", "labels"]
PREFERRED_TYPES = ("Task", "Story", "Feature", "Improvement")
_TOKENS = "https://id.atlassian.com/manage-profile/security/api-tokens"


class Jira:
    """One Jira Cloud site and project."""

    def __init__(
        self,
        *,
        url: str,
        email: str,
        token: str,
        project: str,
        retries: int = 6,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.site, self.project = url.rstrip("/"), project
        basic = base64.b64encode(f"{email}:{token}".encode()).decode()
        self.http = CrmHttp(
            base_url=self.site,
            label="Jira",
            url_setting="JIRA_URL",
            headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
            retries=retries,
            sleep=sleep,
        )
        self._zone: ZoneInfo | None = None
        self._issue_type: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Jira:
        if not (settings.jira_on and settings.jira_email and settings.jira_token):
            raise CrmSetupError(
                "Jira is not set up: set JIRA_URL, JIRA_EMAIL, JIRA_TOKEN and JIRA_PROJECT "
                "(see .env.example)"
            )
        return cls(
            url=str(settings.jira_url),
            email=settings.jira_email,
            token=settings.jira_token.get_secret_value(),
            project=str(settings.jira_project),
        )

    @property
    def calls(self) -> int:
        return self.http.calls

    async def check(self) -> str:
        """Who the token is and that the project exists; the issue type pushes create.
        Raises CrmSetupError naming the setting to fix."""
        me = await self._call("GET", f"{API}/myself")
        try:
            self._zone = ZoneInfo(str((me.body or {}).get("timeZone") or "UTC"))
        except (ZoneInfoNotFoundError, ValueError):
            self._zone = ZoneInfo("UTC")
        project = await self._call("GET", f"{API}/project/{quote(self.project)}")
        self._issue_type = _issue_type(project.body)
        return self._issue_type

    async def create_issue(self, draft: IssueDraft) -> str:
        """Create one issue in the project; its key."""
        issue_type = self._issue_type or await self.check()
        fields = {
            "project": {"key": self.project},
            "issuetype": {"name": issue_type},
            "summary": draft.summary,
            "description": draft.description,
            "labels": list(draft.labels),
        }
        label = next((x for x in draft.labels if x.startswith(LABEL_PREFIX)), None)
        for attempt in range(self.http.retries + 1):
            if attempt and label:  # the last try may have landed before it failed
                found = await self.find_labelled(label)
                if found is not None:
                    return found.key
            try:
                answer = await self._call(
                    "POST", f"{API}/issue", json_body={"fields": fields}, retries=0
                )
            except CrmUnavailable as exc:
                if attempt == self.http.retries:
                    raise
                wait = exc.facts.get("wait")
                backoff = min(FIRST_WAIT * 2**attempt, MAX_WAIT)
                await self.http.sleep(wait if isinstance(wait, float) else backoff)
                continue
            return str(answer.body["key"])
        raise AssertionError("unreachable")  # the loop returns or raises

    async def find_labelled(self, label: str) -> JiraIssue | None:
        """The project's issue carrying `label` (the oldest when several do)."""
        jql = f'project = "{self.project}" AND labels = "{label}" ORDER BY created ASC'
        async for issue in self._search(jql, limit=1):
            return issue
        return None

    async def changed_since(
        self, since: datetime | None, *, label: str | None = None
    ) -> AsyncIterator[JiraIssue]:
        """The project's issues (with `label`) updated at or after `since` (all of them when
        None), oldest update first, page by page."""
        if self._zone is None:
            await self.check()
        jql = f'project = "{self.project}"'
        if label:
            jql += f' AND labels = "{label}"'
        if since is not None:
            local = (since - timedelta(minutes=1)).astimezone(self._zone)
            jql += f' AND updated >= "{local:%Y-%m-%d %H:%M}"'
        async for issue in self._search(jql + " ORDER BY updated ASC"):
            yield issue

    async def _search(self, jql: str, *, limit: int | None = None) -> AsyncIterator[JiraIssue]:
        token: str | None = None
        seen = 0
        while True:
            body: dict[str, Any] = {"jql": jql, "fields": FIELDS, "maxResults": SEARCH_PAGE}
            if token:
                body["nextPageToken"] = token
            answer = await self._call("POST", f"{API}/search/jql", json_body=body)
            page = answer.body if isinstance(answer.body, dict) else {}
            for raw in page.get("issues") or []:
                yield issue_of(raw)
                seen += 1
                if limit is not None and seen >= limit:
                    return
            token = page.get("nextPageToken")
            if not token or page.get("isLast"):
                return

    async def _call(
        self, method: str, path: str, *, json_body: Any = None, retries: int | None = None
    ) -> Answer:
        answer = await self.http.request(method, path, json_body=json_body, retries=retries)
        if answer.ok:
            return answer
        raise self._refusal(path, answer)

    def _refusal(self, path: str, answer: Answer) -> CrmSetupError:
        if answer.status == 401:
            return CrmSetupError(
                "Jira refused JIRA_EMAIL / JIRA_TOKEN (401): create an API token at "
                f"{_TOKENS} for the account JIRA_EMAIL names, and set JIRA_TOKEN to it"
            )
        if answer.status == 404 and "/project/" in path:
            return CrmSetupError(
                f"Jira has no project {self.project} that JIRA_EMAIL can see (404): set "
                "JIRA_PROJECT to the key Jira shows (e.g. PROD), or grant the account access"
            )
        if answer.status == 403:
            return CrmSetupError(
                f"Jira refused {path.rsplit('/', 1)[-1]} (403): give the account JIRA_EMAIL "
                f"names the Browse and Create issues permissions in project {self.project}"
            )
        return CrmSetupError(f"Jira refused the call (HTTP {answer.status}): {_said(answer)}")

    async def close(self) -> None:
        await self.http.close()


def _issue_type(project: Any) -> str:
    types = [t for t in (project or {}).get("issueTypes") or [] if not t.get("subtask")]
    names = [str(t.get("name")) for t in types if t.get("name")]
    for preferred in PREFERRED_TYPES:
        if preferred in names:
            return preferred
    return names[0] if names else "Task"


def _said(answer: Answer) -> str:
    """Jira's error body in one line: its messages and the fields it names."""
    body = answer.body if isinstance(answer.body, dict) else {}
    said = [str(m) for m in body.get("errorMessages") or []]
    said += [f"{field}: {text}" for field, text in (body.get("errors") or {}).items()]
    return "; ".join(said)[:250] or "no reason given"
