"""`import contacts FILE.csv`: check every row, then upsert accounts and contacts all at once.

The file is read by bot/domain/contacts_csv.py (cells, lines, problems); this module asks
Slack about the CSMs and writes the rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.contacts_csv import (
    Row,
    RowError,
    accounts_of,
    crm_kept,
    external_csm_error,
    parse,
)
from bot.domain.imports import ImportReport
from bot.domain.progress import OnProgress, Stage, Tick, unseen
from bot.services import transactional
from storage import accounts, crm_sync
from storage.db import Database


async def import_contacts(
    *,
    db: Database,
    csv_text: str,
    now: datetime,
    milestone_days: tuple[int, ...] = (),
    external: Callable[[str], Awaitable[bool]] | None = None,
    crm_owned: frozenset[str] = frozenset(),
    on_progress: OnProgress = unseen,
) -> ImportReport:
    """Check the whole file, then write it in one transaction, or write nothing and say why.

    With `milestone_days` (MILESTONE_DAYS), contacts of an account whose `customer_since`
    is recent get their day-N surveys planned in the same transaction
    (bot/services/transactional.py); an old customer_since plans nothing.
    With `external` (`roles.is_external`: Slack shows the user in another organisation),
    every line naming such a person as `csm` is refused: a CSM reads account data.
    `on_progress` hears of each row written (the command line's bar).
    """
    rows, errors = parse(csv_text, today=now.date())
    if external is not None:
        errors += await _external_csms(rows, external)
    if errors:
        return ImportReport(errors=sorted(errors, key=lambda error: error.line))
    async with db.transaction() as session:
        report, contact_ids = await _write(session, rows, now, crm_owned, on_progress)
        if milestone_days:
            await transactional.plan_customer_since(
                session, contact_ids=contact_ids, days=milestone_days, now=now
            )
        return report


async def _external_csms(
    rows: list[Row], external: Callable[[str], Awaitable[bool]]
) -> list[RowError]:
    """A line for each row whose CSM is someone of another organisation (Slack Connect)."""
    named = {str(csm) for row in rows if (csm := row.account_fields.get("csm_user_id"))}
    outsiders = {csm for csm in sorted(named) if await external(csm)}
    return [
        external_csm_error(row)
        for row in rows
        if row.account_fields.get("csm_user_id") in outsiders
    ]


async def _write(
    session: AsyncSession,
    rows: list[Row],
    now: datetime,
    crm_owned: frozenset[str],
    on_progress: OnProgress,
) -> tuple[ImportReport, list[int]]:
    report = ImportReport()
    contact_ids: list[int] = []
    account_ids: dict[str, int] = {}
    for key, (name, fields) in accounts_of(rows).items():
        stored = await accounts.find_account_by_key(session=session, key=key)
        if stored is not None and stored.crm_source and crm_owned:
            kept = crm_kept(stored.name, stored.crm_source, vars(stored), fields, crm_owned)
            if kept:
                report.crm_kept += kept
                await crm_sync.forget_companies_cursor(session=session, crm=stored.crm_source)
        account, created, changed = await accounts.upsert_account(
            session=session, name=name, key=key, fields=fields, now=now
        )
        assert account.id is not None
        account_ids[key] = account.id
        report.accounts_created += created
        report.accounts_updated += changed and not created
        report.accounts_unchanged += not changed
    on_progress(Tick(Stage.ROWS, 0, len(rows)))
    for done, row in enumerate(rows, start=1):
        contact, created, changed = await accounts.upsert_contact(
            session=session,
            email=row.email,
            account_id=account_ids[row.key],
            fields=row.contact_fields,
            now=now,
        )
        contact_ids.append(contact.id or 0)
        report.contacts_created += created
        report.contacts_updated += changed and not created
        report.contacts_unchanged += not changed
        on_progress(Tick(Stage.ROWS, done, len(rows)))
    return report, contact_ids
