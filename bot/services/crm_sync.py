"""`crm sync` and the scheduled sync: the CRM's companies, contacts and owners pulled in.

Companies become accounts, contacts contacts, a company's owner its CSM (matched to a Slack
user of the workspace by email; owners Slack does not know are named in the summary). The
rules of one page are pure (bot/domain/crm_sync.py); this module reads the pages from the
connector (bot/connectors/), asks Slack about owners once per run, and writes each page in
one transaction that also moves the cursor and renews the lease (storage/crm_sync.py).
After the first pass only what changed since the cursors is read; `full` reads everything;
`dry_run` writes nothing, cursors and lease included, and lists what would change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.core.config import Settings
from bot.core.runtime import Runtime
from bot.core.slack import error_code
from bot.core.slack_errors import SlackError
from bot.domain import crm_sync as rules
from bot.domain.crm import (
    MAPPED_ACCOUNT_FIELDS,
    STANDARD_ACCOUNT_FIELDS,
    CrmCompany,
    CrmConnector,
    CrmContact,
    CrmKind,
    CrmObject,
    CrmOwner,
    FieldSpec,
    Progress,
    SyncSummary,
)
from bot.domain.errors import CrmAllowanceSpent, CrmSetupError, TryLater
from bot.domain.user_errors import SyncRunning, UnknownCrmFields
from storage import crm_sync as store

log = logging.getLogger(__name__)

# A sync holds its lease this long past its last page; a sync that died frees it by then.
LEASE = timedelta(minutes=10)
NOT_FOUND = frozenset({"users_not_found", "user_not_found"})

OnProgress = Callable[[Progress], None]
STATISTICS_EVERY = 50  # pages between two refreshes of the database's statistics
READ_AHEAD = 64  # pages read ahead of the writes: 6,400 records at most
WRITE_TOGETHER = 5  # pages that waited for the database are written in one transaction
T = TypeVar("T")


async def read_ahead(
    pages: AsyncIterator[T], depth: int = READ_AHEAD, together: int = WRITE_TOGETHER
) -> AsyncIterator[list[T]]:
    """The pages, read up to `depth` ahead of the writes, handed over as they are ready
    (up to `together` at once, so pages that waited are written in one transaction).

    The CRM's limit is a rolling window (HubSpot: 190 calls a 10 s): a call made late in the
    first window holds back the call that many places after it. Reading the first pages as
    fast as the CRM allows, while the database writes at its own pace, brings the end of a
    sync to about the limit's floor instead of the sum of both paces. A CRM outage loses no
    more than the pages read ahead: the cursor moves only with pages written, so they are
    read again on the next run. A failed read is raised after the pages read before it."""
    queue: asyncio.Queue[tuple[T | None, BaseException | None]] = asyncio.Queue(depth)

    async def read() -> None:
        try:
            async for page in pages:
                await queue.put((page, None))
            await queue.put((None, None))
        except Exception as exc:
            await queue.put((None, exc))

    reader = asyncio.ensure_future(read())
    try:
        ended = False
        while not ended:
            ready: list[T] = []
            item: tuple[T | None, BaseException | None] | None = await queue.get()
            while item is not None:
                page, error = item
                if error is not None:
                    if ready:  # the pages read before the failure are written first
                        yield ready
                    raise error
                if page is None:
                    ended = True
                    break
                ready.append(page)
                item = queue.get_nowait() if len(ready) < together and queue.qsize() else None
            if ready:
                yield ready
    finally:
        if not reader.done():
            reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader
        close = getattr(pages, "aclose", None)
        if close is not None:
            await close()


def owned_fields(settings: Settings) -> frozenset[str]:
    """The account fields the configured CRM owns (a blank CRM_FIELD_* is not one)."""
    if settings.crm is None:
        return frozenset()
    return frozenset(STANDARD_ACCOUNT_FIELDS) | frozenset(_field_map(settings))


def _is_default(settings: Settings, name: str | None) -> bool:
    """Whether VoC bot's mapped field `name` takes the CRM's default (no CRM_FIELD_* set)."""
    if name is None:
        return False
    return getattr(settings, MAPPED_ACCOUNT_FIELDS[name].lower()) is None


def _field_map(settings: Settings) -> dict[str, str]:
    """VoC bot's field → the CRM's, for the mapped fields synced (CRM_FIELD_* or defaults)."""
    from bot.connectors import field_map

    if settings.crm is None:
        return {}
    if CrmKind(settings.crm) is CrmKind.HUBSPOT:
        from bot.connectors.hubspot import DEFAULT_FIELDS
    else:
        from bot.connectors.salesforce import DEFAULT_FIELDS
    return field_map(settings, DEFAULT_FIELDS).mapped()


async def sync(
    rt: Runtime,
    *,
    now: datetime,
    full: bool = False,
    dry_run: bool = False,
    connector: CrmConnector | None = None,
    on_progress: OnProgress | None = None,
) -> SyncSummary:
    """One sync of the configured CRM; the summary of what it did (or would do).

    Raises:
        SyncRunning: another sync holds the lease (nothing read, nothing written).
        CrmSetupError: the CRM refuses the setup (recorded on the sync's row; nothing of
            the page it met was written).
        CrmUnavailable: the CRM kept failing; the pages before stay written.
    """
    if connector is None:
        from bot.connectors import connect

        connector = connect(rt.settings)
    crm = str(connector.kind)
    try:
        if dry_run:
            async with rt.db.session() as session:
                held = await store.state(session=session, crm=crm)
            return await _Run(rt, connector, now, held, full, None, on_progress).run()
        async with rt.db.transaction() as session:
            held = await store.claim(session=session, crm=crm, now=now, lease=LEASE)
            if held is None:
                running = await store.state(session=session, crm=crm)
        if held is None:
            started = running.started_at if running else None
            raise SyncRunning(crm=connector.kind.label, started=_when(started))
        return await _run_leased(rt, connector, now, held, full, on_progress)
    finally:
        await connector.close()


async def _run_leased(
    rt: Runtime,
    connector: CrmConnector,
    now: datetime,
    held: store.SyncState,
    full: bool,
    on_progress: OnProgress | None,
) -> SyncSummary:
    crm = str(connector.kind)
    run = _Run(rt, connector, now, held, full, now, on_progress)
    try:
        summary = await run.run()
    except Exception as exc:
        kind = "unavailable" if isinstance(exc, TryLater) else "setup"
        kept = dict(held.summary or {}) | {"failure": kind}
        async with rt.db.transaction() as session:
            await store.release(
                session=session,
                crm=crm,
                started_at=now,
                now=rt.now(),
                summary=kept,
                error=_error_line(exc),
            )
        raise
    async with rt.db.transaction() as session:
        await store.release(
            session=session,
            crm=crm,
            started_at=now,
            now=rt.now(),
            summary=_recorded(summary),
            error=None,
        )
    return summary


def _when(moment: datetime | None) -> str:
    return "just now" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


def _error_line(exc: Exception) -> str:
    if isinstance(exc, CrmSetupError | TryLater | CrmAllowanceSpent):
        return str(exc)
    return f"{type(exc).__name__} (see the log)"  # its message may hold a person's data


def _recorded(summary: SyncSummary) -> dict[str, Any]:
    """What `crm status` shows of the last run: its counts, not the dry run's lines."""
    kept = asdict(summary)
    kept.pop("changes", None)
    kept["crm"] = str(summary.crm)
    return kept


class _Run:
    """One sync's state: the summary so far, the owners, and Slack's answers about them."""

    def __init__(
        self,
        rt: Runtime,
        connector: CrmConnector,
        now: datetime,
        held: store.SyncState | None,
        full: bool,
        started_at: datetime | None,  # None: a dry run, which holds no lease
        on_progress: OnProgress | None,
    ) -> None:
        self.rt, self.connector, self.now = rt, connector, now
        self.crm, self.label = str(connector.kind), connector.kind.label
        self.started_at, self.on_progress = started_at, on_progress
        self.summary = SyncSummary(connector.kind, full=full, dry_run=started_at is None)
        self.companies_since = None if full or held is None else held.companies_cursor
        self.contacts_since = None if full or held is None else held.contacts_cursor
        self.mapped = owned_fields(rt.settings) if rt.settings.crm else _all_fields()
        self.owners: dict[str, CrmOwner] = {}
        self.slack_users: dict[str, str | None] = {}  # owner email → Slack user id
        self.without_slack: dict[str, None] = {}  # insertion-ordered set
        self.new_accounts: dict[str, int] = {}  # dry run: companies it would create
        self.reading = "companies_cursor"  # the cursor of the pass under way
        self.cursor = rules.Cursor(self.companies_since, now)

    async def run(self) -> SyncSummary:
        try:
            await self._pages()
        except CrmAllowanceSpent as exc:  # what is written stays, cursors where pages left
            self.summary.stopped = str(exc)
            await self._finish(**{self.reading: self.cursor.stopped()})
        self.summary.owners_without_slack = list(self.without_slack)
        self.summary.calls = self.connector.calls
        return self.summary

    async def _pages(self) -> None:
        self.owners = {owner.crm_id: owner for owner in await self.connector.owners()}
        await self._check_mapping()
        companies = self.cursor = rules.Cursor(self.companies_since, self.now)
        contacts = rules.Cursor(self.contacts_since, self.now)
        unrefreshed = 0  # pages written since the statistics were refreshed
        async for ready in read_ahead(self._records(companies.since, contacts.since)):
            for object, pages in rules.runs(ready):
                if object is CrmObject.COMPANY and not pages:  # every company is written
                    await self._finish(companies_cursor=companies.end())
                    await self._refresh_statistics()
                    self.reading, self.cursor = "contacts_cursor", contacts
                elif object is CrmObject.COMPANY:
                    await self._companies(rules.joined(pages), companies.pages(pages), len(pages))
                else:
                    await self._contacts(rules.joined(pages), contacts.pages(pages), len(pages))
                    unrefreshed += len(pages)
                    if unrefreshed >= STATISTICS_EVERY:
                        await self._refresh_statistics()
                        unrefreshed = 0
        await self._finish(contacts_cursor=contacts.end())

    async def _records(
        self, companies_since: datetime | None, contacts_since: datetime | None
    ) -> AsyncIterator[tuple[CrmObject, list[Any] | None]]:
        """The companies' pages, None when they are all read, then the contacts' pages: one
        stream, so the contacts' first reads go out while the last companies are written."""
        async for page in self.connector.companies(companies_since):
            yield CrmObject.COMPANY, page
        yield CrmObject.COMPANY, None
        async for contacts in self.connector.contacts(contacts_since):
            yield CrmObject.CONTACT, contacts

    async def _refresh_statistics(self) -> None:
        """Let the database see how the tables grew (PostgreSQL): a first sync fills them
        in one go, and a planner still counting them empty reads every row per look-up."""
        if not self.summary.dry_run:  # committed, so what it learns is kept
            async with self.rt.db.transaction() as session:
                await store.refresh_statistics(session=session)

    async def _check_mapping(self) -> None:
        """Stop before any page when a CRM_FIELD_* setting names a field the CRM's schema
        lacks (a read does not always say so: HubSpot leaves an unknown property out of its
        answer). A default the CRM lacks (a custom field such as `plan` the portal never
        made) is left out of this sync and named in its summary instead."""
        mapped = _field_map(self.rt.settings)
        needed = [FieldSpec(CrmObject.COMPANY, crm, "string", ours) for ours, crm in mapped.items()]
        if not needed:
            return
        problems = [
            p for p in await self.connector.missing(needed) if p.object is CrmObject.COMPANY
        ]
        ours = {crm: name for name, crm in mapped.items()}
        defaulted = [p for p in problems if _is_default(self.rt.settings, ours.get(p.name))]
        for problem in defaulted:
            name = ours[problem.name]
            self.summary.not_in_crm[name] = MAPPED_ACCOUNT_FIELDS[name]
            self.connector.fields = replace(self.connector.fields, **{name: ""})
            self.mapped = self.mapped - {name}
        problems = [p for p in problems if p not in defaulted]
        if problems:
            fields = ", ".join(
                f"'{p.name}' ({p.setting})" if p.setting else f"'{p.name}'" for p in problems
            )
            raise UnknownCrmFields(crm=self.label, fields=fields)

    async def _finish(self, **cursor: datetime | None) -> None:
        """An object's pass is over: its cursor moves to where the next pass starts."""
        if self.summary.dry_run or all(value is None for value in cursor.values()):
            return
        async with self.rt.db.transaction() as session:
            await self._advance(session, **cursor)

    async def _companies(self, page: list[CrmCompany], cursor: datetime | None, pages: int) -> None:
        csms = {c.crm_id: await self._csm(c.owner_id) for c in page}
        keys = [key for company in page for key in rules.name_keys(company)]
        async with self._page(pages) as session:
            by_crm_id, by_key = await store.accounts_for(
                session=session, crm_ids=[c.crm_id for c in page], keys=keys
            )
            writes = rules.plan_accounts(
                page,
                by_crm_id=by_crm_id,
                by_key=by_key,
                values=lambda c: rules.company_values(c, self.mapped, csms[c.crm_id]),
                count=self.summary.companies,
            )
            if self.summary.dry_run:
                self._tell(rules.account_lines(writes, self.label))
                self.new_accounts |= {w.crm_id: -1 for w in writes if w.account_id is None}
            else:
                await store.write_accounts(
                    session=session, writes=writes, source=self.crm, now=self.now
                )
                await self._advance(session, companies_cursor=cursor)
        self._progressed(CrmObject.COMPANY, self.summary.companies.seen)

    async def _contacts(self, page: list[CrmContact], cursor: datetime | None, pages: int) -> None:
        emails = [email for c in page if (email := (c.email or "").strip().lower())]
        async with self._page(pages) as session:
            by_crm_id, by_email = await store.contacts_for(
                session=session, crm_ids=[c.crm_id for c in page], emails=emails
            )
            known = await store.account_ids(
                session=session, crm_ids=[c.company_id for c in page if c.company_id]
            )
            known |= self.new_accounts
            writes = rules.plan_contacts(
                page,
                by_crm_id=by_crm_id,
                by_email=by_email,
                account_of=lambda crm_id: known.get(crm_id) if crm_id else None,
                count=self.summary.contacts,
            )
            if self.summary.dry_run:
                self._tell(rules.contact_lines(writes, self.label))
            else:
                await store.write_contacts(
                    session=session, writes=writes, source=self.crm, now=self.now
                )
                await self._advance(session, contacts_cursor=cursor)
        self._progressed(CrmObject.CONTACT, self.summary.contacts.seen)

    def _page(self, pages: int) -> Any:
        self.summary.pages += pages
        return self.rt.db.session() if self.summary.dry_run else self.rt.db.transaction()

    async def _advance(self, session: Any, **cursor: datetime | None) -> None:
        assert self.started_at is not None
        held = await store.page_done(
            session=session,
            crm=self.crm,
            started_at=self.started_at,
            now=self.rt.now(),
            lease=LEASE,
            **cursor,
        )
        if not held:  # our lease ran out and another sync took over: this page is theirs
            raise SyncRunning(crm=self.label, started=_when(self.rt.now()))

    def _tell(self, lines: list[str]) -> None:
        room = rules.MAX_CHANGE_LINES - len(self.summary.changes)
        self.summary.changes += lines[: max(room, 0)]

    def _progressed(self, object: CrmObject, records: int) -> None:
        if self.on_progress is not None:
            self.on_progress(Progress(object, records, self.summary.pages, self.connector.calls))

    async def _csm(self, owner_id: str | None) -> str | None:
        """The Slack user id of the company's owner; None (and named) when Slack has none."""
        if not owner_id:
            return None
        owner = self.owners.get(owner_id)
        if owner is None:  # an owner the CRM no longer lists (deactivated): named too
            self.without_slack[f"owner {owner_id}"] = None
            return None
        email = (owner.email or "").strip().lower()
        if not email:
            self.without_slack[owner.name or f"owner {owner.crm_id}"] = None
            return None
        if email not in self.slack_users:
            self.slack_users[email] = await self._slack_user(email)
        if self.slack_users[email] is None:
            self.without_slack[email] = None
        return self.slack_users[email]

    async def _slack_user(self, email: str) -> str | None:
        try:
            found = await self.rt.slack.users_lookupByEmail(email=email)
        except SlackError as exc:
            if error_code(exc) in NOT_FOUND:
                return None
            raise
        user = found["user"]
        return None if user.get("deleted") or user.get("is_bot") else str(user["id"])


def _all_fields() -> frozenset[str]:
    from bot.domain.crm import CRM_OWNED_ACCOUNT_FIELDS

    return frozenset(CRM_OWNED_ACCOUNT_FIELDS)


async def sync_due(rt: Runtime, now: datetime) -> SyncSummary | None:
    """The scheduled sync: when CRM is set and the last run ended CRM_SYNC_EVERY ago.

    Another sync running is no failure (it is skipped, one INFO line); a setup error is one
    WARNING line and waits for the next CRM_SYNC_EVERY rather than spin; the CRM down is
    tried again sooner. Either failure is on the sync's row for `crm status`."""
    settings = rt.settings
    if settings.crm is None:
        return None
    crm = str(CrmKind(settings.crm))
    async with rt.db.session() as session:
        held = await store.state(session=session, crm=crm)
    if held is not None:
        failure = (held.summary or {}).get("failure") if held.error else None
        due = rules.next_due(
            finished_at=held.finished_at,
            failed=held.error is not None,
            retry_soon=failure == "unavailable",
            every=settings.crm_sync_every,
        )
        if due is not None and now < due:
            return None
    try:
        summary = await sync(rt, now=now)
    except SyncRunning:
        log.info("CRM sync skipped: another sync is running", extra={"crm": crm})
        return None
    except (CrmSetupError, TryLater) as exc:
        log.warning("CRM sync failed: %s", exc, extra={"crm": crm})
        return None
    log.info(
        "CRM sync done",
        extra={
            "crm": crm,
            "companies": summary.companies.seen,
            "contacts": summary.contacts.seen,
            "pages": summary.pages,
        },
    )
    return summary
