"""Normalising what people type: account names for matching, email addresses, segments."""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

from bot.domain.vocabulary import Segment

# Dropped rather than turned into a space, so "O'Reilly" and "OReilly" share a key.
_APOSTROPHES = dict.fromkeys(map(ord, "'’‘ʼ`"), None)
SEGMENTS = tuple(segment.value for segment in Segment)
ACCOUNT_NAME_MAX = 200  # the size of accounts.name and accounts.name_key


def name_key(name: str) -> str:
    """The key accounts are matched by: "Acme, Inc.", "acme inc" and "ÀCME  Inc" share one."""
    # Marks are stripped again after casefold: folding can leave decomposable letters behind.
    folded = _without_marks(_without_marks(name).casefold()).translate(_APOSTROPHES)
    spaced = "".join(" " if _is_separator(char) else char for char in folded)
    return " ".join(spaced.split())


class InvalidEmail(ValueError):
    """Text that is not an email address; the message says why, as a clause."""


def clean_email(text: str) -> str:
    """The stored form of an email address: trimmed and lower-case."""
    return text.strip().lower()


def parse_email(text: str) -> str:
    """The stored form (trimmed, lower-case) of the email address in `text`.

    The one check every email the bot takes goes through: CSV import, `POST /hooks/events`
    and `/voc ana@acme.com: …`. Syntax only, no DNS. `.test` domains are taken (the name
    reserved for tests and demos), as are plus addresses and subdomains.

    Raises:
        InvalidEmail: why it is not an address, e.g. "it cannot have two periods in a row".
    """
    try:
        checked = validate_email(text.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise InvalidEmail(_reason(str(exc))) from None
    return clean_email(checked.normalized)


def segment_named(text: str) -> Segment | None:
    """The segment `text` names ("Mid Market", "mid_market", "MIDMARKET" → mid-market), or None."""
    spelled = re.sub(r"[\s_-]+", "-", text.strip().lower()).replace("midmarket", "mid-market")
    return Segment(spelled) if spelled in SEGMENTS else None


def _reason(message: str) -> str:
    """email-validator's sentence as a clause: "An email address cannot…" → "it cannot…"."""
    sentence = message.rstrip(".")
    for subject in ("An email address ", "The email address "):
        if sentence.startswith(subject):
            return "it " + sentence.removeprefix(subject)
    return sentence[:1].lower() + sentence[1:]


def _without_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _is_separator(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith("P")


def first_name(name: str | None) -> str | None:
    """The first word of a person's name; None when the name is unknown or blank."""
    words = (name or "").split()
    return words[0] if words else None
