"""The same push flow against the local Salesforce emulator: a detractor's tap reaches the
Contact once under a 503; a Task with the card's link
lands on the Contact and the Account, and the case's outcome is added to it; `forget` deletes
the Task and blanks the fields."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.core.config import Settings
from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.devkit.salesforce_emulator import SalesforceEmulator
from bot.scheduler import run_due
from bot.services import crm_admin, privacy
from storage.db import Database
from storage.models import FollowUpCase
from tests.e2e.conftest import STAFF
from tests.e2e.flows import count_crm_events, crm_events, log_outcome, survey, tap
from tests.harness import BOT_TOKEN, SIGNING_SECRET, SlackSender, eventually

pytestmark = pytest.mark.postgres


@pytest.fixture
async def sf() -> AsyncIterator[SalesforceEmulator]:
    async with SalesforceEmulator() as running:
        yield running


@pytest.fixture
def settings(emulator: SlackEmulator, database_url: str, sf: SalesforceEmulator) -> Settings:
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=emulator.api_url,
        database_url=database_url,
        voc_channel="CVOC",
        voc_staff=STAFF,
        crm="salesforce",
        salesforce_url=sf.url,
        salesforce_client_id=sf.client_id,
        salesforce_client_secret=SecretStr(sf.client_secret),
    )


async def _posted_case(db: Database) -> FollowUpCase | None:
    async with db.session() as session:
        case = (await session.execute(select(FollowUpCase))).scalar_one_or_none()
    return case if case is not None and case.message_ts else None


def scores(sf: SalesforceEmulator, contact: str) -> list[object]:
    return [v for name, v in sf.writes_to("Contact", contact) if name == "VoC_Last_Score__c"]


async def test_a_detractor_reaches_salesforce_once_with_a_task_and_its_outcome(
    rt: Runtime,
    clock: FakeClock,
    emulator: SlackEmulator,
    slack: SlackSender,
    sf: SalesforceEmulator,
) -> None:
    assert not (await crm_admin.setup(rt)).by_hand
    account = sf.add_account({"Name": "Acme"})
    contact = sf.add_contact({"Email": "ana@acme.test", "LastName": "Ana"}, account)
    inv = await survey(rt, emulator, contact_crm_id=contact, company_crm_id=account)
    await tap(slack, emulator, inv, 2)
    await eventually(lambda: count_crm_events(rt.db, 4))
    case = await eventually(lambda: _posted_case(rt.db))
    sf.fail("composite", 503)  # the connector waits a second and tries again

    await run_due(rt)
    clock.advance(timedelta(minutes=2))
    await run_due(rt)

    assert scores(sf, contact) == [2]
    record = sf.record("Contact", contact) or {}
    assert record["VoC_Last_Survey__c"] == "nps"
    assert (sf.record("Account", account) or {})["VoC_Open_Cases__c"] == 1
    [task] = sf.records("Task")
    link = f"https://acme.slack.com/archives/{case.channel}/p{case.message_ts.replace('.', '')}"
    assert link in task["Description"] and task["Subject"] == "VoC: NPS 2/10 (detractor)"
    assert (task["WhoId"], task["WhatId"]) == (contact, account)
    assert all(e.delivered_at is not None for e in await crm_events(rt.db))

    await log_outcome(slack, case.id, "churn_risk", "Evaluating a competitor.")
    await eventually(lambda: count_crm_events(rt.db, 6))
    await run_due(rt)
    [task] = sf.records("Task")
    assert "Churn risk. Evaluating a competitor." in task["Description"]
    assert (sf.record("Account", account) or {})["VoC_Open_Cases__c"] == 0

    forgotten = await privacy.forget(rt, "ana@acme.test")

    assert forgotten.crm is not None
    assert forgotten.crm.fields_cleared and forgotten.crm.notes_deleted == 1
    assert [t for t in sf.records("Task") if not t.get("IsDeleted")] == []
    record = sf.record("Contact", contact) or {}
    assert record.get("VoC_Last_Score__c") is None and record.get("VoC_Last_Comment__c") is None
