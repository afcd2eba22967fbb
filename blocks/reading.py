"""One line that says what a piece of feedback is about: sentiment, themes and signals.

Drawn from `bot.domain.themes.read`, so cards, the App Home and the insights channel all
show the same reading, with the phrase behind each churn or expansion flag.
"""

from __future__ import annotations

from blocks.text import escape, quote
from bot.domain.lexicon import CHURN
from bot.domain.themes import Reading, read

_MOOD = {
    "positive": ":large_green_circle: positive",
    "neutral": ":white_circle: neutral",
    "negative": ":red_circle: negative",
}
_SIGNAL = {CHURN: ":warning: *Churn risk*", "expansion": ":chart_with_upwards_trend: *Expansion*"}


def reading_line(text: str | None) -> str | None:
    """mrkdwn such as ":red_circle: negative · competitor · :warning: *Churn risk* ("…")".

    None for empty text. A theme raised only by a weak hint is marked "(weak match)".
    """
    if text is None or not text.strip():
        return None
    return describe(read(text))


def describe(reading: Reading) -> str:
    """The reading as one mrkdwn line."""
    parts = [_MOOD[str(reading.sentiment)]]
    weak = reading.weak
    for theme in sorted(reading.themes):
        parts.append(f"{theme.value} (weak match)" if theme in weak else theme.value)
    for signal in reading.signals:
        parts.append(f'{_SIGNAL[signal.kind]} ("{escape(signal.phrase)}")')
    return " · ".join(parts)


def signal_labels(text: str | None) -> list[str]:
    """Plain labels of the signals in `text`, e.g. ['Churn risk ("switching to")']."""
    if text is None or not text.strip():
        return []
    return [
        f'{signal.kind.capitalize()} ("{escape(signal.phrase)}")' for signal in read(text).signals
    ]


def shared_insight_text(
    *, account: str, source: str, text: str, themes: list[str], limit: int = 600
) -> str:
    """The compact INSIGHTS_CHANNEL post: where it came from, the words, and their reading.

    Everything a person typed is escaped, so the post can never ping anyone.
    """
    where = "Survey comment" if source == "survey" else "/voc note"
    reading = read(text)
    line = describe(reading)
    shown = ", ".join(themes)
    head = f":speech_balloon: *{escape(account)}* · {where}"
    if shown:
        head += f" · {escape(shown)}"
    return f"{head}\n{quote(text, limit)}\n{line}"
