"""Email addresses: the fast path for everyday ASCII addresses gives what email-validator
gives, and leaves everything else to it."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.names import InvalidEmail, parse_email, plain_address


def _validated(text: str) -> str | None:
    """What the bot stored before the fast path: email-validator's address, lower-cased."""
    try:
        checked = validate_email(text.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        return None
    return checked.normalized.lower()


ADDRESSES = st.from_regex(
    r"\s?[A-Za-z0-9._+\-]{0,12}@[A-Za-z0-9.\-]{0,14}\.(com|io|test|local|invalid|co1|c|example)\s?",
    fullmatch=True,
)


@settings(max_examples=3000, deadline=None)
@given(ADDRESSES)
def test_the_fast_path_gives_what_email_validator_gives(text: str) -> None:
    plain = plain_address(text)
    if plain is not None:
        assert plain == _validated(text)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        (" Ana.Souza+vip@Acme.COM ", "ana.souza+vip@acme.com"),
        ("p1@c1.test", "p1@c1.test"),
        ("a_b@sub.example.io", "a_b@sub.example.io"),
    ],
)
def test_everyday_addresses_take_the_fast_path(text: str, stored: str) -> None:
    assert plain_address(text) == stored == parse_email(text)


@pytest.mark.parametrize(
    "text",
    ["erased-7@erased.invalid", "x@printer.local", "a..b@x.com", "a@x-.com", "ü@x.com", "a@b.c"],
)
def test_anything_else_is_left_to_email_validator(text: str) -> None:
    assert plain_address(text) is None
    try:
        assert parse_email(text) == _validated(text)
    except InvalidEmail:
        assert _validated(text) is None


def _key_the_long_way(name: str) -> str:
    """name_key as it is for any text: Unicode marks and categories, letter by letter."""
    from bot.domain import names

    folded = names._without_marks(names._without_marks(name).casefold())
    spaced = "".join(
        " " if names._is_separator(char) else char for char in folded.translate(names._APOSTROPHES)
    )
    return " ".join(spaced.split())


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=30))
def test_an_ascii_name_gets_the_key_the_unicode_rules_give(name: str) -> None:
    from bot.domain.names import name_key

    assert name_key(name) == _key_the_long_way(name)


def test_ascii_and_accented_spellings_share_a_key() -> None:
    from bot.domain.names import name_key

    assert name_key("Acme, Inc.") == name_key("acme inc") == name_key("ÀCME  Inc") == "acme inc"
    assert name_key("O'Reilly & Sons") == name_key("OReilly  Sons") == "oreilly sons"
