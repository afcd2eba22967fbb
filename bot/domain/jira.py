"""Jira's values and the rules between a feature request and its Jira issue. No I/O.

A request is pushed as one issue carrying the label `voc-request-<id>` (`request_label`), so
a push retried after a crash finds the issue it already created. Jira files every status in
one of three categories (statusCategory key `new`, `indeterminate` = "In Progress", `done`);
the category, not the status name a team chose, decides what the request becomes
(`state_for`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

LABEL_PREFIX = "voc-request-"


class StatusCategory(StrEnum):
    """Jira's statusCategory keys."""

    NEW = "new"
    IN_PROGRESS = "indeterminate"
    DONE = "done"


class RequestMove(StrEnum):
    """What a Jira status makes of the request it came from."""

    PLANNED = "planned"
    SHIPPED = "shipped"


@dataclass(frozen=True)
class JiraIssue:
    """An issue as VoC bot reads it: its key, status category, last update and labels."""

    key: str
    category: str | None = None
    updated: datetime | None = None
    labels: tuple[str, ...] = ()

    @property
    def request_id(self) -> int | None:
        return request_of_labels(self.labels)


@dataclass(frozen=True)
class RequestFacts:
    """A request as its Jira issue describes it."""

    id: int
    name: str
    status: str
    jira_key: str | None
    queued: bool
    arr: float
    accounts: list[tuple[str, float | None]]  # by ARR, largest first
    more_accounts: int
    verbatims: list[tuple[str, str]]  # (account name, text), newest first


@dataclass(frozen=True)
class IssueDraft:
    """What a push creates: the summary, the description (an ADF document) and labels."""

    summary: str
    description: dict[str, object]
    labels: tuple[str, ...]


@dataclass(frozen=True)
class PushOutcome:
    """What `/voc request push ID` did: queued now, or already in Jira (`key` known)."""

    request_id: int
    name: str
    key: str | None  # the issue's key when the request is in Jira already
    url: str | None  # the issue's page
    queued: bool  # True: the push was enqueued by this command


def request_label(request_id: int) -> str:
    return f"{LABEL_PREFIX}{request_id}"


def request_of_labels(labels: tuple[str, ...] | list[str]) -> int | None:
    """The request id a `voc-request-<id>` label names; None without one."""
    for label in labels:
        if label.startswith(LABEL_PREFIX) and label[len(LABEL_PREFIX) :].isdigit():
            return int(label[len(LABEL_PREFIX) :])
    return None


def state_for(category: str | None) -> RequestMove | None:
    """ "In Progress" → planned, "Done" → shipped, anything else changes nothing."""
    if category == StatusCategory.IN_PROGRESS:
        return RequestMove.PLANNED
    if category == StatusCategory.DONE:
        return RequestMove.SHIPPED
    return None


def issue_url(site: str, key: str) -> str:
    """The issue's page on the Jira site."""
    return f"{site.rstrip('/')}/browse/{key}"


def issue_of(raw: Mapping[str, Any]) -> JiraIssue:
    """An issue from a search result or a webhook's `issue`."""
    fields = raw.get("fields") or {}
    status = fields.get("status") or {}
    category = (status.get("statusCategory") or {}).get("key")
    labels = fields.get("labels") or []
    return JiraIssue(
        key=str(raw.get("key") or ""),
        category=str(category) if category else None,
        updated=parse_time(fields.get("updated")),
        labels=tuple(str(label) for label in labels if isinstance(label, str)),
    )


def parse_time(value: object) -> datetime | None:
    """Jira's `2026-12-07T09:30:00.000+0000` as an aware UTC datetime."""
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
