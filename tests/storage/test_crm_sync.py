"""The CRM sync's queries: one lease, cursors moved with the page, rows by CRM id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.domain.crm_sync import AccountWrite, ContactWrite
from bot.domain.records import CrmSynced
from bot.domain.vocabulary import InvitationStatus, SkipReason
from storage import accounts, crm_sync, invitations
from storage.db import Database
from storage.models import Account, Contact, Invitation

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)


async def test_of_two_claims_one_holds_the_lease_until_it_runs_out(db: Database) -> None:
    async with db.transaction() as session:
        first = await crm_sync.claim(session=session, crm="hubspot", now=NOW, lease=LEASE)
    async with db.transaction() as session:
        second = await crm_sync.claim(session=session, crm="hubspot", now=NOW, lease=LEASE)
    assert first is not None and first.companies_cursor is None
    assert second is None
    later = NOW + LEASE + timedelta(seconds=1)
    async with db.transaction() as session:  # the first died: its lease ran out
        third = await crm_sync.claim(session=session, crm="hubspot", now=later, lease=LEASE)
        assert third is not None
        # the first's pages are refused from now on: the lease is the third's
        assert not await crm_sync.page_done(
            session=session, crm="hubspot", started_at=NOW, now=later, lease=LEASE
        )


async def test_a_page_moves_its_cursor_and_a_release_frees_the_lease(db: Database) -> None:
    async with db.transaction() as session:
        await crm_sync.claim(session=session, crm="hubspot", now=NOW, lease=LEASE)
    cursor = NOW - timedelta(days=1)
    async with db.transaction() as session:
        assert await crm_sync.page_done(
            session=session,
            crm="hubspot",
            started_at=NOW,
            now=NOW,
            lease=LEASE,
            contacts_cursor=cursor,
        )
        await crm_sync.release(
            session=session,
            crm="hubspot",
            started_at=NOW,
            now=NOW,
            summary={"pages": 1},
            error=None,
        )
    async with db.session() as session:
        state = await crm_sync.state(session=session, crm="hubspot")
    assert state is not None
    assert (state.contacts_cursor, state.companies_cursor) == (cursor, None)
    assert (state.lease_until, state.finished_at, state.summary) == (None, NOW, {"pages": 1})
    async with db.transaction() as session:
        assert await crm_sync.claim(session=session, crm="hubspot", now=NOW, lease=LEASE)


async def test_accounts_and_contacts_written_by_crm_id_remember_their_source(
    db: Database,
) -> None:
    async with db.transaction() as session:
        csv, _, _ = await accounts.upsert_account(
            session=session, name="Acme", key="acme", fields={"arr": 5.0}, now=NOW
        )
    async with db.transaction() as session:
        ids = await crm_sync.write_accounts(
            session=session,
            writes=[
                AccountWrite("1", csv.id, "Acme", "acme", {"arr": 9.0}, {"arr": (5.0, 9.0)}),
                AccountWrite("2", None, "Beta", "beta", {"domain": "beta.test"}, {"name": 1}),
            ],
            source="hubspot",
            now=NOW,
        )
        await crm_sync.write_contacts(
            session=session,
            writes=[ContactWrite("c1", None, "ana@beta.test", ids["2"], {"name": "Ana"}, {})],
            source="hubspot",
            now=NOW,
        )
    assert ids["1"] == csv.id
    async with db.session() as session:
        by_crm_id, by_key = await crm_sync.accounts_for(
            session=session, crm_ids=["1", "2"], keys=["acme"]
        )
        people, by_email = await crm_sync.contacts_for(
            session=session, crm_ids=["c1"], emails=["ana@beta.test"]
        )
        assert await crm_sync.account_ids(session=session, crm_ids=["2", "3"]) == {"2": ids["2"]}
        synced = await crm_sync.account_synced(session=session, account_id=ids["1"])
    assert by_crm_id["1"].fields["arr"] == 9.0 and by_key["acme"].id == csv.id
    assert by_crm_id["2"].fields["domain"] == "beta.test"
    assert people["c1"].account_id == ids["2"] and people["c1"].name == "Ana"
    assert synced == CrmSynced("HubSpot", NOW)


async def test_an_archived_contact_is_inactive_and_its_unsent_surveys_will_not_go(
    db: Database,
) -> None:
    async with db.transaction() as session:
        ids = await crm_sync.write_accounts(
            session=session,
            writes=[AccountWrite("1", None, "Acme", "acme", {}, {})],
            source="hubspot",
            now=NOW,
        )
        await crm_sync.write_contacts(
            session=session,
            writes=[ContactWrite("c1", None, "ana@acme.test", ids["1"], {}, {})],
            source="hubspot",
            now=NOW,
        )
        ana = (await session.execute(select(Contact))).scalar_one()
        assert ana.id is not None
        await invitations.create_invitation(
            session=session,
            contact_id=ana.id,
            kind="nps",
            trigger="relationship",
            due_at=NOW + timedelta(days=1),
            now=NOW,
        )
    later = NOW + timedelta(hours=1)
    async with db.transaction() as session:
        await crm_sync.write_accounts(
            session=session,
            writes=[AccountWrite("1", ids["1"], "Acme", "acme", {}, {}, archived=True)],
            source="hubspot",
            now=later,
        )
        gone = ContactWrite("c1", ana.id, "ana@acme.test", ids["1"], {}, {}, deactivate=True)
        await crm_sync.write_contacts(session=session, writes=[gone], source="hubspot", now=later)
    async with db.session() as session:
        ana = (await session.execute(select(Contact))).scalar_one()
        invitation = (await session.execute(select(Invitation))).scalar_one()
        account = (await session.execute(select(Account))).scalar_one()
    assert (ana.active, ana.inactive_since) == (False, later)
    assert (invitation.status, invitation.skip_reason) == (
        InvitationStatus.SKIPPED,
        SkipReason.INACTIVE,
    )
    assert account.crm_synced_at == later  # the account and its answers stay
