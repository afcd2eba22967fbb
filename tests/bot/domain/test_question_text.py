"""Checking an admin's question template when it is set, and filling it per contact."""

from __future__ import annotations

import pytest

from blocks.text import escape
from bot.domain.errors import UserError
from bot.domain.question_text import LONGEST, TEXT_MAX, check_template, fill

VALUES = {"first_name": "Aina", "product": "Acme Cloud", "csm_name": "Ben Tan"}


def plain(text: str) -> str:
    return text


def test_a_good_template_is_kept_trimmed_and_filled_per_contact() -> None:
    template = check_template("  How likely are you to recommend {product}, {first_name}?  ")
    assert template == "How likely are you to recommend {product}, {first_name}?"
    assert fill(template, VALUES, escape=escape) == (
        "How likely are you to recommend Acme Cloud, Aina?"
    )
    assert fill("Ask {csm_name} {{anything}}", VALUES, escape=plain) == "Ask Ben Tan {anything}"


def test_a_name_that_could_ping_is_escaped_and_so_are_the_template_words() -> None:
    values = {**VALUES, "first_name": "<!channel> & co"}
    filled = fill("Hi {first_name} <!here>", values, escape=escape)
    assert filled == "Hi &lt;!channel&gt; &amp; co &lt;!here&gt;"
    assert "<!" not in filled


def test_an_overlong_value_is_cut_to_its_plausible_length() -> None:
    filled = fill("{first_name}", {"first_name": "A" * 500}, escape=plain)
    assert len(filled) == LONGEST["first_name"] and filled.endswith("…")


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("   ", "The question is empty"),
        ("Hi {name}, how likely…?", "uses {name}, which I don't know"),
        ("Hi {}, how likely…?", "uses {}, which I don't know"),
        ("Hi {first_name!r}", "uses {first_name!r}, which I don't know"),
        ("Hi {first_name", "unbalanced brace"),
        ("Hi first_name}", "unbalanced brace"),
        ("x" * 2000, "too long for Slack once filled in"),
        ("{first_name} " * 100, "too long for Slack once filled in"),
    ],
)
def test_a_bad_template_is_refused_with_the_reason(template: str, reason: str) -> None:
    with pytest.raises(UserError, match=None) as refused:
        check_template(template)
    assert reason in str(refused.value)


def test_the_unknown_placeholder_message_lists_the_known_ones() -> None:
    with pytest.raises(UserError) as refused:
        check_template("{company}?")
    assert "{first_name}, {product}, {csm_name}" in str(refused.value)


def test_the_length_check_holds_for_the_worst_contact() -> None:
    """A template just under the limit stays under Slack's limit with every value maxed out
    and every character escaped to five."""
    template = check_template("&" * 100 + "{first_name}{product}{csm_name}")
    worst = {name: "&" * 1000 for name in LONGEST}
    assert len(fill(template, worst, escape=escape)) <= TEXT_MAX
