from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from storage import accounts
from storage.db import Database
from storage.models import Account, Contact

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


async def _count(db: Database, table: type[Account] | type[Contact]) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(table))).scalar_one()


async def _account(db: Database, name: str = "Acme", key: str = "acme", **fields: object) -> int:
    async with db.transaction() as session:
        account, _, _ = await accounts.upsert_account(
            session=session, name=name, key=key, fields=dict(fields), now=NOW
        )
        assert account.id is not None
        return account.id


async def test_upsert_account_creates_then_updates_the_same_row(db: Database) -> None:
    async with db.transaction() as session:
        first, created, _ = await accounts.upsert_account(
            session=session, name="Acme", key="acme", fields={"segment": "smb"}, now=NOW
        )
    assert created
    async with db.transaction() as session:
        second, created_again, _ = await accounts.upsert_account(
            session=session, name="ACME", key="acme", fields={"segment": "enterprise"}, now=LATER
        )
    assert not created_again
    assert second.id == first.id
    assert await _count(db, Account) == 1
    async with db.session() as session:
        stored = await accounts.find_account_by_key(session=session, key="acme")
    assert stored is not None
    assert (stored.name, stored.segment) == ("ACME", "enterprise")
    assert (stored.created_at, stored.updated_at) == (NOW, LATER)


async def test_upsert_account_leaves_fields_given_as_none(db: Database) -> None:
    await _account(db, plan="Pro", arr=12000.0, customer_since=date(2024, 1, 31))
    await _account(db, plan=None, arr=None, customer_since=None, health="red")
    async with db.session() as session:
        stored = await accounts.find_account_by_key(session=session, key="acme")
    assert stored is not None
    assert (stored.plan, stored.arr, stored.customer_since, stored.health) == (
        "Pro",
        12000.0,
        date(2024, 1, 31),
        "red",
    )


async def test_find_account_by_key_misses_other_keys(db: Database) -> None:
    await _account(db)
    async with db.session() as session:
        assert await accounts.find_account_by_key(session=session, key="acme inc") is None


async def test_upsert_contact_creates_updates_and_moves_account(db: Database) -> None:
    acme = await _account(db)
    globex = await _account(db, name="Globex", key="globex")
    async with db.transaction() as session:
        first, created, _ = await accounts.upsert_contact(
            session=session, email="ana@acme.test", account_id=acme, fields={"name": "Ana"}, now=NOW
        )
    assert created
    async with db.transaction() as session:
        second, created_again, _ = await accounts.upsert_contact(
            session=session,
            email="ana@acme.test",
            account_id=globex,
            fields={"name": None},
            now=LATER,
        )
    assert not created_again
    assert second.id == first.id
    assert await _count(db, Contact) == 1
    async with db.session() as session:
        stored = await accounts.get_contact_by_email(session=session, email="ana@acme.test")
    assert stored is not None
    assert (stored.account_id, stored.name, stored.updated_at) == (globex, "Ana", LATER)


async def test_a_new_slack_user_forgets_the_old_zone_and_locale(db: Database) -> None:
    acme = await _account(db)
    async with db.transaction() as session:
        await accounts.upsert_contact(
            session=session,
            email="ana@acme.test",
            account_id=acme,
            fields={"slack_user_id": "U111", "tz": "Asia/Kuala_Lumpur", "locale": "ms-MY"},
            now=NOW,
        )
    for slack_user_id, expected_tz in [("U111", "Asia/Kuala_Lumpur"), ("U222", None)]:
        async with db.transaction() as session:
            await accounts.upsert_contact(
                session=session,
                email="ana@acme.test",
                account_id=acme,
                fields={"slack_user_id": slack_user_id},
                now=LATER,
            )
        async with db.session() as session:
            stored = await accounts.get_contact_by_email(session=session, email="ana@acme.test")
        assert stored is not None
        assert (stored.slack_user_id, stored.tz) == (slack_user_id, expected_tz)


async def test_get_contact_by_slack_user(db: Database) -> None:
    acme = await _account(db)
    async with db.transaction() as session:
        for email, slack_user_id in [("ana@acme.test", "U111"), ("bo@acme.test", "U222")]:
            await accounts.upsert_contact(
                session=session,
                email=email,
                account_id=acme,
                fields={"slack_user_id": slack_user_id},
                now=NOW,
            )
    async with db.session() as session:
        found = await accounts.get_contact_by_slack_user(session=session, slack_user_id="U222")
        missing = await accounts.get_contact_by_slack_user(session=session, slack_user_id="U333")
    assert found is not None
    assert found.email == "bo@acme.test"
    assert missing is None
