"""The contacts CSV's cells and lines, read without a database (bot/domain/contacts_csv.py).

The import's end-to-end behaviour (what is written, what is refused) is in
tests/bot/services/test_importer.py; here each cell rule is checked on its own.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.domain.contacts_csv import InvalidCell, parse, parse_cell

TODAY = date(2026, 11, 24)

ACCEPTED: list[tuple[str, str, Any]] = [
    ("email", " Ana@Acme.TEST", "ana@acme.test"),
    ("account", "Acme Inc.", ("Acme Inc.", "acme inc")),
    ("slack_user_id", "U012AB3CD", "U012AB3CD"),
    ("csm", "W0ABC", "W0ABC"),
    ("slack_channel", "C0ACMESHARED", "C0ACMESHARED"),
    ("arr", "12000", 12000.0),
    ("arr", "12,000.50", 12000.5),
    ("arr", "$12,000", 12000.0),
    ("arr", "$ 1 200", 1200.0),
    ("customer_since", "2024-01-31", date(2024, 1, 31)),
    ("customer_since", "2026-11-24", date(2026, 11, 24)),
    ("locale", "ms_my", "ms-MY"),
    ("locale", "en-gb", "en-GB"),
    ("locale", "zh-hant-tw", "zh-Hant-TW"),
    ("locale", "es-419", "es-419"),
    ("segment", "Mid Market", "mid-market"),
    ("health", "RED", "red"),
    ("name", "Ana Lima", "Ana Lima"),
]

REFUSED: list[tuple[str, str, str]] = [
    ("email", "", "email is empty"),
    ("email", "ana.acme.test", 'email "ana.acme.test" is not an email address'),
    ("account", "", "account is empty"),
    ("account", "!!!", 'account "!!!" has no letters or digits'),
    ("slack_user_id", "u012ab3cd", 'slack_user_id "u012ab3cd" is not a Slack user id'),
    ("csm", "C0ACMESHARED", 'csm "C0ACMESHARED" is not a Slack user id'),
    ("slack_channel", "#acme", 'slack_channel "#acme" is not a Slack channel id'),
    ("arr", "-5", 'arr "-5" is negative'),
    ("arr", "12.000,50", 'arr "12.000,50" is not an amount'),
    ("arr", "1,20", 'arr "1,20" is not an amount'),
    ("customer_since", "31/01/2024", 'customer_since "31/01/2024" is not a date'),
    ("customer_since", "2024-02-30", 'customer_since "2024-02-30" is not a date'),
    ("customer_since", "2026-11-25", "customer_since 2026-11-25 is in the future"),
    ("locale", "english", 'locale "english" is not a language tag'),
    ("segment", "huge", 'segment "huge" is not one of'),
    ("health", "purple", 'health "purple" is not one of'),
    ("name", "Ana\nLima", "name runs over several lines"),
    ("industry", "x" * 101, "industry is longer than 100 characters"),
]


@pytest.mark.parametrize(("column", "text", "value"), ACCEPTED)
def test_a_cell_is_read_into_its_value(column: str, text: str, value: Any) -> None:
    assert parse_cell(column, text, TODAY) == value


@pytest.mark.parametrize(("column", "text", "says"), REFUSED)
def test_a_bad_cell_says_what_to_write(column: str, text: str, says: str) -> None:
    with pytest.raises(InvalidCell) as refused:
        parse_cell(column, text, TODAY)
    assert str(refused.value).startswith(says)


def test_the_lines_are_checked_against_each_other() -> None:
    rows, errors = parse(
        "email,account,segment\n"
        "ana@acme.test,Acme,smb\n"
        "ana@acme.test,Acme,smb\n"
        "bo@acme.test,ACME,enterprise\n",
        today=TODAY,
    )
    assert [row.line for row in rows] == [2, 3, 4]
    assert [str(error) for error in errors] == [
        "line 3: email ana@acme.test is already on line 2; keep one line per contact",
        'line 4: account "ACME" has segment "enterprise" here but "smb" on line 2; '
        "give it one value (or leave one empty)",
    ]


def test_a_header_only_file_names_what_to_add() -> None:
    assert [str(e) for e in parse("email,account\n", today=TODAY)[1]] == [
        "line 1: the file has only a header; add one contact per line"
    ]
