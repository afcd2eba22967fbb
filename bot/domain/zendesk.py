"""Zendesk's values and rules: a solved ticket as VoC bot reads it, which solved tickets are
asked (`ZENDESK_SURVEY_EVERY`), the tag an answer leaves, and the resolution-time bands of
the digest's coaching section. No I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime

SOLVED = frozenset({"solved", "closed"})  # closed follows solved (4 days later by default)
TAG_PREFIX = "voc_csat_"
ASKED = "asked"  # what was decided for a ticket whose requester was asked
EVENT = "ticket_closed"  # the transactional event a solved ticket is: CSAT, then CES
# Resolution-time bands (upper bound in minutes, label), shortest first.
BANDS: tuple[tuple[int | None, str], ...] = (
    (4 * 60, "under 4 hours"),
    (24 * 60, "4 to 24 hours"),
    (3 * 24 * 60, "1 to 3 days"),
    (None, "over 3 days"),
)


@dataclass(frozen=True)
class Ticket:
    """A ticket with what the CSAT ask carries: who asked, who answered, which kind of issue,
    and how long it took (Zendesk's full resolution time, calendar minutes)."""

    id: int
    status: str
    requester_email: str | None
    agent: str | None = None
    group: str | None = None
    issue_type: str | None = None  # the ticket form's name, else its first tag
    solved_at: datetime | None = None
    resolution_minutes: int | None = None
    tags: tuple[str, ...] = field(default=())

    @property
    def solved(self) -> bool:
        return self.status in SOLVED

    def context(self) -> dict[str, str | int]:
        """What the survey's invitation keeps of the ticket (flat values only)."""
        facts: dict[str, str | int | None] = {
            "zendesk_ticket": self.id,
            "agent": self.agent,
            "group": self.group,
            "issue_type": self.issue_type,
            "resolution_minutes": self.resolution_minutes,
        }
        return {key: value for key, value in facts.items() if value is not None}


@dataclass(frozen=True)
class ExportPage:
    """One page of the incremental ticket export: ticket ids and statuses, where to go on."""

    tickets: tuple[tuple[int, str], ...]  # (id, status)
    after_cursor: str | None
    end_of_stream: bool


def sampled(ticket_id: int, every: int) -> bool:
    """Whether a solved ticket is asked: one in `every`, by ticket id (Zendesk numbers
    tickets in order), so the webhook and the export decide the same for one ticket."""
    return every <= 1 or ticket_id % every == 0


def issue_type(form: str | None, tags: tuple[str, ...]) -> str | None:
    """The ticket form's name, else its first tag that is not one VoC bot wrote."""
    if form:
        return form
    return next((tag for tag in tags if not tag.startswith(TAG_PREFIX)), None)


def csat_tag(score: int) -> str:
    return f"{TAG_PREFIX}{score}"


def band(minutes: int) -> str:
    """The resolution-time band a ticket falls in."""
    for upper, label in BANDS:
        if upper is None or minutes < upper:
            return label
    raise AssertionError("the last band has no upper bound")


def band_order(label: str) -> int:
    return [name for _upper, name in BANDS].index(label)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Zendesk's webhook signature: base64(HMAC-SHA256(secret, timestamp + body))."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass
class SyncSummary:
    """What one poll of the export did: pages, solved tickets, what was decided for each
    new one, and how many had been seen before (by webhook or an earlier poll)."""

    pages: int = 0
    solved: int = 0
    decided: dict[str, int] = field(default_factory=dict)
    seen_before: int = 0

    def count(self, decision: str | None) -> None:
        if decision is None:
            self.seen_before += 1
        else:
            self.decided[decision] = self.decided.get(decision, 0) + 1

    @property
    def asked(self) -> int:
        return self.decided.get(ASKED, 0)
