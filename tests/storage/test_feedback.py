"""Feedback queries against a real database: matching, requests, theme tags, ship notices."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage import feedback, shipping
from storage.db import Database
from storage.models import Account, Contact, FeatureRequest, Insight, ShipNotice, ThemeTag

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


async def _accounts(db: Database, *keys: str) -> None:
    async with db.transaction() as session:
        session.add_all(Account(name=key.title(), name_key=key) for key in keys)


async def test_search_puts_prefix_matches_first_and_caps_the_list(db: Database) -> None:
    await _accounts(db, "big acme", "acme inc", "acme labs", "initech")
    async with db.session() as session:
        found = await feedback.search_accounts(session=session, key="acme")
        capped = await feedback.search_accounts(session=session, key="", limit=2)
    assert [a.name_key for a in found] == ["acme inc", "acme labs", "big acme"]
    assert len(capped) == 2


async def test_an_exact_key_beats_longer_names_sharing_its_prefix(db: Database) -> None:
    await _accounts(db, "acme", "acme labs", "acme inc")
    async with db.session() as session:
        exact = await feedback.accounts_matching(session=session, key="acme")
        prefix = await feedback.accounts_matching(session=session, key="acme l")
        several = await feedback.accounts_matching(session=session, key="ac")
    assert [a.name_key for a in exact] == ["acme"]
    assert [a.name_key for a in prefix] == ["acme labs"]
    assert len(several) == 3


async def test_a_request_is_created_once_even_when_two_mention_it_at_once(db: Database) -> None:
    async def mention() -> int:
        async with db.transaction() as session:
            request = await feedback.ensure_request(
                session=session, name="SSO", key="sso", created_by="U1", now=NOW
            )
            return request.id or 0

    ids = await asyncio.gather(*(mention() for _ in range(5)))
    assert len(set(ids)) == 1
    async with db.session() as session:
        assert len(list((await session.execute(select(FeatureRequest))).scalars())) == 1


async def test_replace_themes_records_who_set_them(db: Database) -> None:
    await _accounts(db, "acme")
    async with db.transaction() as session:
        account = (await session.execute(select(Account))).scalar_one()
        insight = Insight(account_id=account.id or 0, source="call", type="bug", text="x")
        insight_id = await feedback.add_insight(
            session=session, insight=insight, themes=["product bug", "pricing"]
        )
    async with db.transaction() as session:
        await feedback.replace_themes(
            session=session, insight_id=insight_id, themes=["usability"], set_by="U9", now=NOW
        )
    async with db.session() as session:
        tags = list((await session.execute(select(ThemeTag))).scalars())
    assert [(t.theme, t.set_by) for t in tags] == [("usability", "U9")]


async def test_notices_are_claimed_by_one_caller_and_finished_once(db: Database) -> None:
    await _accounts(db, "acme")
    async with db.transaction() as session:
        account = (await session.execute(select(Account))).scalar_one()
        account.csm_user_id = "UCSM"
        contact = Contact(email="a@acme.test", account_id=account.id or 0, slack_user_id="U1")
        request = FeatureRequest(name="SSO", name_key="sso")
        session.add_all([contact, request])
        await session.flush()
        for logged_by, contact_id in (("ULOG", None), (None, contact.id), ("UCSM", None)):
            session.add(
                Insight(
                    account_id=account.id or 0,
                    contact_id=contact_id,
                    source="call",
                    type="feature request",
                    text="SSO",
                    feature_request_id=request.id,
                    logged_by=logged_by,
                )
            )
    request_id = request.id or 0
    async with db.transaction() as session:
        people = await shipping.recipients(session=session, request_id=request_id)
        assert people == {"UCSM": None, "ULOG": None, "U1": contact.id}
        await shipping.add_notices(session=session, request_id=request_id, people=people, now=NOW)
        await shipping.add_notices(session=session, request_id=request_id, people=people, now=NOW)
        assert await shipping.mark_shipped(
            session=session, request_id=request_id, user_id="UA", now=NOW
        )
        assert not await shipping.mark_shipped(
            session=session, request_id=request_id, user_id="UA", now=NOW
        )

    async def claim() -> list[str]:
        async with db.transaction() as session:
            notices = await shipping.claim_notices(
                session=session, request_id=request_id, now=NOW, lease=timedelta(minutes=5)
            )
            assert not any(retried for _, retried in notices)  # first claims
            return [n.user_id for n, _ in notices]

    first, second = await asyncio.gather(claim(), claim())
    assert sorted(first + second) == ["U1", "UCSM", "ULOG"]  # each person claimed once
    async with db.transaction() as session:
        notices = list((await session.execute(select(ShipNotice))).scalars())
        for notice in notices:
            error = "user_not_found" if notice.user_id == "ULOG" else None
            await shipping.finish_notice(
                session=session, notice_id=notice.id or 0, now=NOW, error=error
            )
    later = NOW + timedelta(hours=1)  # leases long gone: still nothing to send again
    async with db.transaction() as session:
        assert (
            await shipping.claim_notices(
                session=session, request_id=request_id, now=later, lease=timedelta(minutes=5)
            )
            == []
        )
