"""Jira end to end: `/voc request push ID` through signed /slack/events → one issue in the
Jira emulator (valid ADF, under 429/503 and a delivery killed after its create), status
back by signed webhook and by the JQL poll → the request planned / shipped, requesters told
once; a forged webhook stores nothing; JIRA_PUSH_ARR pushes once; bad setup is one line."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import update

from blocks import jira as jira_words
from bot.connectors.jira import Jira
from bot.core.runtime import Runtime
from bot.devkit import jira_emulator
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.devkit.jira_emulator import JiraEmulator
from bot.scheduler import run_due
from bot.services import jira_push, jira_status
from storage import jira as jira_store
from storage import outbox
from storage.models import Account, FeatureRequest, JiraPoll, OutboxEvent, ShipNotice
from tests.e2e.test_voc import _requested, ask, rows, shown
from tests.harness import SlackSender

pytestmark = pytest.mark.postgres
SECRET = "whsec-jira-test"
PEOPLE = ("U1", "UCSM", "ULOG")  # the contact who asked, Ácme's CSM, who logged it


@pytest.fixture
async def jira(rt: Runtime, clock: FakeClock) -> AsyncIterator[JiraEmulator]:
    async with JiraEmulator(clock=clock) as running:
        rt.settings.jira_url = running.url
        rt.settings.jira_email = jira_emulator.EMAIL
        rt.settings.jira_token = SecretStr(jira_emulator.TOKEN)
        rt.settings.jira_project = jira_emulator.PROJECT
        rt.settings.jira_webhook_secret = SecretStr(SECRET)
        yield running


async def _pushed(rt: Runtime, emulator: SlackEmulator, slack: SlackSender) -> FeatureRequest:
    await _requested(rt, emulator, slack)
    [request] = await rows(rt.db, FeatureRequest)
    return request


def _dms(emulator: SlackEmulator, user: str) -> list[str]:
    return [message["text"] for message in emulator.messages(user)]


async def test_push_creates_one_issue_with_valid_adf_and_says_its_key(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, jira: JiraEmulator
) -> None:
    request = await _pushed(rt, emulator, slack)
    jira.fail("issue.create", 429, retry_after=0)
    jira.fail("issue.create", 503, retry_after=0)
    jira.fail("issue.create", 503, retry_after=0, after_write=True)  # the issue landed
    answer = shown(await ask(slack, emulator, f"request push {request.id}"))
    [issue] = jira.issues.values()
    assert f"is in Jira as <{jira.url}/browse/{issue.key}|{issue.key}>" in answer
    fields = issue.fields
    assert fields["summary"] == "SSO"
    assert f"voc-request-{request.id}" in fields["labels"]
    text = str(fields["description"])
    assert "Globex Corp" in text and "Ácme, Inc." in text and "we need sso" in text
    assert "ARR" in text and "app_redirect?channel=CVOC" in text
    [stored] = await rows(rt.db, FeatureRequest)
    assert stored.jira_key == issue.key

    again = shown(await ask(slack, emulator, f"request push {request.id}"))
    assert f"is already in Jira (<{jira.url}/browse/{issue.key}|{issue.key}>)" in again
    await run_due(rt)
    assert len(jira.issues) == 1
    [event] = await rows(rt.db, OutboxEvent)
    assert (event.sink, event.delivered_at is not None) == ("jira", True)


async def test_a_delivery_killed_after_its_create_is_found_not_created_again(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, jira: JiraEmulator, clock: FakeClock
) -> None:
    request = await _pushed(rt, emulator, slack)
    now = clock()
    async with rt.db.transaction() as session:  # a worker claims the event …
        assert await jira_store.claim_push(session=session, request_id=request.id, now=now)
        await outbox.add_event(
            session=session, event_id="e1", type=jira_push.ISSUE, now=now, sink="jira",
            payload={"request_id": request.id, "by": "UA"},
        )  # fmt: skip
    async with rt.db.transaction() as session:
        [claimed] = await outbox.claim_due(
            session=session, now=now, lease=jira_push.LEASE, limit=1, sink="jira"
        )
    async with rt.db.session() as session:
        facts = await jira_store.request_facts(session=session, request_id=request.id)
    assert facts is not None
    connector = Jira.from_settings(rt.settings)
    await connector.create_issue(jira_words.issue_draft(facts, link=None))  # … and dies here
    await connector.close()
    said = shown(await ask(slack, emulator, f"request push {request.id}"))
    assert "already on its way to Jira" in said
    clock.advance(jira_push.LEASE + timedelta(seconds=1))
    await run_due(rt)
    [issue] = jira.issues.values()
    [stored] = await rows(rt.db, FeatureRequest)
    assert stored.jira_key == issue.key
    [event] = await rows(rt.db, OutboxEvent)
    assert event.delivered_at is not None and event.last_error == f"found in Jira as {issue.key}"


async def test_done_by_signed_webhook_ships_and_tells_requesters_once(
    rt: Runtime,
    emulator: SlackEmulator,
    slack: SlackSender,
    jira: JiraEmulator,
    app_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    request = await _pushed(rt, emulator, slack)
    await ask(slack, emulator, f"request push {request.id}")
    [key] = jira.issues
    jira.move(key, "In Progress")
    assert await jira.send_webhook(f"{app_url}/hooks/jira", key, SECRET) == 200
    [stored] = await rows(rt.db, FeatureRequest)
    assert (stored.status, stored.planned_by) == ("planned", "jira")
    jira.move(key, "Done")
    for _ in range(2):  # Jira retries a webhook; the poll sees the same change
        assert await jira.send_webhook(f"{app_url}/hooks/jira", key, SECRET) == 200
    await run_due(rt)
    [stored] = await rows(rt.db, FeatureRequest)
    assert (stored.status, stored.shipped_by) == ("shipped", "jira")
    for user in PEOPLE:
        planned, live = _dms(emulator, user)
        assert "it's planned" in planned and "it's live" in live
    notices = [n for n in await rows(rt.db, ShipNotice) if n.kind == "shipped"]
    assert sorted(n.user_id for n in notices if n.sent_at) == sorted(PEOPLE)
    assert "we need sso" not in caplog.text  # the issue's text, never logged


async def test_the_poll_picks_up_what_no_webhook_said(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, jira: JiraEmulator, clock: FakeClock
) -> None:
    request = await _pushed(rt, emulator, slack)
    await ask(slack, emulator, f"request push {request.id}")
    [key] = jira.issues
    await run_due(rt)  # the first poll: nothing moved yet
    clock.advance(jira_status.POLL_EVERY)
    jira.move(key, "Done")
    await run_due(rt)
    [stored] = await rows(rt.db, FeatureRequest)
    assert stored.status == "shipped"
    clock.advance(jira_status.POLL_EVERY)
    await run_due(rt)
    for user in PEOPLE:
        assert len(_dms(emulator, user)) == 1 and "it's live" in _dms(emulator, user)[0]
    [poll] = await rows(rt.db, JiraPoll)
    assert poll.cursor is not None and poll.error is None
    searches = [path for method, path in jira.calls if path.endswith("/search/jql")]
    assert len(searches) == 3


async def test_a_forged_webhook_is_refused_and_nothing_changes(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, jira: JiraEmulator, app_url: str
) -> None:
    request = await _pushed(rt, emulator, slack)
    await ask(slack, emulator, f"request push {request.id}")
    [key] = jira.issues
    jira.move(key, "Done")
    assert await jira.send_webhook(f"{app_url}/hooks/jira", key, "not-the-secret") == 401
    async with aiohttp.ClientSession() as session:
        unsigned = await session.post(f"{app_url}/hooks/jira", data=b"{not json")
        assert unsigned.status == 401
    [stored] = await rows(rt.db, FeatureRequest)
    assert (stored.status, stored.jira_category) == ("new", None)
    assert await rows(rt.db, ShipNotice) == []


async def test_jira_push_arr_pushes_a_request_once_when_its_arr_passes(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, jira: JiraEmulator
) -> None:
    await _pushed(rt, emulator, slack)
    async with rt.db.transaction() as session:
        await session.execute(update(Account).values(arr=10_000))
    rt.settings.jira_push_arr = 50_000
    await run_due(rt)
    assert jira.issues == {}
    async with rt.db.transaction() as session:
        await session.execute(update(Account).values(arr=30_000))  # two accounts: 60,000
    await run_due(rt)
    await run_due(rt)
    [issue] = jira.issues.values()
    assert "$60,000 ARR" in str(issue.fields["description"])


async def test_bad_credentials_or_an_unknown_project_is_one_clear_line(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, jira: JiraEmulator
) -> None:
    request = await _pushed(rt, emulator, slack)
    rt.settings.jira_token = SecretStr("wrong-token")
    said = shown(await ask(slack, emulator, f"request push {request.id}"))
    assert "Jira refused JIRA_EMAIL / JIRA_TOKEN (401)" in said and "wrong-token" not in said
    rt.settings.jira_token = SecretStr(jira_emulator.TOKEN)
    rt.settings.jira_project = "NOPE"
    said = shown(await ask(slack, emulator, f"request push {request.id}"))
    assert "Jira has no project NOPE" in said
    assert jira.issues == {} and await rows(rt.db, OutboxEvent) == []
    [stored] = await rows(rt.db, FeatureRequest)
    assert stored.jira_queued_at is None
    off = shown(await ask(slack, emulator, "request push 999"))
    assert "There is no request number 999" in off
    usage = shown(await ask(slack, emulator, "request push SSO"))
    assert "Type `/voc request push ID`" in usage


async def test_push_is_for_staff_and_says_when_jira_is_not_connected(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    request = await _pushed(rt, emulator, slack)
    refused = shown(await ask(slack, emulator, f"request push {request.id}", user="UNOBODY"))
    assert "only for the customer team" in refused
    said = shown(await ask(slack, emulator, f"request push {request.id}"))
    assert "Jira is not connected" in said
    listed = shown(await ask(slack, emulator, "requests"))
    assert f"(#{request.id} · " in listed
