"""The Salesforce connector against the local Salesforce emulator: login, paging, the
incremental pass, deleted records, retries, the daily allowance and every setup error."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.connectors import connect
from bot.connectors.salesforce import DEFAULT_FIELDS, Salesforce
from bot.core.config import load_settings
from bot.devkit.salesforce_emulator import SalesforceEmulator
from bot.domain.crm import CrmCompany, CrmContact, FieldMap
from bot.domain.errors import CrmAllowanceSpent, CrmSetupError, CrmUnavailable

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 60) -> None:
        self.now += timedelta(seconds=seconds)


class Waits:
    """An injected `sleep` that records what the retries would have waited."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def sf(clock: Clock) -> AsyncIterator[SalesforceEmulator]:
    async with SalesforceEmulator(clock=clock) as emulator:
        yield emulator


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
async def connector_for(
    sf: SalesforceEmulator, waits: Waits
) -> AsyncIterator[Callable[..., Salesforce]]:
    made: list[Salesforce] = []

    def make(**overrides: object) -> Salesforce:
        args: dict[str, object] = {
            "url": sf.url,
            "client_id": sf.client_id,
            "client_secret": sf.client_secret,
            "sleep": waits,
        }
        args.update(overrides)
        connector = Salesforce(**args)  # type: ignore[arg-type]
        made.append(connector)
        return connector

    yield make
    for connector in made:
        await connector.close()


@pytest.fixture
def crm(connector_for: Callable[..., Salesforce]) -> Salesforce:
    return connector_for()


async def all_companies(crm: Salesforce, since: datetime | None = None) -> list[CrmCompany]:
    return [c async for page in crm.companies(since) for c in page]


async def all_contacts(crm: Salesforce, since: datetime | None = None) -> list[CrmContact]:
    return [c async for page in crm.contacts(since) for c in page]


def seed_account(sf: SalesforceEmulator, n: int, **fields: object) -> str:
    return sf.add_account({"Name": f"Account {n}", "Website": f"https://www.a{n}.com/", **fields})


# login


async def test_logs_in_with_client_credentials_and_again_when_the_session_expires(
    sf: SalesforceEmulator, crm: Salesforce
) -> None:
    sf.add_user("005A", "csm@example.com", "Casey Smith")
    assert [(o.crm_id, o.email, o.name) for o in await crm.owners()] == [
        ("005A", "csm@example.com", "Casey Smith")
    ]
    assert len(sf.calls_to("token")) == 1
    await crm.owners()
    assert len(sf.calls_to("token")) == 1  # the token is kept

    sf.expire_tokens()
    assert len(await crm.owners()) == 1
    assert len(sf.calls_to("token")) == 2
    assert [c.status for c in sf.calls_to("query")][-2:] == [401, 200]


async def test_bad_client_credentials_name_the_settings_and_never_the_secret(
    sf: SalesforceEmulator, connector_for: Callable[..., Salesforce]
) -> None:
    crm = connector_for(client_secret="s3cret-wrong")
    with pytest.raises(CrmSetupError) as caught:
        await crm.owners()
    line = str(caught.value)
    assert "SALESFORCE_CLIENT_ID" in line and "SALESFORCE_CLIENT_SECRET" in line
    assert "connected app" in line
    assert "s3cret-wrong" not in line and "\n" not in line


async def test_an_unreachable_url_names_the_url_setting(
    connector_for: Callable[..., Salesforce],
) -> None:
    crm = connector_for(url="http://127.0.0.1:9")
    with pytest.raises(CrmSetupError, match="SALESFORCE_URL"):
        await crm.owners()


async def test_a_url_that_is_not_an_org_names_the_url_setting(
    sf: SalesforceEmulator, connector_for: Callable[..., Salesforce]
) -> None:
    crm = connector_for(url=sf.url + "/not-salesforce")
    with pytest.raises(CrmSetupError) as caught:
        await crm.owners()
    assert "SALESFORCE_URL" in str(caught.value) and "My Domain" in str(caught.value)


async def test_connect_builds_it_from_the_settings_with_the_default_fields(
    sf: SalesforceEmulator,
) -> None:
    settings = load_settings(
        crm="salesforce",
        salesforce_url=sf.url,
        salesforce_client_id=sf.client_id,
        salesforce_client_secret=sf.client_secret,
        crm_field_segment="",
        crm_field_health="Customer_Health__c",
    )
    crm = connect(settings)
    assert isinstance(crm, Salesforce)
    try:
        assert crm.fields == FieldMap(
            arr="AnnualRevenue",
            plan="Plan__c",
            segment="",
            health="Customer_Health__c",
            renewal_date="Renewal_Date__c",
            customer_since="Customer_Since__c",
        )
        sf.add_field("Account", "Customer_Health__c", "picklist")
        seed_account(sf, 1, Customer_Health__c="Green")
        [company] = await all_companies(crm)
        assert company.health == "Green"
    finally:
        await crm.close()


# pull


async def test_companies_carry_the_mapped_fields_and_owner(
    sf: SalesforceEmulator, crm: Salesforce
) -> None:
    sf.add_user("005A", "csm@example.com", "Casey")
    account = sf.add_account(
        {
            "Name": "Acme",
            "Website": "https://www.acme.com/about",
            "Industry": "Retail",
            "OwnerId": "005A",
            "AnnualRevenue": 120000.0,
            "Plan__c": "Enterprise",
            "Segment__c": "Mid-market",
            "Health__c": "Red",
            "Renewal_Date__c": "2026-09-30",
            "Customer_Since__c": "2023-02-01",
        }
    )
    [company] = await all_companies(crm)
    assert company == CrmCompany(
        crm_id=account,
        name="Acme",
        modified_at=START,
        domain="acme.com",
        industry="Retail",
        owner_id="005A",
        arr=120000.0,
        plan="Enterprise",
        segment="Mid-market",
        health="Red",
        renewal_date=date(2026, 9, 30),
        customer_since=date(2023, 2, 1),
    )


async def test_contacts_carry_email_name_and_account(
    sf: SalesforceEmulator, crm: Salesforce
) -> None:
    account = seed_account(sf, 1)
    contact = sf.add_contact(
        {"FirstName": "Ana", "LastName": "Lima", "Email": "Ana@Example.com"}, account
    )
    sf.add_contact({"LastName": "NoMail"}, account)
    contacts = await all_contacts(crm)
    assert contacts[0] == CrmContact(
        crm_id=contact,
        email="ana@example.com",
        modified_at=START,
        name="Ana Lima",
        company_id=account,
    )
    assert contacts[1].email is None


async def test_pages_through_next_records_url(sf: SalesforceEmulator, crm: Salesforce) -> None:
    sf.batch_size = 100
    ids = [seed_account(sf, n) for n in range(450)]
    pages = [page async for page in crm.companies(None)]
    assert [len(p) for p in pages] == [100, 100, 100, 100, 50]
    assert [c.crm_id for p in pages for c in p] == ids
    assert len(sf.calls_to("queryAll")) == 1 and len(sf.calls_to("query")) == 4


async def test_an_incremental_pass_reads_only_what_changed(
    sf: SalesforceEmulator, crm: Salesforce, clock: Clock
) -> None:
    ids = [seed_account(sf, n) for n in range(50)]
    assert len(await all_companies(crm)) == 50
    clock.tick(3600)
    cursor = clock.now
    sf.modify("Account", ids[7], Plan__c="Growth")
    sf.add_account({"Name": "Newco"})
    changed = await all_companies(crm, since=cursor)
    assert [(c.name, c.plan) for c in changed] == [("Account 7", "Growth"), ("Newco", None)]
    assert "SystemModstamp >= 2026-01-05T10:00:00Z" in sf.calls_to("queryAll")[-1].params["q"]


async def test_deleted_records_come_back_archived_through_query_all(
    sf: SalesforceEmulator, crm: Salesforce, clock: Clock
) -> None:
    account = seed_account(sf, 1)
    contact = sf.add_contact({"LastName": "Gone", "Email": "gone@example.com"}, account)
    clock.tick()
    cursor = clock.now
    sf.delete("Contact", contact)
    sf.delete("Account", account)
    [company] = await all_companies(crm, since=cursor)
    [person] = await all_contacts(crm, since=cursor)
    assert company.archived and person.archived and person.email == "gone@example.com"


async def test_429_and_503_are_retried_after_the_waits_salesforce_asks(
    sf: SalesforceEmulator, crm: Salesforce, waits: Waits
) -> None:
    sf.batch_size = 10
    for n in range(25):
        seed_account(sf, n)
    sf.fail("queryAll", 429, times=1, retry_after=7)
    sf.fail("query", 503, times=2)
    assert len(await all_companies(crm)) == 25
    assert waits.waits == [7.0, 1.0, 2.0]


async def test_a_crm_that_keeps_failing_is_unavailable(
    sf: SalesforceEmulator, connector_for: Callable[..., Salesforce]
) -> None:
    crm = connector_for(retries=2)
    sf.fail("queryAll", 503, times=3)
    with pytest.raises(CrmUnavailable, match="Salesforce kept failing"):
        await all_companies(crm)


async def test_a_nearly_spent_allowance_stops_with_one_line(
    sf: SalesforceEmulator, crm: Salesforce
) -> None:
    sf.allowance, sf.api_used = 1000, 940
    sf.batch_size = 10
    for n in range(200):
        seed_account(sf, n)
    pages = 0
    with pytest.raises(CrmAllowanceSpent) as caught:
        async for _ in crm.companies(None):
            pages += 1
    line = str(caught.value)
    assert "950 of 1,000" in line and "24 hours" in line and "\n" not in line
    assert pages == 10 and sf.api_used == 950  # stopped before the last 5%


async def test_request_limit_exceeded_is_the_allowance_spent(
    sf: SalesforceEmulator, crm: Salesforce
) -> None:
    sf.allowance, sf.api_used = 1000, 1000
    with pytest.raises(CrmAllowanceSpent, match="1,000 of 1,000"):
        await crm.owners()


async def test_an_unknown_mapped_field_names_its_setting(
    sf: SalesforceEmulator, connector_for: Callable[..., Salesforce]
) -> None:
    sf.remove_field("Account", "Plan__c")
    crm = connector_for(fields=DEFAULT_FIELDS)
    with pytest.raises(CrmSetupError) as caught:
        await all_companies(crm)
    assert str(caught.value) == (
        "Salesforce has no field Plan__c on Account: set CRM_FIELD_PLAN to the field's API "
        "name, or leave it blank to not sync it"
    )
    blank = connector_for(fields=FieldMap(arr="AnnualRevenue"))
    seed_account(sf, 1, AnnualRevenue=5.0)
    [company] = await all_companies(blank)
    assert company.arr == 5.0 and company.plan is None
