"""The digest's reading of feedback: top themes against the period before and by segment,
churn and expansion signals heard last week, and last week's sentiment."""

from __future__ import annotations

from collections import Counter

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.figures import HeardSignal, ThemeCount, ThemeTrend, Window
from bot.domain.themes import read
from storage.insights import heard_texts, theme_counts, theme_segments

HEARD_MAX = 2000  # last week's insights read for signals and sentiment, newest first
SIGNALS_SHOWN = 6


async def theme_trends(
    session: AsyncSession, *, current: list[ThemeCount], this: Window, before: Window
) -> list[ThemeTrend]:
    """Each of `current`'s themes: its share now and in `before`, and its main segment."""
    if not current:
        return []
    earlier = await theme_counts(session=session, since=before.since, until=before.until)
    previous = {count.theme: count for count in earlier}
    total_before = earlier[0].total if earlier else 0
    segments = await theme_segments(
        session=session,
        since=this.since,
        until=this.until,
        themes=[count.theme for count in current],
    )
    trends: list[ThemeTrend] = []
    for count in current:
        was = previous.get(count.theme)
        by_segment = segments.get(count.theme, [])
        top = by_segment[0] if by_segment else None
        mentions = sum(n for _, n in by_segment)
        trends.append(
            ThemeTrend(
                theme=count.theme,
                share=count.share,
                previous_share=(was.count / was.total if was else 0.0) if total_before else None,
                segment=top[0] if top else None,
                segment_share=top[1] / mentions if top and mentions else None,
            )
        )
    return trends


async def heard_last_week(
    session: AsyncSession, *, week: Window
) -> tuple[list[HeardSignal], dict[str, int]]:
    """Churn and expansion flags (one per account and kind) and sentiment counts of last week."""
    texts = await heard_texts(session=session, since=week.since, until=week.until, limit=HEARD_MAX)
    signals: list[HeardSignal] = []
    seen: set[tuple[str, str]] = set()
    moods: Counter[str] = Counter()
    for heard in texts:
        reading = read(heard.text)
        moods[str(reading.sentiment)] += 1
        for signal in reading.signals:
            key = (signal.kind, heard.account)
            if key not in seen:
                seen.add(key)
                signals.append(HeardSignal(signal.kind, heard.account, signal.phrase))
    return signals, dict(moods)
