"""What VoC bot writes on a CRM timeline, and what `forget` prints of the CRM."""

from __future__ import annotations

from datetime import UTC, datetime

from blocks import terminal
from blocks.crm import note_body, note_title, outcome_line
from bot.domain.crm_results import CrmCleared
from bot.domain.records import Forgotten

AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def test_the_note_has_the_score_the_comment_and_the_card_link() -> None:
    assert note_title("csat", 1) == "VoC: CSAT 1/5 (dissatisfied)"
    body = note_body(
        kind="nps",
        score=3,
        comment="Exports time out",
        answered_at=AT,
        permalink="https://acme.slack.com/archives/CVOC/p1",
    )
    assert body.splitlines() == [
        "NPS score 3 of 10 (detractor), answered 2026-11-24 09:30 UTC.",
        'Comment: "Exports time out"',
        "Follow-up card in Slack: https://acme.slack.com/archives/CVOC/p1",
    ]
    closed = outcome_line("recovered", "Fixed", AT)
    assert closed == "Outcome (2026-11-24): Recovered. Fixed"
    late = note_body(
        kind="ces", score=2, comment=None, answered_at=AT, permalink=None, outcome=closed
    )
    assert late.splitlines()[1:] == ["No comment.", "Follow-up card in Slack.", closed]


def test_forget_says_what_the_crm_cleared_and_what_it_could_not() -> None:
    report = Forgotten(
        changed={"contacts (email, name, Slack id)": 1},
        crm=CrmCleared(
            fields_cleared=False,
            notes_deleted=0,
            not_cleared=["voc_* fields and 1 notes: HubSpot kept failing (HTTP 503)"],
            retrying=True,
        ),
    )
    assert terminal.forgot("ana@acme.test", report)[-2:] == [
        "  CRM, not cleared: voc_* fields and 1 notes: HubSpot kept failing (HTTP 503)",
        "  CRM: the clearing is retried until the CRM takes it (crm status)",
    ]


def test_setup_says_where_to_add_by_hand_what_the_api_would_not_create() -> None:
    from bot.domain.crm import CrmKind, CrmObject, FieldSpec
    from bot.domain.crm_results import SetupResult

    score = FieldSpec(CrmObject.CONTACT, "VoC_Last_Score__c", "number", "VoC last score")
    nps = FieldSpec(CrmObject.COMPANY, "VoC_Nps__c", "number", "VoC NPS (90 days)")
    lines = terminal.crm_setup(
        SetupResult(crm=CrmKind.SALESFORCE, created=[score], present=[], by_hand=[nps])
    )
    assert lines == [
        "Created in Salesforce: Contact.VoC_Last_Score__c",
        "Add this field by hand in Salesforce:",
        "  Setup › Object Manager › Account › Fields & Relationships › New: Number(18, 1), "
        'Field Name VoC_Nps (API name VoC_Nps__c), label "VoC NPS (90 days)"',
        "Then run: python -m bot crm check",
    ]
    comment = FieldSpec(CrmObject.CONTACT, "voc_last_comment", "text", "VoC last comment")
    [_, line, _] = terminal.crm_setup(
        SetupResult(crm=CrmKind.HUBSPOT, created=[], present=[], by_hand=[comment])
    )
    assert line == (
        "  Settings › Data Management › Properties › Contact properties › Create property: "
        'internal name voc_last_comment, field type Multi-line text, label "VoC last comment"'
    )
