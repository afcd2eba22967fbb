"""Tagging feedback with themes: keyword rules in English and Malay, kept as data.

A rule fires when any of its phrases occurs in the text, or when a word from each group of
one of its `together` pairs occurs (e.g. "support" … "slow"), unless one of its `unless`
phrases occurs. Text is compared in `name_key` form: case, accents and punctuation do not
matter. A phrase ending in `*` matches as a word prefix ("crash*" → crashes, crashed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.names import name_key
from storage.models import InsightType, Theme


@dataclass(frozen=True)
class Rule:
    theme: Theme
    phrases: tuple[str, ...]
    together: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    unless: tuple[str, ...] = field(default=())


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split("|"))


_SUPPORT = ("support", "helpdesk", "help desk", "ticket*", "agent*", "sokongan", "tiket", "ejen")

RULES: tuple[Rule, ...] = (
    Rule(
        Theme.PRODUCT_BUG,
        _words(
            "bug* | crash* | broken | error* | glitch* | fails | failed | failing | "
            "not working | doesnt work | does not work | stopped working | ralat | rosak | "
            "tergendala | pepijat | tidak berfungsi | tak berfungsi | tak jalan | gagal"
        ),
    ),
    Rule(
        Theme.MISSING_FEATURE,
        _words(
            "missing | wish* | would like | feature request | please add | lack* | "
            "no way to | cannot yet | need a way | want a | ciri baru | tiada ciri | "
            "tidak ada ciri | perlukan ciri | mahu ciri | harap ada | tolong tambah"
        ),
    ),
    Rule(
        Theme.USABILITY,
        _words(
            "confus* | clunky | complicated | cumbersome | hard to use | hard to find | "
            "difficult to use | too many clicks | not intuitive | unintuitive | ui | ux | "
            "mengelirukan | keliru | rumit | susah guna | susah digunakan | "
            "sukar digunakan | sukar dicari | leceh"
        ),
    ),
    Rule(
        Theme.PERFORMANCE,
        _words(
            "slow | slowly | sluggish | lag* | latency | timeout* | timed out | "
            "takes forever | load time | loading | perlahan | lembap | lambat dimuatkan"
        ),
        unless=_SUPPORT,
    ),
    Rule(
        Theme.SLOW_SUPPORT,
        _words(
            "slow support | slow response* | slow to respond | slow to reply | no reply | "
            "no response | still waiting | waited | response time | took days | "
            "lambat balas | lambat membalas | lambat respon* | lambat menjawab | "
            "masih menunggu | tiada jawapan | tiada balasan | sokongan lambat"
        ),
        together=((_SUPPORT, ("slow", "wait*", "days", "weeks", "lambat", "menunggu", "berhari")),),
    ),
    Rule(
        Theme.UNHELPFUL_SUPPORT,
        _words(
            "unhelpful | not helpful | didnt help | did not help | rude | no solution | "
            "couldnt solve | could not solve | tidak membantu | tak membantu | "
            "kurang membantu | biadap | biadab | tiada penyelesaian"
        ),
        together=((_SUPPORT, ("useless", "clueless", "ignored", "kasar", "tak guna")),),
    ),
    Rule(
        Theme.ONBOARDING,
        _words(
            "onboard* | getting started | setup | set up | implementation | training | "
            "kickoff | permulaan | penyediaan | latihan | pengenalan"
        ),
    ),
    Rule(
        Theme.DOCUMENTATION,
        _words(
            "doc | docs | documentation | manual* | guide* | tutorial* | help article* | "
            "knowledge base | dokumentasi | panduan | manual pengguna"
        ),
    ),
    Rule(
        Theme.PRICING,
        _words(
            "pric* | expensive | cost* | billing | invoice* | discount* | too much | "
            "harga | mahal | kos | bayaran | yuran | diskaun | caj"
        ),
    ),
    Rule(
        Theme.COMPETITOR,
        _words(
            "competitor* | switch to | switching to | moving to | alternative* | pesaing | "
            "beralih ke | tukar ke | pindah ke"
        ),
    ),
    Rule(
        Theme.INTEGRATIONS,
        _words(
            "integrat* | api | apis | webhook* | salesforce | hubspot | zapier | "
            "connector* | sync* | integrasi | penyepaduan | sambungan"
        ),
    ),
    Rule(
        Theme.PRAISE,
        _words(
            "love* | great | excellent | awesome | amazing | fantastic | thank you | "
            "thanks | very helpful | well done | bagus | terbaik | hebat | cemerlang | "
            "mantap | terima kasih | sangat membantu | suka"
        ),
        unless=("not great", "not good", "tidak bagus", "tak bagus", "kurang bagus", "tak suka"),
    ),
)

# The type someone chose says the theme outright; service issues are split by keywords.
TYPE_THEMES: dict[str, Theme] = {
    InsightType.BUG: Theme.PRODUCT_BUG,
    InsightType.FEATURE_REQUEST: Theme.MISSING_FEATURE,
    InsightType.DOCS_GAP: Theme.DOCUMENTATION,
    InsightType.PRICING: Theme.PRICING,
    InsightType.COMPETITOR: Theme.COMPETITOR,
    InsightType.PRAISE: Theme.PRAISE,
}


def tag(text: str) -> set[Theme]:
    """The themes the keyword rules find in `text` (English or Malay)."""
    padded = f" {name_key(text)} "
    return {rule.theme for rule in RULES if _fires(rule, padded)}


def tag_insight(text: str, insight_type: str | None = None) -> set[Theme]:
    """Themes for an insight: the keyword rules plus the one its type names."""
    themes = tag(text)
    if insight_type in TYPE_THEMES:
        themes.add(TYPE_THEMES[insight_type])
    return themes


def _fires(rule: Rule, padded: str) -> bool:
    if any(_has(padded, phrase) for phrase in rule.unless):
        return False
    if any(_has(padded, phrase) for phrase in rule.phrases):
        return True
    return any(
        any(_has(padded, a) for a in first) and any(_has(padded, b) for b in second)
        for first, second in rule.together
    )


def _has(padded: str, phrase: str) -> bool:
    if phrase.endswith("*"):
        return f" {phrase[:-1]}" in padded
    return f" {phrase} " in padded
