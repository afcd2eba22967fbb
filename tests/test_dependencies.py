"""The dependencies: bounds that are true, two locks with hashes (production and development),
and CI installing from the development one exactly as the README says."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


PRODUCTION_LOCK = "requirements.lock"
DEV_LOCK = "requirements-dev.lock"
# what a production install must never carry (the dev extra's tools and what only they need)
DEV_ONLY = {"pytest", "pytest-asyncio", "selenium", "ruff", "uv", "hypothesis", "aiosmtpd",
            "mkdocs", "mkdocs-material", "iniconfig", "pluggy", "trio"}  # fmt: skip


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _runtime() -> list[Requirement]:
    return [Requirement(line) for line in _project()["dependencies"]]


def _dev() -> list[Requirement]:
    return [Requirement(line) for line in _project()["optional-dependencies"]["dev"]]


def _requirements() -> list[Requirement]:
    return _runtime() + _dev()


def _locked(lock: str = DEV_LOCK) -> dict[str, list[tuple[Version, str]]]:
    """Name -> (version, the entry's text) for each pin in a lock file."""
    text = (ROOT / lock).read_text()
    pins: dict[str, list[tuple[Version, str]]] = {}
    for entry in re.split(r"\n(?=[a-z0-9])", text):
        found = re.match(r"([A-Za-z0-9_.\-]+)==([^\s;\\]+)", entry)
        if found:
            name = canonicalize_name(found.group(1))
            pins.setdefault(name, []).append((Version(found.group(2)), entry))
    return pins


def _assert_pinned(lock: str, requirements: list[Requirement]) -> None:
    pins = _locked(lock)
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in {lock}: refresh it (README.md, Development)"
        for version, _entry in pins[name]:
            assert requirement.specifier.contains(version, prereleases=True), (name, version)
    assert all("--hash=sha256:" in entry for pinned in pins.values() for _, entry in pinned)


def test_the_dev_lock_pins_every_dependency_and_test_tool_with_hashes() -> None:
    _assert_pinned(DEV_LOCK, _requirements())


def test_the_production_lock_pins_the_runtime_and_no_dev_tool() -> None:
    _assert_pinned(PRODUCTION_LOCK, _runtime())
    production = _locked(PRODUCTION_LOCK)
    dev_only = DEV_ONLY | {canonicalize_name(r.name) for r in _dev()}
    assert not dev_only & set(production), sorted(dev_only & set(production))


def test_both_locks_agree_on_every_package_they_share() -> None:
    production, dev = _locked(PRODUCTION_LOCK), _locked(DEV_LOCK)
    assert set(production) <= set(dev)
    for name, pinned in production.items():
        assert {v for v, _ in pinned} == {v for v, _ in dev[name]}, name


def test_the_locks_are_made_by_the_commands_the_docs_give() -> None:
    docs = (ROOT / "README.md").read_text() + (ROOT / "docs" / "development.md").read_text()
    for lock, extra in ((PRODUCTION_LOCK, ""), (DEV_LOCK, " --extra dev")):
        command = (
            f"uv pip compile pyproject.toml{extra} --generate-hashes --universal"
            f" --python-version 3.11 -o {lock}"
        )
        assert f"#    {command}\n" in (ROOT / lock).read_text(), lock
        assert command in docs, command


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
    assert all(v in _specifier(_project()["requires-python"]) for v in ("3.11.0", "3.13.0"))


def _specifier(text: str) -> object:
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(text)


def test_ci_installs_exactly_as_the_readme_says() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```bash\n", 1)[1].split("```", 1)[0]
    installs = [line for line in first_block.splitlines() if line.startswith("pip install")]
    assert installs == [
        "pip install --require-hashes -r requirements-dev.lock && pip install --no-deps -e ."
    ]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert installs[0] in ci
    assert not [line for line in ci if "pip install" in line and line != installs[0]]
    assert installs[0] in (ROOT / ".ci/py313.sh").read_text()
    # the README's test command is the one CI runs
    tests = [line for line in first_block.splitlines() if line.startswith("pytest")]
    assert tests == ["pytest"] and "pytest" in ci


def test_production_installs_the_production_lock() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "pip install --require-hashes -r requirements.lock && pip install --no-deps ." in readme
