"""Jira settings: all four or none, a site URL and a project key, the token never shown."""

from __future__ import annotations

import pytest

from bot.core.config import load_settings
from bot.domain.errors import ConfigError

ON = {
    "jira_url": "https://acme.atlassian.net/",
    "jira_email": "voc@acme.com",
    "jira_token": "ATATT-secret-token",
    "jira_project": "prod",
}


def test_jira_is_off_until_set_and_on_with_all_four() -> None:
    assert not load_settings(jira_url="", jira_push_arr=None).jira_on
    settings = load_settings(**ON, jira_push_arr="100000")
    assert settings.jira_on and settings.jira_url == "https://acme.atlassian.net"
    assert (settings.jira_project, settings.jira_push_arr) == ("PROD", 100_000)


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({**ON, "jira_token": ""}, "JIRA_URL is set but JIRA_TOKEN is not"),
        ({"jira_project": "PROD"}, "JIRA_PROJECT is set but JIRA_URL is not"),
        ({**ON, "jira_url": "acme.atlassian.net"}, "e.g. https://acme.atlassian.net"),
        ({**ON, "jira_project": "my project"}, "the project's key as Jira shows it"),
        ({**ON, "jira_push_arr": "-5"}, "JIRA_PUSH_ARR"),
    ],
)
def test_bad_jira_settings_say_what_to_write(overrides: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError, match=says) as caught:
        load_settings(**overrides)
    assert "ATATT-secret-token" not in str(caught.value)
