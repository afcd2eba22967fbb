"""The push's pure rules: which values a contact gets, and when the CRM already shows them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.config import Settings
from bot.services.crm_push import already_written, contact_values

AT = datetime(2026, 11, 24, 9, 30, 15, 123456, tzinfo=UTC)
SETTINGS = Settings(slack_bot_token="xoxb-test")


def _values(comment: str | None = "Slow exports", score: int = 3) -> dict[str, object]:
    return contact_values(SETTINGS, "nps", score, AT, comment, AT)


def test_the_comment_is_blank_past_retain_comments() -> None:
    keep = Settings(slack_bot_token="xoxb-test", retain_comments=timedelta(days=30))
    assert contact_values(keep, "nps", 3, AT, "why", AT + timedelta(days=29))["voc_last_comment"]
    assert contact_values(keep, "nps", 3, AT, "why", AT + timedelta(days=31)) == {
        "voc_last_score": 3,
        "voc_last_survey": "nps",
        "voc_last_answered_at": AT,
        "voc_last_comment": None,
    }


def test_the_same_answer_in_either_crms_shape_is_already_written() -> None:
    hubspot = {
        "voc_last_score": "3",
        "voc_last_answered_at": "2026-11-24T09:30:15.123Z",
        "voc_last_comment": "Slow exports",
    }
    salesforce = {
        "voc_last_score": 3.0,
        "voc_last_answered_at": "2026-11-24T09:30:15.123+0000",
        "voc_last_comment": "Slow exports",
    }
    millis = {**hubspot, "voc_last_answered_at": str(int(AT.timestamp() * 1000))}
    for current in (hubspot, salesforce, millis):
        assert already_written(current, _values())


def test_a_different_comment_or_nothing_yet_is_written() -> None:
    current = {
        "voc_last_score": "3",
        "voc_last_answered_at": "2026-11-24T09:30:15.123Z",
        "voc_last_comment": None,
    }
    assert not already_written(current, _values())  # the comment came since
    assert not already_written({}, _values())
    assert not already_written({"voc_last_answered_at": "not a date"}, _values())


def test_a_newer_answer_in_the_crm_is_never_overwritten_an_older_one_is() -> None:
    newer = {"voc_last_score": "9", "voc_last_answered_at": "2026-11-25T00:00:00Z"}
    older = {"voc_last_score": "9", "voc_last_answered_at": "2026-11-23T00:00:00Z"}
    assert already_written(newer, _values())
    assert not already_written(older, _values())
