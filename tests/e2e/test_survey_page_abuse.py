"""The survey page against hostile clients: forged X-Forwarded-For, files, slow forms."""

from __future__ import annotations

import asyncio
from ipaddress import ip_network

import aiohttp
import pytest

from bot.core.runtime import Runtime
from handlers.web import bodies
from handlers.web.survey_page import PER_ADDRESS
from storage.models import Response
from tests.e2e import test_email_surveys as emails
from tests.e2e.test_email_surveys import ANA, _count, _csrf, _emailed
from tests.e2e.test_slow_bodies import dribble
from tests.mail import SmtpServer, score_links
from tests.seed import Person

pytestmark = pytest.mark.postgres
smtp, mail_rt, browser = emails.smtp, emails.mail_rt, emails.browser  # the same fixtures


async def _statuses(browser: aiohttp.ClientSession, base: str, forwarded: list[str]) -> list[int]:
    """GET a made-up link once per X-Forwarded-For value; the answers' statuses."""
    statuses = []
    for i, hops in enumerate(forwarded):
        async with browser.get(f"{base}/s/guess-{i}", headers={"X-Forwarded-For": hops}) as got:
            statuses.append(got.status)
    return statuses


async def test_a_rotated_x_forwarded_for_from_an_untrusted_peer_stays_limited(
    mail_rt: Runtime, browser: aiohttp.ClientSession
) -> None:
    base = mail_rt.settings.public_url or ""
    forged = [f"203.0.113.{i % 250}, 198.51.{i // 250}.{i % 250}" for i in range(PER_ADDRESS + 1)]
    statuses = await _statuses(browser, base, forged)
    assert statuses[:PER_ADDRESS] == [404] * PER_ADDRESS  # made-up links, each a new address
    assert statuses[-1] == 429  # yet one peer: counted as one


async def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client(
    mail_rt: Runtime, browser: aiohttp.ClientSession
) -> None:
    base = mail_rt.settings.public_url or ""
    # the app's peer (127.0.0.1) is the load balancer, behind it an internal proxy tier
    mail_rt.settings.trusted_proxies = (ip_network("127.0.0.1"), ip_network("10.0.0.0/8"))
    # the client writes what it likes on the left; the proxies append who they saw
    chains = [f"192.0.2.{i % 250}, 198.51.100.7, 10.0.0.{i % 3}" for i in range(PER_ADDRESS + 1)]
    statuses = await _statuses(browser, base, chains)
    assert statuses[-2:] == [404, 429]  # 198.51.100.7, however its chain was dressed
    assert await _statuses(browser, base, ["198.51.100.8, 10.0.0.1"]) == [404]  # another one
    assert await _statuses(browser, base, ["198.51.100.7"]) == [429]


async def test_a_file_in_the_comment_field_is_a_400_and_nothing_is_stored(
    mail_rt: Runtime, smtp: SmtpServer, browser: aiohttp.ClientSession
) -> None:
    await _emailed(mail_rt, Person(ANA))
    link = score_links(smtp.messages[0])[9]
    async with browser.get(link) as response:
        csrf = _csrf(await response.text())
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("score", "9")
    form.add_field("comment", b"MZ\x90\x00 not a comment", filename="c.exe",
                   content_type="application/octet-stream")  # fmt: skip
    async with browser.post(link, data=form) as response:
        assert response.status == 400
        assert "FileField" not in await response.text()
    assert await _count(mail_rt, Response) == 0
    text_only = aiohttp.FormData({"csrf": csrf, "score": "9"})
    text_only.add_field("comment", "Fast support", content_type="text/plain")  # multipart
    async with browser.post(link, data=text_only) as response:
        assert response.status == 200, await response.text()
    assert await _count(mail_rt, Response) == 1


async def test_a_form_that_dribbles_in_is_cut_off_with_408(
    mail_rt: Runtime, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bodies, "BODY_TIMEOUT", 0.5)
    await _emailed(mail_rt, Person(ANA))
    link = score_links(smtp.messages[0])[9]
    base, path = link.split("/s/")
    answer = await asyncio.wait_for(dribble(base, asyncio.Event(), "/s/" + path), 10)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:60]
    assert await _count(mail_rt, Response) == 0
