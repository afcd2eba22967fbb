"""Email settings: validated, blank means unset, and the SMTP password is never shown."""

from __future__ import annotations

import pytest

from bot.core.config import load_settings, redact_url
from bot.domain.errors import ConfigError
from bot.services.email_survey import enabled

ON = {"email_from": "Acme <feedback@acme.com>", "public_url": "https://voc.acme.com/"}


def test_email_is_off_until_smtp_url_is_set_and_blank_is_unset() -> None:
    assert not enabled(load_settings(smtp_url="", public_url="", email_from=""))
    settings = load_settings(smtp_url="smtp://u:p@mail.acme.com:587", **ON)
    assert enabled(settings) and settings.public_url == "https://voc.acme.com"


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"smtp_url": "http://mail.acme.com", **ON}, "use smtp://user:pass@host:587"),
        ({"smtp_url": "smtp://mail.acme.com"}, "EMAIL_FROM is not set"),
        ({"smtp_url": "smtp://mail.acme.com", "email_from": "a@b.co"}, "PUBLIC_URL is not set"),
        ({"public_url": "voc.acme.com"}, "use the address respondents' browsers reach"),
        ({"email_from": "feedback"}, "use an address such as"),
    ],
)
def test_bad_email_settings_say_what_to_write(overrides: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        load_settings(**overrides)


def test_the_smtp_password_never_appears_in_an_error_or_the_settings_repr() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(smtp_url="smtpx://mailer:hunter2-secret@mail.acme.com", **ON)
    assert "hunter2-secret" not in str(caught.value) and "mail.acme.com" in str(caught.value)
    settings = load_settings(smtp_url="smtps://mailer:hunter2-secret@mail.acme.com", **ON)
    assert "hunter2-secret" not in repr(settings)
    assert redact_url("smtp://mailer:pw@h:25") == "smtp://mailer:***@h:25"
