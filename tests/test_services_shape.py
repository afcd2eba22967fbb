"""bot/services holds use cases: typed values in, domain results or domain errors out.

So no service parses text (no `re`) and none words an error: the project's errors are
raised with their facts (bot/domain/user_errors.py) and told by the message catalog
(blocks/catalog.py), never built from a sentence in a service.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.domain import errors

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ROOT / "bot" / "services"
# the error hierarchy's own classes: a subclass carries facts, these would carry a sentence
WORDED = {
    name
    for name, value in vars(errors).items()
    if isinstance(value, type) and issubclass(value, errors.VocError)
}


def _is_text(node: ast.expr) -> bool:
    """A sentence written in place: a string literal, an f-string, or one glued to one."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    return False


def problems(source: str, where: str) -> list[str]:
    """Each `import re` and each error of the hierarchy built from a written sentence."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import) and any(alias.name == "re" for alias in node.names):
            found.append(f"{where}:{node.lineno} imports re (parsing belongs in bot/domain)")
        elif isinstance(node, ast.ImportFrom) and node.module == "re":
            found.append(f"{where}:{node.lineno} imports from re (parsing belongs in bot/domain)")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in WORDED and any(_is_text(arg) for arg in node.args):
                found.append(
                    f"{where}:{node.lineno} builds {name} from a sentence "
                    "(raise a bot/domain/user_errors.py error with its facts)"
                )
    return found


def test_no_service_parses_text_or_words_an_error() -> None:
    found = [
        problem
        for path in sorted(SERVICES.glob("*.py"))
        for problem in problems(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert found == []


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("import re\n", "x.py:1 imports re"),
        ("import os, re\n", "x.py:1 imports re"),
        ("from re import compile\n", "x.py:1 imports from re"),
        ('raise UserError("No such thing.")\n', "x.py:1 builds UserError"),
        ('raise errors.TryLater(f"{x}: later")\n', "x.py:1 builds TryLater"),
        ('raise UnknownContact("no contact " + email)\n', "x.py:1 builds UnknownContact"),
        ('raise SlackConfigError(f"refused ({code})") from None\n', "x.py:1 builds SlackConfig"),
    ],
)
def test_the_guard_sees_each_kind_of_breach(source: str, says: str) -> None:
    assert any(problem.startswith(says) for problem in problems(source, "x.py"))


@pytest.mark.parametrize(
    "source",
    [
        "raise NoSuchAccount(shown=name, near=[])\n",
        'raise SlackDidNotSay(who="us")\n',
        "raise UserError(t(locale, 'role.refused'))\n",
        "raise SlackConfigError(code)\n",
        'raise TypeError(f"{value} is not JSON")\n',  # not the project's: a bug, not an answer
        "import regex_helpers\n",
    ],
)
def test_the_guard_lets_facts_through(source: str) -> None:
    assert problems(source, "x.py") == []
