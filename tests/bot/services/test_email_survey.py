"""The email survey's SMTP target and message (bot/services/email_survey.py)."""

from __future__ import annotations

from bot.core.config import load_settings
from bot.services.email_survey import compose, smtp_target
from storage.models import Contact, Invitation

ON = {"email_from": "Acme <feedback@acme.com>", "public_url": "https://voc.acme.com/"}


def test_smtp_urls_choose_starttls_or_implicit_tls() -> None:
    plain = smtp_target("smtp://mailer:p%40ss@mail.acme.com")
    assert (plain.host, plain.port, plain.implicit_tls, plain.password) == (
        "mail.acme.com",
        587,
        False,
        "p@ss",
    )
    assert smtp_target("smtps://mail.acme.com").port == 465
    assert smtp_target("smtps://mail.acme.com").implicit_tls


def test_the_email_names_the_product_and_only_the_first_name() -> None:
    settings = load_settings(smtp_url="smtp://h", product_name="Acme Cloud", **ON)
    contact = Contact(id=1, email="ana@x.co", name="Ana Lim", account_id=1, locale="en")
    invitation = Invitation(id=7, contact_id=1, kind="csat", trigger="support", status="sending")
    message = compose(settings, invitation, contact, "tok")
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "How satisfied were you with the support you received?" in text
    assert "Hi Ana," in text and "Lim" not in text
    assert "https://voc.acme.com/s/tok?score=5" in text
