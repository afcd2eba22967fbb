"""Account health as the reports and the digest read it: a score 0–100 per account, its change
over a period, and the accounts that moved most.

The score itself (its components, weights and explanation) is computed by the health
service; these are the values it hands to the readers (leadership reports, digest movers,
App Home), so a reader never needs the formula.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Bands of the 0–100 score, lowest first: (lower bound, name). A score belongs to the last
# band whose bound it reaches.
HEALTH_BANDS: tuple[tuple[int, str], ...] = ((0, "at risk"), (40, "watch"), (70, "healthy"))


def health_band(score: float) -> str:
    """The band a score falls in ("at risk" below 40, "watch" below 70, else "healthy")."""
    named = HEALTH_BANDS[0][1]
    for bound, name in HEALTH_BANDS:
        if score >= bound:
            named = name
    return named


@dataclass(frozen=True)
class HealthMover:
    """One account whose score moved over the period: where it ended, by how much, and why
    in words (the components that moved it most, e.g. "NPS 9 → 4 (−12)")."""

    account_id: int
    account: str
    score: int
    change: int  # end of period minus start; negative is a fall
    why: str = ""


@dataclass(frozen=True)
class HealthSummary:
    """Health over a period: how many accounts sit in each band at its end, and the biggest
    falls and rises (at most five each, largest first)."""

    bands: dict[str, int] = field(default_factory=dict)  # band name → accounts
    falls: list[HealthMover] = field(default_factory=list)
    rises: list[HealthMover] = field(default_factory=list)
    scored: int = 0  # accounts with a score at the period's end
