"""Queries of the CRM sync: its lease and cursors (`crm_syncs`), and accounts and contacts
written by CRM id with where they came from.

One `crm_syncs` row per CRM. The lease is one conditional UPDATE, so of two workers (or a
worker and `crm sync`) at most one syncs; a sync that died leaves a lease that runs out.
The holder is known by its `started_at`; each page renews the lease in the transaction
that writes the page and moves the cursor, so a crash loses nothing and re-reads a page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.crm import MAPPED_ACCOUNT_FIELDS, STANDARD_ACCOUNT_FIELDS
from bot.domain.crm_sync import (
    AccountWrite,
    ContactWrite,
    StoredAccount,
    StoredContact,
    synced,
)
from bot.domain.records import CrmSynced
from bot.domain.vocabulary import InvitationStatus, SkipReason
from storage.models import Account, Contact, CrmSync, Invitation

ERROR_LENGTH = 300  # the column's size
_OWNED = tuple(f for f in (*STANDARD_ACCOUNT_FIELDS, *MAPPED_ACCOUNT_FIELDS) if f != "name")
_UNSENT = (InvitationStatus.SCHEDULED, InvitationStatus.WAITING)
_IN = 500  # ids per IN (…) list


@dataclass(frozen=True)
class SyncState:
    """A CRM's sync row as the service reads it."""

    crm: str
    companies_cursor: datetime | None
    contacts_cursor: datetime | None
    lease_until: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    summary: dict[str, Any] | None


async def state(*, session: AsyncSession, crm: str) -> SyncState | None:
    row = (await session.execute(select(CrmSync).where(CrmSync.crm == crm))).scalar_one_or_none()
    if row is None:
        return None
    return SyncState(
        row.crm,
        row.companies_cursor,
        row.contacts_cursor,
        row.lease_until,
        row.started_at,
        row.finished_at,
        row.error,
        row.summary,
    )


async def claim(
    *, session: AsyncSession, crm: str, now: datetime, lease: timedelta
) -> SyncState | None:
    """Take the CRM's sync lease unless someone holds it; the row as it was, or None."""
    try:
        async with session.begin_nested():
            await session.execute(insert(CrmSync).values(crm=crm))
    except IntegrityError:
        pass  # it exists: the UPDATE decides
    before = await state(session=session, crm=crm)
    result = await session.execute(
        update(CrmSync)
        .where(CrmSync.crm == crm, or_(CrmSync.lease_until.is_(None), CrmSync.lease_until < now))
        .values(lease_until=now + lease, started_at=now)
        .execution_options(synchronize_session=False)
    )
    return before if result.rowcount else None  # type: ignore[attr-defined]


async def page_done(
    *,
    session: AsyncSession,
    crm: str,
    started_at: datetime,
    now: datetime,
    lease: timedelta,
    companies_cursor: datetime | None = None,
    contacts_cursor: datetime | None = None,
) -> bool:
    """Move a cursor and renew the lease, in the page's transaction; False when the lease
    is someone else's now (the page must not be written)."""
    values: dict[str, Any] = {"lease_until": now + lease}
    if companies_cursor is not None:
        values["companies_cursor"] = companies_cursor
    if contacts_cursor is not None:
        values["contacts_cursor"] = contacts_cursor
    result = await session.execute(
        update(CrmSync)
        .where(CrmSync.crm == crm, CrmSync.started_at == started_at)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def release(
    *,
    session: AsyncSession,
    crm: str,
    started_at: datetime,
    now: datetime,
    summary: dict[str, Any] | None,
    error: str | None,
) -> None:
    """End the run: a success keeps its summary; a failure its error (and the last summary)."""
    values: dict[str, Any] = {"lease_until": None, "finished_at": now, "error": None}
    if error is not None:
        values["error"] = error[:ERROR_LENGTH]
    if summary is not None:
        values["summary"] = summary
    await session.execute(
        update(CrmSync)
        .where(CrmSync.crm == crm, CrmSync.started_at == started_at)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def forget_companies_cursor(*, session: AsyncSession, crm: str) -> None:
    """The next sync reads every company again (a CSV import changed a CRM-owned field)."""
    await session.execute(
        update(CrmSync)
        .where(CrmSync.crm == crm)
        .values(companies_cursor=None)
        .execution_options(synchronize_session=False)
    )


async def accounts_for(
    *, session: AsyncSession, crm_ids: Iterable[str], keys: Iterable[str]
) -> tuple[dict[str, StoredAccount], dict[str, StoredAccount]]:
    """The stored accounts with these CRM ids, and those holding these name keys."""
    await _plan_each_look_up(session)
    ids, names = list(set(crm_ids)), list(set(keys))
    rows: list[Account] = []
    for chunk in _chunks(ids):
        rows += (await session.execute(select(Account).where(Account.crm_id.in_(chunk)))).scalars()
    for chunk in _chunks(names):
        rows += (
            await session.execute(select(Account).where(Account.name_key.in_(chunk)))
        ).scalars()
    stored = {row.id: _account(row) for row in rows}
    by_crm_id: dict[str, StoredAccount] = {}
    for account in sorted(stored.values(), key=lambda a: a.id):
        if account.crm_id is not None:
            by_crm_id.setdefault(account.crm_id, account)
    return by_crm_id, {account.name_key: account for account in stored.values()}


def _account(row: Account) -> StoredAccount:
    assert row.id is not None
    return StoredAccount(
        row.id, row.crm_id, row.name, row.name_key, {f: getattr(row, f) for f in _OWNED}
    )


async def account_ids(*, session: AsyncSession, crm_ids: Iterable[str]) -> dict[str, int]:
    """Account id by CRM id, for the companies a page of contacts belongs to."""
    found: dict[str, int] = {}
    for chunk in _chunks(list(set(crm_ids))):
        rows = await session.execute(
            select(Account.crm_id, Account.id).where(Account.crm_id.in_(chunk)).order_by(Account.id)
        )
        for crm_id, account_id in rows.all():
            if crm_id is not None:
                found.setdefault(crm_id, account_id)
    return found


async def write_accounts(
    *, session: AsyncSession, writes: list[AccountWrite], source: str, now: datetime
) -> dict[str, int]:
    """Create or update the page's accounts (CRM-owned from now on); account id by CRM id.

    An archived company's account stays, with its answers; its contacts go inactive only
    as the CRM archives or deletes them (a contact record can outlive its company)."""
    ids: dict[str, int] = {}
    rows = {
        row.id: row
        for chunk in _chunks([w.account_id for w in writes if w.account_id is not None])
        for row in (await session.execute(select(Account).where(Account.id.in_(chunk)))).scalars()
    }
    fresh = [write for write in writes if rows.get(write.account_id or 0) is None]
    for write in writes:
        row = rows.get(write.account_id or 0)
        if row is None:
            continue  # inserted below, all in one statement
        row.name, row.name_key, row.crm_id = write.name, write.key, write.crm_id
        for name, value in write.fields.items():
            setattr(row, name, value)
        row.crm_source, row.crm_synced_at = source, now
        if write.changes:
            row.updated_at = now
        if row.id is not None:
            ids[write.crm_id] = row.id
    await session.flush()
    if fresh:  # one multi-row INSERT: an ORM object per row was most of a page's time
        inserted = await session.execute(
            insert(Account).returning(Account.crm_id, Account.id),
            _rows(
                [
                    write.fields
                    | {"name": write.name, "name_key": write.key, "crm_id": write.crm_id}
                    for write in fresh
                ],
                source=source,
                now=now,
            ),
        )
        ids |= {str(crm_id): account_id for crm_id, account_id in inserted.all()}
    return ids


def _rows(values: list[dict[str, Any]], *, source: str, now: datetime) -> list[dict[str, Any]]:
    """New rows for one INSERT: every row names the same columns (an executemany needs
    that), those a CRM record lacks as NULL."""
    names = {name for row in values for name in row}
    common = {"crm_source": source, "crm_synced_at": now, "created_at": now, "updated_at": now}
    return [dict.fromkeys(names) | row | common for row in values]


async def contacts_for(
    *, session: AsyncSession, crm_ids: Iterable[str], emails: Iterable[str]
) -> tuple[dict[str, StoredContact], dict[str, StoredContact]]:
    """The stored contacts with these CRM ids, and those with these emails."""
    await _plan_each_look_up(session)
    rows: list[Contact] = []
    for chunk in _chunks(list(set(crm_ids))):
        rows += (await session.execute(select(Contact).where(Contact.crm_id.in_(chunk)))).scalars()
    for chunk in _chunks(list(set(emails))):
        rows += (await session.execute(select(Contact).where(Contact.email.in_(chunk)))).scalars()
    stored = {row.id: _contact(row) for row in rows}
    by_crm_id: dict[str, StoredContact] = {}
    for contact in sorted(stored.values(), key=lambda c: c.id):
        if contact.crm_id is not None:
            by_crm_id.setdefault(contact.crm_id, contact)
    return by_crm_id, {contact.email: contact for contact in stored.values()}


def _contact(row: Contact) -> StoredContact:
    assert row.id is not None
    return StoredContact(
        row.id, row.crm_id, row.email, row.name, row.locale, row.account_id, row.active
    )


async def write_contacts(
    *, session: AsyncSession, writes: list[ContactWrite], source: str, now: datetime
) -> None:
    """Create or update the page's contacts; archived ones become inactive."""
    ids = [w.contact_id for w in writes if w.contact_id is not None]
    rows = {
        row.id: row
        for chunk in _chunks(ids)
        for row in (await session.execute(select(Contact).where(Contact.id.in_(chunk)))).scalars()
    }
    gone: list[int] = []
    fresh: list[dict[str, Any]] = []
    for write in writes:
        row = rows.get(write.contact_id or 0)
        if row is None:
            if not write.deactivate:  # a record the CRM archived before we ever saw it
                fresh.append(
                    write.fields
                    | {"email": write.email, "account_id": write.account_id}
                    | {"crm_id": write.crm_id, "opted_out": False, "active": True}
                )
            continue
        if write.deactivate:
            gone.append(row.id or 0)
        else:
            for name, value in write.fields.items():
                setattr(row, name, value)
            row.crm_id = write.crm_id
            if write.reactivate:
                row.active, row.inactive_since = True, None
        row.crm_source, row.crm_synced_at = source, now
        if write.changes:
            row.updated_at = now
    await session.flush()
    if fresh:  # one multi-row INSERT, as for accounts
        await session.execute(insert(Contact), _rows(fresh, source=source, now=now))
    await deactivate(session=session, contact_ids=gone, now=now)


async def _plan_each_look_up(session: AsyncSession) -> None:
    """Plan this transaction's look-ups for the table as it is now (PostgreSQL).

    A sync fills `accounts` and `contacts` as it reads them. A prepared look-up that
    PostgreSQL switched to a generic plan keeps the plan it made when the table was small (a
    scan of every row) while the table grows under it, so each page would read more rows
    than the last; a custom plan per execution costs a fraction of a millisecond.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


async def refresh_statistics(*, session: AsyncSession) -> None:
    """ANALYZE the tables a sync fills (PostgreSQL; SQLite plans without statistics)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("ANALYZE accounts, contacts"))


async def deactivate(*, session: AsyncSession, contact_ids: list[int], now: datetime) -> None:
    """The contacts are inactive (gone from the CRM): their unsent surveys will not go."""
    for chunk in _chunks(contact_ids):
        await session.execute(
            update(Contact)
            .where(Contact.id.in_(chunk), Contact.active)
            .values(active=False, inactive_since=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(Invitation)
            .where(Invitation.contact_id.in_(chunk), Invitation.status.in_(_UNSENT))
            .values(status=InvitationStatus.SKIPPED, skip_reason=SkipReason.INACTIVE, closed_at=now)
            .execution_options(synchronize_session=False)
        )


async def last_good_runs(*, session: AsyncSession) -> dict[str, datetime]:
    """When each CRM's last sync that ended well ended."""
    rows = await session.execute(
        select(CrmSync.crm, CrmSync.finished_at).where(
            CrmSync.error.is_(None), CrmSync.finished_at.is_not(None)
        )
    )
    return {crm: finished for crm, finished in rows.all() if finished is not None}


async def account_synced(*, session: AsyncSession, account_id: int) -> CrmSynced | None:
    """When a CRM last synced the account; None when no CRM owns it."""
    row = (
        await session.execute(
            select(Account.crm_source, Account.crm_synced_at).where(Account.id == account_id)
        )
    ).one_or_none()
    if row is None or row[0] is None:
        return None
    return synced(row[0], row[1], await last_good_runs(session=session))


def _chunks(values: list[Any]) -> list[list[Any]]:
    return [values[i : i + _IN] for i in range(0, len(values), _IN)]
