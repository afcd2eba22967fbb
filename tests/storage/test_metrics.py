from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import cases, invitations, responses
from storage.db import Database
from storage.metrics import follow_up_completion
from storage.models import Account, Contact

pytestmark = pytest.mark.postgres
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def _case(
    db: Database, contact: Contact, opened: datetime, logged_after: timedelta | None
) -> None:
    async with db.transaction() as session:
        invitation = await invitations.create_invitation(
            session=session,
            contact_id=contact.id or 0,
            kind="nps",
            trigger="relationship",
            due_at=opened,
            now=opened,
            status="answered",
        )
        response_id = await responses.record_response(
            session=session,
            invitation_id=invitation.id or 0,
            contact_id=contact.id or 0,
            account_id=contact.account_id,
            kind="nps",
            score=3,
            category="detractor",
            now=opened,
        )
        case_id = await cases.open_case(
            session=session,
            response_id=response_id,
            invitation_id=invitation.id or 0,
            contact_id=contact.id or 0,
            account_id=contact.account_id,
            kind="nps",
            score=3,
            review="csm",
            opened_at=opened,
            escalate_at=opened + timedelta(hours=48),
        )
        if logged_after is not None:
            await cases.log_follow_up(
                session=session,
                case_id=case_id,
                user_id="UX",
                outcome="recovered",
                note="called",
                now=opened + logged_after,
                closes=True,
            )


async def _people(db: Database) -> tuple[Contact, Contact]:
    async with db.transaction() as session:
        anna = Account(name="Acme", name_key="acme", csm_user_id="UCSM1")
        globex = Account(name="Globex", name_key="globex", csm_user_id="UCSM2")
        session.add_all([anna, globex])
        await session.flush()
        a = Contact(email="a@acme.test", account_id=anna.id or 0)
        g = Contact(email="g@globex.test", account_id=globex.id or 0)
        session.add_all([a, g])
        await session.flush()
        return a, g


async def test_completion_rate_overall_and_per_csm(db: Database) -> None:
    acme, globex = await _people(db)
    # Acme (UCSM1): 3 cases, 2 logged within 48h, 1 logged after 50h.
    await _case(db, acme, START, timedelta(hours=2))
    await _case(db, acme, START + timedelta(days=1), timedelta(hours=47, minutes=59))
    await _case(db, acme, START + timedelta(days=2), timedelta(hours=50))
    # Globex (UCSM2): 2 cases, 1 within 48h, 1 never logged (overdue); 1 outside the period.
    await _case(db, globex, START + timedelta(hours=5), timedelta(hours=1))
    await _case(db, globex, START + timedelta(days=3), None)
    await _case(db, globex, START - timedelta(days=10), None)

    async with db.session() as session:
        rate = await follow_up_completion(
            session=session,
            since=START,
            until=START + timedelta(days=7),
            now=START + timedelta(days=7),
        )
    assert (rate.overall.done, rate.overall.total) == (3, 5)
    assert rate.overall.share == pytest.approx(0.6)
    assert (rate.by_csm["UCSM1"].done, rate.by_csm["UCSM1"].total) == (2, 3)
    assert (rate.by_csm["UCSM2"].done, rate.by_csm["UCSM2"].total) == (1, 2)
    assert rate.open_cases == 2  # never logged: this week's and the older one
    assert rate.overdue_cases == 2


async def test_an_empty_period_has_no_rate_rather_than_nan(db: Database) -> None:
    async with db.session() as session:
        rate = await follow_up_completion(
            session=session, since=START, until=START + timedelta(days=7), now=START
        )
    assert rate.overall.total == 0 and rate.overall.share is None
    assert rate.by_csm == {}
