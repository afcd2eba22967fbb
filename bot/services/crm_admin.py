"""`crm setup`, `crm check`, `crm status` and `crm retry`: the CRM's side of the push, checked
and shown.

`setup` creates the voc_* fields the push writes where the CRM's API allows it and returns the
rest, to add by hand. `check` asks the CRM's own schema for every field VoC bot writes (the
voc_* fields) or reads (the CRM_FIELD_* mapping). `status` is the last sync and the push's
outbox: pending, failing with their last error, given up on. A CRM refusing the connection
raises `CrmSetupError` (one line, exit 2, no secret in it).
"""

from __future__ import annotations

from importlib import import_module

from bot.connectors import connect, field_map
from bot.core.runtime import Runtime
from bot.domain.crm import (
    COMPANY_PUSH_FIELDS,
    CONTACT_PUSH_FIELDS,
    MAPPED_ACCOUNT_FIELDS,
    CrmKind,
    CrmObject,
    FieldMap,
    FieldSpec,
    SchemaProblem,
    salesforce_name,
)
from bot.domain.crm_results import CheckResult, CrmStatus, SetupResult
from bot.domain.user_errors import NoCrmDeadLetter
from storage import crm_push as store

TYPES = {
    "voc_last_score": "number",
    "voc_last_survey": "string",
    "voc_last_answered_at": "datetime",
    "voc_last_comment": "text",
    "voc_nps": "number",
    "voc_open_cases": "number",
}
LABELS = {
    "voc_last_score": "VoC last score",
    "voc_last_survey": "VoC last survey",
    "voc_last_answered_at": "VoC last answered at",
    "voc_last_comment": "VoC last comment",
    "voc_nps": "VoC NPS (90 days)",
    "voc_open_cases": "VoC open cases",
}
MAPPED_TYPES = {
    "arr": "number",
    "plan": "string",
    "segment": "string",
    "health": "string",
    "renewal_date": "date",
    "customer_since": "date",
}


def _kind(rt: Runtime) -> CrmKind:
    rt.settings.require("CRM")
    return CrmKind(rt.settings.crm or "")


def push_fields(kind: CrmKind) -> list[FieldSpec]:
    """The voc_* fields the push writes, by their name in this CRM, and the key its notes
    carry so a retried note is found, not doubled (the connector names it)."""

    def name(field: str) -> str:
        return salesforce_name(field) if kind is CrmKind.SALESFORCE else field

    return [
        FieldSpec(obj, name(field), TYPES[field], LABELS[field])
        for obj, fields in (
            (CrmObject.CONTACT, CONTACT_PUSH_FIELDS),
            (CrmObject.COMPANY, COMPANY_PUSH_FIELDS),
        )
        for field in fields
    ] + [import_module(f"bot.connectors.{kind.value}").NOTE_KEY_SPEC]


def mapped_fields(rt: Runtime, kind: CrmKind) -> dict[str, FieldSpec]:
    """The CRM_FIELD_* mapping as fields of the company, by the setting naming each."""
    module = import_module(f"bot.connectors.{kind.value}")
    defaults: FieldMap = getattr(module, "DEFAULT_FIELDS", FieldMap())
    mapping = field_map(rt.settings, defaults).mapped()
    return {
        MAPPED_ACCOUNT_FIELDS[ours]: FieldSpec(CrmObject.COMPANY, theirs, MAPPED_TYPES[ours], ours)
        for ours, theirs in mapping.items()
    }


async def setup(rt: Runtime) -> SetupResult:
    """Create the missing voc_* fields the API lets us create; the rest are to add by hand."""
    kind = _kind(rt)
    wanted = push_fields(kind)
    crm = connect(rt.settings)
    try:
        missing = {(p.object, p.name) for p in await crm.missing(wanted)}
        absent = [spec for spec in wanted if (spec.object, spec.name) in missing]
        by_hand = await crm.create_fields(absent) if absent else []
    finally:
        await crm.close()
    left = {(s.object, s.name) for s in by_hand}
    return SetupResult(
        crm=kind,
        created=[s for s in absent if (s.object, s.name) not in left],
        present=[s for s in wanted if (s.object, s.name) not in missing],
        by_hand=by_hand,
    )


async def check(rt: Runtime) -> CheckResult:
    """Every voc_* field and mapped field the CRM's schema lacks (a mapped one names its
    CRM_FIELD_* setting)."""
    kind = _kind(rt)
    mapped = mapped_fields(rt, kind)
    wanted = push_fields(kind) + list(mapped.values())
    crm = connect(rt.settings)
    try:
        problems = await crm.missing(wanted)
    finally:
        await crm.close()
    settings = {(spec.object, spec.name): setting for setting, spec in mapped.items()}
    named = [
        SchemaProblem(p.object, p.name, p.setting or settings.get((p.object, p.name)))
        for p in problems
    ]
    return CheckResult(crm=kind, checked=len(wanted), missing=named)


async def status(rt: Runtime) -> CrmStatus:
    """The last sync and the push's outbox (read from the database only)."""
    kind = _kind(rt)
    async with rt.db.session() as session:
        sync = await store.last_sync(session=session, crm=kind.value)
        push = await store.push_state(session=session)
    return CrmStatus(crm=kind, sync=sync, push=push)


async def retry(rt: Runtime, event_id: int) -> None:
    """`crm retry ID`: a push given up on is due again now; the next pass sends it."""
    async with rt.db.transaction() as session:
        revived = await store.revive(session=session, id=event_id, now=rt.now())
    if not revived:
        raise NoCrmDeadLetter(event_id=event_id)
