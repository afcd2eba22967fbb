"""Campaign ids and moved due times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.campaigns import (
    CampaignId,
    audience_record,
    check_future,
    moved_due,
    parse_at,
    parse_id,
)
from bot.domain.errors import UserError

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def test_ids_name_a_send_or_an_autopilot() -> None:
    assert parse_id("3") == CampaignId(3)
    assert parse_id("A1") == CampaignId(1, autopilot=True)
    assert str(parse_id("autopilot-2")) == "A2"
    with pytest.raises(UserError, match="is not a campaign id"):
        parse_id("three")


def test_a_time_is_read_as_a_local_time() -> None:
    assert parse_at("2026-12-08 09:30") == datetime(2026, 12, 8, 9, 30)
    assert parse_at("2026-12-08") == datetime(2026, 12, 8, 9, 0)
    with pytest.raises(UserError, match="not a time"):
        parse_at("tomorrow")
    with pytest.raises(UserError, match="has passed"):
        check_future(datetime(2026, 11, 24, 9, 0), NOW)


def test_the_new_due_time_is_each_contacts_own_and_stays_in_their_window() -> None:
    at = datetime(2026, 12, 8, 9, 30)  # a Tuesday
    assert moved_due(at, None, NOW) == datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
    assert moved_due(at, "Asia/Kuala_Lumpur", NOW) == datetime(2026, 12, 8, 1, 30, tzinfo=UTC)
    saturday = datetime(2026, 12, 12, 10, 0)
    assert moved_due(saturday, None, NOW) == datetime(2026, 12, 15, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("segment", "account", "email", "recorded"),
    [
        (None, None, None, "everyone"),
        ("smb", None, None, "segment smb"),
        (None, " Acme ", None, "account Acme"),
        (None, "Acme", "ana@acme.test", "one contact"),  # an email is never recorded
    ],
)
def test_a_send_records_whom_it_asked_without_an_email(
    segment: str | None, account: str | None, email: str | None, recorded: str
) -> None:
    assert audience_record(segment, account, email) == recorded
