"""The services' errors carry facts and are worded by the message catalog, in English for
the CLI (`str`) and in the person's language where the edge knows it (`told`)."""

from __future__ import annotations

import pytest

from blocks.catalog import CATALOG
from bot.domain import user_errors
from bot.domain.errors import UserError, VocError
from bot.domain.user_errors import (
    NoContacts,
    NoSuchAccount,
    NotALink,
    SeveralAccounts,
    SlackDidNotSay,
    UnknownExportFormat,
)


@pytest.mark.parametrize(
    ("error", "english"),
    [
        (NoSuchAccount(shown="Acm", near=[]), 'No account matches "Acm".'),
        (
            NoSuchAccount(shown="Acm", near=["Acme", "Acme Asia"]),
            'No account matches "Acm". Did you mean: Acme, Acme Asia?',
        ),
        (
            SeveralAccounts(shown="Ac", names=["Acme", "Acorn"], more=3),
            '"Ac" matches several accounts: Acme, Acorn and 3 more. Type more of the name.',
        ),
        (
            NoContacts(segment="smb"),
            "No contacts in segment smb. Import them first: vocbot import contacts FILE.csv",
        ),
        (
            NoContacts(),
            "No contacts. Import them first: vocbot import contacts FILE.csv",
        ),
        (
            UnknownExportFormat("xml"),
            "Unknown format 'xml': use --format csv or --format jsonl.",
        ),
        (
            NotALink("https://a<b"),
            '"https://a&lt;b" is not a link. Write it like '
            "`/voc ship SSO https://docs.example.com/sso`.",
        ),
        (SlackDidNotSay(who="us"), "Slack did not answer who we are; try again in a minute."),
    ],
)
def test_an_error_says_in_english_what_it_said_before(error: VocError, english: str) -> None:
    assert str(error) == english == error.told(None) == error.told("en-GB")


def test_the_same_error_is_told_in_malay() -> None:
    error = NoSuchAccount(shown="Acm", near=["Acme"])
    assert error.told("ms-MY") == 'Tiada akaun sepadan dengan "Acm". Maksud anda: Acme?'
    assert str(error).startswith("No account matches")  # the CLI's stays English


def test_an_error_without_a_key_keeps_its_message() -> None:
    assert str(UserError("typed as is")) == "typed as is"


def test_every_key_an_error_names_is_in_both_languages() -> None:
    keys = {key for key in CATALOG["en"] if key.startswith("error.")}
    named = {
        value.key
        for value in vars(user_errors).values()
        if isinstance(value, type) and issubclass(value, VocError) and value.key
    }
    assert named <= keys
    for key in keys:
        assert key in CATALOG["ms"], key
