"""The Zendesk connector against the local emulator: the export's pages and cursor, a
ticket with its people and metrics, the note and tag, and Zendesk's refusals."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from pydantic import SecretStr

from bot.connectors.zendesk import Zendesk
from bot.core.config import Settings
from bot.devkit.clock import FakeClock
from bot.devkit.zendesk_emulator import EMAIL, TOKEN, ZendeskEmulator
from bot.domain.errors import CrmSetupError, CrmUnavailable


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def zd(clock: FakeClock) -> AsyncIterator[ZendeskEmulator]:
    async with ZendeskEmulator(clock=clock, page_size=2) as running:
        yield running


def _client(zd: ZendeskEmulator, token: str = TOKEN, path: str = "") -> Zendesk:
    settings = Settings(
        zendesk_url=zd.url + path, zendesk_email=EMAIL, zendesk_token=SecretStr(token)
    )
    return Zendesk.from_settings(settings, sleep=_no_wait)


async def _no_wait(_seconds: float) -> None:
    return None


async def test_the_export_pages_with_its_cursor_and_reads_a_solved_ticket(
    zd: ZendeskEmulator, clock: FakeClock
) -> None:
    ana = zd.add_user("Ana", "ana@acme.test")
    sam = zd.add_user("Sam", "sam@support.test", role="agent")
    group, form = zd.add_group("Billing"), zd.add_form("Refund")
    tickets = [zd.add_ticket(requester=ana, assignee=sam, group=group, form=form) for _ in "abc"]
    zd.solve(tickets[1], minutes=75)
    clock.advance(timedelta(minutes=2))
    client = _client(zd)
    try:
        first = await client.export(cursor=None, start_time=clock() - timedelta(days=1))
        assert first.tickets == ((1, "open"), (3, "open")) and not first.end_of_stream
        second = await client.export(cursor=first.after_cursor, start_time=clock())
        assert second.tickets == ((2, "solved"),) and second.end_of_stream  # solved last
        third = await client.export(cursor=second.after_cursor, start_time=clock())
        assert third.tickets == () and third.end_of_stream
        ticket = await client.ticket(tickets[1])
        assert ticket is not None and ticket.solved
        assert (ticket.requester_email, ticket.agent, ticket.group) == (
            "ana@acme.test",
            "Sam",
            "Billing",
        )
        assert (ticket.issue_type, ticket.resolution_minutes) == ("Refund", 75)
        assert await client.ticket(99) is None
    finally:
        await client.close()


async def test_the_note_is_private_tagged_and_found_again(zd: ZendeskEmulator) -> None:
    ticket = zd.add_ticket(requester=zd.add_user("Ana", "ana@acme.test"))
    client = _client(zd)
    try:
        assert not await client.has_note(ticket, marker="answer 7", tag="voc_csat_4")
        zd.fail("ticket.update", 429, times=2, retry_after=0)
        assert await client.add_note(ticket, body="4 of 5\nanswer 7", tag="voc_csat_4")
        assert zd.notes(ticket) == ["4 of 5\nanswer 7"]
        assert zd.tickets[ticket]["tags"] == ["voc_csat_4"]
        assert await client.has_note(ticket, marker="answer 7", tag="voc_csat_4")
        zd.solve(ticket, minutes=5, status="closed")
        assert not await client.add_note(ticket, body="again", tag="voc_csat_4")
        zd.fail("ticket.update", 503, times=7)
        with pytest.raises(CrmUnavailable):
            await client.add_note(ticket, body="again", tag="voc_csat_4")
    finally:
        await client.close()


async def test_bad_credentials_and_an_unknown_account_name_the_setting(
    zd: ZendeskEmulator, clock: FakeClock
) -> None:
    for client, words in (
        (_client(zd, token="wrong"), "check ZENDESK_EMAIL and ZENDESK_TOKEN"),
        (_client(zd, path="/elsewhere"), "check ZENDESK_URL"),
    ):
        with pytest.raises(CrmSetupError) as caught:
            await client.export(cursor=None, start_time=clock() - timedelta(days=1))
        await client.close()
        assert words in str(caught.value) and "wrong" not in str(caught.value)


async def test_the_emulator_refuses_malformed_updates_as_zendesk_does(
    zd: ZendeskEmulator, clock: FakeClock
) -> None:
    ticket = zd.add_ticket(requester=zd.add_user("Ana", "ana@acme.test"))
    login = base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()
    url = f"{zd.url}/api/v2/tickets/{ticket}.json"
    async with aiohttp.ClientSession(headers={"Authorization": f"Basic {login}"}) as session:
        for body, status, error in (
            (b"{not json", 400, "Unprocessable Entity"),
            (b'{"comment": {"body": "x"}}', 400, "InvalidValue"),
            (b'{"ticket": {"comment": {"body": " ", "public": false}}}', 422, "RecordInvalid"),
        ):
            headers = {"Content-Type": "application/json"}
            async with session.put(url, data=body, headers=headers) as answer:
                assert answer.status == status
                assert (await answer.json())["error"] == error
        start = int(clock().timestamp())  # within the last minute: too recent
        export = f"{zd.url}/api/v2/incremental/tickets/cursor.json?start_time={start}"
        async with session.get(export) as answer:
            assert answer.status == 400 and "Too recent" in (await answer.json())["description"]
    assert zd.notes(ticket) == []
