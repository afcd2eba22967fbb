"""What the two imports report back (contacts, past responses): counts and problems by line.

The command line words them (blocks/terminal.py); the rows' rules are in
bot/domain/contacts_csv.py and bot/domain/history_layouts.py.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

# what varies between two problems of one kind: quoted cells, emails, numbers and dates
_VALUES = re.compile(r'"[^"]*"|\S+@\S+|\d[\d,.:/-]*')


@dataclass(frozen=True)
class RowError:
    line: int  # physical line in the file; the header is line 1
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"

    @property
    def kind(self) -> str:
        """The problem without its values: what two lines with the same mistake share."""
        what = self.message.split(";", 1)[0]
        return " ".join(_VALUES.sub("…", what).split())


def kinds(errors: list[RowError]) -> list[tuple[str, int]]:
    """Each kind of problem with how many lines have it, the most common first."""
    return Counter(error.kind for error in errors).most_common()


@dataclass(frozen=True)
class CrmKept:
    """A CRM-owned field of a CRM-synced account that the file changed: imported all the
    same, and the next sync puts the CRM's value back."""

    account: str
    column: str  # the CSV's column, e.g. "arr", "csm"
    crm: str  # "HubSpot"
    value: str  # the CRM's value as last synced, as a person reads it


@dataclass
class ImportReport:
    """`import contacts`: what was created and updated, or every problem (nothing written)."""

    accounts_created: int = 0
    accounts_updated: int = 0  # a value changed
    contacts_created: int = 0
    contacts_updated: int = 0
    accounts_unchanged: int = 0  # in the file exactly as already stored
    contacts_unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    crm_kept: list[CrmKept] = field(default_factory=list)


@dataclass
class HistoryReport:
    """`import responses`: the layout recognised and the answers imported, or every problem."""

    layout: str = ""
    imported: int = 0
    already: int = 0
    errors: list[RowError] = field(default_factory=list)


# the problems of a past-responses file as a whole (a cell's own: history_layouts.BadCell)


def empty_file() -> RowError:
    return RowError(1, "the file is empty")


def unknown_header(line: int, supported: str) -> RowError:
    return RowError(line, f"this header is not one I know; use {supported}")


def header_only() -> RowError:
    return RowError(2, "the file has only a header; add one answer per line")


def unknown_email(line: int, email: str) -> RowError:
    return RowError(line, f"no contact has the email {email}; import contacts first")
