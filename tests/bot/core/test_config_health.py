from __future__ import annotations

import pytest

from bot.core.config import load_settings
from bot.domain.errors import ConfigError


def test_health_settings_default_and_tune_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert (settings.health_drop, settings.health_floor, settings.health_weights) == (15, 40, None)
    monkeypatch.setenv("HEALTH_WEIGHTS", "nps=50, usage=0")
    weights = load_settings().health_weights
    assert weights is not None and weights["nps"] == 50 and weights["usage"] == 0
    assert weights["cases"] == 15  # the default, not named


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("HEALTH_WEIGHTS", "mood=5", "HEALTH_WEIGHTS"),
        ("HEALTH_WEIGHTS", "nps=lots", "names: nps, nps_trend"),
        ("HEALTH_DROP", "0", "HEALTH_DROP"),
        ("HEALTH_FLOOR", "101", "HEALTH_FLOOR"),
    ],
)
def test_a_malformed_health_setting_stops_with_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, words: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert words in str(caught.value) and "\n" not in str(caught.value)
