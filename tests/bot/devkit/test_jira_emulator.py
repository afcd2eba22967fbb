"""The Jira emulator answers as Jira Cloud's REST v3 reference says: basic auth, Jira's
400 error shape for a malformed issue or ADF description, 404 for an unknown project,
search pages with nextPageToken, faults on demand."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.devkit.jira_emulator import EMAIL, TOKEN, JiraEmulator, sign

AUTH = "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
DOC = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": []}]}


@pytest.fixture
async def jira() -> AsyncIterator[JiraEmulator]:
    async with JiraEmulator() as running:
        yield running


async def _send(method: str, url: str, body: Any = None, auth: str = AUTH) -> tuple[int, Any]:
    async with aiohttp.ClientSession(headers={"Authorization": auth}) as http:
        async with http.request(method, url, json=body) as answer:
            return answer.status, await answer.json()


def _issue(**fields: Any) -> dict[str, Any]:
    base = {"project": {"key": "PROD"}, "summary": "SSO", "issuetype": {"name": "Task"}}
    return {"fields": {**base, "description": DOC, **fields}}


async def test_bad_credentials_are_401_and_an_unknown_project_404(jira: JiraEmulator) -> None:
    status, _ = await _send("GET", f"{jira.url}/rest/api/3/myself", auth="Basic eDp5")
    assert status == 401
    status, body = await _send("GET", f"{jira.url}/rest/api/3/project/NOPE")
    assert (status, body["errorMessages"]) == (404, ["No project could be found with key 'NOPE'."])


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"summary": ""}, "summary"),
        ({"project": {"key": "NOPE"}}, "project"),
        ({"description": "plain text is API v2's, not v3's"}, "description"),
        ({"description": {**DOC, "content": [{"type": "text"}]}}, "description"),
        (
            {"description": {**DOC, "content": [{"type": "paragraph", "content": [
                {"type": "text", "text": "x", "marks": [{"type": "link"}]}]}]}},
            "description",
        ),
        ({"labels": ["has space"]}, "labels"),
    ],
)  # fmt: skip
async def test_a_malformed_issue_is_400_in_jiras_shape(
    jira: JiraEmulator, fields: dict[str, Any], field: str
) -> None:
    status, body = await _send("POST", f"{jira.url}/rest/api/3/issue", _issue(**fields))
    assert status == 400 and body["errorMessages"] == [] and field in body["errors"]
    assert jira.issues == {}


async def test_create_search_by_label_and_updated_with_pages(jira: JiraEmulator) -> None:
    for n in range(3):
        status, body = await _send(
            "POST", f"{jira.url}/rest/api/3/issue", _issue(labels=["voc", f"voc-request-{n}"])
        )
        assert (status, body["key"]) == (201, f"PROD-{n + 1}")
    jql = (
        'project = "PROD" AND labels = "voc" AND updated >= "2000-01-01 00:00" ORDER BY updated ASC'
    )
    status, page = await _send(
        "POST", f"{jira.url}/rest/api/3/search/jql", {"jql": jql, "maxResults": 2}
    )
    assert status == 200 and [i["key"] for i in page["issues"]] == ["PROD-1", "PROD-2"]
    status, last = await _send(
        "POST",
        f"{jira.url}/rest/api/3/search/jql",
        {"jql": jql, "maxResults": 2, "nextPageToken": page["nextPageToken"]},
    )
    assert [i["key"] for i in last["issues"]] == ["PROD-3"] and "nextPageToken" not in last
    jira.move("PROD-3", "Done")
    category = last["issues"][0]["fields"]["status"]["statusCategory"]["key"]
    assert category == "new"
    status, _ = await _send("POST", f"{jira.url}/rest/api/3/search/jql", {"jql": "bogus"})
    assert status == 400


async def test_faults_on_demand_and_webhooks_signed_with_the_secret(jira: JiraEmulator) -> None:
    jira.fail("issue.create", 429, retry_after=3)
    async with aiohttp.ClientSession(headers={"Authorization": AUTH}) as http:
        url = f"{jira.url}/rest/api/3/issue"
        async with http.post(url, json=_issue()) as answer:
            assert (answer.status, answer.headers["Retry-After"]) == (429, "3")
    status, body = await _send("POST", f"{jira.url}/rest/api/3/issue", _issue())
    assert status == 201
    webhook = jira.webhook_body(body["key"])
    assert sign("s3cret", webhook).startswith("sha256=") and len(sign("s3cret", webhook)) == 71
