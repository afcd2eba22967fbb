"""The labelled feedback in tests/data/themes_eval.txt, and how well the rules read it.

Shared by tests/bot/domain/test_theme_eval.py (which holds the bar) and bench/themes.py (which
prints the figures and the misses).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.domain.themes import read
from bot.domain.vocabulary import Sentiment, Theme

DATA = Path(__file__).parent / "data" / "themes_eval.txt"
SHORT: dict[str, Theme] = {
    "bug": Theme.PRODUCT_BUG,
    "feature": Theme.MISSING_FEATURE,
    "usability": Theme.USABILITY,
    "performance": Theme.PERFORMANCE,
    "slow_support": Theme.SLOW_SUPPORT,
    "unhelpful_support": Theme.UNHELPFUL_SUPPORT,
    "onboarding": Theme.ONBOARDING,
    "documentation": Theme.DOCUMENTATION,
    "pricing": Theme.PRICING,
    "competitor": Theme.COMPETITOR,
    "integrations": Theme.INTEGRATIONS,
    "praise": Theme.PRAISE,
}
MOODS = {"pos": Sentiment.POSITIVE, "neu": Sentiment.NEUTRAL, "neg": Sentiment.NEGATIVE}
SIGNALS = {"churn": "churn risk", "expansion": "expansion"}


@dataclass(frozen=True)
class Labelled:
    language: str
    themes: frozenset[Theme]
    sentiment: Sentiment
    signals: frozenset[str]
    text: str


@dataclass
class Score:
    """Micro and per-theme counts, sentiment and signal accuracy, and the misses."""

    tp: Counter[Theme] = field(default_factory=Counter)
    fp: Counter[Theme] = field(default_factory=Counter)
    fn: Counter[Theme] = field(default_factory=Counter)
    sentiment_right: int = 0
    signals_right: int = 0
    total: int = 0
    misses: list[tuple[Labelled, frozenset[Theme]]] = field(default_factory=list)

    def precision(self, theme: Theme | None = None) -> float:
        tp, fp = _sum(self.tp, theme), _sum(self.fp, theme)
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, theme: Theme | None = None) -> float:
        tp, fn = _sum(self.tp, theme), _sum(self.fn, theme)
        return tp / (tp + fn) if tp + fn else 1.0

    def f1(self, theme: Theme | None = None) -> float:
        p, r = self.precision(theme), self.recall(theme)
        return 2 * p * r / (p + r) if p + r else 0.0


def load(path: Path = DATA) -> list[Labelled]:
    """Every labelled comment in the file (comment lines start with #)."""
    rows: list[Labelled] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        language, themes, mood, signals, text = line.split("|", 4)
        rows.append(
            Labelled(
                language=language,
                themes=frozenset(SHORT[name] for name in _names(themes)),
                sentiment=MOODS[mood],
                signals=frozenset(SIGNALS[name] for name in _names(signals)),
                text=text,
            )
        )
    return rows


def score(rows: list[Labelled]) -> Score:
    """How the rules' reading of each row compares with its labels."""
    result = Score()
    for row in rows:
        reading = read(row.text)
        got = frozenset(reading.themes)
        for theme in got & row.themes:
            result.tp[theme] += 1
        for theme in got - row.themes:
            result.fp[theme] += 1
        for theme in row.themes - got:
            result.fn[theme] += 1
        result.total += 1
        result.sentiment_right += reading.sentiment == row.sentiment
        result.signals_right += frozenset(s.kind for s in reading.signals) == row.signals
        if got != row.themes:
            result.misses.append((row, got))
    return result


def _names(field_text: str) -> list[str]:
    return [name.strip() for name in field_text.split(",") if name.strip() not in ("", "-")]


def _sum(counter: Counter[Theme], theme: Theme | None) -> int:
    return counter[theme] if theme is not None else sum(counter.values())
