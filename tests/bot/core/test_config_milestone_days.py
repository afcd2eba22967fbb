"""MILESTONE_DAYS: which days after a milestone ask a survey (bot/core/config.py)."""

from __future__ import annotations

import pytest

from bot.core.config import load_settings
from bot.domain.errors import ConfigError


def test_the_days_default_to_30_60_90(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MILESTONE_DAYS", raising=False)
    assert load_settings().milestone_days == (30, 60, 90)


@pytest.mark.parametrize(
    ("value", "days"),
    [
        ("14,45", (14, 45)),
        (" 90 , 30 ", (30, 90)),
        ("365", (365,)),
        ("1,2,3,4,5,6", (1, 2, 3, 4, 5, 6)),
    ],
)
def test_the_days_are_read_sorted(
    monkeypatch: pytest.MonkeyPatch, value: str, days: tuple[int, ...]
) -> None:
    monkeypatch.setenv("MILESTONE_DAYS", value)
    assert load_settings().milestone_days == days


@pytest.mark.parametrize(
    "value", ["30d,60d", "0,30", "366", "30,30", "1,2,3,4,5,6,7", "thirty", "30,,60", "-30"]
)
def test_bad_days_name_the_setting_and_the_form(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("MILESTONE_DAYS", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("MILESTONE_DAYS")
    assert "e.g. 30,60,90" in message
