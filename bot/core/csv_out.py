"""CSV that a spreadsheet opens as plain text: the one writer of every CSV the bot produces.

Two defences, both needed (OWASP "CSV injection"):

- a cell whose text starts like a formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'`,
  which spreadsheets show as text;
- a cell holding a CR, an LF, a comma or a double quote is quoted (RFC 4180), so no part
  of it can start a row or a cell of its own. Python's `csv` module quotes only the
  characters of its own line terminator, so a bare CR in a `lineterminator="\\n"` file went
  out unquoted, and LibreOffice and Excel start a new row at it, where its text is a cell
  that nothing prefixed.

Inside a quoted cell a line break is part of that one cell, which a spreadsheet never
runs, so the lines after the first are written as they are (a comment's `- point` stays).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SEPARATOR = ","
QUOTE = '"'
NEEDS_QUOTES = (SEPARATOR, QUOTE, "\r", "\n")
LINE_END = "\n"  # inside quotes CR and LF are data; a reader splits rows only here


def cell(value: object) -> str:
    """One value as a CSV field: empty for None, formula-like text prefixed, quoted if needed.

    Numbers stay numbers (a negative one is not a formula); only text is prefixed.
    """
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        text = "'" + text
    if any(mark in text for mark in NEEDS_QUOTES):
        return QUOTE + text.replace(QUOTE, QUOTE * 2) + QUOTE
    return text


def line(values: Iterable[object]) -> str:
    """One row, with its line end."""
    return SEPARATOR.join(cell(value) for value in values) + LINE_END


class CsvWriter:
    """Writes rows to `out` as they come (nothing is held in memory)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def writerow(self, values: Iterable[object]) -> None:
        self.out.write(line(values))

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for values in rows:
            self.writerow(values)
