"""Response rates over people, not sends: each person once per survey wave, imports left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.figures import Window
from bot.domain.vocabulary import SkipReason
from storage.db import Database
from storage.digest import response_rate
from storage.models import Account, Contact, Invitation

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WEEK = Window(NOW - timedelta(days=7), NOW)


async def _contacts(db: Database, count: int) -> list[int]:
    async with db.transaction() as session:
        account = Account(name="Acme", name_key="acme")
        session.add(account)
        await session.flush()
        contacts = [Contact(email=f"p{n}@acme.test", account_id=account.id) for n in range(count)]
        session.add_all(contacts)
        await session.flush()
        return [c.id for c in contacts if c.id is not None]


def _sent(
    contact_id: int, at: datetime, *, answered: bool = False, kind: str = "nps"
) -> Invitation:
    return Invitation(
        contact_id=contact_id, kind=kind, trigger="relationship",
        status="answered" if answered else "sent", due_at=at, sent_at=at,
        answered_at=at + timedelta(hours=1) if answered else None, created_at=at,
    )  # fmt: skip


def _missed(contact_id: int, at: datetime) -> Invitation:
    return Invitation(
        contact_id=contact_id, kind="nps", trigger="relationship", status="skipped",
        skip_reason=SkipReason.NO_SLACK_USER, due_at=at, closed_at=at, created_at=at,
    )  # fmt: skip


async def _rate(db: Database):
    async with db.session() as session:
        return await response_rate(session=session, window=WEEK)


async def test_a_contact_without_slack_counts_once_after_three_sends(db: Database) -> None:
    (nobody, answers, ignores) = await _contacts(db, 3)
    async with db.transaction() as session:
        for day in (1, 3, 5):
            session.add(_missed(nobody, NOW - timedelta(days=day)))
        session.add(_sent(answers, NOW - timedelta(days=5)))
        session.add(_sent(answers, NOW - timedelta(days=3), answered=True))
        session.add(_sent(ignores, NOW - timedelta(days=5)))
        session.add(_sent(ignores, NOW - timedelta(days=3)))
    rate = await _rate(db)
    # three people: one unreachable (three sends missed them), one answered, one did not
    assert (rate.answered, rate.sent, rate.unreachable) == (1, 2, 1)
    assert rate.meant == 3 and rate.share == pytest.approx(1 / 3)


async def test_a_person_is_counted_once_for_each_kind_of_survey(db: Database) -> None:
    (person,) = await _contacts(db, 1)
    async with db.transaction() as session:
        session.add(_sent(person, NOW - timedelta(days=2), answered=True))
        session.add(_sent(person, NOW - timedelta(days=2), kind="csat"))
    rate = await _rate(db)
    assert (rate.answered, rate.sent, rate.unreachable) == (1, 2, 0)


async def test_reached_once_is_not_unreachable(db: Database) -> None:
    (person,) = await _contacts(db, 1)
    async with db.transaction() as session:
        session.add(_missed(person, NOW - timedelta(days=4)))
        session.add(_sent(person, NOW - timedelta(days=2)))
    rate = await _rate(db)
    assert (rate.answered, rate.sent, rate.unreachable) == (0, 1, 0)


async def test_imported_history_is_not_a_response_rate(db: Database) -> None:
    (imported, asked) = await _contacts(db, 2)
    async with db.transaction() as session:
        for n in range(4):
            old = _sent(imported, NOW - timedelta(days=2), answered=True)
            old.import_key = f"typeform:{n}"
            session.add(old)
        session.add(_sent(asked, NOW - timedelta(days=2)))
    rate = await _rate(db)
    # only the survey VoC bot sent: 0 of 1, not 4 of 5 (or 100% with no survey sent at all)
    assert (rate.answered, rate.sent, rate.unreachable) == (0, 1, 0)


async def test_only_imported_history_is_no_rate_at_all(db: Database) -> None:
    (imported,) = await _contacts(db, 1)
    async with db.transaction() as session:
        old = _sent(imported, NOW - timedelta(days=2), answered=True)
        old.import_key = "csv:1"
        session.add(old)
    rate = await _rate(db)
    assert rate.meant == 0 and rate.share is None
