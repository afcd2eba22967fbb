"""Queries for reaching people at scale: Slack's listings cached, and invitations resolving.

`reach_users` holds who a listing showed; `reach_listings` how far each listing got, and
which process is reading it now (a lease, renewed with each page: of several workers one
reads a listing, and a worker that died leaves a lease that runs out). A campaign's
invitations are made at once, in bulk; those whose person Slack has not been asked about
yet wait as `resolving` until the worker finds them (bot/services/reach.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.vocabulary import InvitationStatus, Trigger
from storage.invitations import COUNTS_FOR_FATIGUE
from storage.models import Account, Contact, Invitation, ReachListing, ReachUser

S = InvitationStatus
BATCH = 500  # rows per statement (SQLite's bound parameters stay well under its limit)


async def listing(*, session: AsyncSession, source: str) -> ReachListing | None:
    return await session.get(ReachListing, source)


async def claim_listing(
    *, session: AsyncSession, source: str, holder: str, now: datetime, lease: timedelta
) -> ReachListing | None:
    """Take the listing's lease unless another process holds one that has not run out: the
    listing as it stands (made, not started, when there was none), or None."""
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table: Any = ReachListing.__table__  # type: ignore[attr-defined]
    await session.execute(
        make(table).values(source=source, started_at=now).on_conflict_do_nothing()
    )
    taken = await session.execute(
        update(ReachListing)
        .where(
            ReachListing.source == source,
            or_(ReachListing.lease_until.is_(None), ReachListing.lease_until < now),
        )
        .values(holder=holder, lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    if not taken.rowcount:  # type: ignore[attr-defined]
        return None
    return await session.get(ReachListing, source, populate_existing=True)


async def release_listing(*, session: AsyncSession, source: str, holder: str) -> None:
    """Give the lease up (the listing stopped, or its reader was interrupted)."""
    await session.execute(
        update(ReachListing)
        .where(ReachListing.source == source, ReachListing.holder == holder)
        .values(holder=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


async def start_listing(*, session: AsyncSession, source: str, now: datetime) -> None:
    """Begin (or begin again) a listing: no cursor, not complete."""
    row = await session.get(ReachListing, source)
    if row is None:
        session.add(ReachListing(source=source, started_at=now))
    else:
        row.started_at, row.cursor, row.completed_at, row.error = now, None, None, None
    await session.flush()


async def save_page(
    *,
    session: AsyncSession,
    source: str,
    users: list[dict[str, Any]],
    cursor: str | None,
    now: datetime,
    holder: str,
    lease: timedelta,
) -> bool:
    """Store one page's people (insert or replace by user id) and where the listing goes on,
    renewing the lease; False, with nothing written, when `holder` no longer holds it."""
    held = await session.execute(
        update(ReachListing)
        .where(ReachListing.source == source, ReachListing.holder == holder)
        .values(cursor=cursor, lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    if not held.rowcount:  # type: ignore[attr-defined]
        return False
    await save_users(session=session, source=source, users=users, now=now)
    return True


async def save_users(
    *, session: AsyncSession, source: str, users: list[dict[str, Any]], now: datetime
) -> None:
    """Store who a listing or a channel showed (insert or replace by user id)."""
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table: Any = ReachUser.__table__  # type: ignore[attr-defined]
    rows = [{**user, "source": source, "seen_at": now} for user in users]
    for start in range(0, len(rows), BATCH):
        statement = make(table).values(rows[start : start + BATCH])
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"],
                set_={
                    name: statement.excluded[name]
                    for name in ("email", "team_id", "tz", "locale", "source", "seen_at")
                },
            )
        )


async def complete_listing(
    *, session: AsyncSession, source: str, now: datetime, forget: bool = True
) -> None:
    """The listing reached its last page; with `forget`, those it no longer shows are dropped."""
    row = await session.get(ReachListing, source)
    if row is None:
        return
    if forget:
        await session.execute(
            delete(ReachUser).where(
                ReachUser.source == source,
                ReachUser.seen_at < row.started_at,
            )
        )
    row.completed_at, row.cursor, row.error = now, None, None
    row.holder, row.lease_until = None, None


async def stop_listing(*, session: AsyncSession, source: str, error: str) -> None:
    """The listing stopped short (Slack refused a page): why, and the lease given up."""
    await session.execute(
        update(ReachListing)
        .where(ReachListing.source == source)
        .values(error=error[:64], holder=None, lease_until=None)
    )


async def people_by_email(
    *, session: AsyncSession, emails: Collection[str]
) -> dict[str, ReachUser]:
    found: dict[str, ReachUser] = {}
    wanted = sorted(emails)
    for start in range(0, len(wanted), BATCH):
        rows = await session.execute(
            select(ReachUser).where(ReachUser.email.in_(wanted[start : start + BATCH]))
        )
        for user in rows.scalars():
            if user.email is not None:
                found[user.email] = user
    return found


async def people_by_id(*, session: AsyncSession, user_ids: Collection[str]) -> dict[str, ReachUser]:
    found: dict[str, ReachUser] = {}
    wanted = sorted(user_ids)
    for start in range(0, len(wanted), BATCH):
        rows = await session.execute(
            select(ReachUser).where(ReachUser.user_id.in_(wanted[start : start + BATCH]))
        )
        found.update((user.user_id, user) for user in rows.scalars())
    return found


async def last_relationship_surveys(
    *, session: AsyncSession, contact_ids: Collection[int]
) -> dict[int, datetime]:
    """Each contact's newest relationship invitation that counts for fatigue, in bulk."""
    found: dict[int, datetime] = {}
    wanted = sorted(contact_ids)
    for start in range(0, len(wanted), BATCH):
        rows = await session.execute(
            select(Invitation.contact_id, func.max(Invitation.created_at))
            .where(
                Invitation.contact_id.in_(wanted[start : start + BATCH]),
                Invitation.status.in_(COUNTS_FOR_FATIGUE),
                Invitation.trigger == Trigger.RELATIONSHIP,
            )
            .group_by(Invitation.contact_id)
        )
        found.update((contact_id, last) for contact_id, last in rows.all())
    return found


async def relationship_scheduled(
    *, session: AsyncSession, contact_ids: Collection[int], now: datetime
) -> set[int]:
    """The contacts with a relationship survey scheduled for now or later (or resolving)."""
    found: set[int] = set()
    wanted = sorted(contact_ids)
    for start in range(0, len(wanted), BATCH):
        rows = await session.execute(
            select(Invitation.contact_id)
            .where(
                Invitation.contact_id.in_(wanted[start : start + BATCH]),
                Invitation.trigger == Trigger.RELATIONSHIP,
                (
                    (Invitation.status == S.SCHEDULED) & (Invitation.due_at >= now)
                    | (Invitation.status == S.RESOLVING)
                ),
            )
            .distinct()
        )
        found.update(rows.scalars())
    return found


async def create_many(*, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert invitations in bulk: each row gives `contact_id`, `kind`, `trigger`, `status`,
    `skip_reason`, `due_at`, `campaign_id`, `created_at` and `closed_at`."""
    table: Any = Invitation.__table__  # type: ignore[attr-defined]
    for start in range(0, len(rows), BATCH):
        batch = [{**row, "attempts": 0} for row in rows[start : start + BATCH]]
        await session.execute(table.insert(), batch)


@dataclass(frozen=True)
class Outcome:
    """One invitation of a campaign, as `send` reports it."""

    status: str
    skip_reason: str | None
    channel: str | None
    due_at: datetime
    contact_id: int
    email: str
    slack_team_id: str | None
    account: str


async def outcomes(
    *, session: AsyncSession, campaign_id: int, status: str | None = None
) -> list[Outcome]:
    """A campaign's invitations (only those in `status`, when given) with who they are for,
    in the order made."""
    query = (
        select(
            Invitation.status,
            Invitation.skip_reason,
            Invitation.channel,
            Invitation.due_at,
            Contact.id,
            Contact.email,
            Contact.slack_team_id,
            Account.name,
        )
        .join(Contact, Contact.id == Invitation.contact_id)
        .join(Account, Account.id == Contact.account_id)
        .where(Invitation.campaign_id == campaign_id)
        .order_by(Invitation.id)
    )
    if status is not None:
        query = query.where(Invitation.status == status)
    return [Outcome(*row) for row in (await session.execute(query)).all()]


async def update_contacts(*, session: AsyncSession, contacts: list[dict[str, Any]]) -> None:
    """What Slack said of each contact (rows by id, with the same columns each)."""
    if contacts:
        await session.execute(update(Contact), contacts)


async def resolving(
    *,
    session: AsyncSession,
    campaign_id: int | None = None,
    after_id: int = 0,
    limit: int | None = None,
) -> list[tuple[Invitation, Contact, Account]]:
    """The invitations waiting for their person to be found in Slack, oldest first: up to
    `limit` of them, after the invitation `after_id`."""
    query = (
        select(Invitation, Contact, Account)
        .join(Contact, Contact.id == Invitation.contact_id)
        .join(Account, Account.id == Contact.account_id)
        .where(Invitation.status == S.RESOLVING, Invitation.id > after_id)
        .order_by(Invitation.id)
        .limit(limit)
    )
    if campaign_id is not None:
        query = query.where(Invitation.campaign_id == campaign_id)
    return [(i, c, a) for i, c, a in (await session.execute(query)).all()]


async def resolving_for(
    *,
    session: AsyncSession,
    emails: Collection[str],
    outside: tuple[int, int],
    campaign_id: int | None = None,
) -> list[tuple[Invitation, Contact, Account]]:
    """The invitations still waiting for these people (by lower-case email), but for those
    with ids within `outside` (first, last): a listing's page settles them wherever they are."""
    first, last = outside
    found: list[tuple[Invitation, Contact, Account]] = []
    wanted = sorted(emails)
    for start in range(0, len(wanted), BATCH):
        query = (
            select(Invitation, Contact, Account)
            .join(Contact, Contact.id == Invitation.contact_id)
            .join(Account, Account.id == Contact.account_id)
            .where(
                Contact.email.in_(wanted[start : start + BATCH]),
                Invitation.status == S.RESOLVING,
                or_(Invitation.id < first, Invitation.id > last),
            )
            .order_by(Invitation.id)
        )
        if campaign_id is not None:
            query = query.where(Invitation.campaign_id == campaign_id)
        found.extend((i, c, a) for i, c, a in (await session.execute(query)).all())
    return found


async def settle_many(*, session: AsyncSession, rows: list[dict[str, Any]], now: datetime) -> None:
    """Settle resolving invitations in one statement per kind of outcome: each row gives
    `id`, `due_at` and either `skip_reason` (skipped) or `channel` (None: their DM). A row
    no longer resolving (settled by another process, cancelled) is left alone."""
    table: Any = Invitation.__table__  # type: ignore[attr-defined]
    found = [
        {"b_id": r["id"], "b_due": r["due_at"], "b_channel": r.get("channel")}
        for r in rows
        if not r.get("skip_reason")
    ]
    skipped = [
        {"b_id": r["id"], "b_due": r["due_at"], "b_reason": r["skip_reason"]}
        for r in rows
        if r.get("skip_reason")
    ]
    where = (table.c.id == bindparam("b_id"), table.c.status == S.RESOLVING)
    if found:
        await session.execute(
            table.update()
            .where(*where)
            .values(status=S.SCHEDULED, due_at=bindparam("b_due"), channel=bindparam("b_channel")),
            found,
        )
    if skipped:
        await session.execute(
            table.update()
            .where(*where)
            .values(
                status=S.SKIPPED,
                due_at=bindparam("b_due"),
                skip_reason=bindparam("b_reason"),
                closed_at=now,
            ),
            skipped,
        )
