"""The CRM push's queries: the NPS over 90 days and open cases of an account, the answers a
RETAIN_COMMENTS pass blanks in the CRM, a forgotten person's pending events, the counts
`crm status` shows; and two deliverers at once never push the same event twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.config import Settings
from bot.core.runtime import build_runtime
from bot.devkit.clock import FakeClock
from bot.devkit.hubspot_emulator import TOKEN, HubSpotEmulator
from bot.services import crm_admin, crm_push
from storage import crm_push as store
from storage import outbox
from storage.db import Database
from storage.models import Account, Contact, FollowUpCase, Invitation, Response

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


async def _people(db: Database, n: int, *, crm: bool = True) -> tuple[int, list[int]]:
    """An account with `n` contacts; the account's id and the contacts'."""
    async with db.transaction() as session:
        account = Account(name="Acme", name_key="acme", crm_id="1001" if crm else None)
        session.add(account)
        await session.flush()
        contacts = [
            Contact(email=f"c{i}@acme.test", account_id=account.id or 0, crm_id=None)
            for i in range(n)
        ]
        session.add_all(contacts)
        await session.flush()
        return account.id or 0, [c.id or 0 for c in contacts]


async def _answer(
    db: Database,
    contact_id: int,
    account_id: int,
    score: int,
    at: datetime,
    comment: str | None = None,
    *,
    open_case: bool = False,
) -> int:
    category = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    async with db.transaction() as session:
        invitation = Invitation(
            contact_id=contact_id, kind="nps", trigger="relationship", status="answered",
            due_at=at,
        )  # fmt: skip
        session.add(invitation)
        await session.flush()
        response = Response(
            invitation_id=invitation.id or 0, contact_id=contact_id, account_id=account_id,
            kind="nps", score=score, category=category, answered_at=at, comment=comment,
        )  # fmt: skip
        session.add(response)
        await session.flush()
        if open_case:
            session.add(
                FollowUpCase(
                    response_id=response.id or 0,
                    invitation_id=invitation.id or 0,
                    contact_id=contact_id,
                    account_id=account_id,
                    kind="nps",
                    score=score,
                    review="csm",
                    opened_at=at,
                )  # fmt: skip
            )
        return response.id or 0


async def test_the_company_figures_count_90_days_of_nps_and_the_open_cases(db: Database) -> None:
    account, (a, b, c) = await _people(db, 3)
    await _answer(db, a, account, 10, NOW - timedelta(days=100))  # outside the window
    await _answer(db, a, account, 2, NOW - timedelta(days=10), open_case=True)
    await _answer(db, b, account, 9, NOW - timedelta(days=5))
    await _answer(db, c, account, 9, NOW - timedelta(days=1))

    async with db.session() as session:
        crm_id, nps, open_cases = await store.account_figures(
            session=session, account_id=account, since=NOW - timedelta(days=90)
        )

    assert (crm_id, open_cases) == ("1001", 1)
    assert nps == pytest.approx(100 * (2 - 1) / 3)


async def test_only_each_contacts_latest_answer_with_an_old_comment_is_pushed_blank(
    db: Database,
) -> None:
    account, (a, b) = await _people(db, 2)
    old = NOW - timedelta(days=400)
    await _answer(db, a, account, 8, old, "old and superseded")
    latest_a = await _answer(db, a, account, 9, old + timedelta(days=1), "old, latest")
    await _answer(db, b, account, 9, old, "old")
    await _answer(db, b, account, 7, NOW, "recent")  # b's latest is recent: nothing to blank

    async with db.session() as session:
        found = await store.latest_responses_with_comment_before(
            session=session, before=NOW - timedelta(days=365)
        )

    assert found == [latest_a]


async def test_a_forgotten_persons_pending_crm_events_go_and_webhooks_stay(db: Database) -> None:
    account, (a, b) = await _people(db, 2)
    mine = await _answer(db, a, account, 3, NOW)
    theirs = await _answer(db, b, account, 3, NOW)
    async with db.transaction() as session:
        for key, payload, sink in (
            ("1", {"response_id": mine}, "crm"),
            ("2", {"response_id": theirs}, "crm"),
            ("3", {"response_id": mine}, "webhook"),
        ):
            await outbox.add_event(
                session=session, event_id=key, type="t", payload=payload, now=NOW, sink=sink
            )
        responses, cases = await store.person_ids(session=session, contact_id=a)
        dropped = await store.drop_pending(session=session, response_ids=responses, case_ids=cases)
    assert dropped == 1
    async with db.session() as session:
        state = await store.push_state(session=session)
    assert state.pending == 1


async def test_crm_dead_letters_are_not_the_webhooks_and_back_again(db: Database) -> None:
    async with db.transaction() as session:
        for key, sink in (("w", "webhook"), ("c", "crm")):
            await outbox.add_event(
                session=session, event_id=key, type="t", payload={}, now=NOW, sink=sink
            )
        for row in await outbox.claim_due(
            session=session, now=NOW, lease=timedelta(minutes=1), limit=5, sink="crm"
        ) + await outbox.claim_due(session=session, now=NOW, lease=timedelta(minutes=1), limit=5):
            await outbox.give_up(session=session, id=row.id, error="HTTP 500", now=NOW)
        webhooks = await outbox.dead_letters(session=session)
        state = await store.push_state(session=session)
        assert [e.event_id for e in webhooks] == ["w"]
        assert [e.id for e in state.dead] != [webhooks[0].id]
        assert not await outbox.revive(session=session, id=state.dead[0].id, now=NOW)
        assert await store.revive(session=session, id=state.dead[0].id, now=NOW)
        assert not await store.revive(session=session, id=webhooks[0].id, now=NOW)


@pytest.fixture
async def hub() -> AsyncIterator[HubSpotEmulator]:
    async with HubSpotEmulator() as running:
        yield running


async def test_two_deliverers_at_once_push_each_answer_once(
    db: Database, database_url: str, hub: HubSpotEmulator
) -> None:
    settings = Settings(
        slack_bot_token="xoxb-test",
        database_url=database_url,
        crm="hubspot",
        hubspot_token=SecretStr(TOKEN),
        hubspot_api_url=hub.url,
    )
    clock = FakeClock(NOW)
    first, second = (build_runtime(settings, db=db, clock=clock) for _ in range(2))
    assert not (await crm_admin.setup(first)).by_hand
    account, contacts = await _people(db, 30, crm=False)
    ids = [hub.add_contact({"email": f"c{i}@acme.test"}) for i in range(30)]
    hub.delay("contacts.batch_update", 0.01)
    async with db.transaction() as session:
        for contact in contacts:
            response = await _answer_in(session, contact, account)
            await crm_push.comment_changed(
                session, settings=settings, response_id=response, now=NOW
            )

    for _ in range(3):
        await asyncio.gather(crm_push.deliver_due(first, NOW), crm_push.deliver_due(second, NOW))

    for crm_id in ids:
        written = [v for n, v in hub.writes_to("contacts", crm_id) if n == "voc_last_score"]
        assert written == ["9"], crm_id
    async with db.session() as session:
        assert (await store.push_state(session=session)).pending == 0


async def _answer_in(session: AsyncSession, contact_id: int, account_id: int) -> int:
    invitation = Invitation(
        contact_id=contact_id, kind="nps", trigger="relationship", status="answered", due_at=NOW
    )
    session.add(invitation)
    await session.flush()
    response = Response(
        invitation_id=invitation.id or 0, contact_id=contact_id, account_id=account_id,
        kind="nps", score=9, category="promoter", answered_at=NOW,
    )  # fmt: skip
    session.add(response)
    await session.flush()
    return response.id or 0


async def test_the_webhook_backlog_metric_does_not_count_crm_pushes(db: Database) -> None:
    from storage import operations

    async with db.transaction() as session:
        await outbox.add_event(session=session, event_id="w", type="t", payload={}, now=NOW)
        await outbox.add_event(
            session=session, event_id="c", type="t", payload={}, now=NOW, sink="crm"
        )
        assert (await operations.snapshot(session=session, now=NOW)).outbox_backlog == 1
