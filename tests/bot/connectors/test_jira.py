"""The Jira connector against the emulator: Retry-After honoured, a create that landed
before its answer failed is found by its label instead of made twice, setup refusals named."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.connectors.jira import Jira
from bot.devkit.jira_emulator import EMAIL, PROJECT, TOKEN, JiraEmulator
from bot.domain.errors import CrmSetupError
from bot.domain.jira import IssueDraft

DOC = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": []}]}
DRAFT = IssueDraft(summary="SSO", description=DOC, labels=("voc", "voc-request-4"))


@pytest.fixture
async def jira() -> AsyncIterator[JiraEmulator]:
    async with JiraEmulator() as running:
        yield running


def _connector(jira: JiraEmulator, waits: list[float], **changes: str) -> Jira:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    given = {"url": jira.url, "email": EMAIL, "token": TOKEN, "project": PROJECT, **changes}
    return Jira(**given, sleep=sleep)


async def test_a_create_retried_after_429_and_a_landed_503_makes_one_issue(
    jira: JiraEmulator,
) -> None:
    waits: list[float] = []
    connector = _connector(jira, waits)
    jira.fail("issue.create", 429, retry_after=7)
    jira.fail("issue.create", 503, after_write=True)
    key = await connector.create_issue(DRAFT)
    await connector.close()
    assert list(jira.issues) == [key] and waits[0] == 7.0 and len(waits) == 2
    creates = [path for method, path in jira.calls if path.endswith("/issue")]
    assert len(creates) == 2  # the third try found the issue by its label instead


async def test_changed_since_reads_every_page_from_the_cursor(jira: JiraEmulator) -> None:
    connector = _connector(jira, [])
    keys = [await connector.create_issue(DRAFT) for _ in range(3)]
    jira.move(keys[1], "Done")
    seen = [issue async for issue in connector.changed_since(datetime(2000, 1, 1, tzinfo=UTC))]
    await connector.close()
    assert [i.key for i in seen][-1] == keys[1] and len(seen) == 3
    assert seen[-1].category == "done" and seen[-1].request_id == 4


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"token": "wrong"}, "Jira refused JIRA_EMAIL / JIRA_TOKEN (401)"),
        ({"project": "NOPE"}, "Jira has no project NOPE that JIRA_EMAIL can see (404)"),
        ({"url": "http://127.0.0.1:9"}, "check JIRA_URL"),
    ],
)
async def test_setup_refusals_name_the_setting_never_the_token(
    jira: JiraEmulator, changes: dict[str, str], says: str
) -> None:
    connector = _connector(jira, [], **changes)
    try:
        with pytest.raises(CrmSetupError, match=re.escape(says)) as caught:
            await connector.check()
    finally:
        await connector.close()
    assert "wrong" not in str(caught.value) and TOKEN not in str(caught.value)
