"""What one page of CRM records changes in VoC bot's accounts and contacts: pure rules.

`bot/services/crm_sync.py` reads a page from the connector and what storage holds for its
records (`StoredAccount`, `StoredContact`); `plan_accounts` / `plan_contacts` decide what
to write (`AccountWrite`, `ContactWrite`); storage writes it, or `--dry-run` only tells it.

Matching: an account by its CRM id, then by its normalised name (an account imported from
a CSV earlier becomes CRM-owned and keeps its answers); a contact by its CRM id, then by its
email. A contact without a usable email, or whose company VoC bot does not know, is skipped.
An archived (or deleted) contact becomes inactive: never surveyed again, its answers kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from bot.domain.crm import CrmCompany, CrmContact, CrmKind, CrmObject, SyncCount
from bot.domain.names import ACCOUNT_NAME_MAX, InvalidEmail, name_key, parse_email, segment_named
from bot.domain.records import CrmSynced
from bot.domain.vocabulary import Health

Record = CrmCompany | CrmContact
R = TypeVar("R")

# Column sizes (storage/models.py): a longer CRM value is cut, never refused.
_LIMITS = {"domain": 255, "industry": 100, "plan": 100, "name": 200}
_LOCALE_MAX = 16
# What CRMs commonly call the three health colours.
_HEALTH_WORDS = {
    "green": Health.GREEN,
    "healthy": Health.GREEN,
    "good": Health.GREEN,
    "yellow": Health.YELLOW,
    "amber": Health.YELLOW,
    "at risk": Health.YELLOW,
    "at-risk": Health.YELLOW,
    "warning": Health.YELLOW,
    "neutral": Health.YELLOW,
    "red": Health.RED,
    "critical": Health.RED,
    "poor": Health.RED,
    "unhealthy": Health.RED,
    "churn risk": Health.RED,
}
# How far the CRM's clock may run ahead of VoC bot's: a full pass's cursor is kept this much
# before the pass started, so a record edited during the pass is read again.
CLOCK_MARGIN = timedelta(minutes=5)
# Past the newest stamp read by this much: Salesforce's SOQL compares whole seconds. Safe
# with any CRM: a record not read yet but stamped inside it was edited during the pass,
# so after the pass's start less CLOCK_MARGIN, which bounds the cursor.
TICK = timedelta(seconds=1)
# A dry run lists at most this many changes; the counts say the rest.
MAX_CHANGE_LINES = 100
# A failed scheduled sync (the CRM down, a 429 storm) is tried again after this long (or
# CRM_SYNC_EVERY, when shorter); a setup error waits for the next CRM_SYNC_EVERY.
RETRY_SOON = timedelta(minutes=5)


@dataclass(frozen=True)
class StoredAccount:
    """An account as the sync compares it: its ids, name and CRM-owned fields."""

    id: int
    crm_id: str | None
    name: str
    name_key: str
    fields: Mapping[str, object]  # CRM_OWNED_ACCOUNT_FIELDS but name, as stored


@dataclass(frozen=True)
class StoredContact:
    id: int
    crm_id: str | None
    email: str
    name: str | None
    locale: str | None
    account_id: int
    active: bool


@dataclass
class AccountWrite:
    """One company's effect on its account: created (`account_id` None) or updated."""

    crm_id: str
    account_id: int | None
    name: str
    key: str
    fields: dict[str, object]
    changes: dict[str, tuple[object, object]]  # field → (stored, the CRM's); empty: same
    archived: bool = False


@dataclass
class ContactWrite:
    crm_id: str
    contact_id: int | None
    email: str
    account_id: int
    fields: dict[str, object]
    changes: dict[str, tuple[object, object]]
    deactivate: bool = False  # archived or deleted in the CRM
    reactivate: bool = False  # back in the CRM after being archived


@dataclass
class AccountPlan:
    writes: list[AccountWrite] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)  # name keys taken by this page's writes


def display_name(company: CrmCompany) -> str:
    """The account's name: the company's, else its domain, else one made of its CRM id."""
    name = " ".join(company.name.split()) or (company.domain or "").strip()
    if not name_key(name):
        name = f"Company {company.crm_id}"
    return name[:ACCOUNT_NAME_MAX]


def name_keys(company: CrmCompany) -> tuple[str, str]:
    """The company's name key, and the one it takes when another account holds that."""
    name = display_name(company)
    alternative = name_key(f"{name} {company.crm_id}")[:ACCOUNT_NAME_MAX]
    return name_key(name)[:ACCOUNT_NAME_MAX], alternative


def company_values(
    company: CrmCompany, mapped: frozenset[str], csm_user_id: str | None
) -> dict[str, object]:
    """The CRM-owned account fields a company sets (name aside).

    The CRM owns them: a blank there clears the stored value. A mapped field that is not
    synced (`CRM_FIELD_PLAN=`) is left alone, as is the CSM when the owner has no Slack
    account (the summary names them)."""
    values: dict[str, object] = {
        "domain": _text(company.domain, _LIMITS["domain"]),
        "industry": _text(company.industry, _LIMITS["industry"]),
    }
    if "arr" in mapped:
        values["arr"] = company.arr if company.arr is None or company.arr >= 0 else None
    if "plan" in mapped:
        values["plan"] = _text(company.plan, _LIMITS["plan"])
    if "segment" in mapped:
        segment = segment_named(company.segment or "")
        values["segment"] = segment.value if segment else None
    if "health" in mapped:
        values["health"] = health_named(company.health)
    if "renewal_date" in mapped:
        values["renewal_date"] = company.renewal_date
    if "customer_since" in mapped:
        values["customer_since"] = company.customer_since
    if csm_user_id is not None:
        values["csm_user_id"] = csm_user_id
    return values


def health_named(text: str | None) -> str | None:
    """green / yellow / red from what a CRM calls it ("Healthy", "At risk"…); None otherwise."""
    if not text:
        return None
    health = _HEALTH_WORDS.get(" ".join(text.strip().lower().replace("_", " ").split()))
    return health.value if health else None


def plan_accounts(
    companies: list[CrmCompany],
    *,
    by_crm_id: Mapping[str, StoredAccount],
    by_key: Mapping[str, StoredAccount],
    values: Callable[[CrmCompany], dict[str, object]],
    count: SyncCount,
) -> list[AccountWrite]:
    """What a page of companies writes; counts what it saw in `count`.

    Args:
        by_crm_id: the stored accounts with the page's CRM ids.
        by_key: the stored accounts holding the page's name keys (both of `name_keys`).
        values: a company's CRM-owned fields (`company_values` with the mapping and CSM).
    """
    plan = AccountPlan()
    for company in companies:
        count.seen += 1
        write = _account_write(company, by_crm_id, by_key, values(company), plan.keys)
        if write is None:
            count.skipped += 1  # archived before VoC bot ever saw it
            continue
        plan.keys.add(write.key)
        plan.writes.append(write)
        if write.account_id is None:
            count.new += 1
        elif company.archived:
            count.inactive += 1
        elif write.changes:
            count.changed += 1
    return plan.writes


def _account_write(
    company: CrmCompany,
    by_crm_id: Mapping[str, StoredAccount],
    by_key: Mapping[str, StoredAccount],
    values: dict[str, object],
    taken: set[str],
) -> AccountWrite | None:
    name = display_name(company)
    key, alternative = name_keys(company)
    stored = by_crm_id.get(company.crm_id)
    if stored is None and key not in taken:
        held = by_key.get(key)
        if held is not None and held.crm_id in (None, company.crm_id):
            stored = held  # imported from a CSV: it becomes the CRM's
    if stored is None:
        if company.archived:
            return None
        free = key not in taken and key not in by_key
        chosen = key if free else alternative
        changes: dict[str, tuple[object, object]] = {"name": (None, name)}
        changes |= {k: (None, v) for k, v in values.items() if v is not None}
        return AccountWrite(company.crm_id, None, name, chosen, values, changes)
    chosen = stored.name_key
    if key != stored.name_key:
        holder = by_key.get(key)
        free = key not in taken and (holder is None or holder.id == stored.id)
        chosen = key if free else alternative
    changes = {k: (stored.fields.get(k), v) for k, v in values.items() if stored.fields.get(k) != v}
    if name != stored.name:
        changes["name"] = (stored.name, name)
    if stored.crm_id != company.crm_id:
        changes["crm_id"] = (stored.crm_id, company.crm_id)
    return AccountWrite(
        company.crm_id, stored.id, name, chosen, values, changes, archived=company.archived
    )


def plan_contacts(
    contacts: list[CrmContact],
    *,
    by_crm_id: Mapping[str, StoredContact],
    by_email: Mapping[str, StoredContact],
    account_of: Callable[[str | None], int | None],
    count: SyncCount,
) -> list[ContactWrite]:
    """What a page of contacts writes; counts what it saw in `count`.

    Args:
        account_of: the account id of a company's CRM id (None when VoC bot does not know it).
    """
    writes: list[ContactWrite] = []
    emails: set[str] = set()
    for contact in contacts:
        count.seen += 1
        email = _email(contact.email)
        stored = by_crm_id.get(contact.crm_id) or (by_email.get(email) if email else None)
        if contact.archived:
            if stored is not None and stored.active:
                count.inactive += 1
                writes.append(_deactivation(contact, stored))
            continue
        account_id = account_of(contact.company_id)
        owner = by_email.get(email) if email else None
        clash = owner is not None and stored is not None and owner.id != stored.id
        if email is None or account_id is None or clash or email in emails:
            count.skipped += 1
            continue
        emails.add(email)
        write = _contact_write(contact, email, account_id, stored)
        writes.append(write)
        if write.contact_id is None:
            count.new += 1
        elif write.changes:
            count.changed += 1
    return writes


def _deactivation(contact: CrmContact, stored: StoredContact) -> ContactWrite:
    return ContactWrite(
        contact.crm_id,
        stored.id,
        stored.email,
        stored.account_id,
        {},
        {"active": (True, False)},
        deactivate=True,
    )


def _contact_write(
    contact: CrmContact, email: str, account_id: int, stored: StoredContact | None
) -> ContactWrite:
    values: dict[str, object] = {"email": email, "account_id": account_id}
    if name := _text(contact.name, _LIMITS["name"]):
        values["name"] = name
    if locale := locale_named(contact.locale):
        values["locale"] = locale
    if stored is None:
        changes: dict[str, tuple[object, object]] = {k: (None, v) for k, v in values.items()}
        return ContactWrite(contact.crm_id, None, email, account_id, values, changes)
    before = {
        "email": stored.email,
        "account_id": stored.account_id,
        "name": stored.name,
        "locale": stored.locale,
    }
    changes = {k: (before[k], v) for k, v in values.items() if before[k] != v}
    if stored.crm_id != contact.crm_id:
        changes["crm_id"] = (stored.crm_id, contact.crm_id)
    if not stored.active:
        changes["active"] = (False, True)
    return ContactWrite(
        contact.crm_id,
        stored.id,
        email,
        account_id,
        values,
        changes,
        reactivate=not stored.active,
    )


def locale_named(text: str | None) -> str | None:
    """A language tag from a CRM's language field ("en_GB", "ms-my", "en"), else None."""
    if not text:
        return None
    parts = text.strip().replace("_", "-").split("-")
    if not parts[0].isalpha() or not 2 <= len(parts[0]) <= 3:
        return None
    tag = "-".join(
        [parts[0].lower(), *(p.title() if len(p) == 4 else p.upper() for p in parts[1:])]
    )
    return tag if len(tag) <= _LOCALE_MAX and all(p.isalnum() for p in parts) else None


def _email(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return parse_email(text)
    except InvalidEmail:
        return None


def _text(value: str | None, limit: int) -> str | None:
    text = " ".join((value or "").split())
    return text[:limit] or None


@dataclass
class Cursor:
    """Where the next incremental pass starts reading one object, moved as pages are written.

    A connector gives the changed records oldest first (HubSpot's search, Salesforce's
    SystemModstamp order), so after each such page the cursor may move to its newest
    record: a crash re-reads at most that page. Pages that come in another order (a full
    pass lists by id; archived records come last) leave it until the pass ends; then it is
    the newest record seen, but no later than the pass's start less `CLOCK_MARGIN`: a
    record edited while the pass ran, after its page was read, is read again next time.
    A connector reads from `since` inclusive, so records sharing a stamp are never lost.
    """

    since: datetime | None  # what this pass reads from (None: everything)
    started: datetime  # when the pass started, on VoC bot's clock
    newest: datetime | None = None
    in_order: bool = True  # every page so far held no record older than the pages before

    def page(self, stamps: list[datetime]) -> datetime | None:
        """The cursor to store with this page, or None to leave it for now."""
        if not stamps:
            return None
        oldest, newest = min(stamps), max(stamps)
        self.in_order = self.in_order and (self.newest is None or oldest >= self.newest)
        self.newest = newest if self.newest is None else max(self.newest, newest)
        return newest if self.in_order and self.since is not None else None

    def pages(self, pages: Sequence[Sequence[Record]]) -> datetime | None:
        """The cursor to store with these pages, written together: as after the last."""
        stored = None
        for page in pages:
            stored = self.page([record.modified_at for record in page])
        return stored

    def stopped(self) -> datetime | None:
        """The cursor to store when the pass stops cleanly part way (Salesforce's daily
        allowance, whose connector reads every pass oldest first): the newest record
        written, if the pages came in order; else leave it."""
        return self.newest if self.in_order else None

    def end(self) -> datetime | None:
        """The cursor to store once every page is written (None: leave it): just past the
        newest record read, as everything up to it was read (one edited since the pass
        started is after the start less the margin)."""
        if self.newest is None:
            return None
        return min(self.newest + TICK, self.started - CLOCK_MARGIN)


def next_due(
    *, finished_at: datetime | None, failed: bool, retry_soon: bool, every: timedelta
) -> datetime | None:
    """When the scheduled sync runs next; None: now (it never ran).

    After a success, CRM_SYNC_EVERY after it ended; after a transient failure (the CRM
    down) RETRY_SOON after it (or sooner, with a short CRM_SYNC_EVERY); after any other
    failure (a setup error) CRM_SYNC_EVERY later, so a broken setting is not retried in a
    loop."""
    if finished_at is None:
        return None
    wait = min(every, RETRY_SOON) if failed and retry_soon else every
    return finished_at + wait


def synced(
    source: str | None, synced_at: datetime | None, last_good: Mapping[str, datetime]
) -> CrmSynced | None:
    """When the CRM an account comes from last synced it: the later of the account's own
    sync and that CRM's last sync that ended well (an incremental sync reads only what
    changed, so an unchanged account was current as of then). None: no CRM owns it."""
    if source is None or synced_at is None:
        return None
    try:
        label = CrmKind(source).label
    except ValueError:
        label = source
    good = last_good.get(source)
    return CrmSynced(label, max(synced_at, good) if good is not None else synced_at)


def shown(value: object) -> str:
    """A field's value in a line a person reads: 120000.0 → 120000, a date as 2026-03-01."""
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def account_lines(writes: list[AccountWrite], label: str) -> list[str]:
    """With --dry-run: one line a change, e.g. `Acme: arr 100000 → 120000`."""
    lines: list[str] = []
    for write in writes:
        if write.account_id is None:
            lines.append(f"new account {write.name} (from {label} company {write.crm_id})")
        elif write.archived:
            lines.append(f"{write.name}: archived in {label}")
        else:
            lines += [
                f"{write.name}: {name} {shown(old)} → {shown(new)}"
                for name, (old, new) in write.changes.items()
            ]
    return lines


def contact_lines(writes: list[ContactWrite], label: str) -> list[str]:
    lines: list[str] = []
    for write in writes:
        if write.contact_id is None:
            lines.append(f"new contact {write.email} (from {label} contact {write.crm_id})")
        elif write.deactivate:
            lines.append(f"{write.email}: inactive (archived or deleted in {label})")
        else:
            lines += [
                f"{write.email}: {name} {shown(old)} → {shown(new)}"
                for name, (old, new) in write.changes.items()
            ]
    return lines


def runs(
    ready: Sequence[tuple[CrmObject, Sequence[R] | None]],
) -> list[tuple[CrmObject, list[Sequence[R]]]]:
    """Pages read ahead, in runs of one object to write together; a pass's end marker
    (None) is a run of no pages, in its place."""
    out: list[tuple[CrmObject, list[Sequence[R]]]] = []
    for object, page in ready:
        if page is None:
            out.append((object, []))
        elif out and out[-1][0] is object and out[-1][1]:
            out[-1][1].append(page)
        else:
            out.append((object, [page]))
    return out


def joined(pages: Sequence[Sequence[R]]) -> list[R]:
    """Pages written together, as one page."""
    return [record for page in pages for record in page]
