"""The customer's brand on survey emails and the survey page: colour, subject template.

Pure values: config.py validates the settings with these helpers, email_survey.py and the
survey page render with them.
"""

from __future__ import annotations

import json
import re
import string

SUBJECT_FIELDS = ("first_name", "product", "company")
SUBJECT_MAX = 200  # characters; mail clients cut long subjects anyway
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")
DEFAULT_COLOR = "#1d4ed8"


def check_color(value: str) -> str:
    """`#1d4ed8` or `#17a`: anything else could break out of the style attribute."""
    if not _COLOR.fullmatch(value):
        raise ValueError("use a hex colour such as #1d4ed8")
    return value.lower()


def one_line(value: str) -> str:
    """The value with line breaks and control characters folded into single spaces."""
    return " ".join(_BREAKS.sub(" ", value).split())


def parse_subjects(value: object) -> dict[str, str] | None:
    """EMAIL_SUBJECT: one template for every language, or a JSON object per language.

    `{first_name} — how is {product}?` or `{"en": "…", "ms": "…"}` (a `*` key, or `en`, is
    the fallback). A line break, an unknown `{field}` or a stray brace is refused.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.lstrip().startswith("{") and value.rstrip()[-1:] == "}":
        try:
            value = json.loads(value)
        except ValueError:
            pass  # a template that starts with a field, e.g. "{first_name}, a question"
    templates = value if isinstance(value, dict) else {"*": value}
    checked: dict[str, str] = {}
    for lang, template in templates.items():
        if not isinstance(template, str) or not template.strip():
            raise ValueError(f"the subject for {lang!r} is empty")
        if _BREAKS.search(template):
            raise ValueError("a subject cannot contain line breaks or control characters")
        if len(template) > SUBJECT_MAX:
            raise ValueError(f"a subject has at most {SUBJECT_MAX} characters")
        try:
            fields = [name for _, name, _, _ in string.Formatter().parse(template) if name]
        except ValueError as exc:
            raise ValueError(f"the subject {template!r} has a stray brace ({exc})") from None
        unknown = [name for name in fields if name not in SUBJECT_FIELDS]
        if unknown:
            allowed = ", ".join("{" + name + "}" for name in SUBJECT_FIELDS)
            raise ValueError(f"the subject uses {{{unknown[0]}}}; use only {allowed}")
        checked[str(lang).lower()] = template
    return checked


def subject(templates: dict[str, str] | None, lang: str, **values: str | None) -> str | None:
    """The subject in `lang` with its fields filled in, on one line; None: no template.

    Each value is folded onto one line first, so a contact's name or an account's name
    cannot add a header; a missing value leaves its field's words out cleanly.
    """
    if not templates:
        return None
    template = templates.get(lang) or templates.get("*") or templates.get("en")
    if template is None:
        template = next(iter(templates.values()))
    filled = {name: one_line(values.get(name) or "") for name in SUBJECT_FIELDS}
    text = one_line(template.format(**filled))
    text = re.sub(r"\s+([,.!?:;])", r"\1", text)  # "Hi , how…" → "Hi, how…"
    return text.strip(" ,;:—-") or None
