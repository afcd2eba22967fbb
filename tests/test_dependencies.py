"""The dependencies: bounds that are true, a lock with hashes, and CI installing from it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["dependencies"] + project["optional-dependencies"]["dev"]
    return [Requirement(line) for line in listed]


def _locked() -> dict[str, list[tuple[Version, str]]]:
    """Name -> (version, the entry's text) for each pin in requirements.lock."""
    text = (ROOT / "requirements.lock").read_text()
    pins: dict[str, list[tuple[Version, str]]] = {}
    for entry in re.split(r"\n(?=[a-z0-9])", text):
        found = re.match(r"([A-Za-z0-9_.\-]+)==([^\s;\\]+)", entry)
        if found:
            name = canonicalize_name(found.group(1))
            pins.setdefault(name, []).append((Version(found.group(2)), entry))
    return pins


def test_the_lock_pins_every_dependency_and_test_tool_with_hashes() -> None:
    pins = _locked()
    for requirement in _requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements.lock: refresh it (README.md)"
        for version, _entry in pins[name]:
            assert requirement.specifier.contains(version, prereleases=True), (name, version)
    assert all("--hash=sha256:" in entry for pinned in pins.values() for _, entry in pinned)


def test_zero_x_dependencies_are_bounded_below_their_next_major() -> None:
    pins = _locked()
    for requirement in _requirements():
        versions = [version for version, _ in pins[canonicalize_name(requirement.name)]]
        if any(version.major == 0 for version in versions):
            assert any(spec.operator == "<" for spec in requirement.specifier), requirement


def test_the_bounds_the_code_relies_on() -> None:
    by_name = {canonicalize_name(r.name): r for r in _requirements()}
    assert not by_name["pydantic-settings"].specifier.contains("2.6.1")  # NoDecode is 2.7
    assert "python-dotenv" in by_name  # bot/core/config.py reads .env with it
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert all(v in _specifier(project["requires-python"]) for v in ("3.11.0", "3.13.0"))


def _specifier(text: str) -> object:
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(text)


def test_ci_installs_exactly_as_the_readme_says() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```bash\n", 1)[1].split("```", 1)[0]
    installs = [line for line in first_block.splitlines() if line.startswith("pip install")]
    assert installs == [
        "pip install --require-hashes -r requirements.lock && pip install --no-deps -e ."
    ]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert installs[0] in ci
    assert not [line for line in ci if "pip install" in line and line != installs[0]]
    assert "requirements.lock && pip install --no-deps -e ." in (ROOT / ".ci/py313.sh").read_text()
