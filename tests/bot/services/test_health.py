"""Account health against a real database and the Slack emulator: the weekly history, the
explanation, a drop opening one case (also with two workers), and the summary reports read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.config import Settings
from bot.core.runtime import Runtime, build_runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.services import cases, health
from storage.db import Database
from storage.models import Account, AccountHealth, Contact, FollowUpCase, Invitation, Response
from tests.harness import BOT_TOKEN, SIGNING_SECRET

pytestmark = pytest.mark.postgres
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def slack(clock: FakeClock) -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator(clock=clock) as running:
        running.add_channel("CVOC", ["UCSM"])
        yield running


def _settings(slack: SlackEmulator, database_url: str) -> Settings:
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=database_url,
        voc_channel="CVOC",
    )


@pytest.fixture
async def rt(
    slack: SlackEmulator, database_url: str, db: Database, clock: FakeClock
) -> AsyncIterator[Runtime]:
    runtime = build_runtime(_settings(slack, database_url), db=db, clock=clock)
    yield runtime
    await runtime.close()


async def _account(db: Database, name: str, csm: str | None = "UCSM") -> Contact:
    async with db.transaction() as session:
        account = Account(name=name, name_key=name.lower(), csm_user_id=csm)
        session.add(account)
        await session.flush()
        contact = Contact(email=f"ana@{name.lower()}.test", account_id=account.id or 0)
        session.add(contact)
        await session.flush()
        return contact


async def _answers(db: Database, contact: Contact, score: int, at: datetime, n: int = 1) -> None:
    category = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    async with db.transaction() as session:
        for _ in range(n):
            invitation = Invitation(
                contact_id=contact.id or 0, kind="nps", trigger="relationship",
                status="answered", due_at=at, sent_at=at, answered_at=at, created_at=at,
            )  # fmt: skip
            session.add(invitation)
            await session.flush()
            session.add(
                Response(
                    invitation_id=invitation.id or 0, contact_id=contact.id or 0,
                    account_id=contact.account_id, kind="nps", score=score,
                    category=category, answered_at=at,
                )
            )  # fmt: skip


async def _rows(db: Database, table: type) -> list:  # type: ignore[type-arg]
    from sqlalchemy import select

    async with db.session() as session:
        return list((await session.execute(select(table))).scalars())


async def test_a_weekly_history_explained_and_a_drop_opens_one_case(
    rt: Runtime, db: Database, slack: SlackEmulator
) -> None:
    acme = await _account(db, "Acme")
    await _answers(db, acme, 10, MONDAY - timedelta(days=10), n=4)
    first = await health.recompute(rt, MONDAY)
    assert first.scored == 1 and first.cases == []
    [week1] = await _rows(db, AccountHealth)
    # NPS 100 → 1, no case → 1, no signal → 0.5, all answered → 1:
    # (30 + 15 + 5 + 10) / (30 + 15 + 10 + 10) = 60 / 65 → 92
    assert (week1.score, week1.change) == (92, None)

    # a week later: six detractors take NPS from 100 to −20
    await _answers(db, acme, 2, MONDAY + timedelta(days=5), n=6)
    second = await health.recompute(rt, MONDAY + timedelta(days=7))
    assert len(second.cases) == 1
    rows = sorted(await _rows(db, AccountHealth), key=lambda r: r.week)
    assert len(rows) == 2 and rows[0].score == 92
    assert rows[1].change == rows[1].score - 92 and rows[1].change <= -15
    assert rows[1].why.startswith("NPS 100 → -20 (−")
    [card] = slack.messages("CVOC")
    assert "Health of Acme fell to" in card["text"]
    assert "<@UCSM>" in str(card["blocks"]) and "NPS 100 → -20" in str(card["blocks"])

    # recomputed again (the next pass, another day): no second case while one is open
    third = await health.recompute(rt, MONDAY + timedelta(days=8))
    assert third.cases == []
    assert len(await _rows(db, FollowUpCase)) == 1
    assert len(slack.messages("CVOC")) == 1


async def test_two_workers_open_one_case(
    rt: Runtime, db: Database, slack: SlackEmulator, database_url: str, clock: FakeClock
) -> None:
    acme = await _account(db, "Acme")
    await _answers(db, acme, 10, MONDAY - timedelta(days=10), n=4)
    await health.recompute(rt, MONDAY)
    await _answers(db, acme, 0, MONDAY + timedelta(days=5), n=8)
    other_db = Database(database_url)
    other = build_runtime(_settings(slack, database_url), db=other_db, clock=clock)
    try:
        runs = await asyncio.gather(
            health.recompute(rt, MONDAY + timedelta(days=7)),
            health.recompute(other, MONDAY + timedelta(days=7)),
        )
    finally:
        await other.close()
        await other_db.dispose()
    assert sum(len(run.cases) for run in runs) == 1
    assert len(await _rows(db, FollowUpCase)) == 1
    assert len(slack.messages("CVOC")) == 1


async def test_claim_escalates_like_an_answer_case_and_a_closing_log_lets_a_new_slide_open(
    rt: Runtime, db: Database, slack: SlackEmulator
) -> None:
    acme = await _account(db, "Acme")
    await _answers(db, acme, 10, MONDAY - timedelta(days=10), n=4)
    await health.recompute(rt, MONDAY)
    await _answers(db, acme, 0, MONDAY + timedelta(days=5), n=8)
    opened = MONDAY + timedelta(days=7)
    [case_id] = (await health.recompute(rt, opened)).cases
    assert await cases.escalate_due(rt, opened + timedelta(days=1)) == 0  # within 48h
    assert await cases.escalate_due(rt, opened + timedelta(hours=49)) == 1
    [card, reminder] = slack.messages("CVOC")
    assert reminder.get("thread_ts") == card["ts"]
    assert reminder["text"].startswith("<@UCSM> Reminder 1 of 3: no follow-up logged 49h")
    assert await cases.claim_case(rt, case_id, "UCSM", opened + timedelta(hours=50)) is None
    # claimed but not logged: the ladder goes on, to the owner (as for an answer's case)
    assert await cases.escalate_due(rt, opened + timedelta(hours=74)) == 1
    await cases.log_follow_up(
        rt, case_id, "UCSM", "recovered", "Called them", opened + timedelta(days=4)
    )
    assert await cases.escalate_due(rt, opened + timedelta(days=5)) == 0
    # the same week's slide does not reopen; the next week's does
    assert (await health.recompute(rt, MONDAY + timedelta(days=13))).cases == []
    # the next week stays low: no drop, no fall, no case
    assert (await health.recompute(rt, MONDAY + timedelta(days=14))).cases == []
    async with db.transaction() as session:
        from sqlalchemy import update

        # say that week had recovered: the week after falls again
        await session.execute(update(AccountHealth).values(score=90))  # last week was fine
    assert len((await health.recompute(rt, MONDAY + timedelta(days=21))).cases) == 1


async def test_a_health_case_is_not_an_input_of_the_health_score(rt: Runtime, db: Database) -> None:
    acme = await _account(db, "Acme")
    await _answers(db, acme, 10, MONDAY - timedelta(days=10), n=4)
    await health.recompute(rt, MONDAY)
    await _answers(db, acme, 0, MONDAY + timedelta(days=5), n=8)
    await health.recompute(rt, MONDAY + timedelta(days=7))
    before = [r.score for r in await _rows(db, AccountHealth)]
    await health.recompute(rt, MONDAY + timedelta(days=7, hours=1))  # the case is open now
    assert [r.score for r in await _rows(db, AccountHealth)] == before


async def test_health_summary_bands_and_movers(rt: Runtime, db: Database) -> None:
    names = ["Acme", "Beta", "Cara"]
    contacts = [await _account(db, name, csm=None) for name in names]
    for contact in contacts:
        await _answers(db, contact, 10, MONDAY - timedelta(days=10), n=2)
    await health.recompute(rt, MONDAY)
    await _answers(db, contacts[0], 0, MONDAY + timedelta(days=3), n=6)  # falls
    await _answers(db, contacts[1], 8, MONDAY + timedelta(days=3), n=2)  # falls a little
    await health.recompute(rt, MONDAY + timedelta(days=7))
    summary = await health.health_summary(rt, MONDAY, MONDAY + timedelta(days=7))
    assert summary.scored == 3
    assert sum(summary.bands.values()) == 3 and summary.bands.get("healthy", 0) >= 1
    assert [m.account for m in summary.falls] == ["Acme", "Beta"]
    assert summary.falls[0].change < summary.falls[1].change < 0
    assert summary.falls[0].why.startswith("NPS 100 →")
    assert summary.rises == []


async def test_voc_account_reads_the_newest_score(rt: Runtime, db: Database) -> None:
    from bot.services import reports

    acme = await _account(db, "Acme")
    await _answers(db, acme, 10, MONDAY - timedelta(days=10), n=4)
    await health.recompute(rt, MONDAY)
    await _answers(db, acme, 0, MONDAY + timedelta(days=5), n=8)
    await health.recompute(rt, MONDAY + timedelta(days=7))
    account = (await reports.account_timeline(rt, "Acme")).account
    assert account.health_score is not None and account.health_score < 92
    assert account.health_change == account.health_score - 92
    assert account.health_why and account.health_why.startswith("NPS 100 →")


async def test_a_card_slack_refused_is_posted_at_the_next_pass(
    rt: Runtime, db: Database, slack: SlackEmulator
) -> None:
    acme = await _account(db, "Acme")
    await _answers(db, acme, 10, MONDAY - timedelta(days=10), n=4)
    await health.recompute(rt, MONDAY)
    await _answers(db, acme, 0, MONDAY + timedelta(days=5), n=8)
    slack.add_channel("CVOC", ["UCSM"], bot_member=False)  # posting answers not_in_channel
    [case_id] = (await health.recompute(rt, MONDAY + timedelta(days=7))).cases
    assert slack.messages("CVOC") == []
    slack.add_channel("CVOC", ["UCSM"])
    await cases.post_pending_cards(rt, MONDAY + timedelta(days=7, hours=1))
    [card] = slack.messages("CVOC")
    assert "Health of Acme fell to" in card["text"]
    [case] = await _rows(db, FollowUpCase)
    assert case.id == case_id and case.message_ts == card["ts"]


async def test_a_health_case_is_announced_like_any_case_opened_and_closed(
    slack: SlackEmulator, database_url: str, db: Database, clock: FakeClock
) -> None:
    from bot.services import cases
    from storage.models import OutboxEvent

    settings = _settings(slack, database_url).model_copy(
        update={"webhook_url": "https://hooks.example.test/voc"}
    )
    rt = build_runtime(settings, db=db, clock=clock)
    try:
        acme = await _account(db, "Acme")
        await _answers(db, acme, 10, MONDAY - timedelta(days=10), n=4)
        await health.recompute(rt, MONDAY)
        await _answers(db, acme, 0, MONDAY + timedelta(days=5), n=8)
        [case_id] = (await health.recompute(rt, MONDAY + timedelta(days=7))).cases
        await cases.log_follow_up(
            rt, case_id, "UCSM", "churn_risk", "Renewal at risk", MONDAY + timedelta(days=8)
        )
    finally:
        await rt.close()
    events = {e.type: e.payload for e in await _rows(db, OutboxEvent)}
    assert set(events) == {"case.opened", "case.closed"}
    opened = events["case.opened"]
    assert (opened["case_id"], opened["kind"], opened["response_id"]) == (case_id, "health", None)
    assert opened["review"] == "csm" and opened["account"]["name"] == "Acme"
    assert events["case.closed"]["outcome"] == "churn_risk"
