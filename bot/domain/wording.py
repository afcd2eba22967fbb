"""Feedback text as clauses of tokens, with the word forms the theme rules compare.

Text is split into clauses at sentence punctuation and at contrast words ("but", "tapi"),
so "great but expensive" is read as two statements. Each token keeps its written form plus
the forms the lexicon may name it by: a fixed spelling ("x" and "tak" → "tidak", "dashbaord"
→ "dashboard"), letters stretched for emphasis folded ("sooo" → "so"), reduplication read
once ("lambat-lambat" → "lambat"), and Malay affixes stripped ("dikemaskini" →
"kemaskini", "memudahkan" → "mudah", "harganya" → "harga").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.names import name_key

CONTRAST = frozenset({"but", "however", "although", "though", "tapi", "tetapi", "cuma", "namun"})

# Everyday and misspelt forms, written the way the lexicon names them.
SPELLING: dict[str, str] = {
    "x": "tidak",
    "tak": "tidak",
    "tk": "tidak",
    "tdk": "tidak",
    "takde": "tiada",
    "takda": "tiada",
    "xde": "tiada",
    "xda": "tiada",
    "tiade": "tiada",
    "sgt": "sangat",
    "nk": "nak",
    "dh": "dah",
    "utk": "untuk",
    "dgn": "dengan",
    "lmbt": "lambat",
    "lembab": "lembap",
    "mhl": "mahal",
    "dashbaord": "dashboard",
    "documentaion": "documentation",
    "documantation": "documentation",
    "expencive": "expensive",
    "expensve": "expensive",
    "confusng": "confusing",
    "intergration": "integration",
    "integartion": "integration",
    "suport": "support",
    "supprt": "support",
    "wont": "will not",
    "cant": "can not",
    "cannot": "can not",
}

_SENTENCE = re.compile(r"[.!?;:,\n]+(?=\s|$)|[!?;\n]+|\s[-–—]\s|,")
_DOUBLED = re.compile(r"\b(\w+)-(\w+)\b")
_STRETCHED = re.compile(r"([a-z])\1{2,}")
_PREFIXES = (
    "meng",
    "meny",
    "mem",
    "men",
    "me",
    "ber",
    "be",
    "ter",
    "di",
    "peng",
    "peny",
    "pen",
    "pe",
    "ke",
)
_SUFFIXES = ("nya", "lah", "kah", "kan", "an")
_NASAL_RESTORE = {
    "meng": "k",
    "peng": "k",
    "meny": "s",
    "peny": "s",
    "mem": "p",
    "men": "t",
    "pen": "t",
}
STEM_MIN = 3


@dataclass(frozen=True)
class Token:
    """One word: its written form (normalised) and every form the lexicon may use for it."""

    text: str
    forms: frozenset[str]


def clauses(text: str) -> list[list[Token]]:
    """The text's clauses, each a list of tokens; contrast words end a clause."""
    found: list[list[Token]] = []
    for sentence in _SENTENCE.split(_undouble(text)):
        current: list[Token] = []
        for word in _words(sentence):
            if word in CONTRAST:
                found.append(current)
                current = []
                continue
            current.append(Token(word, forms_of(word)))
        found.append(current)
    return [clause for clause in found if clause]


def forms_of(word: str) -> frozenset[str]:
    """The written word plus its Malay stems (affixes stripped, one layer at a time)."""
    forms = {word}
    for base in _without_suffixes(word):
        forms.add(base)
        forms.update(_without_prefixes(base))
    return frozenset(form for form in forms if form == word or len(form) >= STEM_MIN)


def _undouble(text: str) -> str:
    """Reduplication read once: "lambat-lambat" → "lambat", "berhari-hari" → "berhari"."""

    def once(match: re.Match[str]) -> str:
        first, second = match.group(1), match.group(2)
        same = first.lower() == second.lower() or first.lower().endswith(second.lower())
        return first if same else f"{first} {second}"

    return _DOUBLED.sub(once, text)


def _words(sentence: str) -> list[str]:
    words: list[str] = []
    for raw in name_key(sentence).split():
        word = _STRETCHED.sub(r"\1", raw)
        words.extend(SPELLING.get(word, word).split())
    return words


def _without_suffixes(word: str) -> list[str]:
    bases = [word]
    for suffix in _SUFFIXES:
        for base in list(bases):
            if base.endswith(suffix) and len(base) - len(suffix) >= STEM_MIN + 1:
                bases.append(base[: -len(suffix)])
    return bases


def _without_prefixes(word: str) -> list[str]:
    stems: list[str] = []
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= STEM_MIN:
            rest = word[len(prefix) :]
            stems.append(rest)
            if prefix in _NASAL_RESTORE:
                stems.append(_NASAL_RESTORE[prefix] + rest)
    return stems
