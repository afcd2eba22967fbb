"""Triage's grammar and rules: `request ID …`, `theme THEME STATE`, who is told by default,
figures with too few answers, the months of the roll-up."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.admin_commands import (
    RequestShow,
    RequestStateChange,
    RequestTellCustomers,
    ThemeStateChange,
    Words,
    parse_request,
    parse_theme,
)
from bot.domain.errors import UserError
from bot.domain.triage import (
    Figure,
    first_working_day,
    month_before,
    month_named,
    nps_figure,
    owners_of,
    share_figure,
    tells,
    unowned,
)
from bot.domain.voc_command import split_command
from bot.domain.vocabulary import RequestStatus as S
from bot.domain.vocabulary import Theme


def request(text: str) -> object:
    return parse_request(Words.from_slack(text))


@pytest.mark.parametrize(
    ("typed", "asked"),
    [
        ("12", RequestShow(12)),
        ("#12", RequestShow(12)),
        ("12 planned", RequestStateChange(12, S.PLANNED)),
        ('12 planned "in Q3"', RequestStateChange(12, S.PLANNED, "in Q3")),
        ("12 under review", RequestStateChange(12, S.UNDER_REVIEW)),
        ("12 In Progress sprint 4", RequestStateChange(12, S.IN_PROGRESS, "sprint 4")),
        ("12 known issue", RequestStateChange(12, S.KNOWN_ISSUE)),
        ("12 declined --tell “not now”", RequestStateChange(12, S.DECLINED, "not now", True)),
        ("12 shipped --quiet", RequestStateChange(12, S.SHIPPED, None, False)),
        ("12 fixed", RequestStateChange(12, S.SHIPPED)),
        ("12 new", RequestStateChange(12, S.NEW)),
        ("12 tell-customers", RequestTellCustomers(12)),
        ("12 tell-customers off", RequestTellCustomers(12, on=False)),
    ],
)
def test_request_forms(typed: str, asked: object) -> None:
    assert request(typed) == asked


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("", "Type the request's number from `/voc requests`"),
        ("SSO planned", "`SSO` is not a request number"),
        ("12 maybe", "`maybe` is not a state. The states: `new`, `under review`, `planned`"),
        ("12 planned --tell --quiet", "Say `--tell` or `--quiet`, not both."),
    ],
)
def test_request_mistakes_say_what_to_type(typed: str, said: str) -> None:
    with pytest.raises(UserError, match=None) as raised:
        request(typed)
    assert said in str(raised.value)


def test_theme_forms_and_mistakes() -> None:
    assert parse_theme(Words.from_slack('slow support known issue "hiring"')) == (
        ThemeStateChange(Theme.SLOW_SUPPORT, S.KNOWN_ISSUE, "hiring")
    )
    assert parse_theme(Words.from_slack("Pricing fixed")) == ThemeStateChange(
        Theme.PRICING, S.SHIPPED
    )
    with pytest.raises(UserError, match="`slowness` is not a theme"):
        parse_theme(Words.from_slack("slowness fixed"))
    with pytest.raises(UserError, match="Name the theme, then its state"):
        parse_theme(Words.from_slack("slow support"))


def test_request_and_theme_are_verbs_unless_they_name_an_account() -> None:
    assert split_command("request 12 planned") == ("request", "12 planned")
    assert split_command("Theme Co: they want dark mode") == ("", "Theme Co: they want dark mode")


def test_who_is_told_by_default() -> None:
    told = {state for state in S if tells(state, None)}
    assert told == {S.PLANNED, S.SHIPPED, S.KNOWN_ISSUE}
    assert tells(S.DECLINED, True) and not tells(S.PLANNED, False)


def test_figures_below_five_answers_are_too_few() -> None:
    assert nps_figure(3, 1, 1) == Figure(40.0, 5) and not nps_figure(3, 1, 1).too_few
    assert nps_figure(3, 0, 1).too_few and nps_figure(0, 0, 0) == Figure(None, 0)
    assert share_figure(1, 4).too_few and share_figure(2, 8) == Figure(0.25, 8)


def test_months() -> None:
    assert month_named("2026-11") == (2026, 11)
    for bad in ("2026-13", "Nov", "26-11", "2026-1x"):
        with pytest.raises(UserError, match="is not a month: type it as YYYY-MM"):
            month_named(bad)
    assert month_before(date(2026, 1, 5)) == (2025, 12)
    assert first_working_day(2026, 11) == date(2026, 11, 2)  # the 1st is a Sunday
    assert first_working_day(2026, 12) == date(2026, 12, 1)


def test_owners() -> None:
    owners = {"slow support": ("U1", "S2"), "pricing": ("U1",)}
    assert owners_of(["pricing", "slow support"], owners) == ("U1", "S2")
    assert unowned(["pricing", "praise", "usability"], owners) == ["praise", "usability"]
