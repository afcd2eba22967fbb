"""An admin's own survey question: checking a template when it is set, filling it per contact.

A template is plain text with up to three placeholders, `{first_name}`, `{product}` and
`{csm_name}`; `{{` and `}}` stand for a literal brace. The values filled in are user text
(a contact's name, a setting, a Slack profile), so they are cut to a plausible length and
passed through the caller's `escape` (blocks/text.py's for Slack, none for an email's plain
text): the check below then holds for every contact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from string import Formatter

from bot.domain.errors import UserError

PLACEHOLDERS = ("first_name", "product", "csm_name")
# The longest value each placeholder is filled with; longer ones are cut (`fill`).
LONGEST: dict[str, int] = {"first_name": 40, "product": 60, "csm_name": 60}
SECTION_TEXT_MAX = 3000  # a Block Kit section's text (blocks/surveys.py bolds it: 2 more)
TEXT_MAX = SECTION_TEXT_MAX - 2
KINDS = ("nps", "csat", "ces")
LANGUAGES = ("en", "ms")
_ESCAPED_MAX = len("&amp;")  # one character of user text can become this many in Slack


def known() -> str:
    return ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)


def check_template(template: str) -> str:
    """The template, trimmed, or a UserError saying what is wrong and what to type."""
    text = template.strip()
    if not text:
        raise UserError('The question is empty: type the words, e.g. "How likely are you …?"')
    pieces = _pieces(text)
    for _, field in pieces:
        if field is not None and field not in PLACEHOLDERS:
            raise UserError(
                f"The question uses {{{field}}}, which I don't know. Placeholders: {known()} "
                "(write {{ or }} for a brace itself)."
            )
    longest = sum(
        len(literal) * _ESCAPED_MAX + (LONGEST[field] * _ESCAPED_MAX if field else 0)
        for literal, field in pieces
    )
    if longest > TEXT_MAX:
        raise UserError(
            f"The question is too long for Slack once filled in: up to {longest:,} characters "
            f"with the longest names, and a message section takes {TEXT_MAX:,}. Shorten it."
        )
    return text


def fill(template: str, values: Mapping[str, str], *, escape: Callable[[str], str]) -> str:
    """The template with each placeholder's value (cut to `LONGEST`), all passed to `escape`.

    The template's own words are escaped too, so nothing in it can ping a channel either.
    """
    out: list[str] = []
    for literal, field in _pieces(template):
        out.append(escape(literal))
        if field is not None:
            value = " ".join(values.get(field, "").split())
            out.append(escape(_cut(value, LONGEST.get(field, 60))))
    return "".join(out)


def _pieces(text: str) -> list[tuple[str, str | None]]:
    """(literal text, placeholder name or None) pairs; unbalanced braces are refused."""
    try:
        parsed = list(Formatter().parse(text))
    except ValueError:
        raise UserError(
            "The question has an unbalanced brace: write placeholders as {first_name}, and "
            "{{ or }} for a brace itself."
        ) from None
    pieces: list[tuple[str, str | None]] = []
    for literal, field, spec, conversion in parsed:
        if field is None:
            pieces.append((literal, None))
            continue
        shown = field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
        pieces.append((literal, shown))
    return pieces


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"
