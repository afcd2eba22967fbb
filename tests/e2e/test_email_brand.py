"""The brand on survey emails: sender name, subject template, headers (a real SMTP server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy import update

from bot.core.config import load_settings
from bot.core.runtime import Runtime
from bot.domain.errors import ConfigError
from bot.scheduler import drain
from bot.services.surveys import start_relationship_campaign
from storage.models import Contact
from tests.mail import SmtpServer, html_part, smtp_server, text_part
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
ANA, SITI = "ana@acme.test", "siti@acme.test"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def branded(rt: Runtime, smtp: SmtpServer, app_url: str) -> Runtime:
    settings = rt.settings
    settings.smtp_url = SecretStr(smtp.url())
    settings.email_from = "feedback@acme.test"
    settings.public_url = app_url
    settings.product_name = "Acme Cloud"
    settings.brand_name = "Acme"
    settings.brand_logo_url = "https://cdn.acme.test/logo.png"
    settings.brand_color = "#c2410c"
    settings.email_from_name = "Acme Customer Success"
    settings.email_subject = {
        "en": "{first_name}, how is {product} working for {company}?",
        "ms": "{first_name}, bagaimana {product} untuk {company}?",
    }
    return rt


async def _send(rt: Runtime, *people: Person, name: str) -> None:
    ids = await add_people(rt.db, *people)
    async with rt.db.transaction() as session:
        await session.execute(update(Contact).where(Contact.id.in_(ids)).values(name=name))
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)


async def test_a_branded_email_has_the_sender_subject_headers_and_both_parts(
    branded: Runtime, smtp: SmtpServer
) -> None:
    await _send(
        branded,
        Person(ANA, account="Globex"),
        Person(SITI, account="Globex", locale="ms-MY"),
        name="Ana Lim",
    )
    [english] = smtp.captured.to(ANA)
    [malay] = smtp.captured.to(SITI)
    assert english["From"] == "Acme Customer Success <feedback@acme.test>"
    assert english["Subject"] == "Ana, how is Acme Cloud working for Globex?"
    assert malay["Subject"] == "Ana, bagaimana Acme Cloud untuk Globex?"
    for message in (english, malay):
        assert message["Date"] and message["Message-ID"].endswith("@acme.test>")
        assert message.get_content_type() == "multipart/alternative"
        assert message["List-Unsubscribe"].strip().startswith("<http")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert text_part(message) and html_part(message)
    html = html_part(english)
    assert '<img src="https://cdn.acme.test/logo.png" alt="Acme"' in html
    assert "border:1px solid #c2410c" in html


async def test_a_name_with_a_line_break_cannot_add_a_header(
    branded: Runtime, smtp: SmtpServer
) -> None:
    await _send(
        branded,
        Person(ANA, account="Globex\r\nX-Injected: yes"),
        name="Ana\r\nBcc: mallory@evil.test",
    )
    [message] = smtp.messages
    assert smtp.captured.recipients == [[ANA]]
    assert message["Bcc"] is None and message["X-Injected"] is None
    subject = message["Subject"]
    assert "\r" not in subject and "\n" not in subject
    assert subject == "Ana, how is Acme Cloud working for Globex X-Injected: yes?"


def test_a_subject_template_with_a_line_break_or_an_unknown_field_is_refused() -> None:
    with pytest.raises(ConfigError, match="EMAIL_SUBJECT.*line breaks"):
        load_settings(email_subject="Hello\r\nBcc: mallory@evil.test")
    with pytest.raises(ConfigError, match=r"EMAIL_SUBJECT.*\{plan\}"):
        load_settings(email_subject="{plan} survey")
    with pytest.raises(ConfigError, match="BRAND_COLOR"):
        load_settings(brand_color="red;background:url(x)")
    per_language = load_settings(email_subject='{"en": "Hi {first_name}", "ms": "Hai"}')
    assert per_language.email_subject == {"en": "Hi {first_name}", "ms": "Hai"}
    assert load_settings(email_subject="{product}: a question").email_subject == {
        "*": "{product}: a question"
    }
