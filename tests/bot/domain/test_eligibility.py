from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.eligibility import skip_reason
from bot.domain.vocabulary import SkipReason

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("relationship", [True, False])
def test_a_contact_never_surveyed_may_be(relationship: bool) -> None:
    reason = skip_reason(opted_out=False, last_surveyed=None, relationship=relationship, now=NOW)
    assert reason is None


@pytest.mark.parametrize("last", [None, NOW - timedelta(days=400)])
def test_an_opted_out_contact_is_skipped_whenever_last_surveyed(last: datetime | None) -> None:
    reason = skip_reason(opted_out=True, last_surveyed=last, relationship=True, now=NOW)
    assert reason is SkipReason.OPTED_OUT


@pytest.mark.parametrize(
    ("relationship", "window"), [(True, timedelta(days=90)), (False, timedelta(days=7))]
)
def test_fatigue_lasts_the_window_of_the_family_inclusive(
    relationship: bool, window: timedelta
) -> None:
    def reason(ago: timedelta) -> SkipReason | None:
        return skip_reason(
            opted_out=False, last_surveyed=NOW - ago, relationship=relationship, now=NOW
        )

    assert reason(timedelta(0)) is SkipReason.FATIGUE
    assert reason(window) is SkipReason.FATIGUE
    assert reason(window + timedelta(seconds=1)) is None


@pytest.mark.parametrize("relationship", [True, False])
def test_a_contact_gone_from_the_crm_is_never_surveyed_again(relationship: bool) -> None:
    reason = skip_reason(
        opted_out=False, last_surveyed=None, relationship=relationship, now=NOW, active=False
    )
    assert reason is SkipReason.INACTIVE
