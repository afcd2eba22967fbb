"""Normalising what people type: account names for matching, email addresses, segments."""

from __future__ import annotations

import re
import unicodedata

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from bot.domain.vocabulary import Segment

# Dropped rather than turned into a space, so "O'Reilly" and "OReilly" share a key.
_APOSTROPHES = dict.fromkeys(map(ord, "'’‘ʼ`"), None)
SEGMENTS = tuple(segment.value for segment in Segment)
ACCOUNT_NAME_MAX = 200  # the size of accounts.name and accounts.name_key


def name_key(name: str) -> str:
    """The key accounts are matched by: "Acme, Inc.", "acme inc" and "ÀCME  Inc" share one."""
    if name.isascii():  # the same key, without a Unicode lookup per letter (a CRM sync's)
        spaced = name.lower().translate(_APOSTROPHES).translate(_ASCII_SEPARATORS)
        return " ".join(spaced.split())
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
    plain = plain_address(text)
    if plain is not None:
        return plain
    try:
        checked = validate_email(text.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise InvalidEmail(_reason(str(exc))) from None
    return clean_email(checked.normalized)


# The everyday address, in ASCII: letters, digits, ".", "_", "+" and "-" before the @ (no
# leading, trailing or doubled period), then two or more host labels and an alphabetic
# top-level domain. email-validator accepts every such address and gives back the same
# lower-cased text (tests/bot/domain/test_names.py holds the two to that), at a fraction of
# its cost: a CRM sync checks 20,000 addresses a run.
_PLAIN = re.compile(
    r"(?P<local>[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*)@"
    r"(?P<domain>(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?P<tld>[a-z]{2,63}))"
)
_RESERVED = frozenset(SPECIAL_USE_DOMAIN_NAMES) - {"test"}  # .test is taken (see above)


def plain_address(text: str) -> str | None:
    """The stored form of an everyday ASCII address without asking email-validator; None
    for anything else (which then goes through it)."""
    address = text.strip().lower()
    match = _PLAIN.fullmatch(address) if address.isascii() and len(address) <= 254 else None
    if match is None or len(match["local"]) > 64 or match["tld"] in _RESERVED:
        return None
    labels = match["domain"].split(".")
    if any(len(label) > 63 for label in labels) or "--" in match["domain"]:
        return None
    return address


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


_ASCII_SEPARATORS = {code: " " for code in range(128) if _is_separator(chr(code))}


def first_name(name: str | None) -> str | None:
    """The first word of a person's name; None when the name is unknown or blank."""
    words = (name or "").split()
    return words[0] if words else None
