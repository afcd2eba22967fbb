"""The layers import only downwards, the dev tooling stays out of the product, no file cycles.

ARCHITECTURE.md draws the layers; this test is what keeps the drawing true. Every import
counts, including one inside a function: moving an import into a function hides a cycle or
an upward dependency from Python, not from a reader.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "blocks", "storage")
ENTRY_POINTS = {"__init__", "__main__", "app", "cli", "scheduler", "socket_mode"}

# Each layer and the layers it may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "storage": {"domain"},
    "core": {"storage", "domain"},
    "connectors": {"core", "domain"},
    "blocks": {"domain"},
    "services": {"connectors", "core", "domain", "blocks", "storage"},
    "handlers": {"services", "core", "domain", "blocks", "storage"},
    "entry": {"handlers", "services", "connectors", "core", "domain", "blocks", "storage"},
    "devkit": {
        "entry",
        "handlers",
        "services",
        "connectors",
        "core",
        "domain",
        "blocks",
        "storage",
    },
}
# The CLI's `demo` and `emulator` commands start the dev tooling, loading it only when run.
DEVKIT_LOADERS = {"bot.cli"}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the project module it names
    line: int
    in_function: bool


def layer_of(module: str) -> str:
    """The layer a project module belongs to, by its dotted name."""
    parts = module.split(".")
    if parts[0] in ("storage", "blocks", "handlers"):
        return parts[0]
    if len(parts) > 1 and parts[1] in ("core", "domain", "services", "connectors", "devkit"):
        return parts[1]
    return "entry"


def may_import(source: str, target: str, *, in_function: bool) -> bool:
    """Whether `source` may import `target` under the layering rules."""
    mine, theirs = layer_of(source), layer_of(target)
    if theirs == "devkit" and mine != "devkit":
        return source in DEVKIT_LOADERS and in_function
    return mine == theirs or theirs in ALLOWED[mine]


def project_modules(root: Path) -> dict[str, Path]:
    """Every module of the product packages, by dotted name (migrations left out)."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            if "migrations" in relative.parts:
                continue
            name = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> list[Import]:
    """The project modules `name` imports, resolved to modules where a name is one."""
    tree = ast.parse(path.read_text(), filename=str(path))
    functions = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
    ]
    nested = {id(child) for fn in functions for child in ast.walk(fn) if child is not fn}
    found: list[Import] = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                targets.append(submodule if submodule in known else node.module)
        for target in targets:
            if target in known and target != name:
                found.append(Import(name, target, node.lineno, id(node) in nested))
    return found


def violations(root: Path) -> list[str]:
    """Every import that breaks the layering, as `module:line imports target (why)`."""
    modules = project_modules(root)
    problems = []
    for name, path in modules.items():
        for imp in imports_of(name, path, set(modules)):
            if not may_import(name, imp.target, in_function=imp.in_function):
                problems.append(
                    f"{name}:{imp.line} imports {imp.target} "
                    f"({layer_of(name)} may not import {layer_of(imp.target)})"
                )
    return problems


def cycles(root: Path) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others."""
    modules = project_modules(root)
    graph = {
        name: {imp.target for imp in imports_of(name, path, set(modules))}
        for name, path in modules.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_every_import_points_down() -> None:
    assert violations(ROOT) == []


def test_no_import_cycles_between_files() -> None:
    assert cycles(ROOT) == []


def test_bot_root_holds_only_entry_points() -> None:
    names = {path.stem for path in (ROOT / "bot").glob("*.py")}
    assert names <= ENTRY_POINTS, f"move {sorted(names - ENTRY_POINTS)} into a bot/ subpackage"


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for package in PACKAGES:
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").touch()
    for relative, source in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.parent != tmp_path:
            (path.parent / "__init__.py").touch()
        path.write_text(source)
    return tmp_path


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"blocks/cards.py": "from bot.services import cases\n", "bot/services/cases.py": ""},
            "blocks.cards:1 imports bot.services.cases (blocks may not import services)",
        ),
        (
            {"bot/services/taps.py": "import bot.devkit.emulator\n", "bot/devkit/emulator.py": ""},
            "bot.services.taps:1 imports bot.devkit.emulator (services may not import devkit)",
        ),
        (
            {"bot/cli.py": "from bot.devkit import demo\n", "bot/devkit/demo.py": ""},
            "bot.cli:1 imports bot.devkit.demo (entry may not import devkit)",
        ),
        (
            {
                "storage/db.py": "def f():\n    from bot.core import config\n",
                "bot/core/config.py": "",
            },
            "storage.db:2 imports bot.core.config (storage may not import core)",
        ),
        (
            {
                "bot/domain/scales.py": "from bot.core.runtime import Runtime\n",
                "bot/core/runtime.py": "",
            },
            "bot.domain.scales:1 imports bot.core.runtime (domain may not import core)",
        ),
        (
            {
                "bot/domain/scales.py": "from storage.models import Response\n",
                "storage/models.py": "",
            },
            "bot.domain.scales:1 imports storage.models (domain may not import storage)",
        ),
        (
            {"blocks/digest.py": "from storage import digest\n", "storage/digest.py": ""},
            "blocks.digest:1 imports storage.digest (blocks may not import storage)",
        ),
    ],
)
def test_the_check_catches_an_upward_import(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    assert violations(_tree(tmp_path, files)) == [expected]


def test_the_check_allows_what_the_layers_allow(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "bot/cli.py": "def demo():\n    from bot.devkit import demo\n",
            "bot/devkit/demo.py": "from bot.services import taps\n",
            "bot/services/taps.py": "from blocks import cards\nfrom bot.core import runtime\n",
            "bot/core/runtime.py": "from storage import db\n",
            "blocks/cards.py": "from bot.domain import scales\n",
            "bot/domain/scales.py": "from bot.domain.errors import UserError\n",
            "bot/domain/errors.py": "",
            "storage/db.py": "",
        },
    )
    assert violations(root) == []
    assert cycles(root) == []


def test_the_check_finds_a_cycle_hidden_in_a_function(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "bot/app.py": "from handlers import ingest\n",
            "handlers/ingest.py": "def runtime():\n    from bot.app import RUNTIME\n",
        },
    )
    assert cycles(root) == [["bot.app", "handlers.ingest"]]


# Slack's SDK errors are mapped once, at the edge (bot/core/slack.py), into bot/core/errors.py.
SDK_ERRORS = "slack_sdk.errors"


def sdk_error_imports(root: Path) -> list[str]:
    """Every module outside bot/core that imports the Slack SDK's errors, as `module:line`."""
    found = []
    for name, path in project_modules(root).items():
        if layer_of(name) in ("core", "core.errors"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            if any(n == SDK_ERRORS or n.startswith(SDK_ERRORS + ".") for n in names):
                found.append(f"{name}:{node.lineno}")
    return found


def test_only_the_core_sees_the_slack_sdks_errors() -> None:
    assert sdk_error_imports(ROOT) == []


def test_the_sdk_errors_check_catches_one(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "bot/services/reach.py": "from slack_sdk.errors import SlackApiError\n",
            "handlers/slack/cases.py": "def f():\n    import slack_sdk.errors\n",
            "bot/core/slack.py": "from slack_sdk.errors import SlackApiError\n",
            "bot/devkit/emulator.py": "from slack_sdk import errors\n",
        },
    )
    assert sorted(sdk_error_imports(root)) == [
        "bot.devkit.emulator:1",
        "bot.services.reach:1",
        "handlers.slack.cases:2",
    ]


def test_web_processes_do_not_load_matplotlib() -> None:
    """Only the digest's chart needs it (bot/services/digest_chart.py imports it when drawing)."""
    import subprocess
    import sys

    code = "import sys, bot.app, bot.socket_mode, bot.cli; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
