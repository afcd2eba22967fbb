"""The contacts CSV (`import contacts FILE.csv`) read into rows: pure rules, no I/O.

`parse` checks every cell of every line and the lines against each other (one line per
email; one value per account field) and returns the rows with every problem, by line.
bot/services/importer.py is the use case: it asks Slack about CSMs and writes the rows.
Columns and accepted values: docs/surveys.md.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.domain.crm import CrmKind
from bot.domain.crm_sync import shown
from bot.domain.imports import CrmKept, RowError
from bot.domain.names import (
    ACCOUNT_NAME_MAX,
    SEGMENTS,
    InvalidEmail,
    name_key,
    parse_email,
    segment_named,
)
from bot.domain.vocabulary import Health

REQUIRED_COLUMNS = ("email", "account")
# column → attribute
CONTACT_COLUMNS = {"name": "name", "slack_user_id": "slack_user_id", "locale": "locale"}
ACCOUNT_COLUMNS = {
    "segment": "segment",
    "industry": "industry",
    "plan": "plan",
    "arr": "arr",
    "customer_since": "customer_since",
    "health": "health",
    "csm": "csm_user_id",
    "slack_channel": "slack_channel",
}
COLUMNS = (*REQUIRED_COLUMNS, *CONTACT_COLUMNS, *ACCOUNT_COLUMNS)  # docs/surveys.md's order

_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,}")
_AMOUNT = re.compile(r"\$?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SLACK_CHANNEL = re.compile(r"[CG][A-Z0-9]{8,}")
_LOCALE = re.compile(r"[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|\d{3}))?")


@dataclass
class Row:
    line: int
    email: str  # "" when the cell is wrong
    account: str
    key: str  # "" when the cell is wrong
    contact_fields: dict[str, Any] = field(default_factory=dict)
    account_fields: dict[str, Any] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)


class InvalidCell(ValueError):
    """A cell is wrong; the message says what to write instead."""


def parse(csv_text: str, *, today: date) -> tuple[list[Row], list[RowError]]:
    records, errors = read_records(csv_text)
    if not records:
        return [], errors or [RowError(1, f"the file is empty; {_header_hint()}")]
    header_line, header = records[0]
    columns, header_errors = _columns(header_line, header)
    if header_errors:
        return [], header_errors
    if len(records) == 1 and not errors:
        return [], [RowError(header_line, "the file has only a header; add one contact per line")]
    rows: list[Row] = []
    for line, cells in records[1:]:
        row, row_errors = _row(line, cells, columns, today)
        rows.append(row)
        errors += row_errors
    return rows, errors + _cross_row_errors(rows)


def read_records(csv_text: str) -> tuple[list[tuple[int, list[str]]], list[RowError]]:
    """(first physical line, cells) of every non-blank record; a broken file stops here."""
    reader = csv.reader(io.StringIO(csv_text.removeprefix("\ufeff"), newline=""))
    records: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        return records, [RowError(line, f"cannot read this line as CSV ({exc})")]
    return records, []


def _header_hint() -> str:
    return f"the first line must name the columns, e.g. {','.join(COLUMNS)}"


def _columns(line: int, header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    """Column name → position, from a header in any order and case."""
    accepted = f"the accepted columns are {', '.join(COLUMNS)}"
    positions: dict[str, int] = {}
    errors: list[RowError] = []
    for position, cell in enumerate(header):
        column = cell.strip().lower()
        if not column:
            errors.append(RowError(line, f"column {position + 1} has no name; {accepted}"))
        elif column not in COLUMNS:
            errors.append(RowError(line, f'unknown column "{cell.strip()}"; {accepted}'))
        elif column in positions:
            errors.append(RowError(line, f'column "{column}" appears twice; keep one'))
        else:
            positions[column] = position
    missing = [column for column in REQUIRED_COLUMNS if column not in positions]
    if missing:
        names = " and ".join(f'"{column}"' for column in missing)
        what = "column" if len(missing) == 1 else "columns"
        verb = "is" if len(missing) == 1 else "are"
        errors.insert(0, RowError(line, f"the required {what} {names} {verb} missing; {accepted}"))
    return positions, errors


def _row(
    line: int, cells: list[str], columns: dict[str, int], today: date
) -> tuple[Row, list[RowError]]:
    values = {column: _cell(cells, position) for column, position in columns.items()}
    row = Row(line=line, email="", account="", key="", cells=values)
    errors = [RowError(line, message) for message in _shape_problems(cells, columns)]
    for column, parse in CELL_PARSERS.items():
        text = values.get(column, "")
        if column in REQUIRED_COLUMNS or text:
            try:
                _store(row, column, parse(text, today))
            except InvalidCell as exc:
                errors.append(RowError(line, str(exc)))
    return row, errors


def _cell(cells: list[str], position: int) -> str:
    return cells[position].strip() if position < len(cells) else ""


def _shape_problems(cells: list[str], columns: dict[str, int]) -> list[str]:
    width = max(columns.values()) + 1
    if any(cell.strip() for cell in cells[width:]):
        return [
            f"{len(cells)} cells but the header has {width} columns; "
            'remove the extra cells or put "quotes" around values that contain commas'
        ]
    return []


def _store(row: Row, column: str, value: Any) -> None:
    if column == "email":
        row.email = value
    elif column == "account":
        row.account, row.key = value
    elif column in CONTACT_COLUMNS:
        row.contact_fields[CONTACT_COLUMNS[column]] = value
    else:
        row.account_fields[ACCOUNT_COLUMNS[column]] = value


def _email(text: str, _today: date) -> str:
    if not text:
        raise InvalidCell("email is empty; every contact needs an email address")
    try:
        return parse_email(text)
    except InvalidEmail as exc:
        raise InvalidCell(
            f'email "{text}" is not an email address ({exc}); write it like ana@example.com'
        ) from None


def _account(text: str, _today: date) -> tuple[str, str]:
    """The account's name and its name key."""
    if not text:
        raise InvalidCell("account is empty; write the name of the contact's company")
    key = name_key(text)
    if not key:
        raise InvalidCell(f'account "{text}" has no letters or digits; write the company name')
    if len(text) > ACCOUNT_NAME_MAX or len(key) > ACCOUNT_NAME_MAX:
        raise InvalidCell(f"account is longer than {ACCOUNT_NAME_MAX} characters; shorten it")
    return text, key


def _text(column: str, limit: int) -> Callable[[str, date], str]:
    def parse(text: str, _today: date) -> str:
        if "\n" in text or "\r" in text:
            raise InvalidCell(
                f'{column} runs over several lines; check for a missing closing quote (")'
            )
        if len(text) > limit:
            raise InvalidCell(f"{column} is longer than {limit} characters; shorten it")
        return text

    return parse


def _slack_user(column: str) -> Callable[[str, date], str]:
    def parse(text: str, _today: date) -> str:
        if not _SLACK_USER.fullmatch(text):
            raise InvalidCell(
                f'{column} "{text}" is not a Slack user id; write one like U012AB3CD '
                "(in Slack: the person's profile → ⋮ → Copy member ID)"
            )
        return text

    return parse


def _slack_channel(text: str, _today: date) -> str:
    if not _SLACK_CHANNEL.fullmatch(text):
        raise InvalidCell(
            f'slack_channel "{text}" is not a Slack channel id; write one like C0ACMESHARED '
            "(in Slack: the channel's name → About → the Channel ID at the bottom)"
        )
    return text


def _locale(text: str, _today: date) -> str:
    """A language tag: language, optional script and region, e.g. ms-MY, en-GB, zh-Hant-TW."""
    value = text.replace("_", "-")
    parts = value.split("-")
    value = "-".join([parts[0].lower(), *(_tag_case(part) for part in parts[1:])])
    if not _LOCALE.fullmatch(value):
        raise InvalidCell(f'locale "{text}" is not a language tag; write one like en-GB or ms-MY')
    return value


def _tag_case(part: str) -> str:
    return part.title() if len(part) == 4 else part.upper()


def _one_of(column: str, text: str, value: str, choices: list[str]) -> str:
    if value not in choices:
        raise InvalidCell(f'{column} "{text}" is not one of {", ".join(choices)}')
    return value


def _segment(text: str, _today: date) -> str:
    segment = segment_named(text)
    if segment is None:
        raise InvalidCell(f'segment "{text}" is not one of {", ".join(SEGMENTS)}')
    return segment


def _health(text: str, _today: date) -> str:
    return _one_of("health", text, text.lower(), [health.value for health in Health])


def _arr(text: str, _today: date) -> float:
    if text.lstrip("$").strip().startswith("-"):
        raise InvalidCell(f'arr "{text}" is negative; write 0 or more')
    if not _AMOUNT.fullmatch(text.replace(" ", "")):
        raise InvalidCell(
            f'arr "{text}" is not an amount; write a number like 12000, 12,000.50 or $12,000'
        )
    return float(text.replace(" ", "").lstrip("$").replace(",", ""))


def _customer_since(text: str, today: date) -> date:
    try:
        since = date.fromisoformat(text) if _DATE.fullmatch(text) else None
    except ValueError:
        since = None
    if since is None:
        raise InvalidCell(
            f'customer_since "{text}" is not a date; write it as YYYY-MM-DD, e.g. 2024-01-31'
        )
    if since > today:
        raise InvalidCell(
            f"customer_since {text} is in the future; write the date they became a customer"
        )
    return since


def _cross_row_errors(rows: list[Row]) -> list[RowError]:
    """The same email twice, or one account given two different values for a field."""
    errors: list[RowError] = []
    email_rows: dict[str, Row] = {}
    first_values: dict[tuple[str, str], tuple[Any, Row]] = {}  # (key, attribute) → value, row
    for row in rows:
        if row.email in email_rows:
            first_line = email_rows[row.email].line
            message = (
                f"email {row.email} is already on line {first_line}; keep one line per contact"
            )
            errors.append(RowError(row.line, message))
        elif row.email:
            email_rows[row.email] = row
        if not row.key:
            continue
        for column, attribute in ACCOUNT_COLUMNS.items():
            if attribute in row.account_fields:
                value = row.account_fields[attribute]
                first_value, first = first_values.setdefault((row.key, attribute), (value, row))
                if first_value != value:
                    errors.append(_conflict(row, first, column))
    return errors


def _conflict(row: Row, first: Row, column: str) -> RowError:
    return RowError(
        row.line,
        f'account "{row.account}" has {column} "{row.cells[column]}" here but '
        f'"{first.cells[column]}" on line {first.line}; give it one value (or leave one empty)',
    )


def accounts_of(rows: list[Row]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Name key → (the name as first written, every field given on any of its rows)."""
    merged: dict[str, tuple[str, dict[str, Any]]] = {}
    for row in rows:
        _name, fields = merged.setdefault(row.key, (row.account, {}))
        for attribute, value in row.account_fields.items():
            fields.setdefault(attribute, value)
    return merged


CELL_PARSERS: dict[str, Callable[[str, date], Any]] = {
    "email": _email,
    "account": _account,
    "name": _text("name", 200),
    "slack_user_id": _slack_user("slack_user_id"),
    "segment": _segment,
    "industry": _text("industry", 100),
    "plan": _text("plan", 100),
    "arr": _arr,
    "customer_since": _customer_since,
    "health": _health,
    "csm": _slack_user("csm"),
    "slack_channel": _slack_channel,
    "locale": _locale,
}


def external_csm_error(row: Row) -> RowError:
    """The problem of a line whose CSM is someone of another organisation (Slack Connect)."""
    return RowError(
        row.line,
        f"csm {row.cells['csm']} is someone of another organisation (Slack Connect): "
        "a CSM must be a member of your own workspace; write one of your team's member IDs",
    )


def parse_cell(column: str, text: str, today: date) -> Any:
    """One cell's value (`text` already stripped); InvalidCell saying what to write instead."""
    return CELL_PARSERS[column](text, today)


def crm_kept(
    account: str,
    source: str,
    stored: Mapping[str, Any],
    fields: Mapping[str, Any],
    owned: frozenset[str],
) -> list[CrmKept]:
    """The file's changes to fields a CRM owns on an account it synced, one per field.

    Args:
        source: the account's `crm_source` ("hubspot").
        stored: the account's stored values; `fields` the file's (attribute → value).
        owned: the account fields the configured CRM owns.
    """
    columns = {attribute: column for column, attribute in ACCOUNT_COLUMNS.items()}
    try:
        crm = CrmKind(source).label
    except ValueError:
        crm = source
    return [
        CrmKept(account, columns[name], crm, shown(stored.get(name)))
        for name, value in fields.items()
        if name in owned and name in columns and value is not None and value != stored.get(name)
    ]
