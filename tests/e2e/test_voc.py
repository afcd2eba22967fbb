"""`/voc` end to end: signed slash commands, type-ahead, modals, and what reaches Slack."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from bot.emulator import Call, SlackEmulator
from bot.runtime import Runtime
from storage.db import Database
from storage.models import (
    Account,
    Contact,
    FeatureRequest,
    Insight,
    ThemeTag,
)
from tests.harness import SlackSender, eventually, json_body
from tests.payloads import block_suggestion, slash_command, view_submission

pytestmark = pytest.mark.postgres
CSM = "UCSM"


async def seed(db: Database) -> dict[str, int]:
    """Accounts (one with an accent and punctuation, two sharing a prefix) and a contact."""
    async with db.transaction() as session:
        accounts = [
            Account(name="Ácme, Inc.", name_key="acme inc", segment="enterprise", arr=120_000,
                    csm_user_id=CSM, customer_since=date(2024, 8, 1), plan="Scale"),
            Account(name="Globex Corp", name_key="globex corp", segment="smb", arr=30_000,
                    csm_user_id="UCSM2"),
            Account(name="Globex Asia", name_key="globex asia", segment="smb", arr=10_000),
            Account(name="Initech", name_key="initech", segment="mid-market"),
        ]  # fmt: skip
        session.add_all(accounts)
        await session.flush()
        session.add(Contact(email="ana@acme.test", account_id=accounts[0].id or 0,
                            slack_user_id="U1", name="Ana"))  # fmt: skip
        return {a.name_key: a.id or 0 for a in accounts}


async def ask(
    slack: SlackSender,
    emulator: SlackEmulator,
    text: str,
    *,
    user: str = CSM,
    channel: str = "C0GENERAL",
) -> Call:
    """Send `/voc text` and return the answer posted to its response_url."""
    before = len(emulator.calls_to("response_url"))
    fields = slash_command(
        user=user, text=text, response_url=emulator.new_response_url(), channel=channel
    )
    status, body = await slack.command(fields)
    assert status == 200 and body == ""  # acked at once, empty: the answer comes later
    answers = await eventually(lambda: emulator.calls_to("response_url")[before:], timeout=10.0)
    return answers[0]


def shown(call: Call) -> str:
    """Everything Slack would render from an answer, as one string."""
    return json.dumps({"text": call.args.get("text"), "blocks": call.args.get("blocks")})


async def rows(db: Database, model: Any) -> list[Any]:
    async with db.session() as session:
        return list((await session.execute(select(model).order_by(model.id))).scalars())


# /voc alone: the modal, the type-ahead, validation, a saved insight


async def test_voc_alone_opens_the_log_feedback_modal(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await seed(rt.db)
    fields = slash_command(user=CSM, text="", response_url=emulator.new_response_url())
    assert (await slack.command(fields))[0] == 200
    [call] = await eventually(lambda: emulator.calls_to("views.open", ok=True))
    assert call.args["trigger_id"] == fields["trigger_id"]
    view = call.args["view"]
    assert view["callback_id"] == "voc.log" and view["title"]["text"] == "Log feedback"
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert blocks["voc.account"]["element"]["type"] == "external_select"
    for block_id in ("voc.source", "voc.type", "voc.text", "voc.sentiment", "voc.feature"):
        assert block_id in blocks
    assert "voc.competitor" in blocks


async def test_the_account_type_ahead_answers_from_the_database(
    rt: Runtime, slack: SlackSender
) -> None:
    await seed(rt.db)
    async with rt.db.transaction() as session:
        session.add_all(
            Account(name=f"Globex Branch {n:03d}", name_key=f"globex branch {n:03d}")
            for n in range(150)
        )

    async def typed(value: str) -> list[dict[str, Any]]:
        payload = block_suggestion(
            user=CSM, action_id="voc.account", block_id="voc.account", value=value
        )
        status, body = await slack.interactive(payload)
        assert status == 200
        return json_body(body)["options"]

    assert [o["text"]["text"] for o in await typed("ÀCME")] == ["Ácme, Inc."]
    globex = await typed("globex")
    assert len(globex) == 100  # Slack shows at most 100
    assert {o["text"]["text"] for o in globex[:2]} == {"Globex Asia", "Globex Branch 000"}
    assert await typed("nothing like it") == []
    ids = {o["value"] for o in await typed("inc")}  # "contains" matches come too
    assert ids == {str((await rows(rt.db, Account))[0].id)}


def _form(**chosen: str | None) -> dict[str, Any]:
    """`state.values` of the Log feedback modal."""
    values: dict[str, Any] = {}
    for block, value in chosen.items():
        block_id = f"voc.{block}"
        if block in ("account", "source", "type", "sentiment"):
            option = {"value": value, "text": {"type": "plain_text", "text": str(value)}}
            field = {"type": "static_select", "selected_option": option if value else None}
        else:
            field = {"type": "plain_text_input", "value": value}
        values[block_id] = {block_id: field}
    return values


async def test_a_valid_modal_submission_stores_the_insight_and_confirms(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    ids = await seed(rt.db)
    url = emulator.new_response_url()
    payload = view_submission(
        user=CSM,
        callback_id="voc.log",
        private_metadata=json.dumps({"response_url": url}),
        values=_form(
            account=str(ids["acme inc"]),
            source="qbr",
            type="feature request",
            text="They want SSO <!channel> & SAML",
            sentiment=None,
            feature="Single sign-on",
            competitor=None,
        ),
    )
    status, body = await slack.interactive(payload)
    assert status == 200 and body == ""  # the modal closes
    [answer] = await eventually(lambda: emulator.calls_to("response_url"))
    assert answer.ok and answer.args["response_type"] == "ephemeral"
    assert "Saved" in shown(answer) and "&lt;!channel&gt; &amp; SAML" in shown(answer)
    assert "<!channel>" not in shown(answer)
    [insight] = await rows(rt.db, Insight)
    [request] = await rows(rt.db, FeatureRequest)
    assert (insight.account_id, insight.source, insight.type) == (
        ids["acme inc"],
        "qbr",
        "feature request",
    )
    assert insight.text == "They want SSO <!channel> & SAML" and insight.logged_by == CSM
    assert insight.sentiment == "neutral" and insight.feature_request_id == request.id
    assert (request.name, request.name_key, request.status) == (
        "Single sign-on",
        "single sign on",
        "open",
    )
    assert {t.theme for t in await rows(rt.db, ThemeTag)} == {"missing feature"}


async def test_without_a_response_url_the_confirmation_is_a_dm(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    ids = await seed(rt.db)
    emulator.add_user(CSM, name="Cara")
    payload = view_submission(
        user=CSM,
        callback_id="voc.log",
        private_metadata="",
        values=_form(account=str(ids["initech"]), source="call", type="praise", text="Love it"),
    )
    assert (await slack.interactive(payload))[0] == 200
    [dm] = await eventually(lambda: emulator.messages(CSM))
    assert "Saved" in dm["text"] and "Initech" in dm["text"]


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        (
            {"account": None, "type": None, "text": "  "},
            {"voc.account", "voc.type", "voc.text"},
        ),
        ({"account": "ACME", "type": "competitor", "text": "Moving"}, {"voc.competitor"}),
        ({"account": "ACME", "type": "feature request", "text": "x", "feature": " "}, set()),
        ({"account": "ACME", "type": "bug", "text": "x" * 12_001}, {"voc.text"}),
    ],
)
async def test_invalid_modal_input_is_shown_next_to_the_field(
    rt: Runtime,
    emulator: SlackEmulator,
    slack: SlackSender,
    form: dict[str, str | None],
    errors: set[str],
) -> None:
    ids = await seed(rt.db)
    if form.get("account") == "ACME":
        form = {**form, "account": str(ids["acme inc"])}
    payload = view_submission(
        user=CSM, callback_id="voc.log", private_metadata="", values=_form(**form)
    )
    status, body = await slack.interactive(payload)
    assert status == 200
    if not errors:  # a blank feature name falls back to the text
        await eventually(lambda: rows(rt.db, Insight))
        return
    answer = json_body(body)
    assert answer["response_action"] == "errors" and set(answer["errors"]) == errors
    assert all(message.strip() for message in answer["errors"].values())
    await asyncio.sleep(0.1)
    assert await rows(rt.db, Insight) == []
