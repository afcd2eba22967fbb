"""SURVEYS_FILE read: YAML (PyYAML's safe loader) or TOML (the standard library's tomllib),
every set checked (bot/domain/question_sets.py), each problem with its line number.

The file holds one table, `surveys`, of sets by name:

    surveys:
      after_ticket:
        trigger: ticket_closed
        template: ticket_closed

Pure: the caller reads the file; this reads its text.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any

import yaml

from bot.domain.errors import ConfigError
from bot.domain.question_sets import (
    Checked,
    QuestionSet,
    SetError,
    SetProblem,
    check_all,
    check_set,
)


def read(text: str, *, toml: bool = False) -> Checked:
    """Every set in the text, or every problem found (with its line)."""
    try:
        data, lines = _toml(text) if toml else _yaml(text)
    except _Unreadable as exc:
        return Checked(problems=[SetProblem(exc.message, exc.line)])
    if data is None:
        return Checked(problems=[SetProblem("the file is empty; it needs a surveys: table", 1)])
    sets = data.get("surveys") if isinstance(data, Mapping) else None
    if not isinstance(sets, Mapping):
        return Checked(problems=[SetProblem("expected a top-level surveys: table", 1)])
    checked = Checked()
    for name, raw in sets.items():
        try:
            checked.sets.append(check_set(str(name), raw))
        except SetError as exc:
            checked.problems.append(SetProblem(str(exc), _line(lines, str(name), str(exc))))
    try:
        check_all(sets)
    except SetError as exc:
        checked.problems.append(SetProblem(str(exc), None))
    if checked.problems:
        checked.sets = []
    return checked


def is_toml(path: str) -> bool:
    return path.lower().endswith(".toml")


class _Unreadable(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


# lines: (set name, question index or -1) → the line it starts on
Lines = dict[tuple[str, int], int]


def _yaml(text: str) -> tuple[Any, Lines]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise _Unreadable(f"not valid YAML: {exc.problem or exc.context}", line) from None
    except yaml.YAMLError as exc:
        raise _Unreadable(f"not valid YAML: {exc}", None) from None
    lines: Lines = {}
    for key, value in _pairs(node):
        if key.value != "surveys":
            continue
        for name, body in _pairs(value):
            lines[(str(name.value), -1)] = name.start_mark.line + 1
            for key2, questions in _pairs(body):
                if key2.value == "questions" and isinstance(questions, yaml.SequenceNode):
                    for n, item in enumerate(questions.value):
                        lines[(str(name.value), n)] = item.start_mark.line + 1
    return data, lines


def _pairs(node: object) -> list[tuple[Any, Any]]:
    return list(node.value) if isinstance(node, yaml.MappingNode) else []


def _toml(text: str) -> tuple[Any, Lines]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = None
        if "(at line " in message:
            line = int(message.split("(at line ")[1].split(",")[0])
            message = message.split(" (at line ")[0]
        raise _Unreadable(f"not valid TOML: {message}", line) from None
    lines: Lines = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("[surveys.") and not stripped.startswith("[[surveys."):
            name = stripped.strip("[]").split(".", 1)[1].strip().strip('"')
            lines.setdefault((name, -1), number)
        elif stripped.startswith("[[surveys.") and stripped.endswith(".questions]]"):
            name = stripped.strip("[]").split(".")[1].strip().strip('"')
            count = sum(1 for key in lines if key[0] == name and key[1] >= 0)
            lines[(name, count)] = number
    return data, lines


def _line(lines: Lines, name: str, message: str) -> int | None:
    """The line of the question the message names, else the set's."""
    marker = f"survey {name}, question "
    if marker in message:
        digits = message.split(marker, 1)[1].split(":")[0].split(" ")[0]
        if digits.isdigit() and (name, int(digits) - 1) in lines:
            return lines[(name, int(digits) - 1)]
    return lines.get((name, -1))


def to_yaml(sets: list[QuestionSet]) -> str:
    """Sets written as SURVEYS_FILE's YAML (what `/voc survey` offers to edit)."""
    if not sets:
        return ""
    body = {"surveys": {qset.name: qset.definition() for qset in sets}}
    return yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=90)


class SurveysFileUnreadable(SetError):
    """A surveys file that cannot be read at all (missing, a folder, no permission)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: cannot read it ({reason})")


class SurveysFileBroken(ConfigError):
    """SURVEYS_FILE changed under a running process into one that breaks the rules."""

    def __init__(self, path: str, problems: list[SetProblem]) -> None:
        super().__init__(f"SURVEYS_FILE {path}: " + "; ".join(map(str, problems)))
