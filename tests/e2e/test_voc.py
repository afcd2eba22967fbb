"""`/voc` end to end: signed slash commands, type-ahead, modals, and what reaches Slack."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import Call, SlackEmulator
from bot.domain.voc_command import TEXT_MAX
from bot.services.shipping import NOTICE_LEASE, ship
from storage.db import Database
from storage.models import (
    Account,
    Contact,
    FeatureRequest,
    Insight,
    Invitation,
    ShipNotice,
    ThemeTag,
)
from tests.harness import SlackSender, eventually, json_body
from tests.payloads import block_action, block_suggestion, slash_command, view_submission

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
    answer = {"text": call.args.get("text"), "blocks": call.args.get("blocks")}
    return json.dumps(answer, ensure_ascii=False)


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
    for block_id in ("voc.source", "voc.type", "voc.text", "voc.sentiment"):
        assert block_id in blocks
    assert "voc.competitor" not in blocks and blocks["voc.type"]["dispatch_action"] is True

    [(view_id, stored)] = emulator.views.items()
    chosen = {"value": "competitor", "text": {"type": "plain_text", "text": "Competitor"}}
    pick = {
        "type": "block_actions",
        "user": {"id": CSM, "team_id": "T0001"},
        "team": {"id": "T0001"},
        "api_app_id": "A0001",
        "container": {"type": "view", "view_id": view_id},
        "trigger_id": "9.9.trigger",
        "view": stored["view"],
        "actions": [
            {
                "type": "static_select",
                "action_id": "voc.type",
                "block_id": "voc.type",
                "selected_option": chosen,
                "action_ts": "1.0",
            }
        ],
    }
    assert (await slack.interactive(pick))[0] == 200
    [update] = await eventually(lambda: emulator.calls_to("views.update", ok=True))
    redrawn = {b["block_id"]: b for b in emulator.views[view_id]["view"]["blocks"]}
    assert "voc.competitor" in redrawn and "voc.feature" not in redrawn
    assert redrawn["voc.type"]["element"]["initial_option"]["value"] == "competitor"
    assert update.args["view"]["private_metadata"] == view["private_metadata"]


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
        "new",
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


# one line


async def test_one_line_stores_the_same_thing_and_confirms_ephemerally(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    ids = await seed(rt.db)
    answer = await ask(slack, emulator, "acme inc: they want SSO for everyone #feature:SSO #qbr")
    assert answer.ok and answer.args["response_type"] == "ephemeral"
    assert "Saved" in shown(answer) and "feature: SSO" in shown(answer)
    again = await ask(slack, emulator, 'ACME: "still" waiting on sso #FEATURE:"sso" #email')
    assert again.ok
    first, second = await rows(rt.db, Insight)
    [request] = await rows(rt.db, FeatureRequest)
    assert (first.text, first.source, first.type) == (
        "they want SSO for everyone",
        "qbr",
        "feature request",
    )
    assert (second.text, second.source) == ('"still" waiting on sso', "email")
    assert first.feature_request_id == second.feature_request_id == request.id
    assert first.account_id == second.account_id == ids["acme inc"]
    assert request.name == "SSO"  # matched by its normalised name the second time


@pytest.mark.parametrize(
    ("line", "type_", "source", "sentiment", "competitor"),
    [
        ("Initech: export crashes #bug", "bug", "call", "negative", None),
        ("Initech: too pricey #pricing #sales", "pricing", "sales", "negative", None),
        ("Initech: trialling it #competitor:Zendesk", "competitor", "call", "negative", "Zendesk"),
        ("Initech: love the new UI #praise #interview", "praise", "interview", "positive", None),
        ("Initech: no docs #docs #ticket", "docs gap", "support ticket", "negative", None),
        ("Initech: no call #service #positive", "service issue", "call", "positive", None),
        ("Initech: ticket #4521 is about exports", "other", "call", "neutral", None),
    ],
)  # fmt: skip
async def test_hashtags_pick_type_source_and_sentiment(
    rt: Runtime,
    emulator: SlackEmulator,
    slack: SlackSender,
    line: str,
    type_: str,
    source: str,
    sentiment: str,
    competitor: str | None,
) -> None:
    await seed(rt.db)
    assert (await ask(slack, emulator, line)).ok
    [insight] = await rows(rt.db, Insight)
    assert (insight.type, insight.source, insight.sentiment) == (type_, source, sentiment)
    assert insight.competitor == competitor
    assert "#" not in insight.text or "#4521" in insight.text  # only recognised tags go


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("globex: they want SSO #feature", ["Globex Asia", "Globex Corp", "Type more"]),
        ("Umbrella: they want SSO #feature", ["No account matches", "Nothing was saved"]),
        ("Acme Corporation: hi #praise", ["Did you mean", "Ácme, Inc."]),
        ("they want SSO #feature", ["Start with the account", "/voc help"]),
        ("Acme: #feature", ["Write what the customer said"]),
        ("Acme: hi #featrue", ["#featrue", "#feature"]),
        ("Acme: hi #bug #praise", ["Pick one type"]),
        ("Acme: moving away #competitor", ["Name the competitor"]),
        ("Acme: hi #bug:thing", ["takes no name"]),
        ("themes 45 days ago", ["not a period", "30d"]),
        ("account", ["Say which account"]),
        ("ship", ["Only VoC admins"]),
    ],
)
async def test_bad_input_says_what_to_type_and_stores_nothing(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, line: str, says: list[str]
) -> None:
    await seed(rt.db)
    answer = await ask(slack, emulator, line)
    assert answer.ok and answer.args["response_type"] == "ephemeral"
    for words in says:
        assert words in shown(answer), words
    if ":" in line and not line.startswith(("themes", "account", "ship")):
        assert "What you typed, to copy" in shown(answer)  # nothing is lost
    assert await rows(rt.db, Insight) == [] and await rows(rt.db, FeatureRequest) == []


async def test_voc_works_from_a_dm(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await seed(rt.db)
    answer = await ask(slack, emulator, "help", channel="DCSM")
    assert answer.ok and "/voc Acme: they want SSO #feature" in shown(answer)
    assert (await ask(slack, emulator, "Globex Asia: great call #praise", channel="DCSM")).ok
    assert len(await rows(rt.db, Insight)) == 1


# read commands


async def test_help_lists_every_form(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    answer = await ask(slack, emulator, "help")
    for form in (
        "/voc account",
        "/voc themes",
        "/voc requests",
        "/voc nps",
        "/voc send",
        "/voc ship",
    ):
        assert form in shown(answer), form


async def test_requests_rank_by_arr_of_distinct_accounts(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await seed(rt.db)
    for line in (
        "Globex Corp: SSO please #feature:SSO",
        "Globex Asia: need SSO #feature:sso",
        'Acme: audit log #feature:"Audit log"',
        "Acme: audit log again #feature:audit-log",
        'Acme: also audit log #feature:"AUDIT LOG"',
    ):
        assert (await ask(slack, emulator, line)).ok
    answer = await ask(slack, emulator, "requests")
    text = shown(answer)
    assert text.index("Audit log") < text.index("SSO")  # 120k beats 30k + 10k
    assert "$120,000 ARR · 1 account · 3 mentions" in text
    assert "$40,000 ARR · 2 accounts · 2 mentions" in text


async def test_account_timeline_shows_scores_cases_and_insights(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await seed(rt.db)
    invitation = await _answered_survey(rt, emulator, slack, 3, "Support is slow & rude")
    assert invitation.id
    assert (await ask(slack, emulator, "Acme: wants <@U9> SSO #feature")).ok
    answer = await ask(slack, emulator, "account ácme")
    text = shown(answer)
    assert answer.ok and "Ácme, Inc." in text and "$120,000" in text
    assert "NPS 3 (detractor)" in text and "Support is slow &amp; rude" in text
    assert "Follow-up on NPS 3" in text and "feature request via call" in text
    assert "wants &lt;@U9&gt; SSO" in text and "<@U9>" not in text
    empty = await ask(slack, emulator, "account initech")
    assert "Nothing recorded yet" in shown(empty)


async def test_nps_overall_by_segment_and_by_account(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await seed(rt.db)
    await _answered_survey(rt, emulator, slack, 10, None)
    overall = shown(await ask(slack, emulator, "nps"))
    assert "NPS for all accounts, last 90 days: +100" in overall
    assert "+100" in shown(await ask(slack, emulator, "nps Enterprise"))
    assert "No NPS answers" in shown(await ask(slack, emulator, "nps smb"))
    assert "Ácme, Inc." in shown(await ask(slack, emulator, "nps acme"))
    assert "No account matches" in shown(await ask(slack, emulator, "nps umbrella"))


# survey comments become insights; themes


async def _answered_survey(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, score: int, comment: str | None
) -> Invitation:
    """Ana (U1 at Ácme) answers an NPS survey and, if given, says why."""
    from bot.scheduler import drain
    from bot.services.surveys import start_relationship_campaign

    emulator.add_user("U1", email="ana@acme.test", name="Ana")
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    [invitation] = await rows(rt.db, Invitation)
    tap = block_action(
        user="U1",
        action_id=f"survey.rate.{score}",
        value=f"{invitation.id}:{score}",
        channel=invitation.dm_channel or "",
        message_ts=invitation.message_ts or "",
        response_url=emulator.new_response_url(),
    )
    await slack.interactive(tap)
    await eventually(lambda: emulator.calls_to("chat.update"))
    if comment is not None:
        submission = view_submission(
            user="U1",
            callback_id="survey.comment",
            private_metadata=str(invitation.id),
            values={"survey.comment": {"survey.comment.input": {"value": comment}}},
        )
        await slack.interactive(submission)
        await eventually(lambda: rows(rt.db, Insight))
    await rt.settle()  # the DM updates that follow the answer are done too
    return invitation


async def test_a_survey_comment_becomes_a_themed_survey_insight(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await seed(rt.db)
    await _answered_survey(rt, emulator, slack, 2, "Sokongan lambat, tiket saya masih menunggu")
    [insight] = await rows(rt.db, Insight)
    async with rt.db.session() as session:
        from storage.models import Response

        response = (await session.execute(select(Response))).scalar_one()
    assert insight.source == "survey" and insight.response_id == response.id
    assert insight.text == response.comment and insight.contact_id == response.contact_id
    assert insight.sentiment == "negative" and insight.type == "service issue"
    assert [(t.theme, t.set_by) for t in await rows(rt.db, ThemeTag)] == [("slow support", None)]
    themes = shown(await ask(slack, emulator, "themes 30d"))
    assert "last 30 days" in themes
    assert "slow support: 100% (1 of 1)" in themes.split("Among detractor")[1]


async def test_theme_counts_cover_the_period_asked_for(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: Any
) -> None:
    from datetime import timedelta

    await seed(rt.db)
    assert (await ask(slack, emulator, "Acme: way too expensive #pricing")).ok
    clock.advance(timedelta(days=40))
    assert (await ask(slack, emulator, "Acme: the export crashes #bug")).ok
    recent = shown(await ask(slack, emulator, "themes 30d"))
    assert "product bug: 100% (1 of 1)" in recent and "pricing" not in recent
    default = shown(await ask(slack, emulator, "themes"))
    assert "last 90 days" in default and "pricing: 50% (1 of 2)" in default


async def test_themes_can_be_changed_from_slack(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await seed(rt.db)
    answer = await ask(slack, emulator, "Acme: the API docs are thin #docs")
    [insight] = await rows(rt.db, Insight)
    assert {t.theme for t in await rows(rt.db, ThemeTag)} == {"documentation", "integrations"}
    [button] = [e for b in answer.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    click = block_action(
        user="UOTHER",
        action_id=button["action_id"],
        value=button["value"],
        channel="C0GENERAL",
        message_ts="1.0",
        response_url=emulator.new_response_url(),
        block_id=answer.args["blocks"][-1].get("block_id") or "x",
    )
    assert (await slack.interactive(click))[0] == 200
    [opened] = await eventually(lambda: emulator.calls_to("views.open", ok=True))
    view = opened.args["view"]
    select_ = view["blocks"][-1]["element"]
    assert {o["value"] for o in select_["initial_options"]} == {"documentation", "integrations"}
    before = len(emulator.calls_to("response_url"))
    chosen = [{"value": v, "text": {"type": "plain_text", "text": v}} for v in ("usability",)]
    submission = view_submission(
        user="UOTHER",
        callback_id=view["callback_id"],
        private_metadata=view["private_metadata"],
        values={"voc.themes.select": {"voc.themes.select": {"selected_options": chosen}}},
    )
    assert (await slack.interactive(submission))[0] == 200
    [updated] = await eventually(lambda: emulator.calls_to("response_url")[before:])
    assert "Themes updated" in shown(updated) and "Themes: usability" in shown(updated)
    tags = await rows(rt.db, ThemeTag)
    assert [(t.insight_id, t.theme, t.set_by) for t in tags] == [
        (insight.id, "usability", "UOTHER")
    ]


# admin: ship and send


async def _requested(rt: Runtime, emulator: SlackEmulator, slack: SlackSender) -> None:
    """SSO asked for by Globex Corp (logged by ULOG), and by Ana at Ácme, named by her email."""
    await seed(rt.db)
    assert (await ask(slack, emulator, "Globex Corp: SSO please #feature:SSO", user="ULOG")).ok
    said = await ask(slack, emulator, "ANA@acme.test: we need sso #feature:sso", user="ULOG")
    assert "Ácme, Inc." in shown(said)
    [request] = await rows(rt.db, FeatureRequest)
    [contact] = await rows(rt.db, Contact)
    linked = [i for i in await rows(rt.db, Insight) if i.contact_id == contact.id]
    assert [i.feature_request_id for i in linked] == [request.id]
    for user in ("U1", CSM, "ULOG"):
        emulator.add_user(user)
    emulator.add_user("UCSM2", deleted=True)  # Slack refuses: account_inactive


async def test_an_unknown_email_is_refused_and_nothing_is_stored(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await seed(rt.db)
    answer = await ask(slack, emulator, "bob@acme.test: wants SSO #feature")
    assert 'No contact has the email \\"bob@acme.test\\"' in shown(answer)
    assert await rows(rt.db, Insight) == []


async def test_ship_is_admin_only(rt: Runtime, emulator: SlackEmulator, slack: SlackSender) -> None:
    await _requested(rt, emulator, slack)
    answer = await ask(slack, emulator, "ship SSO", user="UNOBODY")
    assert "Only VoC admins can mark features shipped" in shown(answer)
    [request] = await rows(rt.db, FeatureRequest)
    assert request.status == "new" and await rows(rt.db, ShipNotice) == []


async def test_ship_dms_everyone_who_asked_exactly_once(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    rt.settings.voc_admins = ["UADMIN"]
    await _requested(rt, emulator, slack)
    before = len(emulator.calls_to("response_url"))
    for text in ("ship sso", "ship SSO"):  # two at once: the second before the first is done
        fields = slash_command(user="UADMIN", text=text, response_url=emulator.new_response_url())
        assert (await slack.command(fields))[0] == 200
    first, second = await eventually(
        lambda: (
            emulator.calls_to("response_url")[before:][1:]
            and emulator.calls_to("response_url")[before:]
        )
    )
    third = await ask(slack, emulator, "ship SSO", user="UADMIN")
    told = [shown(first).count("Told 3 new"), shown(second).count("Told 3 new")]
    assert sorted(told) == [0, 1]  # one of them told everyone; the other nobody again
    assert "already shipped" in shown(third) and "Told 0 new people" in shown(third)
    dms = [c.args["channel"] for c in emulator.calls_to("chat.postMessage", ok=True)]
    assert sorted(dms) == ["U1", "UCSM", "ULOG"]  # contact, Ácme's CSM, who logged it
    for user in ("U1", "UCSM", "ULOG"):
        [dm] = emulator.messages(user)
        assert "You asked for *SSO* — it's live" in dm["text"]
    assert len(emulator.calls_to("chat.postMessage", ok=False)) == 1  # UCSM2, once
    notices = {n.user_id: n for n in await rows(rt.db, ShipNotice)}
    assert set(notices) == {"U1", "UCSM", "ULOG", "UCSM2"}
    assert notices["UCSM2"].error == "account_inactive" and notices["UCSM2"].sent_at is None
    assert all(notices[u].sent_at and not notices[u].error for u in ("U1", "UCSM", "ULOG"))
    assert notices["U1"].contact_id is not None
    [request] = await rows(rt.db, FeatureRequest)
    assert (request.status, request.shipped_by) == ("shipped", "UADMIN")
    assert "No open feature requests" in shown(await ask(slack, emulator, "requests"))


async def test_a_ship_that_died_after_slack_took_a_dm_does_not_send_it_again(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock
) -> None:
    rt.settings.voc_admins = ["UADMIN"]
    await _requested(rt, emulator, slack)
    emulator.add_user("UCSM2", email="csm2@corp.test")  # reachable this time
    stored = emulator.hang_after_store("chat.postMessage")
    dying = asyncio.create_task(ship(rt, feature="SSO", user_id="UADMIN", now=rt.now()))
    await asyncio.wait_for(stored.wait(), timeout=10)  # Slack has the first DM ...
    dying.cancel()  # ... and the process dies before recording it
    with contextlib.suppress(asyncio.CancelledError):
        await dying
    clock.advance(NOTICE_LEASE + timedelta(seconds=1))
    answer = await ask(slack, emulator, "ship SSO", user="UADMIN")
    assert "already shipped" in shown(answer)
    for user in ("U1", "UCSM", "ULOG", "UCSM2"):
        assert len(emulator.messages(user)) == 1, user  # one DM each, none twice
    notices = await rows(rt.db, ShipNotice)
    assert all(n.sent_at and not n.error and n.lease_until is None for n in notices)


async def test_ship_names_unknown_and_ambiguous_requests(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    rt.settings.voc_admins = ["UADMIN"]
    await seed(rt.db)
    assert (await ask(slack, emulator, 'Acme: a #feature:"Audit log"')).ok
    assert (await ask(slack, emulator, 'Acme: b #feature:"Audit export"')).ok
    assert "matches several" in shown(await ask(slack, emulator, "ship audit", user="UADMIN"))
    assert "No feature request" in shown(await ask(slack, emulator, "ship SSO", user="UADMIN"))
    assert {r.status for r in await rows(rt.db, FeatureRequest)} == {"new"}


async def test_send_follows_the_cli_rules_for_admins_only(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    rt.settings.voc_admins = ["UADMIN"]
    await seed(rt.db)
    emulator.add_user("U1", email="ana@acme.test")
    refused = await ask(slack, emulator, "send nps", user=CSM)
    assert "Only VoC admins can start surveys" in shown(refused)
    assert await rows(rt.db, Invitation) == []
    assert "not a survey kind" in shown(await ask(slack, emulator, "send nope", user="UADMIN"))
    assert "not a segment" in shown(await ask(slack, emulator, "send nps big", user="UADMIN"))
    assert "No contacts in segment smb" in shown(
        await ask(slack, emulator, "send csat smb", user="UADMIN")
    )
    sent = await ask(slack, emulator, "send nps enterprise", user="UADMIN")
    assert "Created 1 invitation" in shown(sent)
    [invitation] = await rows(rt.db, Invitation)
    assert (invitation.kind, invitation.trigger, invitation.status) == (
        "nps",
        "relationship",
        "scheduled",
    )


# arbitrary text: never a crash, stored as typed, never unescaped or over a limit in Slack

_TRICKY = st.sampled_from(
    [
        "<!channel>",
        "<!here|here>",
        "<@U1>",
        "<#C1|general>",
        "<!subteam^S1>",
        "&amp; &lt;",
        "x" * 5000,
        "\u202ertl override\u202c",
        "مرحبا بالعالم",
        "שלום עולם",
        "😀🎉👩🏽‍💻",
        "\x07\x1b[31m\x7f",
        "a\r\nb\n\n\nc",
        "*bold* _it_ ~s~ `code` ```block```",
        ">" * 40,
        "&" * 700,
        ":",
        "#bug",
        "#nope",
        "#1",
        "   ",
    ]
)
_ANY = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=300,
)
_TYPED = st.lists(st.one_of(_TRICKY, _ANY), max_size=5).map("".join)


def _mrkdwn(value: Any) -> list[str]:
    """Every string Slack would parse as mrkdwn in an answer."""
    if isinstance(value, dict):
        found = [value["text"]] if value.get("type") == "mrkdwn" else []
        return found + [t for v in value.values() for t in _mrkdwn(v)]
    if isinstance(value, list):
        return [t for v in value for t in _mrkdwn(v)]
    return []


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(typed=_TYPED)
async def test_any_text_is_stored_as_typed_and_reaches_slack_escaped_and_within_limits(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, typed: str
) -> None:
    if not await rows(rt.db, Account):
        await seed(rt.db)
    before = await rows(rt.db, Insight)
    answer = await ask(slack, emulator, f"Ácme: {typed}")
    assert answer.ok  # the emulator refuses blocks over Slack's limits
    assert len(answer.args.get("text") or "") <= 4000
    for text in _mrkdwn(answer.args.get("blocks")) + [answer.args.get("text") or ""]:
        assert "<" not in text  # so no <!channel>, <@U…> or link survives unescaped
    after = await rows(rt.db, Insight)
    said = typed.strip()
    if len(said) > TEXT_MAX:
        assert "Keep it under" in shown(answer) and len(after) == len(before)
    elif "#" not in typed and said:
        assert len(after) == len(before) + 1
        assert after[-1].text == typed.strip()
        assert "Saved" in shown(answer)
    elif len(after) == len(before):
        assert "Saved" not in shown(answer)  # refused, with a message saying why


async def test_a_changed_comment_retags_and_a_cleared_one_drops_its_insight(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await seed(rt.db)
    invitation = await _answered_survey(rt, emulator, slack, 9, "Great product")
    [insight] = await rows(rt.db, Insight)
    assert (insight.type, insight.sentiment) == ("praise", "positive")

    async def comment(text: str) -> None:
        before = len(emulator.calls_to("chat.update"))
        submission = view_submission(
            user="U1",
            callback_id="survey.comment",
            private_metadata=str(invitation.id),
            values={"survey.comment": {"survey.comment.input": {"value": text}}},
        )
        assert (await slack.interactive(submission))[0] == 200
        await eventually(lambda: emulator.calls_to("chat.update")[before:])
        await rt.settle()

    await comment("Too expensive for us")
    [changed] = await rows(rt.db, Insight)
    assert (changed.id, changed.text, changed.type) == (
        insight.id,
        "Too expensive for us",
        "pricing",
    )
    assert [t.theme for t in await rows(rt.db, ThemeTag)] == ["pricing"]
    await comment("   ")
    assert await rows(rt.db, Insight) == [] and await rows(rt.db, ThemeTag) == []


async def test_themes_chosen_from_the_timeline_outlive_a_comment_edit(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await seed(rt.db)
    invitation = await _answered_survey(rt, emulator, slack, 4, "Onboarding was slow")
    timeline = await ask(slack, emulator, "account acme")
    [button] = [b["accessory"] for b in timeline.args["blocks"] if "accessory" in b]
    assert "survey comment · themes: onboarding, performance" in shown(timeline)
    click = block_action(
        user=CSM,
        action_id=button["action_id"],
        value=button["value"],
        channel="C0GENERAL",
        message_ts="1.0",
        response_url=emulator.new_response_url(),
    )
    assert (await slack.interactive(click))[0] == 200
    [opened] = await eventually(lambda: emulator.calls_to("views.open", ok=True))
    chosen = [{"value": "onboarding"}, {"value": "slow support"}]
    submission = view_submission(
        user=CSM,
        callback_id="voc.themes",
        private_metadata=opened.args["view"]["private_metadata"],
        values={"voc.themes.select": {"voc.themes.select": {"selected_options": chosen}}},
    )
    assert (await slack.interactive(submission))[0] == 200
    await eventually(lambda: len(emulator.calls_to("response_url")) == 2)
    edit = view_submission(
        user="U1",
        callback_id="survey.comment",
        private_metadata=str(invitation.id),
        values={"survey.comment": {"survey.comment.input": {"value": "Onboarding took weeks"}}},
    )
    before = len(emulator.calls_to("chat.update"))
    assert (await slack.interactive(edit))[0] == 200
    await eventually(lambda: emulator.calls_to("chat.update")[before:])
    [insight] = await rows(rt.db, Insight)
    assert insight.text == "Onboarding took weeks"
    tags = [(t.theme, t.set_by) for t in await rows(rt.db, ThemeTag)]
    assert tags == [("onboarding", CSM), ("slow support", CSM)]


async def test_the_command_is_acked_before_its_slow_work(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    rt.settings.voc_admins = ["UADMIN"]
    await _requested(rt, emulator, slack)
    emulator.fail("chat.postMessage", status=429, retry_after=2)  # Slack makes the DMs wait
    fields = slash_command(user="UADMIN", text="ship SSO", response_url=emulator.new_response_url())
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, body = await slack.command(fields)
    assert (status, body) == (200, "") and loop.time() - started < 1.0
    assert emulator.calls_to("chat.postMessage", ok=True) == []  # acked before the DMs
    await eventually(lambda: len(emulator.calls_to("chat.postMessage", ok=True)) == 3, timeout=10)


async def test_an_error_for_a_field_not_shown_goes_next_to_the_type(
    rt: Runtime, slack: SlackSender
) -> None:
    from blocks.feedback import log_modal

    ids = await seed(rt.db)
    payload = view_submission(
        user=CSM,
        callback_id="voc.log",
        private_metadata="",
        values=_form(account=str(ids["initech"]), type="competitor", text="Moving to them"),
    )
    payload["view"]["blocks"] = log_modal("").to_dict()["blocks"]  # drawn before the type
    status, body = await slack.interactive(payload)
    assert status == 200
    errors = json_body(body)["errors"]
    assert list(errors) == ["voc.type"] and "Name the competitor" in errors["voc.type"]
    assert await rows(rt.db, Insight) == []


async def test_when_the_form_cannot_open_the_answer_says_what_to_type(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    emulator.fail("views.open", error="expired_trigger_id")
    answer = await ask(slack, emulator, "")
    assert "The form did not open" in shown(answer) and "/voc Acme: they want SSO" in shown(answer)
