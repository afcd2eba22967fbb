"""ARCHITECTURE.md names every module of bot/services, one line each."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_service_module_has_its_line() -> None:
    modules = {path.stem for path in (ROOT / "bot" / "services").glob("*.py")} - {"__init__"}
    text = (ROOT / "ARCHITECTURE.md").read_text()
    section = text.split("## `bot/services/`, module by module")[1].split("\n## ")[0]
    listed = re.findall(r"^\| `(\w+)` \| ", section, re.M)
    assert sorted(listed) == sorted(modules)
