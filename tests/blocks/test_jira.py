"""The Jira issue a request becomes: valid ADF, people's words kept as text and shortened."""

from __future__ import annotations

import json

from blocks.jira import issue_draft, push_text
from bot.devkit.jira_emulator import _adf_ok
from bot.domain.jira import PushOutcome, RequestFacts


def _facts(**changes: object) -> RequestFacts:
    base = {
        "id": 7,
        "name": "SSO   with\nSCIM",
        "status": "open",
        "jira_key": None,
        "queued": False,
        "arr": 160_000.0,
        "accounts": [("Globex <b>Corp</b>", 120_000.0), ("Ácme", None)],
        "more_accounts": 0,
        "verbatims": [("Ácme", "*bold* [link](http://x) <script> " + "long " * 300)],
    }
    return RequestFacts(**{**base, **changes})  # type: ignore[arg-type]


def test_the_description_is_valid_adf_with_the_facts_as_plain_text() -> None:
    draft = issue_draft(_facts(), link="https://slack.com/app_redirect?channel=CVOC")
    assert _adf_ok(draft.description)
    assert draft.summary == "SSO with SCIM" and draft.labels == ("voc", "voc-request-7")
    text = json.dumps(draft.description)
    assert "$160,000 ARR" in text and "Globex <b>Corp</b> \\u2014 $120,000" in text
    assert "ARR unknown" in text and "*bold* [link](http://x) <script>" in text
    verbatim = draft.description["content"][4]["content"][0]["content"][0]["content"][0]["text"]
    assert len(verbatim) < 520 and verbatim.endswith("…”")


def test_a_request_nobody_spoke_for_is_still_valid_adf() -> None:
    draft = issue_draft(_facts(accounts=[], verbatims=[], arr=0.0, name="x" * 400), link=None)
    assert _adf_ok(draft.description) and len(draft.summary) == 250


def test_the_staff_answer_escapes_the_name_and_links_the_key() -> None:
    outcome = PushOutcome(
        7, "<!channel> SSO", "PROD-3", "https://a.atlassian.net/browse/PROD-3", True
    )
    said = push_text(outcome)
    assert (
        "&lt;!channel&gt; SSO" in said and "<https://a.atlassian.net/browse/PROD-3|PROD-3>" in said
    )
