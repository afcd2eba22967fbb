"""What the command line prints for a service's result: words from the message catalog.

The terminal speaks English (the catalog's default); each function takes the result a
service returned (bot/domain types) and gives the lines `python -m bot …` prints.
"""

from __future__ import annotations

from blocks.catalog import t
from bot.domain.crm import CrmKind, CrmObject, FieldSpec, SyncCount, SyncSummary
from bot.domain.crm_results import CheckResult, CrmCleared, CrmStatus, SetupResult
from bot.domain.crm_sync import MAX_CHANGE_LINES
from bot.domain.imports import HistoryReport, ImportReport, RowError, kinds
from bot.domain.progress import Stage, Tick
from bot.domain.records import AuditLine, DeadLetter, Forgotten


def connected(team: str, bot_name: str) -> str:
    """The line a long-running command prints once Slack accepted the token."""
    return t(None, "cli.connected", team=team, bot=bot_name)


def progress_line(tick: Tick) -> str:
    """The words beside a long command's bar (bot/core/progress.py)."""
    if tick.stage is Stage.CONTACTS:
        return t(None, "cli.progress.contacts", invitations=_count("invitation", tick.made))
    if tick.stage in (Stage.COMPANIES, Stage.CRM_CONTACTS):
        noun = "companies" if tick.stage is Stage.COMPANIES else "contacts"
        return t(
            None, "cli.crm.progress", object=noun, records=f"{tick.done:,}", pages=f"{tick.pages:,}"
        )
    return t(None, f"cli.progress.{tick.stage.value}")


def forgot(email: str, report: Forgotten) -> list[str]:
    """What `forget` prints: who was erased, then one line per kind of change."""
    changed = dict(report.changed)
    if report.cards_redrawn:
        changed[t(None, "cli.forgot.redrawn")] = report.cards_redrawn
    if report.cards_refused:
        changed[t(None, "cli.forgot.refused", again=report.again)] = report.cards_refused
    if report.wal_kept:
        changed[t(None, "cli.forgot.wal_kept")] = 1
    lines = [t(None, "cli.forgot", email=email)]
    lines += [f"  {what}: {count}" for what, count in sorted(changed.items())]
    if report.crm is not None:
        lines += _crm_forgot(report.crm)
    return lines


def dead_letters(dead: list[DeadLetter]) -> str:
    """`webhooks failed`: the events given up on, one line each, and how to resend one."""
    if not dead:
        return t(None, "cli.webhooks.none")
    head = t(
        None, "cli.webhooks.head.one" if len(dead) == 1 else "cli.webhooks.head", count=len(dead)
    )
    lines = [head]
    for event in dead:
        lines.append(
            t(
                None,
                "cli.webhooks.line",
                id=event.id,
                type=event.type,
                created=f"{event.created_at:%Y-%m-%d %H:%M}",
                attempts=event.attempts,
                error=event.last_error,
            )
        )
    lines.append(t(None, "cli.webhooks.retry_hint"))
    return "\n".join(lines)


def webhook_due(webhook_id: int) -> str:
    """`webhooks retry ID` succeeded."""
    return t(None, "cli.webhooks.due", id=webhook_id)


def _count(noun: str, count: int) -> str:
    return t(None, f"cli.count.{noun}.one" if count == 1 else f"cli.count.{noun}", count=count)


PROBLEM_LINES = 20  # an import names this many problems, then counts (as `send` does)


def _problems(errors: list[RowError]) -> str:
    """The rows with problems, the first PROBLEM_LINES problems, then each kind's count."""
    rows = len({error.line for error in errors})
    key = "cli.import.problems.one" if rows == 1 else "cli.import.problems"
    lines = [t(None, key, count=rows), *(f"  {error}" for error in errors[:PROBLEM_LINES])]
    if len(errors) > PROBLEM_LINES:
        lines.append(f"  {t(None, 'cli.import.more', count=len(errors) - PROBLEM_LINES)}")
    counted = kinds(errors)
    if len(counted) < len(errors):  # some mistake repeats: how often each
        lines.append(t(None, "cli.import.kinds"))
        lines += [f"  {count} × {kind}" for kind, count in counted]
    return "\n".join(lines)


def import_report(report: ImportReport) -> str:
    """`import contacts`: the counts, or every problem with its line."""
    if report.errors:
        return _problems(report.errors)
    kept = [
        t(None, "cli.import.crm_owned", account=k.account, field=k.column, crm=k.crm, value=k.value)
        for k in report.crm_kept
    ]
    return "\n".join(kept + [_imported(report)])


def _imported(report: ImportReport) -> str:
    contacts = report.contacts_created + report.contacts_updated + report.contacts_unchanged
    accounts = report.accounts_created + report.accounts_updated + report.accounts_unchanged
    if contacts and contacts == report.contacts_unchanged and not report.accounts_updated:
        return t(
            None,
            "cli.import.unchanged",
            contacts=_count("contact", contacts),
            accounts=_count("account", accounts),
        )
    return t(
        None,
        "cli.import.done",
        contacts=_count("contact", contacts),
        contacts_new=report.contacts_created,
        contacts_updated=report.contacts_updated,
        contacts_same=_same(report.contacts_unchanged),
        accounts=_count("account", accounts),
        accounts_new=report.accounts_created,
        accounts_updated=report.accounts_updated,
        accounts_same=_same(report.accounts_unchanged),
    )


def _same(count: int) -> str:
    return t(None, "cli.import.same", count=count) if count else ""


def history_report(report: HistoryReport) -> str:
    """`import responses`: the layout read and the answers imported, or every problem."""
    if report.errors:
        return _problems(report.errors)
    key = "cli.history.done.one" if report.imported == 1 else "cli.history.done"
    return t(None, key, layout=report.layout, count=report.imported, already=report.already)


def crm_summary(summary: SyncSummary) -> str:
    """`crm sync`'s one line: what came in (or would), and the owners Slack does not know."""
    key = "cli.crm.would_sync" if summary.dry_run else "cli.crm.synced"
    line = t(
        None,
        key,
        crm=summary.crm.label,
        companies=_crm_count("company", summary.companies),
        contacts=_crm_count("contact", summary.contacts),
    )
    owners = summary.owners_without_slack
    if owners:
        many = "cli.crm.owners.one" if len(owners) == 1 else "cli.crm.owners"
        line += "; " + t(None, many, count=len(owners), who=", ".join(owners))
    if summary.not_in_crm:
        fields = ", ".join(f"{name} ({setting})" for name, setting in summary.not_in_crm.items())
        line += "; " + t(None, "cli.crm.not_in_crm", crm=summary.crm.label, fields=fields)
    if summary.stopped:
        line += "; " + t(None, "cli.crm.stopped", why=summary.stopped)
    return line


def _crm_count(noun: str, count: SyncCount) -> str:
    parts = [
        t(None, f"cli.crm.{what}", count=f"{number:,}")
        for what, number in (
            ("new", count.new),
            ("changed", count.changed),
            ("inactive", count.inactive),
            ("skipped", count.skipped),
        )
        if number
    ]
    key = f"cli.count.{noun}.one" if count.seen == 1 else f"cli.count.{noun}"
    changes = ", ".join(parts) or t(None, "cli.crm.unchanged")
    return f"{t(None, key, count=f'{count.seen:,}')} ({changes})"


def crm_changes(summary: SyncSummary) -> list[str]:
    """`crm sync --dry-run`: the changes it would make, one a line (the first ones)."""
    lines = [f"  {change}" for change in summary.changes]
    if len(lines) >= MAX_CHANGE_LINES:
        lines.append(f"  {t(None, 'cli.crm.more_changes')}")
    return lines


def audit_lines(entries: list[AuditLine]) -> list[str]:
    """`audit`: one line per entry: when (UTC), who, what, and the detail."""
    if not entries:
        return [t(None, "cli.audit.none")]
    return [
        f"{e.at:%Y-%m-%d %H:%M} UTC  {e.actor:<12} {e.action:<16} {e.detail or ''}".rstrip()
        for e in entries
    ]


# -- the CRM (`crm setup`, `crm check`, `crm status`, `crm retry`, `forget`) --------------------
# What the operator of the CRM reads; English only, like the CRM's own admin screens.

_OBJECTS = {
    CrmKind.HUBSPOT: {
        CrmObject.CONTACT: "Contact",
        CrmObject.COMPANY: "Company",
        CrmObject.NOTE: "Note",
    },
    CrmKind.SALESFORCE: {
        CrmObject.CONTACT: "Contact",
        CrmObject.COMPANY: "Account",
        CrmObject.NOTE: "Task",
    },
}
_TYPES = {
    "number": "Number",
    "string": "Single-line text",
    "text": "Multi-line text",
    "datetime": "Date and time",
    "date": "Date",
}
_SF_TYPES = {
    "number": "Number(18, 1)",
    "string": "Text(255)",
    "text": "Long Text Area(32768)",
    "datetime": "Date/Time",
    "date": "Date",
}


def _where(crm: CrmKind, spec: FieldSpec) -> str:
    """Where a person adds the field by hand, and as what."""
    obj = _OBJECTS[crm].get(spec.object, spec.object.value)
    if crm is CrmKind.SALESFORCE:
        kind = _SF_TYPES.get(spec.type, spec.type)
        return (
            f"Setup › Object Manager › {obj} › Fields & Relationships › New: "
            f"{kind}, Field Name {spec.name.removesuffix('__c')} (API name {spec.name}), "
            f'label "{spec.label}"'
        )
    kind = _TYPES.get(spec.type, spec.type)
    return (
        f"Settings › Data Management › Properties › {obj} properties › Create property: "
        f'internal name {spec.name}, field type {kind}, label "{spec.label}"'
    )


def crm_setup(result: SetupResult) -> list[str]:
    """`crm setup`: what was created, what was there, what to add by hand and where."""
    label = result.crm.label
    obj = _OBJECTS[result.crm]
    lines = [
        f"Created in {label}: {obj.get(s.object, s.object.value)}.{s.name}" for s in result.created
    ]
    if result.present:
        names = ", ".join(f"{obj.get(s.object, s.object.value)}.{s.name}" for s in result.present)
        lines.append(f"Already in {label}: {names}")
    if result.by_hand:
        count = len(result.by_hand)
        these = "this field" if count == 1 else f"these {count} fields"
        lines.append(f"Add {these} by hand in {label}:")
        lines += [f"  {_where(result.crm, s)}" for s in result.by_hand]
        lines.append("Then run: python -m bot crm check")
    else:
        lines.append(f"{label} has every field VoC bot writes.")
    return lines


def crm_check(result: CheckResult) -> list[str]:
    """`crm check`: one line per missing field (exit 2 when any), or that all is there."""
    label = result.crm.label
    obj = _OBJECTS[result.crm]
    if not result.missing:
        return [f"{label} has all {result.checked} fields VoC bot reads and writes."]
    lines = []
    for p in result.missing:
        where = f"{obj.get(p.object, p.object.value)}.{p.name}"
        if p.setting:
            lines.append(
                f"missing in {label}: {where}, named by {p.setting}: fix the setting "
                "(blank means not synced) or add the field"
            )
        else:
            lines.append(f"missing in {label}: {where}: run python -m bot crm setup")
    return lines


def crm_status(status: CrmStatus) -> list[str]:
    """`crm status`: the last sync, then the push's outbox."""
    label = status.crm.label
    sync = status.sync
    if sync is None or sync.started_at is None:
        lines = [f"Sync from {label}: never run (python -m bot crm sync)"]
    else:
        ended = sync.finished_at or sync.started_at
        state = f"failed: {sync.error}" if sync.error else "ok"
        lines = [f"Last sync from {label}: {ended:%Y-%m-%d %H:%M} UTC, {state}"]
        if sync.summary:
            lines.append("  " + _summary(sync.summary))
    push = status.push
    lines.append(
        f"Push to {label}: {push.pending} pending, {push.delivered} delivered, "
        f"{push.not_in_crm} not in {label}, {len(push.dead)} given up"
    )
    lines += [
        f"  pending #{e.id} {e.type}, {e.attempts} tries, last error: {e.last_error}"
        for e in push.failing
    ]
    for e in push.dead:
        lines.append(
            f"  given up #{e.id} {e.type} from {e.created_at:%Y-%m-%d %H:%M}, "
            f"{e.attempts} tries, last error: {e.last_error}"
        )
    if push.dead:
        lines.append("Send one again: python -m bot crm retry ID")
    return lines


def _summary(summary: dict[str, object]) -> str:
    parts = []
    for name in ("companies", "contacts"):
        count = summary.get(name)
        if isinstance(count, dict):
            parts.append(
                f"{count.get('seen', 0)} {name} ({count.get('new', 0)} new, "
                f"{count.get('changed', 0)} changed)"
            )
    owners = summary.get("owners_without_slack")
    if isinstance(owners, list) and owners:
        one = len(owners) == 1
        parts.append(
            f"{len(owners)} owner{'' if one else 's'} ha{'s' if one else 've'} no Slack account"
        )
    if summary.get("stopped"):
        parts.append(f"stopped early: {summary['stopped']}")
    return ", ".join(parts) or ", ".join(f"{k}: {v}" for k, v in summary.items())


def crm_due(event_id: int) -> str:
    """`crm retry ID` succeeded."""
    return f"CRM push #{event_id} is due again; the next scheduler pass sends it."


def _crm_forgot(cleared: CrmCleared) -> list[str]:
    lines = []
    if cleared.fields_cleared:
        lines.append("  CRM: the voc_* fields cleared on the contact")
    if cleared.notes_deleted:
        lines.append(f"  CRM: {cleared.notes_deleted} notes deleted")
    lines += [f"  CRM, not cleared: {what}" for what in cleared.not_cleared]
    if cleared.retrying:
        lines.append("  CRM: the clearing is retried until the CRM takes it (crm status)")
    return lines or ["  CRM: nothing had been pushed for this person"]
