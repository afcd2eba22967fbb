"""The digest's themes over time and by segment, last week's signals and sentiment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from blocks.digest import digest_text
from bot.services.digest import compute_digest
from storage.db import Database
from storage.models import Account, Insight, ThemeTag
from tests.blocks.test_digest import _digest

AS_OF = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.postgres


async def _seed(db: Database) -> None:
    """Now (last 90 days): 4 insights, 3 on pricing (2 enterprise, 1 smb), 1 on docs.
    The 90 days before: 4 insights, 1 on pricing. Two of last week's insights raise flags."""
    async with db.transaction() as session:
        acme = Account(name="Acme", name_key="acme", segment="enterprise")
        globex = Account(name="Globex", name_key="globex", segment="smb")
        session.add_all([acme, globex])
        await session.flush()
        rows = [
            (acme, 3, "We are switching to Zendesk, too expensive", ["pricing", "competitor"]),
            (acme, 4, "Kami perlukan 10 lesen tambahan, harga ok", ["pricing"]),
            (globex, 30, "Harga terlalu mahal", ["pricing"]),
            (globex, 40, "The docs are out of date", ["documentation"]),
            (acme, 100, "Pricing is fine", ["pricing"]),
            (acme, 110, "Great product", ["praise"]),
            (globex, 120, "Nothing to add", []),
            (globex, 130, "Love it", ["praise"]),
        ]
        for account, days_ago, text, themes in rows:
            created = AS_OF - timedelta(days=days_ago)
            insight = Insight(
                account_id=account.id or 0, source="call", type="other", text=text,
                created_at=created,
            )  # fmt: skip
            session.add(insight)
            await session.flush()
            for theme in themes:
                session.add(ThemeTag(insight_id=insight.id or 0, theme=theme, created_at=created))


async def test_top_themes_against_the_period_before_and_their_segment(db: Database) -> None:
    await _seed(db)
    digest = await compute_digest(db, as_of=AS_OF, today=AS_OF.date())
    [pricing, *_] = digest.theme_trends
    assert pricing.theme == "pricing"
    assert (pricing.share, pricing.previous_share) == (0.75, 0.25)
    assert (pricing.segment, round(pricing.segment_share or 0, 2)) == ("enterprise", 0.67)
    assert [(s.kind, s.account, s.phrase) for s in digest.signals] == [
        ("churn risk", "Acme", "switching to"),  # newest first
        ("expansion", "Acme", "lesen tambahan"),
    ]
    assert digest.week_sentiment == {"negative": 1, "positive": 1}
    shown = _digest(  # a digest with answers, carrying these readings
        theme_trends=digest.theme_trends,
        signals=digest.signals,
        week_sentiment=digest.week_sentiment,
    )
    text = digest_text(shown)
    assert "pricing: 75% (was 25%, +50 pts) · mostly enterprise (67% of mentions)" in text
    assert 'Churn risk: 1 account(s): Acme ("switching to")' in text
    assert 'Expansion: 1 account(s): Acme ("lesen tambahan")' in text
    assert "Sentiment of last week's feedback: 1 positive · 0 neutral · 1 negative" in text
