"""How far a long command has got, as its service reports it (`import contacts`, `send`,
`import responses`; `crm sync` reports its own `crm.Progress`, turned into a Tick by the
command line): the service calls an `OnProgress` it was given; the command line draws
it on a terminal (bot/core/progress.py) and words it (blocks/terminal.py)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Stage(StrEnum):
    ROWS = "rows"  # import contacts: rows written
    CONTACTS = "contacts"  # send: contacts resolved (opted out, fatigue, reach)
    ANSWERS = "answers"  # import responses: answers written
    COMPANIES = "companies"  # crm sync: the CRM's companies read (no total: pages come)
    CRM_CONTACTS = "crm contacts"  # crm sync: the CRM's contacts read


@dataclass(frozen=True)
class Tick:
    stage: Stage
    done: int
    total: int | None = None  # None: not known yet
    made: int = 0  # send: invitations created so far
    pages: int = 0  # crm sync: the CRM's pages read


class OnProgress(Protocol):
    def __call__(self, tick: Tick) -> None: ...


def unseen(tick: Tick) -> None:
    """The default: nobody watches (a test, `/voc send`, a pipe)."""
