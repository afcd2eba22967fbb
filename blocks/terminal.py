"""What the command line prints for a service's result: words from the message catalog.

The terminal speaks English (the catalog's default); each function takes the result a
service returned (bot/domain types) and gives the lines `python -m bot …` prints.
"""

from __future__ import annotations

from blocks.catalog import t
from bot.domain.crm import CrmObject, Progress, SyncCount, SyncSummary
from bot.domain.crm_sync import MAX_CHANGE_LINES
from bot.domain.imports import HistoryReport, ImportReport, RowError
from bot.domain.records import AuditLine, DeadLetter, Forgotten


def connected(team: str, bot_name: str) -> str:
    """The line a long-running command prints once Slack accepted the token."""
    return t(None, "cli.connected", team=team, bot=bot_name)


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


def _problems(errors: list[RowError]) -> str:
    rows = len({error.line for error in errors})
    key = "cli.import.problems.one" if rows == 1 else "cli.import.problems"
    return "\n".join([t(None, key, count=rows), *(f"  {error}" for error in errors)])


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
    return t(
        None,
        "cli.import.done",
        contacts=_count("contact", report.contacts_created + report.contacts_updated),
        contacts_new=report.contacts_created,
        contacts_updated=report.contacts_updated,
        accounts=_count("account", report.accounts_created + report.accounts_updated),
        accounts_new=report.accounts_created,
        accounts_updated=report.accounts_updated,
    )


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


def crm_progress(progress: Progress, rate: float) -> str:
    """The progress line a terminal redraws while `crm sync` reads pages."""
    noun = "companies" if progress.object is CrmObject.COMPANY else "contacts"
    return t(
        None,
        "cli.crm.progress",
        object=noun,
        records=f"{progress.records:,}",
        pages=f"{progress.pages:,}",
        rate=f"{rate:,.0f}",
    )


def audit_lines(entries: list[AuditLine]) -> list[str]:
    """`audit`: one line per entry: when (UTC), who, what, and the detail."""
    if not entries:
        return [t(None, "cli.audit.none")]
    return [
        f"{e.at:%Y-%m-%d %H:%M} UTC  {e.actor:<12} {e.action:<16} {e.detail or ''}".rstrip()
        for e in entries
    ]
