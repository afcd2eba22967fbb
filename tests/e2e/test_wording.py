"""Question wording end to end: an admin sets it (`/voc wording`, the CLI), the next survey
DM asks it filled in per contact, a tap keeps it, and PRODUCT_NAME names the product."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select, update

from bot.core.runtime import Runtime
from bot.devkit.emulator import Call, SlackEmulator
from bot.domain.admin_commands import WordingSet
from bot.domain.vocabulary import InvitationStatus
from bot.scheduler import drain
from bot.services.delivery import reconcile_stale, survey_metadata
from bot.services.surveys import start_relationship_campaign
from bot.services.wording import set_wording
from storage import invitations
from storage.models import Account, Contact, Invitation, QuestionWording
from tests.e2e.test_email_surveys import _emailed, browser, mail_rt, smtp
from tests.e2e.test_voc import ask, shown
from tests.harness import SlackSender, cli_env, eventually, vocbot
from tests.mail import SmtpServer, html_part, score_links, text_part
from tests.payloads import block_action
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
__all__ = ["browser", "mail_rt", "smtp"]  # the email tests' fixtures, used here too
TEMPLATE = "How likely are you to recommend {product} to a colleague, {first_name}? ({csm_name})"


async def _people(rt: Runtime, emulator: SlackEmulator) -> None:
    """Ana (a name that tries to ping), Ben (no name known, Malay), and their CSM, Chen."""
    emulator.add_user("U1", email="ana@acme.test")
    emulator.add_user("U2", email="ben@acme.test", locale="ms-MY")
    emulator.add_user("UCSM", name="Chen Wei")
    await add_people(
        rt.db, Person("ana@acme.test", locale="en-US"), Person("ben@acme.test", locale="ms-MY")
    )
    async with rt.db.transaction() as session:
        await session.execute(
            update(Contact).where(Contact.email == "ana@acme.test").values(name="<!channel>&co Lim")
        )
        await session.execute(update(Account).values(csm_user_id="UCSM"))


def _asked(emulator: SlackEmulator) -> dict[str, str]:
    """Each survey DM's question (its first section), by recipient."""
    posts = emulator.calls_to("chat.postMessage", ok=True)
    return {
        call.args["channel"]: json.loads(json.dumps(call.args["blocks"]))[0]["text"]["text"]
        for call in posts
        if call.args["channel"].startswith("U")
    }


async def _set_nps(rt: Runtime, template: str) -> None:
    await set_wording(rt, WordingSet("nps", "en", template), by="cli", now=rt.now())


async def _survey(rt: Runtime) -> None:
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)


async def _ana(rt: Runtime) -> Invitation:
    async with rt.db.session() as session:
        query = select(Invitation).join(Contact).where(Contact.email == "ana@acme.test")
        return (await session.execute(query)).scalar_one()


async def _tap_and_redraw(rt: Runtime, emulator: SlackEmulator, slack: SlackSender) -> Call:
    """Ana taps 9 on her survey DM; the `chat.update` that redraws it."""
    ana = await _ana(rt)
    tap = block_action(
        user="U1",
        action_id="survey.rate.9",
        value=f"{ana.id}:9",
        channel=ana.dm_channel or "",
        message_ts=ana.message_ts or "",
        response_url=emulator.new_response_url(),
    )
    assert (await slack.interactive(tap))[0] == 200
    [redrawn] = await eventually(lambda: emulator.calls_to("chat.update", ok=True))
    return redrawn


async def test_an_admins_wording_is_asked_in_the_next_dm_filled_per_contact(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    rt.settings.voc_admins = ["UADMIN"]
    rt.settings.product_name = "Acme Cloud"
    await _people(rt, emulator)

    async def said(text: str, user: str = "UADMIN") -> str:
        return shown(await ask(slack, emulator, text, user=user))

    refused = await said(f'wording set nps --lang en "{TEMPLATE}"', user="UCSM")
    assert "Only VoC admins can change the question wording" in refused
    answer = await said(f'wording set nps --lang en "{TEMPLATE}"')
    assert "NPS (en) now asks" in answer and "For example" in answer
    assert "which I don't know" in await said('wording set nps "Hi {name}?"')
    assert "(set)" in await said("wording show")
    # Slack sends & < > as entities and may curl the quotes; an apostrophe needs no quotes
    typed = await said("wording set csat --lang ms “Q&amp;A: what's {product} like?”")
    assert "CSAT (ms) now asks: Q&amp;A: what's {product} like?" in typed  # escaped once
    async with rt.db.session() as session:
        stored = (await session.execute(select(QuestionWording.template))).scalars().all()
    assert "Q&A: what's {product} like?" in stored
    assert "asks the default again" in await said("wording reset csat --lang=ms")

    await _survey(rt)

    asked = _asked(emulator)
    assert asked["U1"] == (
        "*How likely are you to recommend Acme Cloud to a colleague, "
        "&lt;!channel&gt;&amp;co? (Chen Wei)*"
    )
    # Ben reads Malay: no Malay wording set, so the default, naming the product
    assert asked["U2"] == (
        "*Sejauh manakah anda akan mengesyorkan Acme Cloud kepada rakan atau rakan sekerja?*"
    )

    # the tap redraws the DM with the question it was asked, not the default
    update_call = await _tap_and_redraw(rt, emulator, slack)
    assert "recommend Acme Cloud to a colleague, &lt;!channel&gt;" in json.dumps(
        update_call.args["blocks"]
    )
    assert "recommend Acme Cloud to a colleague" in update_call.args["text"]  # the notification

    assert "asks the default again" in await said("wording reset nps --lang en")
    async with rt.db.session() as session:
        assert (await session.execute(select(QuestionWording))).first() is None


async def test_a_dm_whose_answer_slack_lost_keeps_the_wording_it_asked(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    rt.settings.product_name = "Acme Cloud"
    await _people(rt, emulator)
    await _set_nps(rt, TEMPLATE)
    emulator.lose_answers("chat.postMessage", probability=1.0)  # stored, then a 503
    await _survey(rt)
    emulator.lose_answers("chat.postMessage", probability=0)
    ana = await _ana(rt)
    assert ana.status == InvitationStatus.SENT  # found by its metadata, not posted again
    assert len(emulator.messages(ana.dm_channel or "")) == 1
    assert ana.question is not None and "(Chen Wei)" in ana.question

    redrawn = await _tap_and_redraw(rt, emulator, slack)
    assert "recommend Acme Cloud to a colleague" in json.dumps(redrawn.args["blocks"])


async def test_a_dm_settled_after_its_sender_died_keeps_the_wording_it_asked(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    rt.settings.product_name = "Acme Cloud"
    await _people(rt, emulator)
    await _set_nps(rt, TEMPLATE)
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    now, lease, ana = rt.now(), rt.settings.send_lease, await _ana(rt)
    async with rt.db.transaction() as session:  # a sender claims, posts Ana's DM, and dies
        claimed = await invitations.claim_due(session=session, now=now, lease=lease, limit=5)
    assert len(claimed) == 2
    await rt.slack.chat_postMessage(
        channel="U1", text="How likely…", metadata=survey_metadata(ana.id or 0)
    )
    report = await reconcile_stale(rt, now + lease + timedelta(seconds=1))
    assert report.reconciled == 1 and report.requeued == 1  # Ana's found, Ben's due again
    ana = await _ana(rt)
    assert ana.status == InvitationStatus.SENT
    assert ana.question is not None and "(Chen Wei)" in ana.question


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en-US", "*How likely are you to recommend Acme Cloud to a friend or colleague?*"),
        (
            "ms-MY",
            "*Sejauh manakah anda akan mengesyorkan Acme Cloud kepada rakan atau rakan sekerja?*",
        ),
    ],
)
async def test_product_name_names_the_product_in_the_default_wording(
    rt: Runtime, emulator: SlackEmulator, locale: str, expected: str
) -> None:
    rt.settings.product_name = "Acme Cloud"
    emulator.add_user("U1", email="ana@acme.test", locale=locale)
    await add_people(rt.db, Person("ana@acme.test", locale=locale))
    await _survey(rt)
    assert _asked(emulator) == {"U1": expected}


async def test_without_product_name_the_default_wording_is_unchanged(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    emulator.add_user("U1", email="ana@acme.test")
    await add_people(rt.db, Person("ana@acme.test"))
    await _survey(rt)
    assert _asked(emulator) == {
        "U1": "*How likely are you to recommend us to a friend or colleague?*"
    }


@pytest.mark.slow
async def test_the_wording_commands(
    rt: Runtime, emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    env = cli_env(api_url=emulator.api_url, database_url=database_url, home=tmp_path)

    code, out, err = await vocbot(
        env, "wording", "set", "csat", "--lang", "ms", "Puas hati, {first_name}?", cwd=tmp_path
    )
    assert (code, err) == (0, "")
    assert "CSAT (ms) now asks: Puas hati, {first_name}?" in out
    assert "For example: Puas hati, Aina?" in out
    code, out, err = await vocbot(env, "wording", "set", "nps", "Hi {first_name", cwd=tmp_path)
    assert code == 1 and "unbalanced brace" in err
    code, out, err = await vocbot(env, "wording", "set", "nps", "{company}?", cwd=tmp_path)
    assert code == 1 and "{company}" in err and "{first_name}, {product}, {csm_name}" in err
    code, out, err = await vocbot(env, "wording", "set", "nps", "x" * 2500, cwd=tmp_path)
    assert code == 1 and "too long for Slack" in err
    code, out, _ = await vocbot(env, "wording", "show", cwd=tmp_path)
    assert "csat ms (set): Puas hati, {first_name}?" in out
    assert "nps en (default): How likely are you to recommend {product}" in out

    emulator.add_user("U1", email="ana@acme.test", locale="ms-MY")
    await add_people(rt.db, Person("ana@acme.test", locale="ms-MY"))
    async with rt.db.transaction() as session:
        await session.execute(update(Contact).values(name="Aina Rahman"))
    await start_relationship_campaign(rt, kind="csat", now=rt.now(), send_now=True)
    await drain(rt)
    assert _asked(emulator) == {"U1": "*Puas hati, Aina?*"}

    code, out, _ = await vocbot(env, "wording", "reset", "csat", "--lang", "ms", cwd=tmp_path)
    assert code == 0 and "asks the default again" in out

    # the question kept with the survey names her: `forget` drops it with the rest
    code, out, _ = await vocbot(env, "forget", "ana@acme.test", cwd=tmp_path)
    assert code == 0 and "invitations (question asked): 1" in out
    async with rt.db.session() as session:
        [invitation] = (await session.execute(select(Invitation))).scalars()
    assert invitation.question is None


async def test_the_email_and_its_page_ask_the_wording_unescaped_in_text_escaped_in_html(
    mail_rt: Runtime, smtp: SmtpServer, browser: aiohttp.ClientSession
) -> None:
    await _set_nps(mail_rt, "{first_name}, would you recommend {product} & us?")
    await _emailed(mail_rt, Person("ana@acme.test"), name="Ana <b>Lim</b>")
    [message] = smtp.messages
    assert "Ana, would you recommend Acme Cloud & us?" in text_part(message)
    assert "Ana, would you recommend Acme Cloud &amp; us?" in html_part(message)
    async with browser.get(score_links(message)[9]) as page:
        assert "Ana, would you recommend Acme Cloud &amp; us?" in await page.text()


async def test_the_shared_channel_post_asks_the_wording_and_names_no_one(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    rt.settings.product_name = "Globex <!here>"
    for user, email in (("U0MIA", "mia@globex.test"), ("U0LEE", "lee@globex.test")):
        emulator.add_user(user, email=email, team_id="TCUSTOMER", dm_error="restricted_action")
    emulator.add_channel("C0SHARED", ["U0MIA", "U0LEE"])
    await add_people(
        rt.db,
        Person("mia@globex.test", account="Globex"),
        Person("lee@globex.test", account="Globex"),
    )
    async with rt.db.transaction() as session:
        await session.execute(update(Account).values(slack_channel="C0SHARED"))
        await session.execute(update(Contact).values(name="Mia Tan"))
    await _set_nps(rt, "{first_name}: recommend {product}?")
    await _survey(rt)

    [post] = emulator.messages("C0SHARED")
    question = "everyone: recommend Globex &lt;!here&gt;?"
    assert post["text"] == question and post["blocks"][0]["text"]["text"] == f"*{question}*"
    assert "Mia" not in json.dumps(post)
    [mia, lee] = sorted(i.id or 0 for i in await _all_invitations(rt))
    tap = block_action(
        user="U0MIA",
        action_id="survey.shared.rate.9",
        value=f"{mia},{lee}:9",
        channel="C0SHARED",
        message_ts=post["ts"],
        response_url=emulator.new_response_url(),
        user_team="TCUSTOMER",
    )
    assert (await slack.interactive(tap))[0] == 200
    [redrawn] = await eventually(lambda: emulator.calls_to("chat.update", ok=True))
    assert redrawn.args["text"] == question  # the count changes, the question stays


async def _all_invitations(rt: Runtime) -> list[Invitation]:
    async with rt.db.session() as session:
        return list((await session.execute(select(Invitation))).scalars())
