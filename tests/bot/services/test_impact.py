"""Impact figures against ones worked out by hand: 90 days before vs after a ship or fix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from blocks.triage import impact_text
from bot.core.config import Settings
from bot.core.runtime import Runtime, build_runtime
from bot.devkit.clock import FakeClock
from bot.services import impact
from storage.db import Database
from storage.models import (
    Account,
    Contact,
    FeatureRequest,
    Insight,
    Invitation,
    Response,
    ThemeTag,
)

pytestmark = pytest.mark.postgres
AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # shipped (the request) and fixed (the theme)
NPS_CATEGORY = {range(0, 7): "detractor", range(7, 9): "passive", range(9, 11): "promoter"}


def _category(kind: str, score: int) -> str:
    if kind != "nps":
        return "low" if score <= 2 else "high"
    return next(name for scores, name in NPS_CATEGORY.items() if score in scores)


async def _answer(session, contact: Contact, kind: str, score: int, at: datetime) -> None:  # type: ignore[no-untyped-def]
    invitation = Invitation(
        contact_id=contact.id or 0, kind=kind, trigger="relationship", status="answered",
        due_at=at, sent_at=at, answered_at=at, created_at=at,
    )  # fmt: skip
    session.add(invitation)
    await session.flush()
    session.add(
        Response(
            invitation_id=invitation.id or 0, contact_id=contact.id or 0,
            account_id=contact.account_id, kind=kind, score=score,
            category=_category(kind, score), answered_at=at,
        )
    )  # fmt: skip


async def _insight(session, account: Account, days: float, themes: list[str], request=None) -> None:  # type: ignore[no-untyped-def]
    insight = Insight(
        account_id=account.id or 0, source="call", type="other", text="said",
        created_at=AT + timedelta(days=days),
        feature_request_id=request.id if request is not None else None,
    )  # fmt: skip
    session.add(insight)
    await session.flush()
    for theme in themes:
        session.add(ThemeTag(insight_id=insight.id or 0, theme=theme, created_at=AT))


async def _seed(db: Database) -> int:
    """Acme and Globex asked for SSO and complained of slow support; Initech did neither.

    NPS before (90 days): Acme 2 promoters, 1 passive, 3 detractors; Globex 1 detractor;
    a detractor 100 days before and Initech's 5 promoters do not count → 7 answers,
    100 × (2 − 4) / 7 = −28.6. After: Acme 4 promoters and 1 passive (one at the very
    moment of the ship counts after) → 5 answers, +80.
    CSAT before: Acme 2 and 3 → 2 answers, too few. After: Globex 4, 5, 5, 4, 3 → 4.20.
    Comments before: 2 on the request, 4 on slow support, 2 others → 4 of 8 = 50%;
    after: 1 of 5 = 20%.
    """
    async with db.transaction() as session:
        acme, globex, initech = (
            Account(name=name, name_key=name.lower(), arr=arr)
            for name, arr in (("Acme", 120_000), ("Globex", 30_000), ("Initech", 5_000))
        )
        session.add_all([acme, globex, initech])
        await session.flush()
        people = []
        for account in (acme, globex, initech):
            contact = Contact(email=f"x@{account.name_key}.test", account_id=account.id or 0)
            session.add(contact)
            people.append(contact)
        await session.flush()
        ana, gus, ian = people
        request = FeatureRequest(name="SSO", name_key="sso", status="shipped", shipped_at=AT)
        session.add(request)
        await session.flush()
        before = AT - timedelta(days=30)
        for score in (9, 10, 7, 3, 5, 6):
            await _answer(session, ana, "nps", score, before)
        await _answer(session, gus, "nps", 2, before)
        await _answer(session, ana, "nps", 0, AT - timedelta(days=100))
        for score in (9, 9, 10, 10, 9):
            await _answer(session, ian, "nps", score, before)
        for score in (9, 10, 10, 9):
            await _answer(session, ana, "nps", score, AT + timedelta(days=10))
        await _answer(session, ana, "nps", 8, AT)
        for score in (2, 3):
            await _answer(session, ana, "csat", score, before)
        for score in (4, 5, 5, 4, 3):
            await _answer(session, gus, "csat", score, AT + timedelta(days=20))
        await _insight(session, acme, -60, [], request)
        await _insight(session, globex, -50, [], request)
        for account, days in ((acme, -80), (acme, -40), (acme, -2), (globex, -10)):
            await _insight(session, account, days, ["slow support"])
        await _insight(session, initech, -20, ["pricing"])
        await _insight(session, initech, -30, [])
        await _insight(session, acme, -95, ["slow support"])  # before the 90 days
        await _insight(session, globex, 5, ["slow support"])
        for days in (1, 2, 3, 4):
            await _insight(session, initech, days, ["praise"])
        return request.id or 0


@pytest.fixture
async def rt(db: Database) -> Runtime:
    clock = FakeClock(AT + timedelta(days=30))
    return build_runtime(Settings(database_url="sqlite+aiosqlite://"), db=db, clock=clock)


async def test_a_shipped_request_against_hand_computed_figures(rt: Runtime) -> None:
    request_id = await _seed(rt.db)
    found = await impact.of_request(rt, request_id, AT, rt.now())
    assert found.accounts == 2 and not found.complete
    assert found.before.nps.answers == 7
    assert found.before.nps.value == pytest.approx(100 * (2 - 4) / 7)
    assert (found.after.nps.value, found.after.nps.answers) == (80.0, 5)
    assert (found.before.csat.value, found.before.csat.answers) == (2.5, 2)
    assert found.before.csat.too_few and not found.after.csat.too_few
    assert found.after.csat.value == pytest.approx(4.2) and found.after.csat.answers == 5
    assert found.before.share is None
    shown = impact_text(found)
    assert "NPS -29 (7 answers) → +80 (5 answers)" in shown
    assert "CSAT too few answers (2) → 4.20 (5 answers)" in shown
    assert "still counting" in shown


async def test_a_fixed_theme_against_hand_computed_figures(rt: Runtime) -> None:
    await _seed(rt.db)
    found = await impact.of_theme(rt, "slow support", AT, AT + timedelta(days=91))
    assert found.accounts == 2 and found.complete  # Acme and Globex carried it before
    assert found.before.nps.answers == 7 and found.after.nps.value == 80.0
    assert found.before.share is not None and found.after.share is not None
    assert (found.before.share.value, found.before.share.answers) == (0.5, 8)
    assert (found.after.share.value, found.after.share.answers) == (0.2, 5)
    assert "Share of comments 50% (8 comments) → 20% (5 comments)" in impact_text(found)
