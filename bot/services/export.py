"""`export responses`: every response with its account's fields, as CSV or JSON lines."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, TextIO

from bot.core.csv_out import CsvWriter
from bot.domain.user_errors import UnknownExportFormat
from storage.db import Database
from storage.export import FIELDS, stream_responses

FORMATS = ("csv", "jsonl")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


async def export_responses(*, db: Database, out: TextIO, format: str) -> int:
    """Write every response to `out` row by row; returns how many were written.

    CSV cells that a spreadsheet would run as a formula are prefixed with `'`, and cells
    holding a line break or a comma are quoted (bot/core/csv_out.py); JSON lines keep every
    value exactly as stored.
    """
    if format not in FORMATS:
        raise UnknownExportFormat(format)
    writer = CsvWriter(out) if format == "csv" else None
    if writer is not None:
        writer.writerow(FIELDS)
    count = 0
    async for row in stream_responses(engine=db.engine):
        values = {key: _plain(value) for key, value in row.items()}
        if writer is not None:
            writer.writerow(values.values())
        else:
            out.write(json.dumps(values, ensure_ascii=False) + "\n")
        count += 1
    return count
