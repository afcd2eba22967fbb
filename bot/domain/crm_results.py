"""What the CRM push and its admin commands (`crm setup`, `crm check`, `crm status`,
`forget`) return; `blocks/terminal.py` words them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.crm import CrmKind, FieldSpec, SchemaProblem


@dataclass(frozen=True)
class SetupResult:
    """`crm setup`: the fields created, those already there, and those to add by hand."""

    crm: CrmKind
    created: list[FieldSpec]
    present: list[FieldSpec]
    by_hand: list[FieldSpec]


@dataclass(frozen=True)
class CheckResult:
    """`crm check`: every field VoC bot reads or writes that the CRM's schema lacks."""

    crm: CrmKind
    checked: int
    missing: list[SchemaProblem]


@dataclass(frozen=True)
class PushEvent:
    """One CRM push event `crm status` lists (pending with failures, or given up on)."""

    id: int
    type: str
    created_at: datetime
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class PushState:
    pending: int
    failing: list[PushEvent]
    dead: list[PushEvent]
    delivered: int
    not_in_crm: int  # delivered to nobody: the contact or company is not in the CRM


@dataclass(frozen=True)
class SyncState:
    """The last `crm sync`, from `crm_syncs`."""

    started_at: datetime | None
    finished_at: datetime | None
    summary: dict[str, Any] | None
    error: str | None


@dataclass(frozen=True)
class CrmStatus:
    crm: CrmKind
    sync: SyncState | None
    push: PushState


@dataclass
class CrmCleared:
    """What `forget` cleared in the CRM, and what it could not clear, with why."""

    fields_cleared: bool = False
    notes_deleted: int = 0
    not_cleared: list[str] = field(default_factory=list)
    retrying: bool = False  # an outbox event keeps trying the clearing
