"""The account health score: components, weights, the 0–100 formula and its explanation.

Pure rules, no I/O. Each component reads one input and gives a value 0–1 (1 is healthy);
the score is the weighted mean of the components an account has data for, times 100. A
component's *points* are its share of that score, so the points of all components add up
to the score, and the change of a component's points from one week to the next says in
points how much it moved the score ("NPS 9 → 4 (−12)").
"""

from __future__ import annotations

from dataclasses import dataclass, field

COMPONENTS: tuple[str, ...] = (
    "nps",
    "nps_trend",
    "satisfaction",
    "cases",
    "signals",
    "engagement",
    "usage",
    "support",
)

# Documented defaults (HEALTH_WEIGHTS); they need not add up to 100, only their ratios count.
DEFAULT_WEIGHTS: dict[str, float] = {
    "nps": 30,
    "nps_trend": 10,
    "satisfaction": 15,
    "cases": 15,
    "signals": 10,
    "engagement": 10,
    "usage": 5,
    "support": 5,
}
WEIGHTS_HINT = "use name=weight pairs, e.g. nps=30,cases=15 (names: " + ", ".join(COMPONENTS) + ")"

# Metrics of a `usage` event counted as support volume; any other metric is product usage.
SUPPORT_METRICS = frozenset({"tickets", "support_tickets", "support"})

CASE_PENALTY, OVERDUE_PENALTY = 0.15, 0.25  # per open case, per open case past its 48h
SIGNAL_STEP = 0.25  # per churn (−) or expansion (+) signal, from a neutral 0.5
TICKETS_ZERO = 10  # support tickets in a week that take the support component to 0
USAGE_FULL = 1.0  # this week's usage at (or above) the weekly average of the 4 before


def parse_weights(text: str) -> dict[str, float]:
    """`nps=30,cases=15` over the defaults; raises ValueError naming the fault."""
    weights = dict(DEFAULT_WEIGHTS)
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not sep or name not in COMPONENTS:
            raise ValueError(WEIGHTS_HINT)
        try:
            weight = float(value)
        except ValueError:
            raise ValueError(WEIGHTS_HINT) from None
        if weight < 0 or weight > 1000:
            raise ValueError(WEIGHTS_HINT)
        weights[name] = weight
    if not any(weights.values()):
        raise ValueError(WEIGHTS_HINT)
    return weights


@dataclass(frozen=True)
class HealthInputs:
    """What one account's score reads; None where the account has no such data."""

    account_id: int
    nps: int | None = None  # the last 90 days
    nps_before: int | None = None  # the 90 days before those
    csat: float | None = None  # mean, 1–5
    ces: float | None = None  # mean, 1–7
    open_cases: int = 0
    overdue_cases: int = 0
    churn_signals: int = 0
    expansion_signals: int = 0
    asks: int = 0
    answers: int = 0
    usage: float | None = None  # this week
    usage_before: float | None = None  # weekly mean of the 4 weeks before
    tickets: float | None = None  # support volume this week


@dataclass(frozen=True)
class Component:
    """One component: its value 0–1, its points in the score, and what it read, shown."""

    name: str
    value: float
    points: float
    shown: str


@dataclass(frozen=True)
class HealthScore:
    account_id: int
    score: int
    components: dict[str, Component] = field(default_factory=dict)


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def _satisfaction(inputs: HealthInputs) -> tuple[float, str] | None:
    parts: list[float] = []
    shown: list[str] = []
    if inputs.csat is not None:
        parts.append((inputs.csat - 1) / 4)
        shown.append(f"CSAT {inputs.csat:.1f}")
    if inputs.ces is not None:
        parts.append((inputs.ces - 1) / 6)
        shown.append(f"CES {inputs.ces:.1f}")
    if not parts:
        return None
    return _clamp(sum(parts) / len(parts)), ", ".join(shown)


def component_values(inputs: HealthInputs) -> dict[str, tuple[float, str]]:
    """Each component the account has data for: (value 0–1, what it read in words)."""
    values: dict[str, tuple[float, str]] = {}
    if inputs.nps is not None:
        values["nps"] = (_clamp((inputs.nps + 100) / 200), f"NPS {inputs.nps}")
        if inputs.nps_before is not None:
            delta = inputs.nps - inputs.nps_before
            values["nps_trend"] = (_clamp(0.5 + delta / 100), f"NPS trend {delta:+d}")
    satisfaction = _satisfaction(inputs)
    if satisfaction is not None:
        values["satisfaction"] = satisfaction
    penalty = CASE_PENALTY * inputs.open_cases + OVERDUE_PENALTY * inputs.overdue_cases
    cases = f"{inputs.open_cases} open cases" + (
        f", {inputs.overdue_cases} overdue" if inputs.overdue_cases else ""
    )
    values["cases"] = (_clamp(1 - penalty), cases)
    signals = inputs.expansion_signals - inputs.churn_signals
    values["signals"] = (
        _clamp(0.5 + SIGNAL_STEP * signals),
        f"{inputs.churn_signals} churn / {inputs.expansion_signals} expansion signals",
    )
    if inputs.asks:
        rate = inputs.answers / inputs.asks
        values["engagement"] = (_clamp(rate), f"{round(100 * min(rate, 1))}% answered")
    if inputs.usage is not None and inputs.usage_before:
        ratio = inputs.usage / inputs.usage_before
        values["usage"] = (_clamp(ratio / USAGE_FULL), f"usage {round(100 * ratio)}% of usual")
    if inputs.tickets is not None:
        values["support"] = (
            _clamp(1 - inputs.tickets / TICKETS_ZERO),
            f"{inputs.tickets:g} tickets this week",
        )
    return values


def has_data(inputs: HealthInputs) -> bool:
    """An account is scored once it has any answer, ask or usage, not on defaults alone."""
    return bool(
        inputs.nps is not None
        or inputs.csat is not None
        or inputs.ces is not None
        or inputs.asks
        or inputs.usage is not None
        or inputs.tickets is not None
        or inputs.open_cases
    )


def score_account(inputs: HealthInputs, weights: dict[str, float]) -> HealthScore | None:
    """The account's score 0–100 with each component's points; None without data."""
    if not has_data(inputs):
        return None
    values = component_values(inputs)
    total = sum(weights.get(name, 0.0) for name in values)
    if total <= 0:
        return None
    components = {
        name: Component(name, value, 100 * weights.get(name, 0.0) * value / total, shown)
        for name, (value, shown) in values.items()
    }
    score = round(sum(c.points for c in components.values()))
    return HealthScore(inputs.account_id, max(0, min(100, score)), components)


@dataclass(frozen=True)
class Movement:
    """A component's move since last week: what it read then and now, and the points."""

    name: str
    before: str | None
    now: str | None
    points: int


def movements(
    now: dict[str, tuple[float, str]], before: dict[str, tuple[float, str]] | None
) -> list[Movement]:
    """The three components that moved the score most, largest first (ties by name).

    `now` and `before` map a component to (points, shown); a component present in only
    one of them moved by all its points.
    """
    before = before or {}
    moved: list[Movement] = []
    for name in COMPONENTS:
        if name not in now and name not in before:
            continue
        points_now, shown_now = now.get(name, (0.0, None))
        points_before, shown_before = before.get(name, (0.0, None))
        delta = round(points_now - points_before)
        if delta:
            moved.append(Movement(name, shown_before, shown_now, delta))
    moved.sort(key=lambda m: (-abs(m.points), COMPONENTS.index(m.name)))
    return moved[:3]


def explain(moved: list[Movement]) -> str:
    """In words: "NPS 9 → 4 (−12), 3 open cases (−6)"; "" when nothing moved."""
    parts = []
    for move in moved:
        sign = "+" if move.points > 0 else "−"
        points = f"({sign}{abs(move.points)})"
        if move.before and move.now and move.before != move.now:
            parts.append(f"{move.before} → {_value(move.now)} {points}")
        else:
            parts.append(f"{move.now or move.before} {points}")
    return ", ".join(parts)


def _value(shown: str) -> str:
    """ "NPS 4" after "NPS 9" reads "NPS 9 → 4": the label is said once."""
    head, _, tail = shown.rpartition(" ")
    return tail if head and not head[-1].isdigit() and tail[:1] in "-+0123456789" else shown


def arrow(change: int | None) -> str:
    """↑ / ↓ / → for a weekly change (→ also when there was no score last week)."""
    if not change:
        return "→"
    return "↑" if change > 0 else "↓"
