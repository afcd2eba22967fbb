"""Email delivery survives a `serve` SIGKILL mid-campaign: every survey email arrives, once
or (the one whose answer the kill cut off) as two identical copies."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.config import Settings
from bot.core.runtime import build_runtime
from bot.devkit.emulator import SlackEmulator
from bot.domain.vocabulary import InvitationStatus
from bot.services.surveys import start_relationship_campaign
from storage.db import Database
from storage.models import Account, Contact, Invitation, SurveyLink
from tests.harness import BOT_TOKEN, cli_env, eventually, start_vocbot
from tests.mail import score_links, smtp_server

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
COUNT = 120
EMAIL = {"EMAIL_FROM": "feedback@acme.test", "PUBLIC_URL": "http://127.0.0.1:9"}


async def _campaign(db: Database, emulator: SlackEmulator, smtp_url: str) -> None:
    """COUNT contacts Slack does not know, so each is asked by email."""
    async with db.transaction() as session:
        account = Account(name="Mail", name_key="mail", segment="smb")
        session.add(account)
        await session.flush()
        session.add_all(
            Contact(email=f"c{i}@mail.test", account_id=account.id or 0, tz="UTC")
            for i in range(COUNT)
        )
    settings = Settings(
        slack_bot_token=BOT_TOKEN,
        slack_api_url=emulator.api_url,
        smtp_url=smtp_url,
        email_from=EMAIL["EMAIL_FROM"],
        public_url=EMAIL["PUBLIC_URL"],
    )
    rt = build_runtime(settings, db=db)
    report = await start_relationship_campaign(rt, kind="nps", now=datetime.now(UTC), send_now=True)
    assert report.by_email == COUNT


async def _statuses(db: Database) -> Counter[str]:
    async with db.session() as session:
        return Counter((await session.execute(select(Invitation.status))).scalars())


async def _links(db: Database) -> dict[str, str]:
    """Each contact's one survey link hash (a second would fail the unpacking)."""
    async with db.session() as session:
        rows = await session.execute(
            select(Contact.email, SurveyLink.token_hash)
            .join(Invitation, Invitation.contact_id == Contact.id)
            .join(SurveyLink, SurveyLink.invitation_id == Invitation.id)
        )
    links: dict[str, str] = {}
    for address, token_hash in rows.all():
        assert address not in links, address
        links[address] = token_hash
    return links


async def test_serve_killed_mid_email_campaign_and_restarted_emails_each_contact_once(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    with smtp_server() as smtp:
        async with SlackEmulator() as emulator:
            await _campaign(db, emulator, smtp.url())
            env = cli_env(
                api_url=emulator.api_url,
                database_url=database_url,
                home=tmp_path,
                SCHEDULER_TICK="1s",
                SEND_LEASE="3s",
                SMTP_URL=smtp.url(),
                **EMAIL,
            )
            out = asyncio.subprocess.DEVNULL
            first = await start_vocbot(env, tmp_path, "serve", "--port", "0", stdout=out)
            await eventually(lambda: len(smtp.messages) >= 30, timeout=120)
            first.kill()  # SIGKILL mid-campaign: no cleanup, leases left behind
            await first.wait()
            assert len(smtp.messages) < COUNT
            second = await start_vocbot(env, tmp_path, "serve", "--port", "0", stdout=out)
            try:
                await eventually(lambda: _all_sent(db), timeout=180)
                await asyncio.sleep(1.5)  # a duplicate would show up here
            finally:
                if second.returncode is None:
                    second.send_signal(signal.SIGTERM)
                await asyncio.wait_for(second.communicate(), 60)
        received = Counter(rcpt for rcpts in smtp.captured.recipients for rcpt in rcpts)
        copies = {address: smtp.captured.to(address) for address, n in received.items() if n > 1}
    everyone = {f"c{i}@mail.test" for i in range(COUNT)}
    assert set(received) == everyone  # nothing lost: an email is `sent` once SMTP took it
    # Only an email whose 250 the kill cut off is sent once more: the same message (same
    # Message-ID and link), so a receiving side can fold the two; never a third copy.
    assert len(copies) <= 1 and set(received.values()) <= {1, 2}
    for original, again in copies.values():
        assert original["Message-ID"] == again["Message-ID"]
        assert score_links(original) == score_links(again)
    assert await _statuses(db) == {InvitationStatus.SENT: COUNT}
    assert set(await _links(db)) == everyone  # one link each


async def _all_sent(db: Database) -> bool:
    return await _statuses(db) == {InvitationStatus.SENT: COUNT}
