"""Usage and support volume per account: one line's rules, shared by the `usage` event of
`POST /hooks/events` and `import usage FILE.csv` (columns account, metric, value, at)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from bot.domain.imports import RowError

COLUMNS = ("account", "metric", "value", "at")
MAX_ACCOUNT = 200
MAX_METRIC = 60
FUTURE_TOLERANCE = timedelta(hours=1)
_METRIC = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")
HINTS = {
    "account": "send the account's CRM id or its name as imported, e.g. Acme",
    "metric": (
        f"send a metric name of at most {MAX_METRIC} lower-case letters, digits, _ . or -, "
        "e.g. active_users (tickets, support_tickets or support count as support volume)"
    ),
    "value": "send a number of 0 or more, e.g. 42",
    "at": "send an ISO-8601 time with a zone, e.g. 2026-11-24T09:30:00Z, or a date 2026-11-24",
}


@dataclass(frozen=True)
class UsageLine:
    account: str
    metric: str
    value: float
    at: datetime


class UsageFault(ValueError):
    """One field of a usage line is wrong; `field` names it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.field = name


@dataclass
class UsageReport:
    """`import usage` and the `usage` event: what was stored, or every problem (nothing)."""

    stored: int = 0
    accounts: int = 0
    errors: list[RowError] = field(default_factory=list)


def _bad(name: str, what: str) -> UsageFault:
    return UsageFault(name, f"{name} {what}: {HINTS[name]}")


def parse_usage(cells: dict[str, object], *, now: datetime) -> UsageLine:
    """One line from its cells (strings from a CSV, JSON values from an event)."""
    for name in COLUMNS:
        if cells.get(name) is None or cells.get(name) == "":
            raise _bad(name, "is missing")
    account = cells["account"]
    if not isinstance(account, str) or not account.strip() or len(account) > MAX_ACCOUNT:
        raise _bad("account", "is not valid")
    metric = cells["metric"]
    if not isinstance(metric, str) or len(metric) > MAX_METRIC or not _METRIC.match(metric.strip()):
        raise _bad("metric", "is not valid")
    return UsageLine(account.strip(), metric.strip(), _value(cells["value"]), _at(cells["at"], now))


def _value(raw: object) -> float:
    if isinstance(raw, bool):
        raise _bad("value", "is not a number")
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            raise _bad("value", f"{raw[:40]!r} is not a number") from None
    else:
        raise _bad("value", "is not a number")
    if not math.isfinite(value) or value < 0:
        raise _bad("value", "must be a finite number of 0 or more")
    return value


def _at(raw: object, now: datetime) -> datetime:
    if not isinstance(raw, str):
        raise _bad("at", "is not a time")
    text = raw.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            at = datetime(day.year, day.month, day.day, tzinfo=UTC)
        else:
            at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _bad("at", f"{text[:40]!r} is not a time") from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise _bad("at", "has no zone")
    if at > now + FUTURE_TOLERANCE:
        raise _bad("at", "is in the future")
    return at.astimezone(UTC)
