"""Opening a CSV file the way a spreadsheet does: Python's csv reader and LibreOffice's import."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def python_rows(text: str) -> list[list[str]]:
    """The rows as Python's csv module reads a file opened with newline="" (as its docs say)."""
    return list(csv.reader(io.StringIO(text, newline="")))


@dataclass(frozen=True)
class Cell:
    text: str
    formula: str | None  # what LibreOffice would run, if anything


def libreoffice_rows(text: str, folder: Path) -> list[list[Cell]]:
    """The rows LibreOffice Calc makes of the file (comma-separated, UTF-8), formulas and all.

    `soffice --headless --convert-to fods` imports it with the CSV filter, formulas evaluated
    as when a person opens the file, and saves it as flat ODF XML, which says which cells
    are formulas. Skips the test when LibreOffice is not installed.
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    source = folder / "export.csv"
    source.write_text(text, encoding="utf-8", newline="")
    profile = folder / "lo-profile"  # its own profile: never handed to a running LibreOffice
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--infilter=CSV:44,34,76,1",
            "--convert-to",
            "fods",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(folder)},
    )
    return _cells(folder / "export.fods")


def _cells(document: Path) -> list[list[Cell]]:
    rows = []
    for row in ET.parse(document).iter(f"{{{_TABLE}}}table-row"):
        cells: list[Cell] = []
        for cell in row.findall(f"{{{_TABLE}}}table-cell"):
            repeat = int(cell.get(f"{{{_TABLE}}}number-columns-repeated", "1"))
            paragraphs = ["".join(p.itertext()) for p in cell.iter(f"{{{_TEXT}}}p")]
            formula = cell.get(f"{{{_TABLE}}}formula")
            cells += [Cell("\n".join(paragraphs), formula)] * min(repeat, 50)
        while cells and cells[-1] == Cell("", None):
            cells.pop()
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows
