"""A claim takes at most its limit, and two claims never take the same row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import cases, outbox
from storage.db import Database
from storage.models import Account, Contact, FollowUpCase, Invitation, Response

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


async def test_outbox_claims_take_at_most_their_limit_and_never_the_same_event(
    db: Database,
) -> None:
    async with db.transaction() as session:
        for n in range(30):
            await outbox.add_event(
                session=session, event_id=f"e{n}", type="response.created", payload={}, now=NOW
            )
    taken: list[int] = []
    for _ in range(4):
        async with db.transaction() as session:
            rows = await outbox.claim_due(
                session=session, now=NOW, lease=timedelta(minutes=5), limit=7
            )
        assert len(rows) <= 7
        taken += [row.id for row in rows]
    assert len(taken) == len(set(taken)) == 28


async def test_escalation_claims_take_at_most_their_limit(db: Database) -> None:
    async with db.transaction() as session:
        account = Account(name="Acme", name_key="acme")
        session.add(account)
        await session.flush()
        contact = Contact(email="a@acme.test", account_id=account.id or 0)
        session.add(contact)
        await session.flush()
        for n in range(30):
            invitation = Invitation(
                contact_id=contact.id or 0, kind="nps", trigger="relationship",
                status="answered", due_at=NOW,
            )  # fmt: skip
            session.add(invitation)
            await session.flush()
            response = Response(
                invitation_id=invitation.id or 0, contact_id=contact.id or 0,
                account_id=account.id or 0, kind="nps", score=2, category="detractor",
                answered_at=NOW,
            )  # fmt: skip
            session.add(response)
            await session.flush()
            session.add(
                FollowUpCase(
                    response_id=response.id or 0, invitation_id=invitation.id or 0,
                    contact_id=contact.id or 0, account_id=account.id or 0, kind="nps",
                    score=2, review="csm", opened_at=NOW, message_ts=f"1.{n}",
                    next_escalation_at=NOW + timedelta(hours=48),
                )
            )  # fmt: skip
    later = NOW + timedelta(hours=49)
    async with db.transaction() as session:
        first = await cases.claim_escalations(
            session=session, now=later, every=timedelta(hours=24), max_steps=3, limit=5
        )
    async with db.transaction() as session:
        second = await cases.claim_escalations(
            session=session, now=later, every=timedelta(hours=24), max_steps=3, limit=5
        )
    assert len(first) == len(second) == 5
    assert not {c for c, _ in first} & {c for c, _ in second}
    assert {step for _, step in first + second} == {1}
