"""The one CSV writer: every cell stays one cell, and none is a formula, in any reader."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.core.csv_out import CsvWriter, cell
from tests.spreadsheet import FORMULA_STARTS, libreoffice_rows, python_rows

# Each is one comment; the ones with a CR or LF try to start a row of their own.
HOSTILE = [
    "\t=1+1 @SUM(A1) \r-2+3",  # the bare CR the csv module left unquoted
    "fine thanks\r=1+1",
    'fine thanks\r\n=HYPERLINK("http://evil.test","click")',
    "two\nlines\n@SUM(A1)",
    "a, b,=1+1",
    '"quoted" =1+1',
    "=2+2",
    "-3+3",
    "+4+4",
    "@SUM(A1:A2)",
    "\r=5+5",
]


def _written(rows: list[list[object]]) -> str:
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.writerow(["id", "comment", "score"])
    writer.writerows(rows)
    return out.getvalue()


def _rows() -> list[list[object]]:
    return [[number, text, number] for number, text in enumerate(HOSTILE, start=1)]


def test_python_reads_every_comment_back_as_one_cell_that_is_no_formula() -> None:
    rows = python_rows(_written(_rows()))
    assert rows[0] == ["id", "comment", "score"]
    assert len(rows) == 1 + len(HOSTILE)
    for number, (row, text) in enumerate(zip(rows[1:], HOSTILE, strict=True), start=1):
        assert row[0] == row[2] == str(number)
        assert row[1] == ("'" + text if text.startswith(FORMULA_STARTS) else text)
    assert not any(value.startswith(FORMULA_STARTS) for row in rows for value in row)


def test_libreoffice_opens_every_comment_as_one_text_cell(tmp_path: Path) -> None:
    rows = libreoffice_rows(_written(_rows()), tmp_path)
    assert len(rows) == 1 + len(HOSTILE), [[c.text for c in row] for row in rows]
    assert [c.formula for row in rows for c in row] == [None] * sum(len(r) for r in rows)
    for number, row in enumerate(rows[1:], start=1):
        assert [c.text for c in row[::2]] == [str(number), str(number)]
        assert "".join(row[1].text.split()) == "".join(_shown(HOSTILE[number - 1]).split())


def test_libreoffice_would_run_an_unguarded_formula(tmp_path: Path) -> None:
    """The check above can see a formula: a raw one in the same import is run."""
    rows = libreoffice_rows("id,comment\n1,=1+1\n", tmp_path)
    assert rows[1][1].formula == "of:=1+1"


def _shown(text: str) -> str:
    """The comment as a spreadsheet shows it: prefixed when formula-like, CR as a line break."""
    prefixed = "'" + text if text.startswith(FORMULA_STARTS) else text
    return prefixed.replace("\r\n", "\n").replace("\r", "\n")


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (None, ""),
        (7, "7"),
        (-2, "-2"),  # a number is not a formula
        (50000.0, "50000.0"),
        ("plain", "plain"),
        ("=1+1", "'=1+1"),
        ("a\rb", '"a\rb"'),
        ('say "hi"', '"say ""hi"""'),
        ("\r-2+3", '"\'\r-2+3"'),
    ],
)
def test_one_cell(value: object, field: str) -> None:
    assert cell(value) == field
