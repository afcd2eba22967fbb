"""Normalising what people type: account names for matching, email addresses."""

from __future__ import annotations

import unicodedata

# Dropped rather than turned into a space, so "O'Reilly" and "OReilly" share a key.
_APOSTROPHES = dict.fromkeys(map(ord, "'’‘ʼ`"), None)


def name_key(name: str) -> str:
    """The key accounts are matched by: "Acme, Inc.", "acme inc" and "ÀCME  Inc" share one."""
    # Marks are stripped again after casefold: folding can leave decomposable letters behind.
    folded = _without_marks(_without_marks(name).casefold()).translate(_APOSTROPHES)
    spaced = "".join(" " if _is_separator(char) else char for char in folded)
    return " ".join(spaced.split())


def clean_email(text: str) -> str:
    """The stored form of an email address: trimmed and lower-case."""
    return text.strip().lower()


def _without_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _is_separator(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith("P")
