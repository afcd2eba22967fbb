"""The CRM as VoC bot sees it: what a sync reads, what is pushed back, and the connector's shape.

One connector a CRM (`bot/connectors/hubspot.py`, `bot/connectors/salesforce.py`) turns the
vendor's API into these values; the sync and the push (`bot/services/crm_sync.py`,
`bot/services/crm_push.py`) only ever see them. A third CRM is one new connector module.
Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol


class CrmKind(StrEnum):
    HUBSPOT = "hubspot"
    SALESFORCE = "salesforce"

    @property
    def label(self) -> str:
        return {"hubspot": "HubSpot", "salesforce": "Salesforce"}[self.value]


class CrmObject(StrEnum):
    """The CRM objects VoC bot reads or writes, by VoC bot's name for them."""

    COMPANY = "company"  # HubSpot companies, Salesforce Account
    CONTACT = "contact"  # HubSpot contacts, Salesforce Contact
    NOTE = "note"  # HubSpot notes, Salesforce Task


# The account fields a CRM may own, in VoC bot's names (the columns of `accounts`), and the
# setting that maps each to a CRM field. A field with no setting has a fixed standard name.
MAPPED_ACCOUNT_FIELDS: dict[str, str] = {
    "arr": "CRM_FIELD_ARR",
    "plan": "CRM_FIELD_PLAN",
    "segment": "CRM_FIELD_SEGMENT",
    "health": "CRM_FIELD_HEALTH",
    "renewal_date": "CRM_FIELD_RENEWAL",
    "customer_since": "CRM_FIELD_CUSTOMER_SINCE",
}
STANDARD_ACCOUNT_FIELDS = ("name", "domain", "industry", "csm_user_id")
CRM_OWNED_ACCOUNT_FIELDS = STANDARD_ACCOUNT_FIELDS + tuple(MAPPED_ACCOUNT_FIELDS)
CRM_OWNED_CONTACT_FIELDS = ("email", "name", "account", "locale")

# What is written back, in HubSpot's property names; Salesforce's are `salesforce_name(...)`.
CONTACT_PUSH_FIELDS = (
    "voc_last_score",
    "voc_last_survey",
    "voc_last_answered_at",
    "voc_last_comment",
)
COMPANY_PUSH_FIELDS = ("voc_nps", "voc_open_cases")
NPS_WINDOW_DAYS = 90  # `voc_nps` is the company's NPS over this many days


def salesforce_name(name: str) -> str:
    """`voc_last_score` → `VoC_Last_Score__c`: the same field as a Salesforce custom field."""
    head, *rest = name.split("_")
    words = ["VoC" if head == "voc" else head.capitalize(), *(w.capitalize() for w in rest)]
    return "_".join(words) + "__c"


@dataclass(frozen=True)
class FieldMap:
    """The CRM field behind each mapped account field; "" means "not synced"."""

    arr: str = ""
    plan: str = ""
    segment: str = ""
    health: str = ""
    renewal_date: str = ""
    customer_since: str = ""

    def mapped(self) -> dict[str, str]:
        """VoC bot's field → the CRM's field, for the fields that are synced."""
        return {name: crm for name in MAPPED_ACCOUNT_FIELDS if (crm := getattr(self, name))}


@dataclass(frozen=True)
class CrmOwner:
    crm_id: str
    email: str | None
    name: str | None = None


@dataclass(frozen=True)
class CrmCompany:
    crm_id: str
    name: str
    modified_at: datetime
    domain: str | None = None
    industry: str | None = None
    owner_id: str | None = None
    arr: float | None = None
    plan: str | None = None
    segment: str | None = None
    health: str | None = None
    renewal_date: date | None = None
    customer_since: date | None = None
    archived: bool = False


@dataclass(frozen=True)
class CrmContact:
    crm_id: str
    email: str | None  # a contact without one is skipped and counted
    modified_at: datetime
    name: str | None = None
    company_id: str | None = None  # the company's crm_id
    locale: str | None = None
    archived: bool = False


@dataclass(frozen=True)
class FieldSpec:
    """A field VoC bot needs in the CRM: on which object, its name there, and its type."""

    object: CrmObject
    name: str
    type: str  # "number", "string", "text", "datetime", "enumeration"
    label: str


@dataclass(frozen=True)
class SchemaProblem:
    """One thing `crm check` found wrong: a missing custom field or an unknown mapped field."""

    object: CrmObject
    name: str
    setting: str | None = None  # the CRM_FIELD_* setting naming it, for a mapped field


@dataclass(frozen=True)
class Note:
    """A detractor's (or low CSAT/CES) note on the contact's and the company's timeline."""

    key: str  # unique per note: the connector looks it up before it creates one
    title: str
    body: str
    at: datetime
    contact_id: str | None
    company_id: str | None


@dataclass
class SyncCount:
    seen: int = 0
    new: int = 0
    changed: int = 0
    inactive: int = 0  # archived or deleted in the CRM
    skipped: int = 0  # e.g. a contact without an email, or of an unknown company


@dataclass
class SyncSummary:
    """What one `crm sync` did (or, with --dry-run, would do)."""

    crm: CrmKind
    full: bool
    dry_run: bool
    companies: SyncCount = field(default_factory=SyncCount)
    contacts: SyncCount = field(default_factory=SyncCount)
    owners_without_slack: list[str] = field(default_factory=list)  # their emails (or names)
    changes: list[str] = field(default_factory=list)  # with --dry-run: one line a change
    pages: int = 0
    calls: int = 0
    stopped: str | None = None  # why it stopped early (the daily allowance), if it did
    # Mapped fields left out because the CRM lacks the default field and no CRM_FIELD_*
    # names another: VoC bot's field → the setting that would map it.
    not_in_crm: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Progress:
    """What a terminal shows while a sync runs."""

    object: CrmObject
    records: int
    pages: int
    calls: int


class CrmConnector(Protocol):
    """One CRM's API, as the sync and the push use it; its errors are the `Crm*` classes of
    `bot/domain/errors.py`."""

    kind: CrmKind
    calls: int  # API calls made so far, for the summary and the benchmark
    fields: FieldMap  # the CRM field behind each mapped account field ("": not read)

    async def owners(self) -> list[CrmOwner]: ...

    def companies(self, since: datetime | None) -> AsyncIterator[list[CrmCompany]]:
        """Pages of companies modified at or after `since` (all when None), archived too."""
        ...

    def contacts(self, since: datetime | None) -> AsyncIterator[list[CrmContact]]: ...

    async def update(self, object: CrmObject, values: Mapping[str, Mapping[str, object]]) -> None:
        """Set fields (VoC bot's names, `CONTACT_PUSH_FIELDS` / `COMPANY_PUSH_FIELDS`) on
        records by crm_id, batched as the API allows. None clears a field."""
        ...

    async def read(
        self, object: CrmObject, crm_id: str, fields: tuple[str, ...]
    ) -> dict[str, object] | None:
        """Current values of pushed fields on one record; None when the record is gone."""
        ...

    async def find_contact(self, email: str) -> str | None:
        """The crm_id of the contact with this email, if the CRM has one."""
        ...

    async def add_note(self, note: Note) -> str:
        """Create the note once: an existing note with the same key is returned, not doubled."""
        ...

    async def append_to_note(self, note_id: str, text: str) -> None: ...

    async def delete_note(self, note_id: str) -> bool:
        """False when it was already gone."""
        ...

    async def missing(self, needed: list[FieldSpec]) -> list[SchemaProblem]:
        """Which of `needed` (the push fields and the mapped fields) the CRM's schema lacks."""
        ...

    async def create_fields(self, specs: list[FieldSpec]) -> list[FieldSpec]:
        """Create what the API allows; returns the ones it could not create (done by hand)."""
        ...

    async def close(self) -> None: ...
