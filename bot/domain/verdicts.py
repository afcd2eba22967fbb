"""Is a figure good or bad? The verdict shown next to every score, and the bands behind it.

The defaults are written here once and documented in the README ("Reading the numbers");
`VERDICT_BANDS` overrides any of them (`parse_bands`). Pure: no I/O.

Edges belong to the band above them: an NPS of exactly 30 is "good", a response rate of
exactly 15% is "low", not "too low to trust". An NPS of exactly 70 is still "excellent":
only above 70 is "world-class".
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

NPS_CONTEXT = "B2B software typically sits between 20 and 60."

HEALTHY, FAIR, PROBLEM = "healthy", "fair", "a problem"
TOO_LOW = "too low to trust"
ON_TARGET, BELOW_TARGET = "on target", "below target"


@dataclass(frozen=True)
class Bands:
    """Every threshold, as a percentage (NPS points, % of answers) or a mean score."""

    nps_fair: float = 0  # below: "needs attention"
    nps_good: float = 30
    nps_excellent: float = 50
    nps_world_class: float = 70  # strictly above: "world-class"
    csat_healthy: float = 80  # % answering 4–5 of 5
    csat_problem: float = 70  # below: "a problem"
    csat_mean_healthy: float = 4.0
    csat_mean_problem: float = 3.5
    ces_healthy: float = 80  # % answering 5–7 of 7
    ces_problem: float = 70
    response_healthy: float = 20
    response_too_low: float = 15  # below: "too low to trust", and an alert on the digest
    followup_target: float = 80  # % of cases followed up within 48h

    def nps_steps(self) -> list[tuple[float, str]]:
        """The NPS bands' lower edges with their words, for the chart's shading."""
        return [
            (-100, "needs attention"),
            (self.nps_fair, "fair"),
            (self.nps_good, "good"),
            (self.nps_excellent, "excellent"),
            (self.nps_world_class, "world-class"),
        ]


DEFAULT_BANDS = Bands()


def nps_verdict(nps: float, bands: Bands = DEFAULT_BANDS) -> str:
    if nps > bands.nps_world_class:
        return "world-class"
    if nps >= bands.nps_excellent:
        return "excellent"
    if nps >= bands.nps_good:
        return "good"
    if nps >= bands.nps_fair:
        return "fair"
    return "needs attention"


def csat_verdict(share: float | None, mean: float | None, bands: Bands = DEFAULT_BANDS) -> str:
    """`share` is the fraction 4–5 of 5, `mean` the average score: healthy if either is."""
    percent = None if share is None else share * 100
    if (percent is not None and percent >= bands.csat_healthy) or (
        mean is not None and mean >= bands.csat_mean_healthy
    ):
        return HEALTHY
    if (percent is not None and percent < bands.csat_problem) or (
        mean is not None and mean < bands.csat_mean_problem
    ):
        return PROBLEM
    return FAIR


def ces_verdict(share: float, bands: Bands = DEFAULT_BANDS) -> str:
    """`share` is the fraction answering 5–7 of 7."""
    percent = share * 100
    if percent >= bands.ces_healthy:
        return HEALTHY
    if percent < bands.ces_problem:
        return PROBLEM
    return FAIR


def response_verdict(share: float, bands: Bands = DEFAULT_BANDS) -> str:
    percent = share * 100
    if percent >= bands.response_healthy:
        return HEALTHY
    if percent < bands.response_too_low:
        return TOO_LOW
    return "low"


def response_alert(share: float | None, bands: Bands = DEFAULT_BANDS) -> bool:
    """Whether a response rate is too low to trust (the digest opens with an alert line)."""
    return share is not None and share * 100 < bands.response_too_low


def followup_verdict(share: float, bands: Bands = DEFAULT_BANDS) -> str:
    return ON_TARGET if share * 100 >= bands.followup_target else BELOW_TARGET


_NAMES = {field.name for field in fields(Bands)}


def parse_bands(text: str | None) -> Bands:
    """`VERDICT_BANDS`: `name=value,…` over the defaults, e.g. `nps_good=25,csat_healthy=85`.

    Raises ValueError naming the first unknown name or a value that is not a number.
    """
    if not text or not text.strip():
        return DEFAULT_BANDS
    changes: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not sep or name not in _NAMES:
            raise ValueError(f"unknown band {name!r}; use one of {', '.join(sorted(_NAMES))}")
        try:
            changes[name] = float(value)
        except ValueError:
            raise ValueError(f"{name} needs a number, not {value.strip()!r}") from None
    return replace(DEFAULT_BANDS, **changes)
