"""Outgoing webhooks end to end: signed taps in, signed events out to a local receiver."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr
from sqlalchemy import select

from blocks import terminal
from bot.core.runtime import Runtime, build_runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.domain.errors import UserError
from bot.scheduler import run_due
from bot.services import webhooks
from storage.db import Database
from storage.models import FollowUpCase, OutboxEvent, Response
from tests.e2e.flows import log_outcome, survey, tap
from tests.harness import SlackSender, cli_env, eventually, serve, vocbot

pytestmark = pytest.mark.postgres
SECRET = "whsec-test-secret"
CRM_ID = "0015g00000ACME"
VOC = "CVOC"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A CRM stand-in: records every request and answers 500 while told to."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.fail_next = 0
        self.delay = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(Received(dict(request.headers), await request.read()))
        await asyncio.sleep(self.delay)
        if self.fail_next:
            self.fail_next -= 1
            return web.Response(status=500, text="down for maintenance")
        return web.Response(status=204)

    def events(self) -> list[dict[str, Any]]:
        """Every request's event, after checking its signature the way a receiver would."""
        return [_verified(request) for request in self.requests]


def _verified(request: Received) -> dict[str, Any]:
    timestamp = request.headers["X-VoC-Timestamp"]
    mac = hmac.new(SECRET.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256)
    assert hmac.compare_digest(request.headers["X-VoC-Signature"], "sha256=" + mac.hexdigest())
    assert request.headers["Content-Type"] == "application/json"
    event = json.loads(request.body)
    assert event["id"] == request.headers["X-VoC-Event-Id"]
    return event


@pytest.fixture
async def receiver(rt: Runtime) -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hooks/voc", hook.handle)
    served = await serve(app)
    rt.settings.webhook_url = served.url + "/hooks/voc"
    rt.settings.webhook_secret = SecretStr(SECRET)
    yield hook
    await served.stop()


async def _outbox(db: Database) -> list[OutboxEvent]:
    async with db.session() as session:
        query = select(OutboxEvent).order_by(OutboxEvent.id)
        return list((await session.execute(query)).scalars())


async def _one(db: Database, table: Any) -> Any:
    async with db.session() as session:
        return (await session.execute(select(table))).scalar_one()


async def test_a_detractor_tap_sends_response_created_and_case_opened_once_each(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, receiver: Receiver
) -> None:
    inv = await survey(rt, emulator, contact_crm_id=None, company_crm_id=CRM_ID)
    await tap(slack, emulator, inv, 3)
    await eventually(lambda: _count(rt.db, 2))

    assert (await run_due(rt)).webhooks == 2
    assert (await run_due(rt)).webhooks == 0
    created, opened = receiver.events()
    assert len(receiver.requests) == 2 and created["id"] != opened["id"]
    response, case = await _one(rt.db, Response), await _one(rt.db, FollowUpCase)
    account = {"name": "Acme", "crm_id": CRM_ID}
    answered_at = rt.now().isoformat()
    assert created["type"] == "response.created" and created["created_at"] == answered_at
    assert created["data"] == {
        "response_id": response.id,
        "invitation_id": inv.id,
        "kind": "nps",
        "score": 3,
        "category": "detractor",
        "answered_at": answered_at,
        "trigger": "relationship",
        "context": None,
        "contact": {"email": "ana@acme.test"},
        "account": account,
    }
    assert opened["type"] == "case.opened"
    assert opened["data"] == {
        "case_id": case.id,
        "response_id": response.id,
        "kind": "nps",
        "score": 3,
        "review": "csm",
        "opened_at": answered_at,
        "account": account,
    }
    assert all(event.delivered_at == rt.now() for event in await _outbox(rt.db))


async def test_a_failing_receiver_gets_the_same_event_again_after_the_backoff(
    rt: Runtime,
    emulator: SlackEmulator,
    slack: SlackSender,
    receiver: Receiver,
    clock: FakeClock,
) -> None:
    inv = await survey(rt, emulator, contact_crm_id=None, company_crm_id=CRM_ID)
    receiver.fail_next = 2
    await tap(slack, emulator, inv, 8)  # a passive: one event, no case
    await eventually(lambda: _count(rt.db, 1))

    assert (await run_due(rt)).webhooks == 0
    [event] = await _outbox(rt.db)
    assert (event.attempts, event.last_error, event.delivered_at) == (1, "HTTP 500", None)
    first_wait = event.due_at - rt.now()  # 30 s, give or take the jitter
    assert timedelta(seconds=24) <= first_wait <= timedelta(seconds=36)
    await run_due(rt)
    assert len(receiver.requests) == 1  # not due yet

    clock.advance(first_wait)
    assert (await run_due(rt)).webhooks == 0
    assert len(receiver.requests) == 2
    [event] = await _outbox(rt.db)
    second_wait = event.due_at - rt.now()  # a minute, give or take the jitter
    assert timedelta(seconds=48) <= second_wait <= timedelta(seconds=72)
    clock.advance(second_wait - timedelta(seconds=1))
    await run_due(rt)
    assert len(receiver.requests) == 2  # not before its due time
    clock.advance(timedelta(seconds=1))
    assert (await run_due(rt)).webhooks == 1

    events = receiver.events()
    assert len(events) == 3 and len({e["id"] for e in events}) == 1
    assert {r.headers["X-VoC-Event-Id"] for r in receiver.requests} == {event.event_id}
    [event] = await _outbox(rt.db)
    assert (event.attempts, event.last_error, event.delivered_at) == (2, None, rt.now())
    await run_due(rt)
    assert len(receiver.requests) == 3


async def test_an_event_failing_past_webhook_give_up_is_a_dead_letter_until_retried(
    rt: Runtime,
    emulator: SlackEmulator,
    slack: SlackSender,
    receiver: Receiver,
    clock: FakeClock,
) -> None:
    inv = await survey(rt, emulator, contact_crm_id=None, company_crm_id=CRM_ID)
    receiver.fail_next = 1000
    await tap(slack, emulator, inv, 8)
    await eventually(lambda: _count(rt.db, 1))
    await run_due(rt)
    clock.advance(timedelta(days=3))  # WEBHOOK_GIVE_UP's default
    await run_due(rt)
    [event] = await _outbox(rt.db)
    assert event.dead_at == rt.now() and event.delivered_at is None
    tried = len(receiver.requests)
    clock.advance(timedelta(days=1))
    await run_due(rt)
    assert len(receiver.requests) == tried  # given up: not sent again by itself
    listing = terminal.dead_letters(await webhooks.dead_letters(rt))
    assert listing.startswith("1 webhook given up on:") and "HTTP 500" in listing
    assert f"  {event.id}  response.created" in listing

    receiver.fail_next = 0
    await webhooks.retry_dead_letter(rt, event.id or 0)
    assert terminal.webhook_due(event.id or 0).startswith(f"Webhook {event.id} is due again")
    assert (await run_due(rt)).webhooks == 1
    assert terminal.dead_letters(await webhooks.dead_letters(rt)) == "No webhook was given up on."
    with pytest.raises(UserError, match="webhooks failed"):
        await webhooks.retry_dead_letter(rt, event.id or 0)


async def test_nothing_is_enqueued_without_a_webhook_url(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    assert rt.settings.webhook_url is None
    inv = await survey(rt, emulator, contact_crm_id=None, company_crm_id=CRM_ID)
    await tap(slack, emulator, inv, 0)
    await eventually(lambda: emulator.messages(VOC))  # the tap's transaction has committed
    assert await _outbox(rt.db) == []
    assert (await run_due(rt)).webhooks == 0


async def test_two_concurrent_passes_never_send_an_event_twice(
    rt: Runtime, receiver: Receiver, clock: FakeClock, database_url: str
) -> None:
    async with rt.db.transaction() as session:
        for number in range(30):
            await webhooks.enqueue(
                session,
                settings=rt.settings,
                type="response.created",
                payload={"n": number},
                now=rt.now(),
            )
    receiver.delay = 0.005
    other = build_runtime(rt.settings, db=Database(database_url), clock=clock)
    try:
        passes = [webhooks.deliver_due(rt, rt.now()), webhooks.deliver_due(other, rt.now())]
        first = await asyncio.gather(*passes)
        assert sum(first) == 30  # one batch each, nothing left for a second look
        again = [webhooks.deliver_due(rt, rt.now()), webhooks.deliver_due(other, rt.now())]
        assert await asyncio.gather(*again) == [0, 0]
    finally:
        await other.db.dispose()
    ids = [event["id"] for event in receiver.events()]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert sorted(event["data"]["n"] for event in receiver.events()) == list(range(30))


async def test_a_closing_outcome_sends_case_closed(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, receiver: Receiver
) -> None:
    inv = await survey(rt, emulator, contact_crm_id=None, company_crm_id=CRM_ID)
    await tap(slack, emulator, inv, 2)
    await eventually(lambda: emulator.messages(VOC))
    case = await _one(rt.db, FollowUpCase)
    await log_outcome(slack, case.id, "in_progress", "Left a voicemail")
    await eventually(lambda: "In progress" in json.dumps(emulator.messages(VOC)[0]["blocks"]))
    assert len(await _outbox(rt.db)) == 2  # still open: nothing to report

    await log_outcome(slack, case.id, "recovered", "Fixed the export; she is happy")
    await eventually(lambda: _count(rt.db, 3))
    assert (await run_due(rt)).webhooks == 3
    closed = receiver.events()[-1]
    assert closed["type"] == "case.closed"
    assert closed["data"] == {
        "case_id": case.id,
        "outcome": "recovered",
        "note": "Fixed the export; she is happy",
        "logged_by": "UA",
        "closed_at": rt.now().isoformat(),
        "account": {"name": "Acme", "crm_id": CRM_ID},
    }


async def _count(db: Database, expected: int) -> bool:
    return len(await _outbox(db)) == expected


async def test_the_webhooks_commands_list_and_retry_by_id(
    emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    env = cli_env(api_url=emulator.api_url, database_url=database_url, home=tmp_path)
    code, out, err = await vocbot(env, "webhooks", "failed", cwd=tmp_path)
    assert (code, out.strip()) == (0, "No webhook was given up on."), err
    code, out, err = await vocbot(env, "webhooks", "retry", "42", cwd=tmp_path)
    assert code == 1
    assert err.strip() == (
        "error: No given-up webhook has id 42: `python -m bot webhooks failed` lists them."
    )
