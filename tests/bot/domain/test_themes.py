"""Keyword rules for themes, in English and Malay."""

from __future__ import annotations

import pytest

from bot.domain.lexicon import ENTRIES
from bot.domain.themes import read, tag, tag_insight
from bot.domain.vocabulary import InsightType, Sentiment, Theme

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

    assert {theme for entry in ENTRIES for theme in entry.themes} == set(Theme)
    for entry in ENTRIES:
        for word in entry.words:
            assert name_key(word.rstrip("*")) == word.rstrip("*"), entry.phrase


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sistem asyik hang bila buka laporan", {T.PERFORMANCE}),
        ("Dashboards take ages to open on Mondays", {T.PERFORMANCE}),
        ("The screen freezes whenever I print an invoice", {T.PERFORMANCE}),
        ("Honestly the onboarding was not confusing at all", {T.ONBOARDING}),
        ("The annual contract does not work for a startup like us", {T.PRICING}),
        ("We are switching to Freshdesk when the contract ends", {T.COMPETITOR}),
        ("great but expensive", {T.PRAISE, T.PRICING}),
        ("Sistem lambat-lambat bila ramai guna", {T.PERFORMANCE}),
        ("Laporan jualan tidak dikemaskini dengan betul", {T.PRODUCT_BUG}),
        ("Support is slooow, days for a simple question", {T.SLOW_SUPPORT}),
        ("Dashbaord is confusing for new staff", {T.USABILITY}),
    ],
)
def test_the_misreadings_reported_in_issue_16(text: str, expected: set[Theme]) -> None:
    assert tag(text) == expected


def test_negation_contrast_and_sentiment() -> None:
    assert read("It is not slow at all").sentiment == Sentiment.POSITIVE
    assert read("Not great, honestly").sentiment == Sentiment.NEGATIVE
    assert read("Great product but expensive").sentiment == Sentiment.NEUTRAL
    assert read("Tiada dokumentasi untuk eksport").themes == {T.DOCUMENTATION}


def test_signals_keep_the_phrase_that_raised_them() -> None:
    churn = read("We are switching to Freshdesk when the contract ends").signals
    assert [(s.kind, s.phrase) for s in churn] == [("churn risk", "switching to")]
    grow = read("Jabatan kewangan pun nak guna").signals
    assert [(s.kind, s.phrase) for s in grow] == [("expansion", "pun nak guna")]


def test_a_lone_weak_word_is_marked_weak() -> None:
    reading = read("Lambat nak buka")
    assert reading.themes == {T.PERFORMANCE}
    assert reading.weak == {T.PERFORMANCE}
    assert read("Sistem sangat perlahan").weak == set()
