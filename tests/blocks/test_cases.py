from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from blocks.cases import (
    FOLLOW_UP_OUTCOMES,
    CaseCard,
    case_blocks,
    case_text,
    claim_refused_text,
    escalation_text,
    follow_up_modal,
    to_dicts,
)
from blocks.ids import ActionId, BlockId, CallbackId
from bot.devkit.emulator import validate_blocks, validate_view
from bot.domain.records import CrmSynced

NOW = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)
HOSTILE = "<!channel> & <@U1>"
UNESCAPED_AMP = re.compile(r"&(?!amp;|lt;|gt;)")


def _card(**changes: Any) -> CaseCard:
    card = CaseCard(
        case_id=41,
        kind="nps",
        score=3,
        previous_score=8,
        review="csm",
        contact_name="Ana Lim",
        contact_email="ana@acme.test",
        account_name="Acme",
        segment="Enterprise",
        arr=120_000.0,
        plan="Pro",
        customer_since=date(2023, 3, 1),
        health="red",
        csm_user_id="UCSM",
        comment="Support is slow",
        answered_at=NOW - timedelta(hours=50),
    )
    return replace(card, **changes)


def _claimed(**changes: Any) -> CaseCard:
    return _card(claimed_by="UOWNER", claimed_at=NOW - timedelta(hours=1), **changes)


def _logged(outcome: str, **changes: Any) -> CaseCard:
    logged = {"note": "Called Ana", "logged_by": "UOWNER", "logged_at": NOW}
    return _claimed(outcome=outcome, **{**logged, **changes})


def _render(card: CaseCard) -> list[dict[str, Any]]:
    blocks = to_dicts(case_blocks(card, now=NOW))
    assert validate_blocks(blocks, limit=50) == []
    return blocks


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [b["block_id"] for b in actions] == [BlockId.CASE_ACTIONS]
    return actions[0]["elements"]


def _action_ids(card: CaseCard) -> list[str]:
    return [button["action_id"] for button in _buttons(_render(card))]


def _field(blocks: list[dict[str, Any]], label: str) -> str:
    fields = [f["text"] for b in blocks if b["type"] == "section" for f in b.get("fields", [])]
    [value] = [f.split("\n", 1)[1] for f in fields if f.startswith(f"*{label}*\n")]
    return value


def _texts(blocks: list[dict[str, Any]], kind: str) -> str:
    return json.dumps([b for b in blocks if b["type"] == kind], ensure_ascii=False)


def _assert_safe(text: str) -> None:
    assert "<!channel>" not in text
    assert "<@U1>" not in text
    assert not UNESCAPED_AMP.search(text)
    assert "&lt;!channel&gt; &amp; &lt;@U1&gt;" in text


def test_unclaimed_card_offers_claim_and_log() -> None:
    blocks = _render(_card())
    buttons = _buttons(blocks)
    assert [b["action_id"] for b in buttons] == [ActionId.CLAIM, ActionId.LOG_FOLLOW_UP]
    assert buttons[0]["style"] == "primary"
    assert {b["value"] for b in buttons} == {"41"}
    assert "Unclaimed: claim it to own the follow-up" in _texts(blocks, "section")
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "NPS 3 · Detractor", "emoji": True},
    }


def test_claimed_card_names_the_owner_and_offers_release() -> None:
    blocks = _render(_claimed())
    assert [b["action_id"] for b in _buttons(blocks)] == [ActionId.RELEASE, ActionId.LOG_FOLLOW_UP]
    sections = _texts(blocks, "section")
    assert "Claimed by <@UOWNER> · <!date^" in sections
    assert "Unclaimed" not in sections


@pytest.mark.parametrize("outcome", ["recovered", "churn_risk", "unreachable"])
def test_a_closing_outcome_leaves_only_log_follow_up(outcome: str) -> None:
    blocks = _render(_logged(outcome))
    assert [b["action_id"] for b in _buttons(blocks)] == [ActionId.LOG_FOLLOW_UP]
    sections = _texts(blocks, "section")
    assert f"Follow-up logged by <@UOWNER>: *{FOLLOW_UP_OUTCOMES[outcome]}* · <!date^" in sections
    assert "> Called Ana" in sections


def test_in_progress_keeps_the_claim_buttons() -> None:
    blocks = _render(_logged("in_progress"))
    assert [b["action_id"] for b in _buttons(blocks)] == [ActionId.RELEASE, ActionId.LOG_FOLLOW_UP]
    assert "*In progress*" in _texts(blocks, "section")


def test_escalations_are_counted_in_a_context() -> None:
    assert "Escalated" not in _texts(_render(_card()), "context")
    assert 'Escalated 1 time"' in _texts(_render(_card(escalations=1)), "context")
    assert "Escalated 3 times" in _texts(_render(_card(escalations=3)), "context")


@pytest.mark.parametrize(("kind", "score"), [("csat", 2), ("ces", 2)])
def test_support_review_cards_say_so(kind: str, score: int) -> None:
    card = _card(kind=kind, score=score, review="support")
    blocks = _render(card)
    assert blocks[0]["text"]["text"] == f"{kind.upper()} {score} · Support review"
    assert "Support manager review" in _texts(blocks, "context")
    assert case_text(card) == (
        f"{kind.upper()} {score} from Ana Lim (Acme): support manager review"
    )


def test_csm_cards_are_not_marked_for_support() -> None:
    card = _card()
    assert "Support manager review" not in json.dumps(_render(card))
    assert case_text(card) == "NPS 3 from Ana Lim (Acme): needs a follow-up"


def test_the_fields_show_the_account() -> None:
    blocks = _render(_card())
    assert _field(blocks, "Account") == "Acme"
    assert _field(blocks, "ARR") == "$120,000"
    assert _field(blocks, "CSM") == "<@UCSM>"
    assert _field(blocks, "Health") == ":red_circle: Red"
    assert _field(blocks, "Score") == "3 (was 8)"
    assert _field(blocks, "Contact") == "Ana Lim\nana@acme.test"
    assert _field(blocks, "Tenure") == "2 yr 3 mo"


def test_unknown_facts_are_marked_as_such() -> None:
    card = _card(
        arr=None,
        segment=None,
        plan=None,
        health=None,
        csm_user_id=None,
        previous_score=None,
        customer_since=None,
        contact_name=None,
    )
    blocks = _render(card)
    assert _field(blocks, "ARR") == "—"
    assert _field(blocks, "Segment") == "—"
    assert _field(blocks, "Tenure") == "—"
    assert _field(blocks, "CSM") == "not set"
    assert _field(blocks, "Score") == "3"
    assert _field(blocks, "Contact") == "ana@acme.test"
    assert case_text(card) == "NPS 3 from ana@acme.test (Acme): needs a follow-up"


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        (date(2023, 3, 1), "2 yr 3 mo"),
        (date(2023, 6, 10), "2 yr"),
        (date(2023, 6, 11), "1 yr 11 mo"),
        (date(2025, 1, 5), "5 mo"),
        (date(2025, 5, 20), "new"),
        (date(2025, 7, 1), "new"),
    ],
)
def test_tenure(since: date, expected: str) -> None:
    assert _field(_render(_card(customer_since=since)), "Tenure") == expected


@pytest.mark.parametrize(
    ("arr", "expected"), [(120_000.0, "$120,000"), (1_234_567.6, "$1,234,568"), (0.0, "$0")]
)
def test_arr(arr: float, expected: str) -> None:
    assert _field(_render(_card(arr=arr)), "ARR") == expected


def test_user_text_is_escaped_everywhere() -> None:
    card = _logged(
        "recovered",
        contact_name=HOSTILE,
        account_name=HOSTILE,
        plan=HOSTILE,
        segment=HOSTILE,
        comment=HOSTILE,
        note=HOSTILE,
    )
    blocks = _render(card)
    for label in ("Account", "Plan", "Segment"):
        _assert_safe(_field(blocks, label))
    _assert_safe(_field(blocks, "Contact"))
    _assert_safe(json.dumps([b for b in blocks if "text" in b and "Comment" in str(b)]))
    _assert_safe(_texts(blocks, "section").split("Follow-up logged")[1])
    _assert_safe(case_text(card))
    _assert_safe(json.dumps(follow_up_modal(card).to_dict()["blocks"][0]))


def test_a_comment_without_text_says_so() -> None:
    blocks = _render(_card(comment=None))
    assert "No comment yet" in _texts(blocks, "context")
    assert "*Comment*" not in _texts(blocks, "section")


@pytest.mark.parametrize("unit", ["a", "&", "<", "x\n"])
def test_long_comment_note_and_names_stay_within_limits(unit: str) -> None:
    long = (unit * 3000)[:3000]
    card = _logged(
        "in_progress", comment=long, note=long, contact_name=long, account_name=long, plan=long
    )
    blocks = _render(card)  # validates
    [comment] = [
        b["text"]["text"] for b in blocks if "*Comment*" in b.get("text", {}).get("text", "")
    ]
    assert 2000 < len(comment) <= 3000  # cut to the limit, not far below it
    assert len(case_text(card)) < 4000
    view = follow_up_modal(card).to_dict()
    assert validate_view(view) == []
    assert view["blocks"][2]["element"]["initial_value"] == long


def test_follow_up_modal() -> None:
    view = follow_up_modal(_card()).to_dict()
    assert validate_view(view) == []
    assert view["callback_id"] == CallbackId.FOLLOW_UP_MODAL
    assert view["private_metadata"] == "41"
    assert (view["title"]["text"], view["submit"]["text"], view["close"]["text"]) == (
        "Log follow-up",
        "Save",
        "Cancel",
    )
    context, outcome, note = view["blocks"]
    assert "NPS 3 from Ana Lim (Acme)" in context["elements"][0]["text"]
    assert outcome["block_id"] == BlockId.OUTCOME and not outcome.get("optional")
    assert outcome["element"]["action_id"] == ActionId.OUTCOME_SELECT
    assert [o["value"] for o in outcome["element"]["options"]] == list(FOLLOW_UP_OUTCOMES)
    assert "initial_option" not in outcome["element"]
    assert note["block_id"] == BlockId.NOTE and not note.get("optional")
    assert note["element"]["action_id"] == ActionId.NOTE_INPUT
    assert note["element"]["multiline"] is True
    assert note["element"]["max_length"] == 3000
    assert note["element"]["placeholder"]["text"] == "What happened, and what's next?"
    assert "initial_value" not in note["element"]


def test_follow_up_modal_starts_from_what_was_logged() -> None:
    view = follow_up_modal(_logged("churn_risk", note="Ana & <team>")).to_dict()
    _, outcome, note = view["blocks"]
    assert outcome["element"]["initial_option"]["value"] == "churn_risk"
    assert outcome["element"]["initial_option"]["text"]["text"] == "Churn risk"
    assert note["element"]["initial_value"] == "Ana & <team>"  # plain text: never escaped


def test_escalation_mentions_the_claimer() -> None:
    text = escalation_text(
        _claimed(), step=1, max_steps=3, mention="UOWNER", overdue_by=timedelta(hours=48)
    )
    assert text.startswith("<@UOWNER> ")
    assert "1 of 3" in text and "48h after the answer" in text
    assert "Log follow-up" in text and "You claimed" in text


def test_escalation_of_an_unclaimed_case_mentions_the_csm() -> None:
    text = escalation_text(
        _card(), step=2, max_steps=3, mention="UCSM", overdue_by=timedelta(hours=72, minutes=5)
    )
    assert text.startswith("<@UCSM> ")
    assert "2 of 3" in text and "72h after the answer" in text
    assert "Claim" in text and "unclaimed" in text


def test_escalation_without_anyone_to_mention() -> None:
    card = _card(csm_user_id=None)
    text = escalation_text(card, step=3, max_steps=3, mention=None, overdue_by=timedelta(days=4))
    assert "<@" not in text
    assert "nobody owns this and the account has no csm" in text.lower()
    assert "3 of 3" in text and "96h after the answer" in text


def test_claim_refused_names_the_owner_and_what_to_do() -> None:
    text = claim_refused_text("UOWNER")
    assert text.startswith("<@UOWNER> already owns this follow-up.")
    assert "Log follow-up" in text
    assert "<@U1>" not in claim_refused_text("U1>x") and "&gt;" in claim_refused_text("U1>x")


def test_a_forgotten_persons_card_says_their_details_were_erased_and_keeps_the_case() -> None:
    erased = _logged(
        "in_progress",
        erased=True,
        contact_name=None,
        contact_email="erased-7@erased.invalid",
        comment=None,
        note="[erased]",
    )
    blocks = _render(erased)
    shown = json.dumps(blocks) + case_text(erased)
    assert _field(blocks, "Contact") == "_erased on request_"
    assert "The customer's details were erased at their request" in _texts(blocks, "context")
    assert "No comment yet" not in shown and "erased.invalid" not in shown
    assert case_text(erased) == "NPS 3 from erased on request (Acme): needs a follow-up"
    assert _field(blocks, "Account") == "Acme"  # the case and its account stay
    assert [b["action_id"] for b in _buttons(blocks)] == [ActionId.RELEASE, ActionId.LOG_FOLLOW_UP]


def test_the_card_says_when_the_crm_last_synced_the_account() -> None:
    synced = CrmSynced("HubSpot", datetime(2026, 12, 7, 1, 0, tzinfo=UTC))
    text = json.dumps(_render(_card(synced=synced)))
    assert "Acme\\n_Synced from HubSpot <!date^1796605200^" in text
    assert "|2026-12-07 01:00 UTC>_" in text
    assert "Synced from" not in json.dumps(_render(_card()))  # not from a CRM: nothing said
