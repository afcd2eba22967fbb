"""The HubSpot emulator answers what HubSpot's API reference says, in its shapes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.devkit.hubspot_emulator import TOKEN, HubSpotEmulator


@pytest.fixture
async def hub() -> AsyncIterator[HubSpotEmulator]:
    async with HubSpotEmulator() as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as session:
        yield session


async def _send(
    http: aiohttp.ClientSession, method: str, url: str, body: Any = None
) -> tuple[int, Any, dict[str, str]]:
    async with http.request(method, url, json=body) as answer:
        payload = await answer.json() if answer.content_type == "application/json" else None
        return answer.status, payload, dict(answer.headers)


async def test_a_wrong_token_is_invalid_authentication(hub: HubSpotEmulator) -> None:
    async with aiohttp.ClientSession(headers={"Authorization": "Bearer nope"}) as http:
        status, body, _ = await _send(http, "GET", hub.url + "/crm/v3/owners")
    assert status == 401
    assert body["status"] == "error" and body["category"] == "INVALID_AUTHENTICATION"
    assert body["correlationId"] and body["message"]


async def test_a_missing_scope_names_it(http: aiohttp.ClientSession) -> None:
    async with HubSpotEmulator(scopes={"crm.objects.contacts.read"}) as hub:
        status, body, _ = await _send(
            http, "POST", hub.url + "/crm/v3/objects/contacts/batch/update", {"inputs": []}
        )
    assert status == 403 and body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.objects.contacts.write"]


async def test_lists_page_with_after_and_keep_archived_apart(
    hub: HubSpotEmulator, http: aiohttp.ClientSession
) -> None:
    ids = [hub.add_company({"name": f"Co {n}", "domain": f"{n}.test"}) for n in range(5)]
    hub.archive("companies", ids[1])
    url = hub.url + "/crm/v3/objects/companies?limit=2&properties=domain"

    _, first, _ = await _send(http, "GET", url)
    _, second, _ = await _send(http, "GET", url + "&after=" + first["paging"]["next"]["after"])
    _, archived, _ = await _send(http, "GET", url + "&archived=true")

    assert [r["id"] for r in first["results"]] == [ids[0], ids[2]]
    assert [r["id"] for r in second["results"]] == [ids[3], ids[4]]
    assert "paging" not in second
    assert first["results"][0]["properties"]["domain"] == "0.test"
    assert [(r["id"], r["archived"]) for r in archived["results"]] == [(ids[1], True)]
    assert "archivedAt" in archived["results"][0]


async def test_search_stops_at_10000_results(
    hub: HubSpotEmulator, http: aiohttp.ClientSession
) -> None:
    for n in range(10_100):
        hub.add_contact({"email": f"c{n}@x.test"})
    url = hub.url + "/crm/v3/objects/contacts/search"
    status, body, _ = await _send(http, "POST", url, {"limit": 200, "after": "9800"})
    assert status == 200 and body["total"] == 10_100
    assert body["paging"]["next"]["after"] == "10000"
    status, body, _ = await _send(http, "POST", url, {"limit": 200, "after": "10000"})
    assert status == 400 and body["category"] == "VALIDATION_ERROR"


async def test_search_filters_by_equality_case_insensitively(
    hub: HubSpotEmulator, http: aiohttp.ClientSession
) -> None:
    bo = hub.add_contact({"email": "bo@acme.test"})
    hub.add_contact({"email": "al@acme.test"})
    rule = {"propertyName": "email", "operator": "EQ", "value": "BO@acme.test"}
    _, body, _ = await _send(
        http,
        "POST",
        hub.url + "/crm/v3/objects/contacts/search",
        {"filterGroups": [{"filters": [rule]}], "properties": ["email"]},
    )
    assert [r["id"] for r in body["results"]] == [bo]


async def test_an_unknown_property_is_a_400_naming_it(
    hub: HubSpotEmulator, http: aiohttp.ClientSession
) -> None:
    contact = hub.add_contact({"email": "a@x.test"})
    status, body, _ = await _send(
        http,
        "POST",
        hub.url + "/crm/v3/objects/contacts/batch/update",
        {"inputs": [{"id": contact, "properties": {"voc_last_score": "9"}}]},
    )
    assert status == 400 and body["category"] == "VALIDATION_ERROR"
    assert "PROPERTY_DOESNT_EXIST" in body["message"]
    assert body["errors"][0]["context"]["propertyName"] == ["voc_last_score"]
    assert hub.writes_to("contacts", contact) == []


async def test_batches_take_at_most_100(hub: HubSpotEmulator, http: aiohttp.ClientSession) -> None:
    inputs = [{"id": str(n)} for n in range(101)]
    status, body, _ = await _send(
        http, "POST", hub.url + "/crm/v3/objects/companies/batch/read", {"inputs": inputs}
    )
    assert status == 400 and body["category"] == "VALIDATION_ERROR"


async def test_a_property_that_exists_is_a_409(
    hub: HubSpotEmulator, http: aiohttp.ClientSession
) -> None:
    prop = {"name": "voc_nps", "label": "VoC NPS", "type": "number", "fieldType": "number"}
    url = hub.url + "/crm/v3/properties/companies"
    status, _, _ = await _send(http, "POST", url, {**prop, "groupName": "voc"})
    assert status == 400  # the group does not exist yet
    group = {"name": "voc", "label": "VoC bot"}
    assert (await _send(http, "POST", url + "/groups", group))[0] == 201
    assert (await _send(http, "POST", url, {**prop, "groupName": "voc"}))[0] == 201
    status, body, _ = await _send(http, "POST", url, {**prop, "groupName": "voc"})
    assert status == 409 and body["category"] == "OBJECT_ALREADY_EXISTS"


async def test_the_burst_limit_answers_429_with_retry_after(
    hub: HubSpotEmulator, http: aiohttp.ClientSession
) -> None:
    hub.rate_limit(max_calls=2, window_seconds=30)
    url = hub.url + "/crm/v3/owners"
    answers = [await _send(http, "GET", url) for _ in range(3)]
    assert [a[0] for a in answers] == [200, 200, 429]
    assert [a[2]["X-HubSpot-RateLimit-Remaining"] for a in answers] == ["1", "0", "0"]
    assert 1 <= int(answers[2][2]["Retry-After"]) <= 30
    assert answers[2][1]["category"] == "RATE_LIMITS"


async def test_search_has_its_own_lower_limit(
    hub: HubSpotEmulator, http: aiohttp.ClientSession
) -> None:
    hub.search_rate_limit(max_calls=1, window_seconds=30)
    url = hub.url + "/crm/v3/objects/contacts/search"
    assert (await _send(http, "POST", url, {}))[0] == 200
    status, _, headers = await _send(http, "POST", url, {})
    assert status == 429 and "Retry-After" in headers
    assert (await _send(http, "GET", hub.url + "/crm/v3/objects/contacts"))[0] == 200


async def test_a_delayed_write_lands_before_its_late_answer(
    hub: HubSpotEmulator, http: aiohttp.ClientSession
) -> None:
    hub.add_property("contacts", "voc_last_score", "number")
    contact = hub.add_contact({"email": "a@x.test"})
    hub.delay("contacts.update", 30)
    url = f"{hub.url}/crm/v3/objects/contacts/{contact}"
    sent = asyncio.create_task(_send(http, "PATCH", url, {"properties": {"voc_last_score": 4}}))
    while not hub.calls_to("contacts.update"):
        await asyncio.sleep(0.01)
    sent.cancel()  # the client gives up (or dies) while the answer is held
    assert hub.writes_to("contacts", contact) == [("voc_last_score", "4")]


async def test_notes_associate_to_contact_and_company(
    hub: HubSpotEmulator, http: aiohttp.ClientSession
) -> None:
    company = hub.add_company({"name": "Acme"})
    contact = hub.add_contact({"email": "a@x.test"}, company_id=company)

    def to(target: str, kind: int) -> dict[str, Any]:
        return {
            "to": {"id": target},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": kind}],
        }

    url = hub.url + "/crm/v3/objects/notes"
    props = {"hs_note_body": "<p>hi</p>", "hs_timestamp": "2026-03-01T09:00:00.000Z"}
    status, body, _ = await _send(
        http,
        "POST",
        url,
        {"properties": props, "associations": [to(contact, 202), to(company, 190)]},
    )
    assert status == 201
    [note] = hub.notes()
    assert (note.id, note.contacts, note.companies) == (body["id"], [contact], [company])
    status, _, _ = await _send(
        http, "POST", url, {"properties": props, "associations": [to(company, 202)]}
    )
    assert status == 400  # 202 points at a contact
    status, _, _ = await _send(http, "POST", url, {"properties": {"hs_note_body": "x"}})
    assert status == 400  # hs_timestamp is required
