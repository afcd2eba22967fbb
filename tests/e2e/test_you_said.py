""" "You said, we did": the CLI's text, the monthly post once, the customers' note once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.services import you_said
from storage.db import Database
from storage.models import Contact, FeatureRequest, Insight, ShipNotice, ThemeState
from tests.bot.services.test_impact import AT
from tests.bot.services.test_impact import _seed as seed_impact
from tests.e2e.test_voc import rows
from tests.harness import cli_env, vocbot

pytestmark = pytest.mark.postgres


async def _seed(db: Database) -> None:
    """November: SSO shipped (asked by Acme and Globex), slow support fixed; both on the 1st."""
    await seed_impact(db)
    async with db.transaction() as session:
        session.add(
            ThemeState(
                theme="slow support", state="shipped", note="two more agents",
                changed_at=AT, changed_by="UPM", fixed_at=AT,
            )
        )  # fmt: skip
        await session.execute(
            update(Contact)
            .where(Contact.email == "x@acme.test")
            .values(slack_user_id="UANA", locale="ms-MY")
        )
        for contact in (await session.execute(select(Contact))).scalars():
            await session.execute(  # who said it, on the request's insights
                update(Insight)
                .where(Insight.account_id == contact.account_id)
                .where(Insight.feature_request_id.is_not(None))
                .values(contact_id=contact.id)
            )


async def test_the_cli_prints_the_month(
    emulator: SlackEmulator, database_url: str, tmp_path: Path, db: Database
) -> None:
    await _seed(db)
    env = cli_env(api_url=emulator.api_url, database_url=database_url, home=tmp_path)
    code, out, err = await vocbot(
        env, "report", "you-said-we-did", "--month", "2026-11", cwd=tmp_path
    )
    assert code == 0, err
    assert out.startswith("You said, we did: 2026-11\n")
    assert "Shipped — 1 request asked for by accounts worth $150,000 ARR" in out
    assert "• SSO (#1), shipped 2026-11-01 — $150,000 ARR, 2 accounts" in out
    assert "Asked by: Acme ($120,000), Globex ($30,000)" in out
    assert "NPS -29 (7 answers) → +80 (5 answers)" in out
    assert "CSAT too few answers (2) → 4.20 (5 answers)" in out
    assert "• slow support, fixed 2026-11-01 — “two more agents”" in out
    assert "Share of comments 50% (8 comments) → 20% (5 comments)" in out
    code, out, err = await vocbot(
        env, "report", "you-said-we-did", "--month", "2026-10", cwd=tmp_path
    )
    assert code == 0 and "Nothing was marked shipped or fixed in 2026-10." in out
    code, out, err = await vocbot(
        env, "report", "you-said-we-did", "--month", "2026-13", cwd=tmp_path
    )
    assert code == 1 and "`2026-13` is not a month: type it as YYYY-MM" in err


async def test_the_roll_up_is_posted_once_on_the_first_working_day(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    await _seed(rt.db)
    emulator.add_user("UANA")
    async with rt.db.transaction() as session:
        await session.execute(update(FeatureRequest).values(tell_customers=True))
    rt.settings.insights_channel = "CINS"
    clock.current = datetime(2026, 12, 1, 8, 59, tzinfo=UTC)  # a Tuesday, before 09:00
    assert await you_said.post_due(rt, rt.now()) == 0
    clock.current = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert await you_said.post_due(rt, rt.now()) == 1
    clock.current = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    assert await you_said.post_due(rt, rt.now()) == 0  # once a month, whoever runs it
    [post] = emulator.messages("CINS")
    assert post["text"] == "You said, we did: 2026-11"
    assert "SSO" in str(post["blocks"]) and "slow support" in str(post["blocks"])
    [note] = emulator.messages("UANA")  # the customer who asked, once; Globex's has no Slack
    assert "anda pernah meminta *SSO*, dan ia tersedia pada 2026-11" in note["text"]  # Malay
    assert [n.kind for n in await rows(rt.db, ShipNotice)] == ["rollup"]


async def test_a_month_with_nothing_shipped_posts_nothing(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    rt.settings.insights_channel = "CINS"
    clock.current = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert await you_said.post_due(rt, rt.now()) == 0
    assert emulator.messages("CINS") == []
