"""The HubSpot connector against the HubSpot emulator: real HTTP, no mocks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.connectors.hubspot import DEFAULT_FIELDS, NOTE_KEY_SPEC, HubSpot
from bot.core.config import load_settings
from bot.devkit.hubspot_emulator import TOKEN, HubSpotEmulator
from bot.domain.crm import CrmCompany, CrmContact, CrmObject, FieldMap, FieldSpec, Note
from bot.domain.errors import CrmSetupError, CrmUnavailable

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    """The emulator's clock: each reading one second later unless set."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class Waits:
    """An injected sleep: records what the connector waited, waits nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def hub(clock: Clock) -> AsyncIterator[HubSpotEmulator]:
    async with HubSpotEmulator(clock=clock) as running:
        yield running


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
async def crm(hub: HubSpotEmulator, waits: Waits) -> AsyncIterator[HubSpot]:
    connector = HubSpot(token=TOKEN, base_url=hub.url, sleep=waits, search_rate=(1000, 1.0))
    yield connector
    await connector.close()


async def _companies(crm: HubSpot, since: datetime | None = None) -> list[list[CrmCompany]]:
    return [page async for page in crm.companies(since)]


async def _contacts(crm: HubSpot, since: datetime | None = None) -> list[list[CrmContact]]:
    return [page async for page in crm.contacts(since)]


# pull


async def test_owners_page_through_with_their_emails(hub: HubSpotEmulator, crm: HubSpot) -> None:
    ids = [hub.add_owner(f"csm{n}@acme.test", "Csm", str(n)) for n in range(130)]
    hub.add_owner(None, "No", "Email")

    owners = await crm.owners()

    assert [o.crm_id for o in owners[:130]] == ids
    assert owners[0].email == "csm0@acme.test" and owners[0].name == "Csm 0"
    assert owners[-1].email is None
    assert len(hub.calls_to("owners.list")) == 2


async def test_a_full_pass_pages_companies_100_at_a_time(
    hub: HubSpotEmulator, crm: HubSpot
) -> None:
    owner = hub.add_owner("ana@acme.test")
    first = hub.add_company(
        {
            "name": "Acme",
            "domain": "acme.test",
            "industry": "COMPUTER_SOFTWARE",
            "hubspot_owner_id": owner,
            "annualrevenue": "125000.5",
            "plan": "Enterprise",
            "segment": "Mid-market",
            "health": "Green",
            "renewal_date": "2026-11-30",
            "hs_lifecyclestage_customer_date": "2023-04-01T00:00:00.000Z",
        }
    )
    for n in range(249):
        hub.add_company({"name": f"Co {n}"})

    pages = await _companies(crm)

    assert [len(p) for p in pages] == [100, 100, 50]
    assert len({c.crm_id for p in pages for c in p}) == 250
    acme = pages[0][0]
    assert acme == CrmCompany(
        crm_id=first,
        name="Acme",
        modified_at=START,
        domain="acme.test",
        industry="COMPUTER_SOFTWARE",
        owner_id=owner,
        arr=125000.5,
        plan="Enterprise",
        segment="Mid-market",
        health="Green",
        renewal_date=date(2026, 11, 30),
        customer_since=date(2023, 4, 1),
    )
    lists = hub.calls_to("companies.list")
    assert len(lists) == 4  # three pages, then the (empty) archived list
    assert crm.calls == 4


async def test_contacts_carry_company_locale_and_name(hub: HubSpotEmulator, crm: HubSpot) -> None:
    company = hub.add_company({"name": "Acme"})
    hub.add_contact(
        {"email": "Bo@Acme.test", "firstname": "Bo", "lastname": "Berg", "hs_language": "sv"},
        company_id=company,
    )
    hub.add_contact({"firstname": "Nomail"})

    [page] = await _contacts(crm)

    bo, nomail = page
    assert (bo.email, bo.name, bo.company_id, bo.locale) == (
        "bo@acme.test",
        "Bo Berg",
        company,
        "sv",
    )
    assert nomail.email is None and nomail.company_id is None


async def test_an_unmapped_field_is_not_read(hub: HubSpotEmulator, waits: Waits) -> None:
    hub.add_company({"name": "Acme", "plan": "Pro", "annualrevenue": "10"})
    crm = HubSpot(token=TOKEN, base_url=hub.url, fields=FieldMap(arr="annualrevenue"), sleep=waits)
    try:
        [[acme]] = await _companies(crm)
    finally:
        await crm.close()
    assert acme.arr == 10 and acme.plan is None
    assert "plan" not in hub.calls_to("companies.list")[0].path  # not requested either


async def test_archived_records_come_marked(hub: HubSpotEmulator, crm: HubSpot) -> None:
    kept = hub.add_company({"name": "Kept"})
    gone = hub.add_company({"name": "Gone"}, archived=True)
    contact = hub.add_contact({"email": "a@x.test"}, company_id=kept)
    hub.archive("contacts", contact)

    companies = [c for p in await _companies(crm) for c in p]
    contacts = [c for p in await _contacts(crm) for c in p]

    assert [(c.crm_id, c.archived) for c in companies] == [(kept, False), (gone, True)]
    assert [(c.crm_id, c.archived) for c in contacts] == [(contact, True)]


async def test_an_incremental_pass_reads_only_what_changed(
    hub: HubSpotEmulator, crm: HubSpot, clock: Clock
) -> None:
    ids = [hub.add_company({"name": f"Co {n}"}) for n in range(300)]
    cursor = clock.advance(hours=1)
    hub.modify("companies", ids[7], name="Co 7 renamed")
    clock.advance(seconds=5)
    hub.modify("companies", ids[3], plan="Pro")
    clock.advance(seconds=5)
    hub.archive("companies", ids[9])

    pages = await _companies(crm, since=cursor)

    seen = [(c.crm_id, c.archived) for p in pages for c in p]
    assert seen == [(ids[7], False), (ids[3], False), (ids[9], True)]
    assert pages[0][0].name == "Co 7 renamed"
    assert len(hub.calls_to("companies.search")) == 1
    assert not [c for c in hub.calls_to("companies.list") if "archived=false" in c.path]


async def test_incremental_search_goes_past_the_10000_cap(
    hub: HubSpotEmulator, crm: HubSpot, clock: Clock
) -> None:
    for n in range(10_450):
        hub.add_contact({"email": f"c{n}@x.test"})
        if n % 7 == 0:  # several records share a date, as in HubSpot
            clock.advance(seconds=1)

    pages = await _contacts(crm, since=START)

    emails = [c.email for p in pages for c in p]
    assert len(emails) == 10_450 and len(set(emails)) == 10_450
    searches = hub.calls_to("contacts.search")
    assert all(c.status == 200 for c in searches)  # never asked past the cap
    assert len(searches) <= 10_450 // 200 + 3
    floors = [c.body["filterGroups"][0]["filters"][0]["value"] for c in searches]
    assert len(set(floors)) == 2  # one restart, at the last date the first query reached


async def test_search_sorted_ascending_from_the_cursor_in_milliseconds(
    hub: HubSpotEmulator, crm: HubSpot, clock: Clock
) -> None:
    hub.add_contact({"email": "old@x.test"})
    cursor = clock.advance(minutes=1)
    hub.add_contact({"email": "new@x.test"})

    [[new]] = await _contacts(crm, since=cursor)

    assert new.email == "new@x.test" and new.modified_at == cursor
    body = hub.calls_to("contacts.search")[0].body
    [rule] = body["filterGroups"][0]["filters"]
    assert rule == {
        "propertyName": "lastmodifieddate",
        "operator": "GTE",
        "value": str(int(cursor.timestamp() * 1000)),
    }
    assert body["sorts"] == [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]


# limits and failures


async def test_429_waits_what_retry_after_says(
    hub: HubSpotEmulator, crm: HubSpot, waits: Waits
) -> None:
    hub.add_company({"name": "Acme"})
    hub.fail("companies.list", 429, times=2, retry_after=3)

    [[acme]] = await _companies(crm)

    assert acme.name == "Acme"
    assert waits.waits == [3.0, 3.0]
    assert [c.status for c in hub.calls_to("companies.list")] == [429, 429, 200, 200]


async def test_503_is_retried_then_gives_up_as_unavailable(
    hub: HubSpotEmulator, crm: HubSpot, waits: Waits
) -> None:
    hub.add_owner("a@x.test")
    hub.fail("owners.list", 503, times=1)
    assert len(await crm.owners()) == 1
    assert len(waits.waits) == 1

    hub.fail("owners.list", 503, times=50)
    with pytest.raises(CrmUnavailable):
        await crm.owners()


async def test_the_burst_window_is_kept_without_429s(hub: HubSpotEmulator) -> None:
    hub.rate_limit(max_calls=8, window_seconds=0.5)
    for n in range(2_000):
        hub.add_company({"name": f"Co {n}"})
    crm = HubSpot(token=TOKEN, base_url=hub.url)
    try:
        pages = await _companies(crm)
    finally:
        await crm.close()
    assert sum(len(p) for p in pages) == 2_000
    statuses = [c.status for c in hub.calls_to("companies.list")]
    assert statuses == [200] * 21  # 20 pages and the archived list, no 429 spent
    assert crm.calls == 21


async def test_rate_limit_headers_on_every_answer_but_search(hub: HubSpotEmulator) -> None:
    import aiohttp

    hub.rate_limit(max_calls=100, window_seconds=10)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(headers=auth) as http:
        async with http.get(hub.url + "/crm/v3/objects/companies") as listed:
            assert listed.headers["X-HubSpot-RateLimit-Max"] == "100"
            assert listed.headers["X-HubSpot-RateLimit-Remaining"] == "99"
            assert listed.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
        async with http.post(hub.url + "/crm/v3/objects/companies/search", json={}) as found:
            assert found.status == 200
            assert "X-HubSpot-RateLimit-Max" not in found.headers


async def test_a_bad_token_is_one_line_without_the_token(hub: HubSpotEmulator) -> None:
    crm = HubSpot(token="pat-na1-wrong-secret", base_url=hub.url)
    try:
        with pytest.raises(CrmSetupError) as refused:
            await crm.owners()
    finally:
        await crm.close()
    line = str(refused.value)
    assert "HUBSPOT_TOKEN" in line and "Private Apps" in line
    assert "wrong-secret" not in line and "\n" not in line
    assert hub.calls[-1].status == 401


async def test_a_missing_scope_is_named(clock: Clock) -> None:
    scopes = {"crm.objects.companies.read", "crm.objects.contacts.read"}
    async with HubSpotEmulator(scopes=scopes, clock=clock) as hub:
        crm = HubSpot(token=TOKEN, base_url=hub.url)
        try:
            with pytest.raises(CrmSetupError) as refused:
                await crm.owners()
        finally:
            await crm.close()
    line = str(refused.value)
    assert "crm.objects.owners.read" in line and "Scopes" in line and "\n" not in line
    assert TOKEN not in line


async def test_a_wrong_url_is_a_setup_error() -> None:
    crm = HubSpot(token=TOKEN, base_url="http://127.0.0.1:9")
    try:
        with pytest.raises(CrmSetupError, match="HUBSPOT_API_URL"):
            await crm.owners()
    finally:
        await crm.close()


def test_from_settings_uses_the_token_url_and_field_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRM", "hubspot")
    monkeypatch.setenv("HUBSPOT_TOKEN", "pat-na1-x")
    monkeypatch.setenv("HUBSPOT_API_URL", "http://127.0.0.1:1234")
    monkeypatch.setenv("CRM_FIELD_PLAN", "")
    monkeypatch.setenv("CRM_FIELD_HEALTH", "cs_health")
    crm = HubSpot.from_settings(load_settings())
    assert crm.http.base_url == "http://127.0.0.1:1234"
    assert crm.http.headers["Authorization"] == "Bearer pat-na1-x"
    assert crm.fields.plan == "" and crm.fields.health == "cs_health"
    assert crm.fields.arr == DEFAULT_FIELDS.arr == "annualrevenue"


# push


def _note(key: str = "case-1", contact: str | None = None, company: str | None = None) -> Note:
    return Note(
        key=key,
        title="Detractor: 3/10 from Bo Berg",
        body="Too slow & <buggy>\nhttps://voc.slack.test/archives/C1/p1",
        at=START,
        contact_id=contact,
        company_id=company,
    )


async def _set_up(crm: HubSpot) -> None:
    assert await crm.create_fields(PUSH_SPECS) == []


PUSH_SPECS = [
    FieldSpec(CrmObject.CONTACT, "voc_last_score", "number", "VoC last score"),
    FieldSpec(CrmObject.CONTACT, "voc_last_survey", "enumeration", "VoC last survey"),
    FieldSpec(CrmObject.CONTACT, "voc_last_answered_at", "datetime", "VoC last answered at"),
    FieldSpec(CrmObject.CONTACT, "voc_last_comment", "text", "VoC last comment"),
    FieldSpec(CrmObject.COMPANY, "voc_nps", "number", "VoC NPS (90 days)"),
    FieldSpec(CrmObject.COMPANY, "voc_open_cases", "number", "VoC open cases"),
]


async def test_update_writes_in_batches_of_100(hub: HubSpotEmulator, crm: HubSpot) -> None:
    await _set_up(crm)
    ids = [hub.add_contact({"email": f"c{n}@x.test"}) for n in range(250)]
    answered = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)

    await crm.update(
        CrmObject.CONTACT,
        {
            crm_id: {
                "voc_last_score": 3,
                "voc_last_answered_at": answered,
                "voc_last_comment": None,
            }
            for crm_id in ids
        },
    )

    batches = hub.calls_to("contacts.batch_update")
    assert [len(c.body["inputs"]) for c in batches] == [100, 100, 50]
    assert hub.writes_to("contacts", ids[0]) == [
        ("voc_last_score", "3"),
        ("voc_last_answered_at", "2026-03-02T10:30:00.000Z"),
        ("voc_last_comment", ""),
    ]
    assert await crm.read(CrmObject.CONTACT, ids[0], ("voc_last_score", "voc_last_comment")) == {
        "voc_last_score": "3",
        "voc_last_comment": None,
    }


async def test_read_of_a_deleted_record_is_none(hub: HubSpotEmulator, crm: HubSpot) -> None:
    company = hub.add_company({"name": "Acme"})
    hub.archive("companies", company)
    assert await crm.read(CrmObject.COMPANY, company, ("voc_nps",)) is None
    assert await crm.read(CrmObject.COMPANY, "999999", ("voc_nps",)) is None


async def test_an_unknown_property_names_what_to_do(hub: HubSpotEmulator, crm: HubSpot) -> None:
    contact = hub.add_contact({"email": "a@x.test"})
    with pytest.raises(CrmSetupError) as refused:
        await crm.update(CrmObject.CONTACT, {contact: {"voc_last_score": 9}})
    line = str(refused.value)
    assert "voc_last_score" in line and "python -m bot crm setup" in line and "\n" not in line
    assert hub.writes_to("contacts", contact) == []  # nothing half-written


async def test_an_unknown_mapped_property_names_its_setting(
    hub: HubSpotEmulator, waits: Waits
) -> None:
    company = hub.add_company({"name": "Acme"})
    crm = HubSpot(token=TOKEN, base_url=hub.url, fields=FieldMap(plan="tier"), sleep=waits)
    try:
        with pytest.raises(CrmSetupError, match="no company property 'tier': set CRM_FIELD_PLAN"):
            await crm.update(CrmObject.COMPANY, {company: {"tier": "Pro"}})
    finally:
        await crm.close()


async def test_find_contact_by_email(hub: HubSpotEmulator, crm: HubSpot) -> None:
    bo = hub.add_contact({"email": "bo@acme.test"})
    assert await crm.find_contact("Bo@Acme.test") == bo
    assert await crm.find_contact("nobody@acme.test") is None


async def test_a_note_lands_once_on_contact_and_company(hub: HubSpotEmulator, crm: HubSpot) -> None:
    await _set_up(crm)
    company = hub.add_company({"name": "Acme"})
    contact = hub.add_contact({"email": "bo@acme.test"}, company_id=company)

    first = await crm.add_note(_note(contact=contact, company=company))
    again = await crm.add_note(_note(contact=contact, company=company))

    assert first == again
    [note] = hub.notes()
    assert (note.contacts, note.companies) == ([contact], [company])
    body = note.properties["hs_note_body"]
    assert "<strong>Detractor: 3/10 from Bo Berg</strong>" in body
    assert "Too slow &amp; &lt;buggy&gt;<br>" in body
    assert '<a href="https://voc.slack.test/archives/C1/p1">' in body
    assert note.properties["hs_timestamp"] == "2026-03-01T09:00:00.000Z"
    assert len(hub.calls_to("notes.create")) == 1


async def test_a_note_without_its_key_property_says_run_setup(
    hub: HubSpotEmulator, crm: HubSpot
) -> None:
    with pytest.raises(CrmSetupError, match="voc_note_key.*python -m bot crm setup"):
        await crm.add_note(_note())
    assert hub.notes() == []


async def test_an_outcome_is_appended_once_and_a_note_deleted(
    hub: HubSpotEmulator, crm: HubSpot
) -> None:
    await _set_up(crm)
    note_id = await crm.add_note(_note())

    await crm.append_to_note(note_id, "Closed: called back, fixed")
    await crm.append_to_note(note_id, "Closed: called back, fixed")

    [note] = hub.notes()
    assert note.properties["hs_note_body"].count("Closed: called back, fixed") == 1
    assert await crm.delete_note(note_id) is True
    assert await crm.delete_note(note_id) is False
    assert hub.notes() == []


async def test_missing_names_each_absent_property(hub: HubSpotEmulator, waits: Waits) -> None:
    hub.remove_property("companies", "health")
    crm = HubSpot(token=TOKEN, base_url=hub.url, sleep=waits)
    try:
        health = FieldSpec(CrmObject.COMPANY, "health", "string", "Health")
        needed = [*PUSH_SPECS, health, NOTE_KEY_SPEC]
        problems = await crm.missing(needed)
        assert [(p.object, p.name, p.setting) for p in problems] == [
            *[(s.object, s.name, None) for s in PUSH_SPECS],
            (CrmObject.COMPANY, "health", "CRM_FIELD_HEALTH"),
            (CrmObject.NOTE, "voc_note_key", None),
        ]
        assert len(hub.calls_to("contacts.properties_read")) == 1

        assert await crm.create_fields(PUSH_SPECS) == []
        assert await crm.create_fields(PUSH_SPECS) == []  # a second run: all there already
        problems = await crm.missing(needed)
        assert [(p.name, p.setting) for p in problems] == [("health", "CRM_FIELD_HEALTH")]
    finally:
        await crm.close()
    created = hub.properties["contacts"]["voc_last_comment"]
    assert (created["type"], created["fieldType"], created["groupName"]) == (
        "string",
        "textarea",
        "voc",
    )
    assert "voc" in hub.groups["notes"]


async def test_create_fields_returns_what_hubspot_refused(
    hub: HubSpotEmulator, crm: HubSpot
) -> None:
    bad = FieldSpec(CrmObject.COMPANY, "hs_voc_reserved", "string", "Reserved")
    assert await crm.create_fields([bad, *PUSH_SPECS]) == [bad]
    assert "voc_nps" in hub.properties["companies"]


class Ticks:
    """Seconds on an injected clock that only a sleep moves: the connector's pacing is
    decided, and checked against the emulator's window, without waiting."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


async def test_search_keeps_to_its_own_lower_rate(clock: Clock) -> None:
    ticks = Ticks()
    async with HubSpotEmulator(clock=clock, ticks=ticks) as hub:
        hub.search_rate_limit(max_calls=3, window_seconds=0.3)
        for n in range(1_500):
            hub.add_contact({"email": f"c{n}@x.test"})
        crm = HubSpot(
            token=TOKEN, base_url=hub.url, search_rate=(3, 0.3), sleep=ticks.sleep, clock=ticks
        )
        try:
            pages = await _contacts(crm, since=START)
        finally:
            await crm.close()
        statuses = [c.status for c in hub.calls_to("contacts.search")]
    assert sum(len(p) for p in pages) == 1_500
    assert statuses == [200] * 8  # none refused by the emulator's window
    # three searches a window: the 4th and the 7th wait for it, with a tenth of it spare
    assert ticks.waits == [pytest.approx(0.33)] * 2


async def test_a_sleep_that_does_not_wait_never_spins(hub: HubSpotEmulator, waits: Waits) -> None:
    for n in range(1_000):
        hub.add_contact({"email": f"c{n}@x.test"})
    crm = HubSpot(token=TOKEN, base_url=hub.url, sleep=waits, search_rate=(2, 60.0))
    try:
        pages = await _contacts(crm, since=START)
    finally:
        await crm.close()
    assert sum(len(p) for p in pages) == 1_000
    assert len(waits.waits) == 3  # five searches, two a window: three waits, each once
