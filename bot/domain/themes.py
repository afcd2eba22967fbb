"""Reading feedback: its themes, sentiment and signals, by rules that can explain themselves.

The words are data in `bot.domain.lexicon`; the text is read clause by clause (see
`bot.domain.wording`). A phrase counts unless a negator stands just before it: a denied
problem ("not slow at all") raises no theme and leans positive, a denied good word ("not
great") leans negative, and a denied topic ("no docs") keeps its theme and leans negative.
Every theme and signal keeps the phrase that raised it, and a theme raised only by a lone
weak word ("lambat", "wrong") is marked weak so a reader can tell a hunch from a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain import lexicon
from bot.domain.lexicon import (
    BY_FIRST_WORD,
    NEGATION_REACH,
    NEGATORS,
    PREFIXED,
    QUESTION_WORDS,
    Entry,
)
from bot.domain.vocabulary import InsightType, Sentiment, Theme
from bot.domain.wording import Token, clauses

WEAK = 0.5
STRONG = 1.0


@dataclass(frozen=True)
class Signal:
    """A churn-risk or expansion flag and the words that raised it."""

    kind: str
    phrase: str


@dataclass
class Reading:
    """What the rules found in one text, with the evidence for each finding."""

    confidence: dict[Theme, float] = field(default_factory=dict)
    evidence: dict[Theme, str] = field(default_factory=dict)
    signals: list[Signal] = field(default_factory=list)
    score: int = 0
    churn: bool = False

    @property
    def themes(self) -> set[Theme]:
        return set(self.confidence)

    @property
    def weak(self) -> set[Theme]:
        """Themes raised by one weak hint only."""
        return {theme for theme, value in self.confidence.items() if value < STRONG}

    @property
    def sentiment(self) -> Sentiment:
        if self.churn or self.score < 0:
            return Sentiment.NEGATIVE
        return Sentiment.POSITIVE if self.score > 0 else Sentiment.NEUTRAL

    def add(self, theme: Theme, value: float, phrase: str) -> None:
        if value > self.confidence.get(theme, 0.0):
            self.evidence[theme] = phrase
        total = min(STRONG, self.confidence.get(theme, 0.0) + value)
        self.confidence[theme] = total

    def flag(self, kind: str, phrase: str) -> None:
        if all(signal.kind != kind for signal in self.signals):
            self.signals.append(Signal(kind, phrase))
        self.churn = self.churn or kind == lexicon.CHURN


@dataclass(frozen=True)
class _Match:
    entry: Entry
    start: int
    end: int
    negated: bool


_SUPPORT = lexicon.phrases(lexicon.SUPPORT)
_SLOW = lexicon.phrases(lexicon.SLOW_HINTS)
_UNHELPFUL = lexicon.phrases(lexicon.UNHELPFUL_HINTS)
_FAILED = lexicon.phrases(lexicon.FAILED_HINTS)
_SUPPORT_THEMES = {Theme.SLOW_SUPPORT, Theme.UNHELPFUL_SUPPORT}

# The type someone chose says the theme outright; service issues are split by keywords.
TYPE_THEMES: dict[str, Theme] = {
    InsightType.BUG: Theme.PRODUCT_BUG,
    InsightType.FEATURE_REQUEST: Theme.MISSING_FEATURE,
    InsightType.DOCS_GAP: Theme.DOCUMENTATION,
    InsightType.PRICING: Theme.PRICING,
    InsightType.COMPETITOR: Theme.COMPETITOR,
    InsightType.PRAISE: Theme.PRAISE,
}


def read(text: str) -> Reading:
    """Themes (with confidence and evidence), sentiment and signals found in `text`."""
    reading = Reading()
    for clause in clauses(text):
        _read_clause(clause, reading)
    return reading


def tag(text: str) -> set[Theme]:
    """The themes the rules find in `text` (English or Malay)."""
    return read(text).themes


def tag_insight(text: str, insight_type: str | None = None) -> set[Theme]:
    """Themes for an insight: the rules plus the one its type names."""
    themes = tag(text)
    if insight_type in TYPE_THEMES:
        themes.add(TYPE_THEMES[insight_type])
    return themes


def _read_clause(clause: list[Token], reading: Reading) -> None:
    support = _any(clause, _SUPPORT)
    for match in _matches(clause):
        _apply(match, support, reading)
    if support:
        _support_context(clause, reading)


def _apply(match: _Match, support: bool, reading: Reading) -> None:
    entry = match.entry
    polarity = entry.polarity
    if match.negated:
        polarity = -1 if entry.polarity == 0 else -entry.polarity
    reading.score += polarity
    if entry.signal and not match.negated:
        reading.flag(entry.signal, entry.phrase)
    value = WEAK if entry.weak else STRONG
    for theme in entry.themes:
        if match.negated and (theme == Theme.PRAISE or entry.polarity < 0):
            continue  # a denied problem or compliment is not a theme
        if support and theme == Theme.PERFORMANCE:
            continue  # "support is slow" is about support
        reading.add(theme, value, entry.phrase)


def _support_context(clause: list[Token], reading: Reading) -> None:
    denied = any(token.text in NEGATORS for token in clause)
    if _any(clause, _SLOW):
        reading.add(Theme.SLOW_SUPPORT, STRONG, "support + waiting")
        reading.score -= 1
    if _any(clause, _UNHELPFUL) or (denied and _any(clause, _FAILED)):
        reading.add(Theme.UNHELPFUL_SUPPORT, STRONG, "support + no help")
        reading.score -= 1


def _matches(clause: list[Token]) -> list[_Match]:
    found = [
        _Match(entry, start, start + len(entry.words), _negated(clause, start))
        for start, token in enumerate(clause)
        for entry in _candidates(token)
        if start + len(entry.words) <= len(clause) and _matches_at(clause, start, entry.words)
    ]
    found.sort(key=lambda match: (-(match.end - match.start), match.start))
    taken: set[int] = set()
    kept: list[_Match] = []
    for match in found:
        span = set(range(match.start, match.end))
        if span & taken:
            continue
        taken |= span
        kept.append(match)
    return kept


def _candidates(token: Token) -> list[Entry]:
    """The entries that could start at `token`: by its forms, plus every prefix entry."""
    found = [entry for form in token.forms for entry in BY_FIRST_WORD.get(form, ())]
    return found + list(PREFIXED)


def _negated(clause: list[Token], start: int) -> bool:
    first = max(0, start - NEGATION_REACH)
    return any(
        clause[i].text in NEGATORS and (i == 0 or clause[i - 1].text not in QUESTION_WORDS)
        for i in range(first, start)
    )


def _any(clause: list[Token], phrases: tuple[tuple[str, ...], ...]) -> bool:
    return any(
        _matches_at(clause, start, words)
        for words in phrases
        for start in range(len(clause) - len(words) + 1)
    )


def _matches_at(clause: list[Token], start: int, words: tuple[str, ...]) -> bool:
    return all(_word_matches(clause[start + i], word) for i, word in enumerate(words))


def _word_matches(token: Token, word: str) -> bool:
    if word.endswith("*"):
        return any(form.startswith(word[:-1]) for form in token.forms)
    return word in token.forms
