"""The words and phrases the theme, sentiment and signal rules look for, kept as data.

Each line of a group is "phrase | phrase | …" in token form (see `bot.domain.wording`): a
phrase's words match a token's written form or one of its stems, and a word ending in `*`
matches as a prefix ("crash*" → crashes). A group names its themes, its polarity (-1 a
problem, 0 a topic, +1 a good word), an optional signal, and whether a lone word of it is
only a weak hint. The longest phrase wins where two overlap, so "would love" (a wish) hides
"love" (praise) and "not helpful" hides "helpful".

Support is judged in context: a clause naming support (`SUPPORT`) with a waiting word
(`SLOW_HINTS`) is slow support, with a rude or useless word (`UNHELPFUL_HINTS`, or a denied
`FAILED_HINTS` word) unhelpful support; a slow word there is about support, not performance.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.vocabulary import Theme


@dataclass(frozen=True)
class Entry:
    """One phrase: the themes it raises, how it leans, the signal it raises, how sure it is."""

    words: tuple[str, ...]
    themes: frozenset[Theme]
    polarity: int
    signal: str | None = None
    weak: bool = False

    @property
    def phrase(self) -> str:
        return " ".join(self.words)


CHURN = "churn risk"
EXPANSION = "expansion"
NEGATORS = frozenset(
    "not no never tidak bukan tiada nothing nobody without tanpa hardly isnt wasnt arent "
    "dont doesnt didnt".split()
)
NEGATION_REACH = 3  # a negator this many words before a phrase denies it
QUESTION_WORDS = frozenset({"boleh"})  # "boleh tak …?" asks, it does not deny

SUPPORT: tuple[str, ...]
SUPPORT = ("support", "helpdesk", "help desk", "ticket*", "agent*", "sokongan", "tiket", "ejen")
SUPPORT += ("bantuan",)
SLOW_HINTS = (
    "slow | slower | lambat | wait* | tunggu | days | week | weeks | month | seminggu | "
    "sebulan | berhari | hari | lama | chase | gets back | on time | respon"
)
UNHELPFUL_HINTS = (
    "rude | useless | clueless | ignored | kasar | biadap | biadab | dismissive | canned | "
    "pasted | our fault | closed the ticket | tidak guna"
)
FAILED_HINTS = "solve* | understand* | faham | selesai* | peduli | help | helped | bantu | membantu"

T = Theme
_GROUPS: tuple[tuple[tuple[Theme, ...], int, str | None, bool, str], ...] = (
    # Product bugs.
    (
        (T.PRODUCT_BUG,),
        -1,
        None,
        False,
        "bug | bugs | buggy | crash* | broken | error* | glitch* | fails | failed | failing | "
        "not working | doesnt work | does not work | dont work | stopped working | isnt working | "
        "disappear* | vanish* | logging me out | logs me out | does nothing | returns nothing | "
        "cuts off | dont add up | ralat | rosak | tergendala | pepijat | tidak berfungsi | "
        "tidak jalan | gagal | tutup sendiri | tersangkut | tidak keluar | tidak sampai | "
        "tidak kemaskini | skrin putih | jadi putih",
    ),
    ((T.PRODUCT_BUG,), -1, None, True, "fail | wrong | salah | hilang"),
    # Not bugs: a plan that "does not work for us" is about the deal.
    ((), -1, None, False, "does not work for | doesnt work for | dont work for"),
    # Missing features: wishes are neutral, a missing must-have is a problem.
    (
        (T.MISSING_FEATURE,),
        0,
        None,
        False,
        "wish* | would like | would love | would be great | would be nice | feature request | "
        "please add | add function | lack* | need a way | any plans for | does it support | "
        "ciri baru | perlukan ciri | perlukan fungsi | mahu ciri | nak ciri | harap ada | "
        "harap boleh | tolong tambah | boleh tambah | kalau ada | alangkah baiknya",
    ),
    (
        (T.MISSING_FEATURE,),
        -1,
        None,
        False,
        "no way to | missing | still no | deal breaker | tiada cara | tiada ciri",
    ),
    # Usability.
    (
        (T.USABILITY,),
        -1,
        None,
        False,
        "confus* | clunky | complicated | cumbersome | hard to use | hard to find | "
        "difficult to use | too many clicks | too many steps | not intuitive | unintuitive | "
        "cluttered | overwhelming | maze | hard to fill | mengelirukan | keliru | rumit | "
        "susah guna | susah digunakan | sukar digunakan | sukar dicari | leceh | berselerak | "
        "membingungkan | bingung | memenatkan | terlalu banyak langkah",
    ),
    ((T.USABILITY,), -1, None, True, "susah"),
    ((T.USABILITY,), 0, None, True, "ui | ux | interface | navigation | layout | antara muka"),
    (
        (T.USABILITY, T.PRAISE),
        1,
        None,
        False,
        "easy to use | easier to use | user friendly | senang guna | mudah guna | "
        "mudah digunakan | mesra pengguna",
    ),
    # Performance.
    (
        (T.PERFORMANCE,),
        -1,
        None,
        False,
        "slow | slowly | sluggish | lags | lagging | laggy | latency | timeout* | times out | "
        "timed out | takes forever | take forever | takes ages | take ages | loading spinner | "
        "freezes | freeze | freezing | frozen | hangs | perlahan | lembap | "
        "ambil masa lama | ambil masa yang lama | tidak laju | tergantung | jem",
    ),
    ((T.PERFORMANCE,), -1, None, True, "lambat | hang | lag"),
    ((T.PERFORMANCE,), 0, None, True, "performance | speed | loading | load time | prestasi"),
    # Support, in so many words (context rules cover the rest).
    (
        (T.SLOW_SUPPORT,),
        -1,
        None,
        False,
        "slow support | still no response | still no reply | slow response* | slow to respond | "
        "slow to reply | no reply | "
        "no response | still waiting | response time | took days | to get a response | "
        "to get a reply | lambat balas | lambat membalas | lambat respon* | lambat reply | "
        "lambat menjawab | masih menunggu | tiada jawapan | tiada balasan | tidak berjawab | "
        "sokongan lambat | tunggu berhari",
    ),
    (
        (T.UNHELPFUL_SUPPORT,),
        -1,
        None,
        False,
        "unhelpful | not helpful | rude | no solution | couldnt solve | could not solve | "
        "tidak membantu | kurang membantu | biadap | biadab | tiada penyelesaian | dismissive",
    ),
    # Onboarding.
    (
        (T.ONBOARDING,),
        0,
        None,
        False,
        "onboard* | getting started | setup | set up | implementation | training | kickoff | "
        "kick off | permulaan | penyediaan | latihan | pengenalan",
    ),
    # Documentation.
    (
        (T.DOCUMENTATION,),
        0,
        None,
        False,
        "doc | docs | documentation | manual | manuals | guide | guides | tutorial* | "
        "help article* | help centre | help center | knowledge base | artikel bantuan | "
        "dokumentasi | panduan",
    ),
    # Pricing.
    (
        (T.PRICING,),
        0,
        None,
        False,
        "price | prices | pricing | priced | cost | costs | billing | billed | charged | "
        "discount* | quote | per seat | cheaper | cheap | half the price | harga | kos | "
        "bayaran | yuran | diskaun | caj | percuma | annual contract | contract terms",
    ),
    (
        (T.PRICING,),
        -1,
        None,
        False,
        "expensive | pricey | costly | too much | adds up | overpriced | mahal | harga naik | "
        "hard to justify",
    ),
    ((T.PRICING,), 1, None, False, "berpatutan | affordable | reasonable price"),
    ((T.PRICING, T.PRAISE), 1, None, False, "value for money | good value"),
    # Competitors and leaving for one.
    (
        (T.COMPETITOR,),
        0,
        None,
        False,
        "competitor* | alternative* | alternatif | pesaing | sistem lain | zendesk | freshdesk | "
        "freshworks | zoho | intercom | monday com | does this out of the box | "
        "handled this better | lebih senang",
    ),
    (
        (T.COMPETITOR,),
        -1,
        CHURN,
        False,
        "switch to | switching to | move to | moving to | move our | beralih | tukar ke | "
        "pindah ke | as an alternative | sebagai alternatif | evaluating",
    ),
    # Integrations.
    (
        (T.INTEGRATIONS,),
        0,
        None,
        False,
        "integrat* | api | apis | webhook* | salesforce | zapier | xero | connector* | sync* | "
        "integrasi | penyegerakan | sambungan | sambung dengan | connect it | connect with | "
        "google calendar",
    ),
    # Praise.
    (
        (T.PRAISE,),
        1,
        None,
        False,
        "love* | great | excellent | awesome | amazing | fantastic | brilliant | wonderful | "
        "impress* | thank you | thanks | helpful | well done | good job | good work | "
        "great job | keep up | happy | best | works like a charm | saves | reliable | bagus | "
        "terbaik | hebat | cemerlang | mantap | terima kasih | sangat membantu | "
        "sentiasa membantu | suka | puas hati | berbaloi | berguna | memudahkan | jimat masa | "
        "teruskan usaha",
    ),
    # Words with no theme that still lean one way, or hide a shorter phrase.
    (
        (),
        0,
        None,
        False,
        "lagi bagus | mudah alih | fail besar | muat naik fail | fail pdf | would help | okay | "
        "mixed feelings",
    ),
    (
        (),
        1,
        None,
        False,
        "better | much better | easier | lancar | no issues | no complaints | no problems | "
        "tiada masalah | tiada isu | all good | snappy | laju | senang je",
    ),
    (
        (),
        -1,
        None,
        False,
        "annoy* | disappoint* | kecewa | teruk | meh | painful* | unacceptable | urgent | "
        "rushed | cancelled | harder | worse | longer than promised | lapuk | out of date | "
        "outdated | unreliable | putus | tidak stabil | twice | dua kali | too low | lama | "
        "terlalu | sukar | kurang | old | has no | could not find | can not find | "
        "does not explain | no warning | went up | naik | tidak masuk akal | hard to follow | "
        "not what we expected | tidak sempat | stopped syncing | left to figure | hate | "
        "tidak terang | tidak lengkap | drops",
    ),
    # Signals.
    (
        (),
        -1,
        CHURN,
        False,
        "cancelling our | cancel our | considering cancelling | thinking about cancelling | "
        "cancel the contract | cancel subscription | not renew | not be renewing | "
        "not sure we will renew | tidak renew | tidak akan sambung | tidak sambung | "
        "tidak pasti nak sambung | batal*",
    ),
    (
        (),
        1,
        EXPANSION,
        False,
        "more seats | more licences | more licenses | additional seats | extra seats | "
        "wants it too | want it too | wants licences | roll it out | rolling it out | "
        "whole company | another team | upgrading to | upgrade to | lesen tambahan | "
        "tambah lesen | pun nak guna | nak guna juga | semua cawangan | pasukan lain",
    ),
)


def _entries() -> tuple[Entry, ...]:
    entries: list[Entry] = []
    for themes, polarity, signal, weak, phrases in _GROUPS:
        for phrase in phrases.split("|"):
            words = tuple(phrase.split())
            entries.append(
                Entry(words, frozenset(themes), polarity, signal, weak and len(words) == 1)
            )
    return tuple(entries)


ENTRIES: tuple[Entry, ...] = _entries()


def _by_first_word() -> tuple[dict[str, tuple[Entry, ...]], tuple[Entry, ...]]:
    exact: dict[str, list[Entry]] = {}
    prefixed: list[Entry] = []
    for entry in ENTRIES:
        if entry.words[0].endswith("*"):
            prefixed.append(entry)
        else:
            exact.setdefault(entry.words[0], []).append(entry)
    return {word: tuple(found) for word, found in exact.items()}, tuple(prefixed)


# Entries by their first word, and those whose first word is a prefix: for quick lookup.
BY_FIRST_WORD, PREFIXED = _by_first_word()


def phrases(text: str | tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """A "a | b c" list (or a tuple of phrases) as word tuples."""
    items = text.split("|") if isinstance(text, str) else text
    return tuple(tuple(item.split()) for item in items)
