"""Keyword rules for themes, in English and Malay."""

from __future__ import annotations

import pytest

from bot.domain.themes import RULES, tag, tag_insight
from storage.models import InsightType, Theme

T = Theme


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The app crashes every time I export", {T.PRODUCT_BUG}),
        ("Aplikasi rosak dan ada ralat", {T.PRODUCT_BUG}),
        ("We wish it had SSO", {T.MISSING_FEATURE}),
        ("Harap ada ciri baru untuk laporan", {T.MISSING_FEATURE}),
        ("The settings are confusing", {T.USABILITY}),
        ("Antara muka ini sangat mengelirukan", {T.USABILITY}),
        ("Dashboards are SLOW to load", {T.PERFORMANCE}),
        ("Sistem sangat perlahan", {T.PERFORMANCE}),
        ("Support took days to answer my ticket", {T.SLOW_SUPPORT}),
        ("Sokongan lambat, saya masih menunggu", {T.SLOW_SUPPORT}),
        ("The support agent was rude", {T.UNHELPFUL_SUPPORT}),
        ("Pasukan sokongan tidak membantu", {T.UNHELPFUL_SUPPORT}),
        ("Onboarding was a mess", {T.ONBOARDING}),
        ("Latihan untuk pasukan kami kurang", {T.ONBOARDING}),
        ("The docs are out of date", {T.DOCUMENTATION}),
        ("Tiada dokumentasi untuk eksport", {T.DOCUMENTATION}),
        ("Way too expensive for us", {T.PRICING}),
        ("Harga terlalu mahal", {T.PRICING}),
        ("We are switching to a competitor", {T.COMPETITOR}),
        ("Kami mungkin beralih ke pesaing", {T.COMPETITOR}),
        ("The Salesforce integration drops fields", {T.INTEGRATIONS}),
        ("Integrasi dengan HubSpot", {T.INTEGRATIONS}),
        ("We love it, great job", {T.PRAISE}),
        ("Produk terbaik, terima kasih!", {T.PRAISE}),
        ("Not great, honestly", set()),
        ("Nothing to add", set()),
        ("", set()),
    ],
)
def test_rules_tag_english_and_malay(text: str, expected: set[Theme]) -> None:
    assert tag(text) == expected


def test_case_accents_and_punctuation_do_not_matter() -> None:
    assert tag("CRÀSHÉS!!! …and the DOCS, too") == {T.PRODUCT_BUG, T.DOCUMENTATION}


def test_words_match_whole_words_or_marked_prefixes() -> None:
    assert tag("the kosher deli") == set()  # "kos" is a word, not a prefix
    assert tag("crashed twice") == {T.PRODUCT_BUG}  # "crash*" is a prefix


def test_one_comment_can_carry_several_themes() -> None:
    text = "Slow support, and the pricing is too high. Also the API fails."
    assert tag(text) == {T.SLOW_SUPPORT, T.PRICING, T.INTEGRATIONS, T.PRODUCT_BUG}


def test_a_type_adds_its_theme() -> None:
    assert tag_insight("they want SSO", InsightType.FEATURE_REQUEST) == {T.MISSING_FEATURE}
    assert tag_insight("hello", InsightType.SERVICE_ISSUE) == set()
    assert tag_insight("hello", None) == set()


def test_every_theme_has_a_rule_and_phrases_are_in_key_form() -> None:
    from bot.domain.names import name_key

    assert {rule.theme for rule in RULES} == set(Theme)
    for rule in RULES:
        for phrase in rule.phrases + rule.unless:
            assert name_key(phrase.rstrip("*")) == phrase.rstrip("*"), phrase
