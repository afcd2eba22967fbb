"""THEME_OWNERS: theme → Slack users or user groups; a bad entry stops start-up, named."""

from __future__ import annotations

import pytest

from bot.core.config import load_settings
from bot.domain.errors import ConfigError


def test_owners_are_read_per_theme(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THEME_OWNERS", " Slow  Support=U0AB12, pricing=S0PM1,slow support=W22AB,")
    assert load_settings().theme_owners == {
        "slow support": ("U0AB12", "W22AB"),
        "pricing": ("S0PM1",),
    }


def test_unset_or_blank_means_nobody_owns_a_theme(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().theme_owners == {}
    monkeypatch.setenv("THEME_OWNERS", "")
    assert load_settings().theme_owners == {}


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (
            "slowness=U0AB12",
            "`slowness=U0AB12`: `slowness` is not a theme (the themes: product bug",
        ),
        ("pricing=bob", "`pricing=bob`: `bob` is not a Slack user id (U…) or user group id (S…)"),
        ("pricing", "`pricing` is not theme=USERID (e.g. `slow support=U0123ABCD`)"),
        ("pricing=U0AB12,=U0CD34", "`=U0CD34` is not theme=USERID"),
    ],
)
def test_a_bad_entry_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, value: str, said: str
) -> None:
    monkeypatch.setenv("THEME_OWNERS", value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert str(raised.value).startswith(f"THEME_OWNERS={value!r} is not valid: ")
    assert said in str(raised.value)
