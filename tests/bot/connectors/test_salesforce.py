"""The Salesforce connector against the local Salesforce emulator: login, paging, the
incremental pass, deleted records, retries, the daily allowance and every setup error."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta

import aiohttp
import pytest

from bot.connectors import connect
from bot.connectors.salesforce import DEFAULT_FIELDS, NOTE_KEY_SPEC, Salesforce
from bot.core.config import load_settings
from bot.devkit.salesforce_emulator import SalesforceEmulator
from bot.domain.crm import (
    CrmCompany,
    CrmContact,
    CrmObject,
    FieldMap,
    FieldSpec,
    Note,
    SchemaProblem,
)
from bot.domain.errors import CrmAllowanceSpent, CrmRecordRefused, CrmSetupError, CrmUnavailable

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


@pytest.mark.parametrize("wrong", ["client_id", "client_secret"])
async def test_either_credential_wrong_is_the_same_one_line(
    sf: SalesforceEmulator, connector_for: Callable[..., Salesforce], wrong: str
) -> None:
    crm = connector_for(**{wrong: "not-it"})
    with pytest.raises(CrmSetupError, match="refused SALESFORCE_CLIENT_ID / SALESFORCE_CLIENT"):
        await crm.owners()


async def test_a_connected_app_without_the_client_credentials_flow_says_what_to_enable(
    sf: SalesforceEmulator, crm: Salesforce
) -> None:
    sf.client_credentials_enabled = False
    with pytest.raises(CrmSetupError) as caught:
        await crm.owners()
    assert "enable the Client Credentials Flow and set a Run As user" in str(caught.value)
    assert sf.client_secret not in str(caught.value)


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


# push


def push_fields(sf: SalesforceEmulator) -> None:
    """The custom fields `crm setup` creates, as an admin would have them."""
    for name, type_ in {
        "VoC_Last_Score__c": "double",
        "VoC_Last_Survey__c": "string",
        "VoC_Last_Answered_At__c": "datetime",
        "VoC_Last_Comment__c": "textarea",
    }.items():
        sf.add_field("Contact", name, type_)
    sf.add_field("Account", "VoC_Nps__c", "double")
    sf.add_field("Account", "VoC_Open_Cases__c", "double")


async def make_note_key(crm: Salesforce) -> None:
    assert await crm.create_fields([]) == []


def a_note(key: str, contact: str | None, account: str | None) -> Note:
    return Note(
        key=key,
        title="NPS 3 from Ana Lima",
        body="Score 3: too slow.\nCard: https://slack.example/archives/C1/p1",
        at=START,
        contact_id=contact,
        company_id=account,
    )


async def test_update_writes_in_collections_of_200_and_none_clears(
    sf: SalesforceEmulator, crm: Salesforce
) -> None:
    push_fields(sf)
    account = seed_account(sf, 1)
    ids = [sf.add_contact({"LastName": f"P{n}"}, account) for n in range(450)]
    answered = datetime(2026, 1, 6, 12, 30, tzinfo=UTC)
    await crm.update(
        CrmObject.CONTACT,
        {
            i: {
                "voc_last_score": 9,
                "voc_last_survey": "nps",
                "voc_last_answered_at": answered,
                "voc_last_comment": None,
            }
            for i in ids
        },
    )
    batches = [len(c.body["records"]) for c in sf.calls_to("composite")]
    assert batches == [200, 200, 50]
    assert all(c.body["allOrNone"] for c in sf.calls_to("composite"))
    assert sf.writes_to("Contact", ids[0]) == [
        ("VoC_Last_Score__c", 9),
        ("VoC_Last_Survey__c", "nps"),
        ("VoC_Last_Answered_At__c", "2026-01-06T12:30:00Z"),
        ("VoC_Last_Comment__c", None),
    ]
    await crm.update(CrmObject.COMPANY, {account: {"voc_nps": -20.0, "voc_open_cases": 2}})
    assert await crm.read(CrmObject.COMPANY, account, ("voc_nps", "voc_open_cases")) == {
        "voc_nps": -20.0,
        "voc_open_cases": 2,
    }


async def test_a_record_deleted_in_salesforce_is_left_out_and_the_rest_written_once(
    sf: SalesforceEmulator, crm: Salesforce
) -> None:
    push_fields(sf)
    keep, gone = sf.add_contact({"LastName": "Keep"}), sf.add_contact({"LastName": "Gone"})
    sf.delete("Contact", gone)
    await crm.update(CrmObject.CONTACT, {gone: {"voc_last_score": 1}, keep: {"voc_last_score": 10}})
    assert sf.writes_to("Contact", keep) == [("VoC_Last_Score__c", 10)]
    assert sf.writes_to("Contact", gone) == []
    assert await crm.read(CrmObject.CONTACT, gone, ("voc_last_score",)) is None


async def test_an_update_of_a_field_salesforce_lacks_writes_nothing_and_says_run_setup(
    sf: SalesforceEmulator, crm: Salesforce
) -> None:
    one, two = sf.add_contact({"LastName": "One"}), sf.add_contact({"LastName": "Two"})
    with pytest.raises(CrmSetupError) as caught:
        await crm.update(CrmObject.CONTACT, {one: {"voc_last_score": 3}, two: {}})
    assert str(caught.value).startswith(
        "Salesforce has no field VoC_Last_Score__c on Contact: run python -m bot crm setup"
    )
    assert sf.writes_to("Contact", one) == [] and sf.writes_to("Contact", two) == []


async def test_a_value_salesforce_refuses_is_that_record_refused_naming_the_field_not_the_value(
    sf: SalesforceEmulator, crm: Salesforce
) -> None:
    push_fields(sf)
    sf.add_field("Contact", "VoC_Last_Survey__c", picklist=["csat", "ces"])  # no "nps"
    contact = sf.add_contact({"LastName": "One"})
    with pytest.raises(CrmRecordRefused) as caught:
        await crm.update(CrmObject.CONTACT, {contact: {"voc_last_survey": "nps"}})
    assert "VoC_Last_Survey__c" in str(caught.value)
    assert "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" in str(caught.value)
    assert "nps" not in str(caught.value).replace("VoC_", "")
    assert sf.writes_to("Contact", contact) == []


async def test_an_update_retried_after_503_writes_once(
    sf: SalesforceEmulator, crm: Salesforce, waits: Waits
) -> None:
    push_fields(sf)
    contact = sf.add_contact({"LastName": "Ana"})
    sf.fail("composite", 503, times=1)
    sf.fail("composite", 429, times=1, retry_after=3)
    await crm.update(CrmObject.CONTACT, {contact: {"voc_last_score": 4}})
    assert sf.writes_to("Contact", contact) == [("VoC_Last_Score__c", 4)]
    assert waits.waits == [1.0, 3.0]


async def test_find_contact_by_email(sf: SalesforceEmulator, crm: Salesforce) -> None:
    contact = sf.add_contact({"LastName": "O'Brien", "Email": "o'brien@example.com"})
    assert await crm.find_contact("O'Brien@Example.com") == contact
    assert await crm.find_contact("nobody@example.com") is None


async def test_a_note_is_one_task_on_the_contact_and_account_however_often_added(
    sf: SalesforceEmulator, crm: Salesforce
) -> None:
    account = seed_account(sf, 1)
    contact = sf.add_contact({"LastName": "Lima"}, account)
    await make_note_key(crm)
    note = a_note("voc:answer:41", contact, account)
    task = await crm.add_note(note)
    assert await crm.add_note(note) == task
    [row] = sf.records("Task")
    assert row["Id"] == task and row["WhoId"] == contact and row["WhatId"] == account
    assert row["VoC_Note_Key__c"] == "voc:answer:41" and row["Subject"] == note.title
    assert row["Description"] == note.body and row["Status"] == "Completed"

    await crm.append_to_note(task, "Outcome: fixed")
    await crm.append_to_note(task, "Outcome: fixed")  # a retried call
    assert await crm.add_note(note) == task  # a late retry never overwrites the outcome
    assert sf.record("Task", task)["Description"] == f"{note.body}\n\nOutcome: fixed"  # type: ignore[index]

    assert await crm.delete_note(task) is True
    assert await crm.delete_note(task) is False
    assert await crm.add_note(note) != task  # deleted by hand: a new one is made


async def test_a_note_whose_contact_was_deleted_lands_on_the_account(
    sf: SalesforceEmulator, crm: Salesforce
) -> None:
    account = seed_account(sf, 1)
    contact = sf.add_contact({"LastName": "Lima"}, account)
    sf.delete("Contact", contact)
    await make_note_key(crm)
    task = await crm.add_note(a_note("voc:answer:7", contact, account))
    row = sf.record("Task", task)
    assert row is not None and row["WhatId"] == account and "WhoId" not in row


async def test_a_note_without_the_key_field_says_run_setup(
    sf: SalesforceEmulator, crm: Salesforce
) -> None:
    with pytest.raises(CrmSetupError, match="no field VoC_Note_Key__c on Task: run python"):
        await crm.add_note(a_note("voc:answer:1", None, seed_account(sf, 1)))
    assert sf.records("Task") == []


# schema


def needed() -> list[FieldSpec]:
    return [
        FieldSpec(CrmObject.CONTACT, "voc_last_score", "number", "VoC last score"),
        FieldSpec(CrmObject.CONTACT, "voc_last_comment", "text", "VoC last comment"),
        FieldSpec(CrmObject.CONTACT, "voc_last_answered_at", "datetime", "VoC last answered"),
        FieldSpec(CrmObject.COMPANY, "voc_nps", "number", "VoC NPS"),
        FieldSpec(CrmObject.COMPANY, "Plan__c", "string", "Plan"),
        NOTE_KEY_SPEC,
    ]


async def test_missing_names_each_absent_field_and_create_fields_adds_them(
    sf: SalesforceEmulator, crm: Salesforce, connector_for: Callable[..., Salesforce]
) -> None:
    sf.remove_field("Account", "Plan__c")
    assert await crm.missing(needed()) == [
        SchemaProblem(CrmObject.CONTACT, "VoC_Last_Score__c"),
        SchemaProblem(CrmObject.CONTACT, "VoC_Last_Comment__c"),
        SchemaProblem(CrmObject.CONTACT, "VoC_Last_Answered_At__c"),
        SchemaProblem(CrmObject.COMPANY, "VoC_Nps__c"),
        SchemaProblem(CrmObject.COMPANY, "Plan__c", "CRM_FIELD_PLAN"),
        SchemaProblem(CrmObject.NOTE, "VoC_Note_Key__c"),
    ]
    assert await crm.create_fields(needed()) == []
    created = {c.body["FullName"]: c.body["Metadata"] for c in sf.calls_to("tooling")}
    assert created["Contact.VoC_Last_Score__c"]["type"] == "Number"
    assert created["Contact.VoC_Last_Comment__c"]["type"] == "LongTextArea"
    assert created["Contact.VoC_Last_Answered_At__c"]["type"] == "DateTime"
    assert created["Activity.VoC_Note_Key__c"]["externalId"] is True
    assert sf.fields_of("Contact")["VoC_Last_Score__c"] == "double"
    assert await connector_for().missing(needed()) == []


async def test_refused_field_creation_returns_what_to_add_by_hand(
    sf: SalesforceEmulator, crm: Salesforce
) -> None:
    sf.tooling_allowed = False
    sf.add_field("Contact", "VoC_Last_Comment__c", "textarea")
    left = await crm.create_fields(needed()[:2])
    assert [(s.object, s.name, s.type) for s in left] == [
        (CrmObject.CONTACT, "VoC_Last_Score__c", "number"),
        (CrmObject.NOTE, "VoC_Note_Key__c", "string"),
    ]
    assert [c.status for c in sf.calls_to("tooling")] == [403]  # not asked again and again


async def test_one_field_refused_does_not_stop_the_others(
    sf: SalesforceEmulator, crm: Salesforce
) -> None:
    sf.fail("tooling", 400, code="FIELD_INTEGRITY_EXCEPTION")
    left = await crm.create_fields(needed()[:2])
    assert [s.name for s in left] == ["VoC_Last_Score__c"]
    assert "VoC_Last_Comment__c" in sf.fields_of("Contact")
    assert "VoC_Note_Key__c" in sf.fields_of("Task")


async def test_a_user_without_access_is_told_what_to_grant(
    sf: SalesforceEmulator, crm: Salesforce
) -> None:
    sf.fail("describe", 403, code="INSUFFICIENT_ACCESS")
    with pytest.raises(CrmSetupError) as caught:
        await crm.missing(needed())
    assert "permission set with API Enabled" in str(caught.value)


# the emulator refuses what Salesforce refuses


async def test_the_emulator_answers_in_salesforce_shapes(sf: SalesforceEmulator) -> None:
    async with aiohttp.ClientSession() as http:
        token = await http.post(
            sf.url + "/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": sf.client_id,
                "client_secret": sf.client_secret,
            },
        )
        login = await token.json()
        assert login["instance_url"] == sf.url and login["token_type"] == "Bearer"
        auth = {"Authorization": f"Bearer {login['access_token']}"}
        data = sf.url + "/services/data/v62.0"

        bad = await http.get(
            data + "/query", params={"q": "SELECT Nope FROM Account"}, headers=auth
        )
        assert bad.status == 400
        assert (await bad.json())[0]["errorCode"] == "INVALID_FIELD"
        assert bad.headers["Sforce-Limit-Info"] == "api-usage=1/100000"

        sf.add_field("Task", "Key__c", external_id=True)
        sf.remove_field("Task", "Key__c")
        gone = await http.patch(data + "/sobjects/Task/Key__c/k1", json={}, headers=auth)
        assert gone.status == 404

        field = {
            "FullName": "Activity.Key__c",
            "Metadata": {"type": "Text", "label": "Key", "length": 80, "externalId": True},
        }
        made = await http.post(data + "/tooling/sobjects/CustomField", json=field, headers=auth)
        assert made.status == 201
        upserts = [
            await http.patch(data + "/sobjects/Task/Key__c/k1", json={"Subject": s}, headers=auth)
            for s in ("one", "two")
        ]
        assert [u.status for u in upserts] == [201, 204]
        [task] = sf.records("Task")
        assert sf.writes_to("Task", task["Id"]) == [
            ("Key__c", "k1"),
            ("Subject", "one"),
            ("Subject", "two"),
        ]

        records = [{"attributes": {"type": "Account"}, "id": "001x"}] * 201
        many = await http.patch(
            data + "/composite/sobjects",
            json={"allOrNone": False, "records": records},
            headers=auth,
        )
        assert many.status == 400 and (await many.json())[0]["errorCode"] == "EXCEEDED_ID_LIMIT"

        expired = await http.get(
            data + "/sobjects/Account/describe", headers={"Authorization": "Bearer x"}
        )
        assert expired.status == 401
        assert await expired.json() == [
            {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
        ]
