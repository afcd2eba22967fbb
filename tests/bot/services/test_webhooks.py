"""Outgoing webhooks: signing, backoff, the body, and the outbox queries behind them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bot.core.config import Settings
from bot.services import webhooks
from storage import outbox
from storage.db import Database
from storage.models import OutboxEvent

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
SECRET = "whsec-test"


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"id":"abc","type":"response.created"}'
    expected = hmac.new(SECRET.encode(), b"1795512600." + body, hashlib.sha256).hexdigest()
    assert webhooks.sign(SECRET, "1795512600", body) == f"sha256={expected}"
    assert webhooks.sign(SECRET, "1795512601", body) != webhooks.sign(SECRET, "1795512600", body)
    assert webhooks.sign("other", "1795512600", body) != webhooks.sign(SECRET, "1795512600", body)


def test_headers_signed_with_a_secret_and_unsigned_without() -> None:
    body = b"{}"
    signed = webhooks.request_headers(event_id="e1", body=body, timestamp="17", secret=SECRET)
    assert signed == {
        "Content-Type": "application/json",
        "X-VoC-Event-Id": "e1",
        "X-VoC-Timestamp": "17",
        "X-VoC-Signature": webhooks.sign(SECRET, "17", body),
        "webhook-id": "e1",
        "webhook-timestamp": "17",
        "webhook-signature": webhooks.standard_signature(SECRET, "e1", "17", body),
    }
    unsigned = webhooks.request_headers(event_id="e1", body=body, timestamp="17", secret=None)
    assert "X-VoC-Signature" not in unsigned and unsigned["X-VoC-Event-Id"] == "e1"
    assert "webhook-signature" not in unsigned and unsigned["webhook-id"] == "e1"


@pytest.mark.parametrize("secret", ["whsec_" + base64.b64encode(b"k" * 24).decode(), SECRET])
def test_a_standard_webhooks_receiver_verifies_the_event(secret: str) -> None:
    body = webhooks.event_body(event_id="e1", type="case.opened", created_at=NOW, data={"a": 1})
    stamp = str(int(datetime.now(UTC).timestamp()))
    headers = webhooks.request_headers(event_id="e1", body=body, timestamp=stamp, secret=secret)
    key: str | bytes = secret if secret.startswith("whsec_") else secret.encode()
    assert Webhook(key).verify(body, headers)["id"] == "e1"
    with pytest.raises(WebhookVerificationError):
        Webhook(b"another key").verify(body, headers)


def test_backoff_doubles_from_30_seconds_and_stops_at_an_hour() -> None:
    waits = [webhooks.backoff(n) for n in range(1, 10)]
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert waits[-1] == timedelta(hours=1)
    assert all(a <= b for a, b in zip(waits, waits[1:], strict=False))
    assert webhooks.backoff(0) == timedelta(seconds=30)
    assert webhooks.backoff(10_000) == timedelta(hours=1)  # never overflows: it never gives up


def test_retry_waits_are_spread_within_a_fifth_of_the_schedule() -> None:
    assert webhooks.retry_wait(1, lambda: 0.0) == timedelta(seconds=24)
    assert webhooks.retry_wait(1, lambda: 0.5) == timedelta(seconds=30)
    assert webhooks.retry_wait(10_000, lambda: 0.999999) < timedelta(hours=1.2)
    draw = random.Random(7).random
    waits = [webhooks.retry_wait(2, draw) for _ in range(50)]  # 50 events failing together
    assert all(timedelta(seconds=48) <= w <= timedelta(seconds=72) for w in waits)
    assert len(set(waits)) == 50  # none comes back at the same moment as another
    assert max(waits) - min(waits) > timedelta(seconds=15)
    again = random.Random(7).random
    assert [webhooks.retry_wait(2, again) for _ in range(50)] == waits  # seeded: repeatable


def test_body_is_the_envelope_with_an_iso_time() -> None:
    data = {"score": 3, "account": {"name": "Acme", "crm_id": None}}
    body = webhooks.event_body(event_id="e1", type="case.opened", created_at=NOW, data=data)
    assert json.loads(body) == {
        "id": "e1",
        "type": "case.opened",
        "created_at": "2026-11-24T09:30:00+00:00",
        "data": data,
    }


async def test_enqueue_is_a_no_op_without_a_url(db: Database) -> None:
    async with db.transaction() as session:
        event_id = await webhooks.enqueue(
            session, settings=Settings(), type="case.opened", payload={}, now=NOW
        )
    assert event_id == ""
    assert await _events(db) == []


@pytest.mark.postgres
async def test_enqueue_stores_plain_json_due_at_once(db: Database) -> None:
    settings = Settings(webhook_url="https://crm.example.com/voc")
    async with db.transaction() as session:
        first = await webhooks.enqueue(
            session, settings=settings, type="case.opened", payload={"opened_at": NOW}, now=NOW
        )
        second = await webhooks.enqueue(
            session, settings=settings, type="case.opened", payload={}, now=NOW
        )
    assert len(first) == 32 and first != second
    [event, _] = await _events(db)
    assert (event.event_id, event.due_at, event.attempts) == (first, NOW, 0)
    assert event.payload == {"opened_at": "2026-11-24T09:30:00+00:00"}


@pytest.mark.postgres
async def test_a_leased_event_is_not_claimed_again_until_rescheduled(db: Database) -> None:
    settings = Settings(webhook_url="https://crm.example.com/voc")
    async with db.transaction() as session:
        await webhooks.enqueue(session, settings=settings, type="t", payload={}, now=NOW)
    lease = timedelta(minutes=5)
    async with db.transaction() as session:
        [row] = await outbox.claim_due(session=session, now=NOW, lease=lease, limit=10)
        assert await outbox.claim_due(session=session, now=NOW, lease=lease, limit=10) == []
    retry_at = NOW + timedelta(seconds=30)
    async with db.transaction() as session:
        await outbox.reschedule(session=session, id=row.id, error="HTTP 500", due_at=retry_at)
        assert await outbox.claim_due(session=session, now=NOW, lease=lease, limit=10) == []
        [again] = await outbox.claim_due(session=session, now=retry_at, lease=lease, limit=10)
        assert (again.event_id, again.attempts) == (row.event_id, 1)
        await outbox.mark_delivered(session=session, id=row.id, now=retry_at)
    later = NOW + timedelta(days=1)
    async with db.transaction() as session:
        assert await outbox.claim_due(session=session, now=later, lease=lease, limit=10) == []
    [event] = await _events(db)
    assert (event.delivered_at, event.last_error, event.attempts) == (retry_at, None, 1)


async def _events(db: Database) -> list[OutboxEvent]:
    async with db.session() as session:
        return list((await session.execute(select(OutboxEvent).order_by(OutboxEvent.id))).scalars())


def test_without_a_secret_events_go_unsigned_and_the_warning_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rt = SimpleNamespace(settings=Settings(webhook_url="https://crm.example.com/voc"), now=_now)
    webhooks._warned.clear()
    caplog.set_level(logging.WARNING)  # whatever level an earlier CLI run left on the root
    first = webhooks._headers(rt, "e1", b"{}")  # type: ignore[arg-type]
    webhooks._headers(rt, "e2", b"{}")  # type: ignore[arg-type]
    assert "X-VoC-Signature" not in first and first["X-VoC-Timestamp"] == str(int(NOW.timestamp()))
    warnings = [r for r in caplog.records if "WEBHOOK_SECRET" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelname == "WARNING"


def _now() -> datetime:
    return NOW
