"""The rule that settles a survey email whose sender never recorded the server's answer."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services.email_survey import Verdict, verdict
from storage.models import SurveyLink

NOW = datetime(2026, 12, 6, 21, 0, tzinfo=UTC)


def _link(*, unanswered: int, token: str | None = "tok", accepted: bool = False) -> SurveyLink:
    return SurveyLink(
        token_hash="h",
        invitation_id=1,
        purpose="survey",
        created_at=NOW,
        message_id="<m@acme.test>",
        pending_token=token,
        unanswered=unanswered,
        accepted_at=NOW if accepted else None,
    )


def test_never_handed_over_is_sent() -> None:
    assert verdict(None) is Verdict.SEND


def test_one_lost_answer_is_sent_once_more_and_two_never_again() -> None:
    assert verdict(_link(unanswered=1)) is Verdict.RESEND
    assert verdict(_link(unanswered=2)) is Verdict.SENT


def test_accepted_or_without_its_token_counts_as_sent() -> None:
    assert verdict(_link(unanswered=0, token=None, accepted=True)) is Verdict.SENT
    assert verdict(_link(unanswered=1, token=None)) is Verdict.SENT  # written before 0018
