"""The verdict next to every figure, at each edge of its bands."""

from __future__ import annotations

import pytest

from bot.domain.verdicts import (
    DEFAULT_BANDS,
    ces_verdict,
    csat_verdict,
    followup_verdict,
    nps_verdict,
    parse_bands,
    response_alert,
    response_verdict,
)


@pytest.mark.parametrize(
    ("nps", "verdict"),
    [
        (-100, "needs attention"),
        (-0.1, "needs attention"),
        (0, "fair"),
        (29.9, "fair"),
        (30, "good"),
        (49.9, "good"),
        (50, "excellent"),
        (70, "excellent"),
        (70.1, "world-class"),
        (100, "world-class"),
    ],
)
def test_nps_bands(nps: float, verdict: str) -> None:
    assert nps_verdict(nps) == verdict


@pytest.mark.parametrize(
    ("share", "mean", "verdict"),
    [
        (0.80, None, "healthy"),
        (0.799, None, "fair"),
        (0.70, None, "fair"),
        (0.699, None, "a problem"),
        (None, 4.0, "healthy"),
        (None, 3.99, "fair"),
        (None, 3.5, "fair"),
        (None, 3.49, "a problem"),
        (0.75, 4.0, "healthy"),  # either test of "healthy" is enough
        (0.75, 3.4, "a problem"),
        (0.80, 3.0, "healthy"),
    ],
)
def test_csat_bands_by_share_satisfied_or_mean(
    share: float | None, mean: float | None, verdict: str
) -> None:
    assert csat_verdict(share, mean) == verdict


@pytest.mark.parametrize(
    ("share", "verdict"),
    [(0.80, "healthy"), (0.799, "fair"), (0.70, "fair"), (0.699, "a problem"), (0, "a problem")],
)
def test_ces_bands_by_share_answering_5_to_7(share: float, verdict: str) -> None:
    assert ces_verdict(share) == verdict


@pytest.mark.parametrize(
    ("share", "verdict", "alert"),
    [
        (0.20, "healthy", False),
        (0.199, "low", False),
        (0.15, "low", False),
        (0.149, "too low to trust", True),
        (0, "too low to trust", True),
    ],
)
def test_response_rate_bands_and_the_alert(share: float, verdict: str, alert: bool) -> None:
    assert response_verdict(share) == verdict
    assert response_alert(share) is alert


def test_no_rate_raises_no_alert() -> None:
    assert response_alert(None) is False


@pytest.mark.parametrize(
    ("share", "verdict"), [(0.80, "on target"), (0.799, "below target"), (1, "on target")]
)
def test_follow_up_completion_target(share: float, verdict: str) -> None:
    assert followup_verdict(share) == verdict


def test_bands_are_overridden_by_name_and_the_rest_keep_their_defaults() -> None:
    bands = parse_bands("nps_good=25, response_too_low=10")
    assert nps_verdict(25, bands) == "good" and nps_verdict(25) == "fair"
    assert response_verdict(0.12, bands) == "low"
    assert bands.csat_healthy == DEFAULT_BANDS.csat_healthy
    assert parse_bands("") == DEFAULT_BANDS


@pytest.mark.parametrize(
    ("text", "says"), [("nps_great=1", "unknown band 'nps_great'"), ("nps_good=x", "a number")]
)
def test_a_wrong_band_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_bands(text)
