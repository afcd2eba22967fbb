"""Parsing what people type after /voc: subcommands and the one-line form."""

from __future__ import annotations

import pytest

from bot.domain.errors import UserError
from bot.domain.voc_command import Draft, parse_line, parse_period, split_command
from bot.domain.vocabulary import InsightSource, InsightType, Sentiment


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("", "")),
        ("  help ", ("help", "")),
        ("ACCOUNT  Ácme, Inc.", ("account", "Ácme, Inc.")),
        ("themes 30d", ("themes", "30d")),
        ("Help Scout: hi", ("", "Help Scout: hi")),  # help takes nothing: an account
        ("help: hi", ("", "help: hi")),
        ("account Co: hi", ("account", "Co: hi")),  # the verb wins
        ("Acme: help", ("", "Acme: help")),
    ],
)
def test_split_command(text: str, expected: tuple[str, str]) -> None:
    assert split_command(text) == expected


def test_a_plain_line_is_a_call_with_type_other() -> None:
    assert parse_line("Acme:  they liked the demo ") == Draft("Acme", "they liked the demo")


def test_tags_are_taken_out_and_everything_else_kept_exactly() -> None:
    draft = parse_line('Acme Inc: #qbr they want  SSO, "now" #feature:"Single sign-on"  ok')
    assert draft.text == 'they want  SSO, "now"  ok'
    assert (draft.type, draft.source, draft.feature) == (
        InsightType.FEATURE_REQUEST,
        InsightSource.QBR,
        "Single sign-on",
    )
    assert draft.mood is Sentiment.NEUTRAL


def test_a_feature_request_without_a_name_has_none_here() -> None:
    draft = parse_line("Acme: they want SSO #request")
    assert (draft.type, draft.feature) == (InsightType.FEATURE_REQUEST, None)


def test_tags_are_case_insensitive_and_words_with_hash_inside_stay() -> None:
    draft = parse_line("Acme: ticket #123 and C# issues #BUG #Email #Positive")
    assert draft.text == "ticket #123 and C# issues"
    assert (draft.type, draft.source, draft.mood) == (
        InsightType.BUG,
        InsightSource.EMAIL,
        Sentiment.POSITIVE,
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("no colon here #bug", "Start with the account"),
        (": no account", "Start with the account"),
        ("Acme:   #bug", "Write what the customer said"),
        ("Acme: x #bug #praise", "Pick one type"),
        ("Acme: x #call #qbr", "Pick one source"),
        ("Acme: x #competitor", "Name the competitor"),
        ("Acme: x #competitor:" + "z" * 201, "at most 200"),
        ("Acme: x #feature:" + "z" * 201, "1 to 200"),
        ("Acme: x #sso", "I don't know the tag #sso"),
        ("Acme: x #qbr:yes", "takes no name"),
    ],
)
def test_bad_lines_say_what_to_type(line: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_line(line)


@pytest.mark.parametrize(("text", "days"), [("", 90), ("30d", 30), ("7 days", 7), ("365D", 365)])
def test_periods(text: str, days: int) -> None:
    assert parse_period(text) == days


@pytest.mark.parametrize("text", ["0d", "366d", "month", "30"])
def test_bad_periods(text: str) -> None:
    with pytest.raises(UserError, match="30d or 90d"):
        parse_period(text)
