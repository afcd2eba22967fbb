"""Reaching customers outside our workspace: Slack Connect channels, refused DMs, reach figures."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from blocks.admin import send_summary
from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.domain.vocabulary import InvitationStatus
from bot.scheduler import drain
from bot.services.export import export_responses
from bot.services.surveys import CampaignReport, Unreachable, start_relationship_campaign
from storage.models import Account, Advocacy, Contact, FollowUpCase, Invitation, Response
from tests.harness import SlackSender, cli_env, eventually, vocbot
from tests.payloads import block_action, view_submission
from tests.seed import Person, add_people

S = InvitationStatus
pytestmark = pytest.mark.postgres
CUSTOMER_TEAM = "TCUSTOMER"
SHARED = "C0GLOBEXSHARED"
VOC = "CVOC"


async def _set_channel(rt: Runtime, account: str, channel: str) -> None:
    async with rt.db.transaction() as session:
        await session.execute(
            update(Account).where(Account.name == account).values(slack_channel=channel)
        )


async def _invitations(rt: Runtime) -> list[Invitation]:
    async with rt.db.session() as session:
        return list((await session.execute(select(Invitation).order_by(Invitation.id))).scalars())


async def _contact(rt: Runtime, email: str) -> Contact:
    async with rt.db.session() as session:
        return (await session.execute(select(Contact).where(Contact.email == email))).scalar_one()


async def _responses(rt: Runtime) -> list[Response]:
    async with rt.db.session() as session:
        return list((await session.execute(select(Response).order_by(Response.id))).scalars())


async def _forget_invitations(rt: Runtime) -> None:
    async with rt.db.transaction() as session:
        await session.execute(delete(Invitation))


async def _advocacy_count(rt: Runtime) -> int:
    async with rt.db.session() as session:
        return (await session.execute(select(func.count(Advocacy.id)))).scalar_one()


def _notes(emulator: SlackEmulator) -> list[str]:
    return [c.args.get("text", "") for c in emulator.calls_to("response_url")]


def _tap(
    emulator: SlackEmulator,
    *,
    user: str,
    action: str,
    value: str,
    channel: str,
    ts: str,
    team: str = CUSTOMER_TEAM,
    block_id: str = "survey.rating",
) -> dict:
    return block_action(
        user=user,
        action_id=action,
        value=value,
        channel=channel,
        message_ts=ts,
        response_url=emulator.new_response_url(),
        block_id=block_id,
        user_team=team,
    )


async def test_an_external_contact_found_in_the_shared_channel_gets_one_dm_and_a_card(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    emulator.add_user("U0NOISE", email="noise@globex.test", team_id=CUSTOMER_TEAM)
    emulator.add_user(
        "U0MIA",
        email="Mia@Globex.test",
        team_id=CUSTOMER_TEAM,
        tz="Asia/Kuala_Lumpur",
        locale="ms-MY",
    )
    emulator.add_channel(SHARED, ["U0NOISE", "U0MIA"])
    await add_people(rt.db, Person("mia@globex.test", account="Globex"))
    await _set_channel(rt, "Globex", SHARED)

    report = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)

    assert (report.created, report.by_dm, report.external, report.unreachable) == (1, 1, 1, [])
    assert not emulator.calls_to("users.lookupByEmail")  # the shared channel's listing showed her
    mia = await _contact(rt, "mia@globex.test")
    assert (mia.slack_user_id, mia.slack_team_id) == ("U0MIA", CUSTOMER_TEAM)
    assert (mia.tz, mia.locale) == ("Asia/Kuala_Lumpur", "ms-MY")
    await drain(rt)
    await drain(rt)
    [dm] = emulator.calls_to("chat.postMessage", ok=True)
    assert dm.args["channel"] == "U0MIA"
    [invitation] = await _invitations(rt)
    assert (invitation.status, invitation.channel) == (S.SENT, "slack")
    [message] = emulator.messages("U0MIA")
    assert message["metadata"]["event_payload"]["invitation_id"] == invitation.id

    tap = block_action(
        user="U0MIA",
        action_id="survey.rate.2",
        value=f"{invitation.id}:2",
        channel=invitation.dm_channel or "",
        message_ts=invitation.message_ts or "",
        response_url=emulator.new_response_url(),
        user_team=CUSTOMER_TEAM,
    )
    assert (await slack.interactive(tap))[0] == 200
    [card] = await eventually(lambda: emulator.messages(VOC))
    assert "Globex" in json.dumps(card["blocks"])
    [response] = await _responses(rt)
    assert (response.score, response.category) == (2, "detractor")
    async with rt.db.session() as session:
        assert (await session.execute(select(func.count(FollowUpCase.id)))).scalar_one() == 1


async def test_a_refused_dm_asks_in_the_shared_channel_and_keeps_each_score_private(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock
) -> None:
    for user, email in (("U0MIA", "mia@globex.test"), ("U0LEE", "lee@globex.test")):
        emulator.add_user(user, email=email, team_id=CUSTOMER_TEAM, dm_error="restricted_action")
    emulator.add_user("U0OLA", email="ola@globex.test", team_id=CUSTOMER_TEAM)
    emulator.add_channel(SHARED, ["U0MIA", "U0LEE", "U0OLA"])
    await add_people(
        rt.db,
        Person("mia@globex.test", account="Globex"),
        Person("lee@globex.test", account="Globex"),
    )
    await _set_channel(rt, "Globex", SHARED)
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)

    report = await drain(rt)

    assert (report.rerouted, report.shared) == (2, 2)
    refused = emulator.calls_to("chat.postMessage", ok=False)
    assert sorted(c.args["channel"] for c in refused) == ["U0LEE", "U0MIA"]
    [post] = emulator.messages(SHARED)
    invitations = await _invitations(rt)
    assert {(i.status, i.channel, i.dm_channel, i.message_ts) for i in invitations} == {
        (S.SENT, "slack_channel", SHARED, post["ts"])
    }
    ids = sorted(i.id for i in invitations)
    assert sorted(post["metadata"]["event_payload"]["invitation_ids"]) == ids
    assert "<@U0MIA>" in post["text"] + json.dumps(post["blocks"])
    assert "0 of 2 answered" in json.dumps(post["blocks"])

    value = ",".join(map(str, ids))
    for user, score in (("U0MIA", 9), ("U0LEE", 3), ("U0MIA", 4)):
        await slack.interactive(
            _tap(
                emulator,
                user=user,
                action=f"survey.shared.rate.{score}",
                value=f"{value}:{score}",
                channel=SHARED,
                ts=post["ts"],
            )
        )
        await eventually(lambda: len(emulator.calls_to("chat.postEphemeral")) >= 1)
    await slack.interactive(
        _tap(
            emulator,
            user="U0OLA",
            action="survey.shared.rate.10",
            value=f"{value}:10",
            channel=SHARED,
            ts=post["ts"],
        )
    )
    notes = await eventually(lambda: _notes(emulator) if len(_notes(emulator)) == 2 else None)
    assert any("already answered" in note for note in notes)
    assert any("sent to someone else" in note for note in notes)

    responses = await _responses(rt)
    mine = {r.contact_id: r.score for r in responses}
    mia, lee = await _contact(rt, "mia@globex.test"), await _contact(rt, "lee@globex.test")
    assert mine == {mia.id: 9, lee.id: 3}  # each recorded once, as their own answer
    ephemerals = emulator.calls_to("chat.postEphemeral", ok=True)
    assert sorted(c.args["user"] for c in ephemerals) == ["U0LEE", "U0MIA"]
    for call in ephemerals:
        shown = json.dumps(call.args["blocks"])
        assert ("*9*" in shown) == (call.args["user"] == "U0MIA")
        assert ("*3*" in shown) == (call.args["user"] == "U0LEE")

    await eventually(lambda: "2 of 2 answered" in json.dumps(emulator.messages(SHARED)))
    channel_text = json.dumps(emulator.messages(SHARED))
    updates = json.dumps([c.args for c in emulator.calls_to("chat.update")])
    for shown in (channel_text, updates):
        assert "*9*" not in shown and "*3*" not in shown and "Your answer" not in shown
    assert len(emulator.messages(SHARED)) == 1  # answers never posted in the channel
    [card] = await eventually(lambda: emulator.messages(VOC))  # Lee's 3 is a detractor
    assert "Globex" in json.dumps(card["blocks"])

    lee_invitation = next(i for i in invitations if i.contact_id == lee.id)
    why = _tap(
        emulator,
        user="U0LEE",
        action="survey.tell_why",
        value=str(lee_invitation.id),
        channel=SHARED,
        ts=post["ts"],
        block_id="survey.actions",
    )
    await slack.interactive(why)
    [opened] = await eventually(lambda: emulator.calls_to("views.open", ok=True))
    view = opened.args["view"]
    said = {
        "survey.comment": {"survey.comment.input": {"type": "plain_text_input", "value": "Slow"}}
    }
    await slack.interactive(
        view_submission(
            user="U0LEE",
            callback_id=view["callback_id"],
            private_metadata=view["private_metadata"],
            values=said,
        )
    )
    await eventually(lambda: len(emulator.calls_to("chat.postEphemeral", ok=True)) == 3)
    assert [r.comment for r in await _responses(rt) if r.contact_id == lee.id] == ["Slow"]
    assert "Slow" not in json.dumps(emulator.messages(SHARED))

    mia_invitation = next(i for i in invitations if i.contact_id == mia.id)
    reference = _tap(
        emulator,
        user="U0MIA",
        action="advocacy.reference",
        value=str(mia_invitation.id),
        channel=SHARED,
        ts=post["ts"],
        block_id="survey.advocacy",
    )
    await slack.interactive(reference)
    assert await eventually(lambda: _advocacy_count(rt)) == 1  # recorded like anyone's
    await eventually(lambda: len(emulator.calls_to("chat.postEphemeral", ok=True)) == 4)
    assert emulator.calls_to("chat.postEphemeral")[-1].args["user"] == "U0MIA"
    channel_now = json.dumps(emulator.messages(SHARED)) + json.dumps(
        [c.args for c in emulator.calls_to("chat.update")]
    )
    assert "*9*" not in channel_now and "Your answer" not in channel_now

    opt_out = _tap(
        emulator,
        user="U0LEE",
        action="survey.opt_out",
        value=str(lee_invitation.id),
        channel=SHARED,
        ts=post["ts"],
        block_id="survey.actions",
    )
    await slack.interactive(opt_out)
    await eventually(lambda: any("any more" in n for n in _notes(emulator)))
    assert (await _contact(rt, "lee@globex.test")).opted_out
    assert len(emulator.messages(SHARED)) == 1
    await drain(rt)
    assert len(emulator.calls_to("chat.postMessage", ok=True)) == 2  # the post and the card
    exported = io.StringIO()
    await export_responses(db=rt.db, out=exported, format="csv")
    assert {r["channel"] for r in csv.DictReader(io.StringIO(exported.getvalue()))} == {
        "slack_channel"
    }

    clock.advance(timedelta(days=91))  # the next relationship survey
    again = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    assert (again.created, again.in_channel, again.by_dm) == (1, 1, 0)  # Lee opted out
    assert again.skipped == {"opted out": 1}
    assert "in a shared channel: 1 (their organisation refused the DM last time)" in (
        send_summary(again)
    )


async def test_members_of_a_shared_channel_are_read_page_by_page_past_a_thousand(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    members = [f"U{index:07d}" for index in range(1_200)]
    for index, user in enumerate(members):
        emulator.add_user(user, email=f"person{index}@globex.test", team_id=CUSTOMER_TEAM)
    emulator.add_channel(SHARED, members)
    await add_people(rt.db, Person("person1150@globex.test", account="Globex"))
    await _set_channel(rt, "Globex", SHARED)

    report = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)

    assert (report.created, report.external) == (1, 1)
    assert (await _contact(rt, "person1150@globex.test")).slack_user_id == "U0001150"
    pages = emulator.calls_to("conversations.members", ok=True)
    assert len(pages) >= 2 and pages[0].args.get("cursor") in (None, "")
    assert all(page.args.get("cursor") for page in pages[1:])


CSV = """email,account,slack_channel
ana@acme.test,Acme,
mia@globex.test,Globex,C0GLOBEXSHARED
zed@initech.test,Initech,C0INITECHSHRD
yan@initech.test,Initech,
nobody@hooli.test,Hooli,
"""


async def test_send_names_who_it_cannot_reach_and_the_digest_counts_them(
    emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    emulator.add_user("U0ANA", email="ana@acme.test")
    emulator.add_user("U0MIA", email="mia@globex.test", team_id=CUSTOMER_TEAM)
    emulator.add_user("U0ZED", email="zed@initech.test", team_id="TINITECH")
    emulator.add_channel(SHARED, ["U0MIA"])
    emulator.add_channel("C0INITECHSHRD", ["U0ZED"], bot_member=False)
    env = cli_env(api_url=emulator.api_url, database_url=database_url, home=tmp_path)
    (tmp_path / "contacts.csv").write_text(CSV)
    code, _, err = await vocbot(env, "import", "contacts", "contacts.csv", cwd=tmp_path)
    assert code == 0, err

    code, out, err = await vocbot(
        env, "send", "nps", "--now", "--unreachable", "unreached.csv", cwd=tmp_path
    )

    assert code == 0, err
    assert "Created 2 invitations" in out
    assert "by DM: 2 (1 in other organisations, through Slack Connect)" in out
    assert out.count("Initech: the bot is not in its shared channel C0INITECHSHRD") == 1
    assert "Invite the bot there (in C0INITECHSHRD: /invite and the app's name)" in out
    named = out.split("could not reach 3:")[1]
    for email in ("zed@initech.test", "yan@initech.test", "nobody@hooli.test"):
        assert email in named
    with (tmp_path / "unreached.csv").open() as written:
        rows = list(csv.DictReader(written))
    assert {(r["email"], r["reason"]) for r in rows} == {
        ("zed@initech.test", "shared channel unreadable"),
        ("yan@initech.test", "shared channel unreadable"),
        ("nobody@hooli.test", "no Slack user"),
    }

    code, out, err = await vocbot(env, "run-due", cwd=tmp_path)
    assert code == 0, err
    code, out, err = await vocbot(env, "digest", cwd=tmp_path)
    assert code == 0, err
    assert "0%, too low to trust (0 of 5 people we meant to ask, 3 of them unreachable," in out
    assert "Could not reach (90 days): 60% (3 of 5)" in out


def test_send_names_the_first_twenty_it_cannot_reach_then_counts_the_rest() -> None:
    report = CampaignReport(
        unreachable=[Unreachable(f"p{i}@x.test", "X", "no Slack user") for i in range(25)]
    )
    text = send_summary(report)
    named = text.split("could not reach 25:")[1]
    assert "p19@x.test" in named and "p20@x.test" not in named
    assert "… and 5 more (--unreachable FILE.csv writes them all)" in named


async def test_a_shared_post_whose_sender_died_is_found_by_its_metadata_not_posted_again(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    emulator.add_user(
        "U0MIA", email="mia@globex.test", team_id=CUSTOMER_TEAM, dm_error="restricted_action"
    )
    emulator.add_channel(SHARED, ["U0MIA"])
    await add_people(rt.db, Person("mia@globex.test", account="Globex"))
    await _set_channel(rt, "Globex", SHARED)
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    [post] = emulator.messages(SHARED)
    async with rt.db.transaction() as session:  # as if the sender died right after posting
        await session.execute(
            update(Invitation).values(
                status=S.SENDING, message_ts=None, sent_at=None, lease_until=rt.now()
            )
        )
    clock.advance(timedelta(minutes=5))

    report = await drain(rt)

    assert report.reconciled == 1
    [invitation] = await _invitations(rt)
    assert (invitation.status, invitation.message_ts, invitation.channel) == (
        S.SENT,
        post["ts"],
        "slack_channel",
    )
    assert len(emulator.messages(SHARED)) == 1


async def test_an_expired_shared_survey_closes_its_post_and_refuses_taps(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock
) -> None:
    emulator.add_user(
        "U0MIA", email="mia@globex.test", team_id=CUSTOMER_TEAM, dm_error="restricted_action"
    )
    emulator.add_channel(SHARED, ["U0MIA"])
    await add_people(rt.db, Person("mia@globex.test", account="Globex"))
    await _set_channel(rt, "Globex", SHARED)
    await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)
    await drain(rt)
    clock.advance(rt.settings.reminder_after + timedelta(minutes=1))
    await drain(rt)
    assert len(emulator.messages(SHARED)) == 1  # no reminder in the shared channel
    clock.advance(rt.settings.expire_after)

    await drain(rt)

    [invitation] = await _invitations(rt)
    assert invitation.status == S.EXPIRED
    [post] = emulator.messages(SHARED)
    shown = json.dumps(post["blocks"])
    assert "closed: 0 of 1 answered" in shown and "survey.shared.rate." not in shown
    await slack.interactive(
        _tap(
            emulator,
            user="U0MIA",
            action="survey.shared.rate.8",
            value=f"{invitation.id}:8",
            channel=SHARED,
            ts=post["ts"],
        )
    )
    [note] = await eventually(lambda: _notes(emulator))
    assert "closed" in note
    assert await _responses(rt) == []


async def test_a_missing_channel_is_reported_once_and_a_busy_slack_is_not_blamed_on_it(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    emulator.add_user("U0MIA", email="mia@globex.test", team_id=CUSTOMER_TEAM)
    emulator.add_channel(SHARED, ["U0MIA"])
    emulator.add_channel("C0BUSYSHARED", ["U0MIA"])
    await add_people(
        rt.db,
        Person("ana@gone.test", account="Gone"),
        Person("bo@gone.test", account="Gone"),
        Person("cy@busy.test", account="Busy"),
        Person("mia@globex.test", account="Globex"),
    )
    await _set_channel(rt, "Gone", "C0NOSUCHCHAN")
    await _set_channel(rt, "Busy", "C0BUSYSHARED")
    await _set_channel(rt, "Globex", SHARED)
    emulator.fail("conversations.members", error="internal_error", times=1)  # Gone's first ask
    emulator.fail("conversations.members", error="channel_not_found", times=1)

    report = await start_relationship_campaign(rt, kind="nps", now=rt.now(), send_now=True)

    assert report.created == 1  # Globex goes on
    assert [who.reason for who in report.unreachable] == [
        "Slack lookup failed (internal_error)",
        "shared channel unreadable",
        "no Slack user",
    ]
    [problem] = report.channel_problems
    assert problem.startswith("Gone: the bot cannot find its shared channel C0NOSUCHCHAN")


async def test_a_campaign_asks_slack_again_about_a_contact_only_once_a_day_has_passed(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    emulator.add_user("U0MIA", email="mia@globex.test", team_id=CUSTOMER_TEAM, tz="Europe/Paris")
    emulator.add_channel(SHARED, ["U0MIA"])
    await add_people(rt.db, Person("mia@globex.test", account="Globex"))
    await _set_channel(rt, "Globex", SHARED)
    await start_relationship_campaign(rt, kind="nps", now=rt.now())
    asked = len(emulator.calls_to("users.info"))
    emulator.add_user("U0MIA", email="mia@globex.test", team_id=CUSTOMER_TEAM, tz="Asia/Tokyo")

    await _forget_invitations(rt)  # so fatigue does not skip the contact before any lookup
    report = await start_relationship_campaign(rt, kind="nps", now=rt.now() + timedelta(hours=2))
    assert report.created == 1
    assert len(emulator.calls_to("users.info")) == asked  # checked two hours ago: still fresh
    assert (await _contact(rt, "mia@globex.test")).tz == "Europe/Paris"

    await _forget_invitations(rt)
    await start_relationship_campaign(rt, kind="nps", now=rt.now() + timedelta(days=2))
    assert len(emulator.calls_to("users.info")) > asked
    assert (await _contact(rt, "mia@globex.test")).tz == "Asia/Tokyo"
