from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.db import Database
from storage.insights import theme_counts, top_requests
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
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def _accounts(db: Database) -> list[Account]:
    async with db.transaction() as session:
        accounts = [
            Account(name="Acme", name_key="acme", arr=100_000),
            Account(name="Globex", name_key="globex", arr=30_000),
            Account(name="Initech", name_key="initech", arr=None),
        ]
        session.add_all(accounts)
        await session.flush()
        return accounts


async def test_feature_requests_rank_by_arr_of_distinct_accounts(db: Database) -> None:
    acme, globex, initech = await _accounts(db)
    async with db.transaction() as session:
        sso = FeatureRequest(name="SSO", name_key="sso")
        api = FeatureRequest(name="API", name_key="api")
        gone = FeatureRequest(name="Dark mode", name_key="dark mode", status="shipped")
        session.add_all([sso, api, gone])
        await session.flush()
        asks = [(acme, api), (acme, api), (acme, api), (globex, sso), (initech, sso)]
        asks += [(acme, gone)]
        for account, request in asks:
            session.add(
                Insight(
                    account_id=account.id or 0,
                    source="call",
                    type="feature request",
                    text="asked",
                    feature_request_id=request.id,
                    created_at=T0,
                )
            )
    async with db.session() as session:
        ranked = await top_requests(session=session)
        everything = await top_requests(session=session, include_shipped=True)
    # API: Acme three times counts 100k once; SSO: Globex 30k + Initech (no ARR) = 30k.
    assert [(r.name, r.accounts, r.arr, r.mentions) for r in ranked] == [
        ("API", 1, 100_000.0, 3),
        ("SSO", 2, 30_000.0, 2),
    ]
    assert {r.name for r in everything} == {"API", "SSO", "Dark mode"}


async def test_theme_shares_overall_and_among_detractors(db: Database) -> None:
    acme, _, _ = await _accounts(db)
    async with db.transaction() as session:
        contact = Contact(email="a@acme.test", account_id=acme.id or 0)
        session.add(contact)
        await session.flush()
        tagged: list[tuple[str | None, list[str], datetime]] = [
            ("detractor", ["slow support", "pricing"], T0),
            ("detractor", ["slow support"], T0),
            ("detractor", [], T0),
            ("detractor", ["slow support"], T0),
            ("promoter", ["praise"], T0),
            (None, ["slow support"], T0),  # logged with /voc, not a survey comment
            ("detractor", ["pricing"], T0 - timedelta(days=30)),  # outside the period
        ]
        for category, themes, at in tagged:
            response_id = None
            if category is not None:
                invitation = Invitation(
                    contact_id=contact.id or 0,
                    kind="nps",
                    trigger="relationship",
                    status="answered",
                    due_at=at,
                )
                session.add(invitation)
                await session.flush()
                response = Response(
                    invitation_id=invitation.id or 0,
                    contact_id=contact.id or 0,
                    account_id=acme.id or 0,
                    kind="nps",
                    score=3 if category == "detractor" else 10,
                    category=category,
                    answered_at=at,
                )
                session.add(response)
                await session.flush()
                response_id = response.id
            insight = Insight(
                account_id=acme.id or 0,
                response_id=response_id,
                source="survey" if category else "call",
                type="other",
                text="x",
                created_at=at,
            )
            session.add(insight)
            await session.flush()
            session.add_all([ThemeTag(insight_id=insight.id or 0, theme=t) for t in themes])
    week = {"since": T0 - timedelta(days=7), "until": T0 + timedelta(days=1)}
    async with db.session() as session:
        overall = await theme_counts(session=session, **week)
        detractors = await theme_counts(session=session, category="detractor", **week)
        empty = await theme_counts(
            session=session, since=T0 + timedelta(days=2), until=T0 + timedelta(days=3)
        )
    assert [(c.theme, c.count, c.total) for c in overall] == [
        ("slow support", 4, 6),
        ("praise", 1, 6),
        ("pricing", 1, 6),
    ]
    assert [(c.theme, c.count, c.total) for c in detractors] == [
        ("slow support", 3, 4),
        ("pricing", 1, 4),
    ]
    assert detractors[0].share == 0.75
    assert empty == []
