from __future__ import annotations

import pytest

from bot.domain.health import health_band


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, "at risk"),
        (39.9, "at risk"),
        (40, "watch"),
        (69.9, "watch"),
        (70, "healthy"),
        (100, "healthy"),
    ],
)
def test_each_score_falls_in_one_band_at_its_edges(score: float, band: str) -> None:
    assert health_band(score) == band
