"""`export responses`: every response with its account's fields, as CSV or JSON lines."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, TextIO

from bot.core.csv_out import CsvWriter
from bot.domain.question_sets import QuestionSet
from bot.domain.user_errors import UnknownExportFormat
from storage import question_sets
from storage.db import Database
from storage.export import BATCH, FIELDS, stream_responses

FORMATS = ("csv", "jsonl")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


async def export_responses(*, db: Database, out: TextIO, format: str) -> int:
    """Write every response to `out` row by row; returns how many were written.

    CSV cells that a spreadsheet would run as a formula are prefixed with `'`, and cells
    holding a line break or a comma are quoted (bot/core/csv_out.py); JSON lines keep every
    value exactly as stored. Question sets add one column per follow-up question (its key)
    and `question_set` (the set and version the answers were given in); a choice is
    exported as its option's English words.
    """
    if format not in FORMATS:
        raise UnknownExportFormat(format)
    async with db.session() as session:
        keys = await question_sets.every_key(session=session)
    extra = ("question_set", *keys) if keys else ()
    writer = CsvWriter(out) if format == "csv" else None
    if writer is not None:
        writer.writerow((*FIELDS, *extra))
    count = 0
    batch: list[dict[str, Any]] = []
    sets: dict[int, QuestionSet | None] = {}

    async def flush() -> None:
        answers: dict[int, dict[str, tuple[int, str]]] = {}
        if extra:
            async with db.session() as session:
                answers = await question_sets.answers_by_response(
                    session=session, response_ids=[row["response_id"] for row in batch]
                )
                for set_id, _ in (a for given in answers.values() for a in given.values()):
                    if set_id not in sets:
                        sets[set_id] = await question_sets.by_id(session=session, set_id=set_id)
        for row in batch:
            values = {key: _plain(value) for key, value in row.items()}
            if extra:
                values |= _answers(answers.get(row["response_id"], {}), keys, sets)
            if writer is not None:
                writer.writerow(values.values())
            else:
                out.write(json.dumps(values, ensure_ascii=False) + "\n")
        batch.clear()

    async for row in stream_responses(engine=db.engine):
        batch.append(row)
        count += 1
        if len(batch) >= BATCH:
            await flush()
    await flush()
    return count


def _answers(
    given: dict[str, tuple[int, str]], keys: list[str], sets: dict[int, QuestionSet | None]
) -> dict[str, Any]:
    """The follow-up columns of one response: the set version, then each key's answer."""
    shown: dict[str, Any] = {"question_set": None} | dict.fromkeys(keys)
    for key, (set_id, value) in given.items():
        qset = sets.get(set_id)
        question = qset.question(key) if qset else None
        shown[key] = question.label(value, "en") if question else value
        if qset is not None:
            shown["question_set"] = f"{qset.name} v{qset.version}"
    return shown
