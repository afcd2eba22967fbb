"""`import contacts FILE.csv`: check every row, then upsert accounts and contacts all at once."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.names import (
    ACCOUNT_NAME_MAX,
    SEGMENTS,
    InvalidEmail,
    name_key,
    parse_email,
    segment_named,
)
from bot.domain.vocabulary import Health
from bot.services import transactional
from storage import accounts
from storage.db import Database

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


@dataclass(frozen=True)
class RowError:
    line: int  # physical line in the file; the header is line 1
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    accounts_created: int = 0
    accounts_updated: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass
class _Row:
    line: int
    email: str  # "" when the cell is wrong
    account: str
    key: str  # "" when the cell is wrong
    contact_fields: dict[str, Any] = field(default_factory=dict)
    account_fields: dict[str, Any] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)


class _Invalid(ValueError):
    """A cell is wrong; the message says what to write instead."""


async def import_contacts(
    *,
    db: Database,
    csv_text: str,
    now: datetime,
    milestone_days: tuple[int, ...] = (),
    external: Callable[[str], Awaitable[bool]] | None = None,
) -> ImportReport:
    """Check the whole file, then write it in one transaction, or write nothing and say why.

    With `milestone_days` (MILESTONE_DAYS), contacts of an account whose `customer_since`
    is recent get their day-N surveys planned in the same transaction
    (bot/services/transactional.py); an old customer_since plans nothing.
    With `external` (`roles.is_external`: Slack shows the user in another organisation),
    every line naming such a person as `csm` is refused: a CSM reads account data.
    """
    rows, errors = _parse(csv_text, today=now.date())
    if external is not None:
        errors += await _external_csms(rows, external)
    if errors:
        return ImportReport(errors=sorted(errors, key=lambda error: error.line))
    async with db.transaction() as session:
        report, contact_ids = await _write(session, rows, now)
        if milestone_days:
            await transactional.plan_customer_since(
                session, contact_ids=contact_ids, days=milestone_days, now=now
            )
        return report


def format_report(report: ImportReport) -> str:
    """What the CLI prints: the counts, or every problem with its line."""
    if report.errors:
        bad = len({error.line for error in report.errors})
        verb = "has" if bad == 1 else "have"
        head = f"Nothing was imported: {_plural(bad, 'row')} {verb} problems. "
        head += "Fix them and run the import again:"
        return "\n".join([head, *(f"  {error}" for error in report.errors)])
    contacts = report.contacts_created + report.contacts_updated
    accounts_total = report.accounts_created + report.accounts_updated
    return (
        f"Imported {_plural(contacts, 'contact')} ({report.contacts_created} new, "
        f"{report.contacts_updated} updated) in {_plural(accounts_total, 'account')} "
        f"({report.accounts_created} new, {report.accounts_updated} updated)."
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _parse(csv_text: str, *, today: date) -> tuple[list[_Row], list[RowError]]:
    records, errors = _records(csv_text)
    if not records:
        return [], errors or [RowError(1, f"the file is empty; {_header_hint()}")]
    header_line, header = records[0]
    columns, header_errors = _columns(header_line, header)
    if header_errors:
        return [], header_errors
    if len(records) == 1 and not errors:
        return [], [RowError(header_line, "the file has only a header; add one contact per line")]
    rows: list[_Row] = []
    for line, cells in records[1:]:
        row, row_errors = _row(line, cells, columns, today)
        rows.append(row)
        errors += row_errors
    return rows, errors + _cross_row_errors(rows)


def _records(csv_text: str) -> tuple[list[tuple[int, list[str]]], list[RowError]]:
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
) -> tuple[_Row, list[RowError]]:
    values = {column: _cell(cells, position) for column, position in columns.items()}
    row = _Row(line=line, email="", account="", key="", cells=values)
    errors = [RowError(line, message) for message in _shape_problems(cells, columns)]
    for column, parse in _PARSERS.items():
        text = values.get(column, "")
        if column in REQUIRED_COLUMNS or text:
            try:
                _store(row, column, parse(text, today))
            except _Invalid as exc:
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


def _store(row: _Row, column: str, value: Any) -> None:
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
        raise _Invalid("email is empty; every contact needs an email address")
    try:
        return parse_email(text)
    except InvalidEmail as exc:
        raise _Invalid(
            f'email "{text}" is not an email address ({exc}); write it like ana@example.com'
        ) from None


def _account(text: str, _today: date) -> tuple[str, str]:
    """The account's name and its name key."""
    if not text:
        raise _Invalid("account is empty; write the name of the contact's company")
    key = name_key(text)
    if not key:
        raise _Invalid(f'account "{text}" has no letters or digits; write the company name')
    if len(text) > ACCOUNT_NAME_MAX or len(key) > ACCOUNT_NAME_MAX:
        raise _Invalid(f"account is longer than {ACCOUNT_NAME_MAX} characters; shorten it")
    return text, key


def _text(column: str, limit: int) -> Callable[[str, date], str]:
    def parse(text: str, _today: date) -> str:
        if "\n" in text or "\r" in text:
            raise _Invalid(
                f'{column} runs over several lines; check for a missing closing quote (")'
            )
        if len(text) > limit:
            raise _Invalid(f"{column} is longer than {limit} characters; shorten it")
        return text

    return parse


def _slack_user(column: str) -> Callable[[str, date], str]:
    def parse(text: str, _today: date) -> str:
        if not _SLACK_USER.fullmatch(text):
            raise _Invalid(
                f'{column} "{text}" is not a Slack user id; write one like U012AB3CD '
                "(in Slack: the person's profile → ⋮ → Copy member ID)"
            )
        return text

    return parse


def _slack_channel(text: str, _today: date) -> str:
    if not _SLACK_CHANNEL.fullmatch(text):
        raise _Invalid(
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
        raise _Invalid(f'locale "{text}" is not a language tag; write one like en-GB or ms-MY')
    return value


def _tag_case(part: str) -> str:
    return part.title() if len(part) == 4 else part.upper()


def _one_of(column: str, text: str, value: str, choices: list[str]) -> str:
    if value not in choices:
        raise _Invalid(f'{column} "{text}" is not one of {", ".join(choices)}')
    return value


def _segment(text: str, _today: date) -> str:
    segment = segment_named(text)
    if segment is None:
        raise _Invalid(f'segment "{text}" is not one of {", ".join(SEGMENTS)}')
    return segment


def _health(text: str, _today: date) -> str:
    return _one_of("health", text, text.lower(), [health.value for health in Health])


def _arr(text: str, _today: date) -> float:
    if text.lstrip("$").strip().startswith("-"):
        raise _Invalid(f'arr "{text}" is negative; write 0 or more')
    if not _AMOUNT.fullmatch(text.replace(" ", "")):
        raise _Invalid(
            f'arr "{text}" is not an amount; write a number like 12000, 12,000.50 or $12,000'
        )
    return float(text.replace(" ", "").lstrip("$").replace(",", ""))


def _customer_since(text: str, today: date) -> date:
    try:
        since = date.fromisoformat(text) if _DATE.fullmatch(text) else None
    except ValueError:
        since = None
    if since is None:
        raise _Invalid(
            f'customer_since "{text}" is not a date; write it as YYYY-MM-DD, e.g. 2024-01-31'
        )
    if since > today:
        raise _Invalid(
            f"customer_since {text} is in the future; write the date they became a customer"
        )
    return since


def _cross_row_errors(rows: list[_Row]) -> list[RowError]:
    """The same email twice, or one account given two different values for a field."""
    errors: list[RowError] = []
    email_rows: dict[str, _Row] = {}
    first_values: dict[tuple[str, str], tuple[Any, _Row]] = {}  # (key, attribute) → value, row
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


async def _external_csms(
    rows: list[_Row], external: Callable[[str], Awaitable[bool]]
) -> list[RowError]:
    """A line for each row whose CSM is someone of another organisation (Slack Connect)."""
    named = {str(csm) for row in rows if (csm := row.account_fields.get("csm_user_id"))}
    outsiders = {csm for csm in sorted(named) if await external(csm)}
    return [
        RowError(
            row.line,
            f"csm {row.cells['csm']} is someone of another organisation (Slack Connect): "
            "a CSM must be a member of your own workspace; write one of your team's member IDs",
        )
        for row in rows
        if row.account_fields.get("csm_user_id") in outsiders
    ]


def _conflict(row: _Row, first: _Row, column: str) -> RowError:
    return RowError(
        row.line,
        f'account "{row.account}" has {column} "{row.cells[column]}" here but '
        f'"{first.cells[column]}" on line {first.line}; give it one value (or leave one empty)',
    )


async def _write(
    session: AsyncSession, rows: list[_Row], now: datetime
) -> tuple[ImportReport, list[int]]:
    report = ImportReport()
    contact_ids: list[int] = []
    account_ids: dict[str, int] = {}
    for key, (name, fields) in _accounts(rows).items():
        account, created = await accounts.upsert_account(
            session=session, name=name, key=key, fields=fields, now=now
        )
        assert account.id is not None
        account_ids[key] = account.id
        report.accounts_created += created
        report.accounts_updated += not created
    for row in rows:
        contact, created = await accounts.upsert_contact(
            session=session,
            email=row.email,
            account_id=account_ids[row.key],
            fields=row.contact_fields,
            now=now,
        )
        contact_ids.append(contact.id or 0)
        report.contacts_created += created
        report.contacts_updated += not created
    return report, contact_ids


def _accounts(rows: list[_Row]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Name key → (the name as first written, every field given on any of its rows)."""
    merged: dict[str, tuple[str, dict[str, Any]]] = {}
    for row in rows:
        _name, fields = merged.setdefault(row.key, (row.account, {}))
        for attribute, value in row.account_fields.items():
            fields.setdefault(attribute, value)
    return merged


_PARSERS: dict[str, Callable[[str, date], Any]] = {
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
