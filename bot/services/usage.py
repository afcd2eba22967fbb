"""Usage and support volume in: the `usage` event and `import usage FILE.csv`, all or
nothing, then the health of the accounts they name recomputed."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from bot.core.runtime import Runtime
from bot.domain.imports import RowError
from bot.domain.names import name_key
from bot.domain.usage import COLUMNS, UsageFault, UsageLine, UsageReport, parse_usage
from bot.services import health
from storage import health as store


async def record_usage(
    rt: Runtime, lines: list[tuple[int, UsageLine]], now: datetime
) -> UsageReport:
    """Store every line, or none when one names an account not imported (its line said)."""
    async with rt.db.session() as session:
        found = await store.account_refs(
            session=session,
            names=[name_key(line.account) for _, line in lines],
            crm_ids=[line.account for _, line in lines],
        )
    report = UsageReport()
    rows: list[dict[str, object]] = []
    ids: set[int] = set()
    for number, line in lines:
        account_id = found.get(line.account) or found.get(name_key(line.account))
        if account_id is None:
            report.errors.append(
                RowError(number, f"account {line.account!r} is not imported: import it first")
            )
            continue
        ids.add(account_id)
        rows.append(
            {
                "account_id": account_id,
                "metric": line.metric,
                "value": line.value,
                "at": line.at,
                "created_at": now,
            }
        )
    if report.errors:
        return report
    async with rt.db.transaction() as session:
        await store.add_usage(session=session, rows=rows)
    accounts = sorted(ids)
    await health.recompute(rt, now, accounts)
    report.stored, report.accounts = len(rows), len(accounts)
    return report


def read_usage_csv(
    csv_text: str, now: datetime
) -> tuple[list[tuple[int, UsageLine]], list[RowError]]:
    """The file's lines, and every bad one with its line number (the header is line 1)."""
    reader = csv.reader(io.StringIO(csv_text))
    header = [cell.strip().lower() for cell in next(reader, [])]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        return [], [RowError(1, f"the header lacks {', '.join(missing)}: use {','.join(COLUMNS)}")]
    lines: list[tuple[int, UsageLine]] = []
    errors: list[RowError] = []
    for cells in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        values: dict[str, object] = dict(zip(header, cells, strict=False))
        try:
            lines.append((number, parse_usage(values, now=now)))
        except UsageFault as fault:
            errors.append(RowError(number, str(fault)))
    if not lines and not errors:
        errors.append(RowError(1, "the file has no lines under its header"))
    return lines, errors


async def import_usage(rt: Runtime, csv_text: str, now: datetime) -> UsageReport:
    """`import usage FILE.csv`: any bad line → nothing stored, every bad line reported."""
    lines, errors = read_usage_csv(csv_text, now)
    if errors:
        return UsageReport(errors=errors)
    return await record_usage(rt, lines, now)
