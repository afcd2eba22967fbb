from __future__ import annotations

import pytest

from bot.core.config import load_settings
from bot.domain.errors import ConfigError


def test_zendesk_is_off_until_its_three_settings_are_given() -> None:
    settings = load_settings()
    assert not settings.zendesk_on and settings.zendesk_survey_every == 1
    settings = load_settings(
        zendesk_url="https://acme.zendesk.com/",
        zendesk_email="voc@acme.com",
        zendesk_token="zd-secret-token",
    )
    assert settings.zendesk_on and settings.zendesk_url == "https://acme.zendesk.com"
    assert "zd-secret-token" not in repr(settings)


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"zendesk_url": "https://acme.zendesk.com"}, "ZENDESK_EMAIL is missing"),
        ({"zendesk_url": "acme.zendesk.com"}, "e.g. https://acme.zendesk.com"),
        ({"zendesk_survey_every": "0"}, "ZENDESK_SURVEY_EVERY"),
        (
            {"zendesk_email": "voc@acme.com", "zendesk_token": "zd-secret-token"},
            "ZENDESK_URL is missing",
        ),
    ],
)
def test_a_half_set_or_malformed_zendesk_stops_with_one_line(
    given: dict[str, str], words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(**given)
    assert words in str(caught.value) and "\n" not in str(caught.value)
    assert "zd-secret-token" not in str(caught.value)
