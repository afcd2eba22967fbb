from __future__ import annotations

import string

import pytest

from blocks.catalog import CATALOG, language, t


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("code", sorted(set(CATALOG) - {"en"}))
def test_every_language_has_every_message_with_the_same_placeholders(code: str) -> None:
    english, other = CATALOG["en"], CATALOG[code]
    assert set(other) == set(english), "translate the missing keys, drop the stale ones"
    for key, text in english.items():
        assert _fields(other[key]) == _fields(text), key


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("ms-MY", "ms"),
        ("ms_MY", "ms"),
        ("MS", "ms"),
        ("en-GB", "en"),
        ("ja-JP", "en"),
        (None, "en"),
    ],
)
def test_slack_locales_map_to_a_catalog(locale: str | None, expected: str) -> None:
    assert language(locale) == expected


def test_a_malay_user_reads_malay_and_a_japanese_user_reads_english() -> None:
    assert (
        t("ms-MY", "modal.submit") == CATALOG["ms"]["modal.submit"] != CATALOG["en"]["modal.submit"]
    )
    assert t("ja-JP", "modal.submit") == CATALOG["en"]["modal.submit"]
