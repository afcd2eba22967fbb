"""`export responses`: every response with its account's fields, as CSV or JSON lines."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from typing import Any, TextIO

from bot.domain.errors import UserError
from storage.db import Database
from storage.export import FIELDS, stream_responses

FORMATS = ("csv", "jsonl")
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: formula-like text gets a leading `'`."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


async def export_responses(*, db: Database, out: TextIO, format: str) -> int:
    """Write every response to `out` row by row; returns how many were written.

    CSV cells that a spreadsheet would run as a formula are prefixed with `'`; JSON lines
    keep every value exactly as stored.
    """
    if format not in FORMATS:
        raise UserError(f"Unknown format {format!r}: use --format csv or --format jsonl.")
    writer = csv.writer(out, lineterminator="\n") if format == "csv" else None
    if writer is not None:
        writer.writerow(FIELDS)
    count = 0
    async for row in stream_responses(engine=db.engine):
        values = {key: _plain(value) for key, value in row.items()}
        if writer is not None:
            writer.writerow([cell(v) for v in values.values()])
        else:
            out.write(json.dumps(values, ensure_ascii=False) + "\n")
        count += 1
    return count
