"""Day-N milestones and the exit survey end to end: events in over HTTP, the scheduler's
passes on an injected clock (two processes and a restart), DMs out, the CSM told."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.core.runtime import Runtime, build_runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.domain.vocabulary import InvitationStatus
from bot.scheduler import drain
from bot.services import digest
from bot.services.importer import import_contacts
from storage.db import Database
from storage.models import Account, Contact, ExitAnswer, IngestedEvent, Invitation, MilestoneAsk
from tests.e2e.test_ingest import ANA, DROP, Hooks, hooks  # noqa: F401  (the fixture)
from tests.harness import SlackSender, eventually, json_body
from tests.payloads import block_action, view_submission
from tests.seed import Person, add_people

S = InvitationStatus
pytestmark = pytest.mark.postgres

BEN = "ben@globex.test"
CARA = "cara@initech.test"
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # the clock fixture's start: Tue 09:30 UTC


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def _invitations(rt: Runtime) -> list[Invitation]:
    async with rt.db.session() as session:
        return list((await session.execute(select(Invitation).order_by(Invitation.id))).scalars())


async def _asks(rt: Runtime) -> list[MilestoneAsk]:
    async with rt.db.session() as session:
        query = select(MilestoneAsk).order_by(MilestoneAsk.id)
        return list((await session.execute(query)).scalars())


def _survey_dms(emulator: SlackEmulator, user: str) -> list[Any]:
    """The survey DMs a person got (reminders go to the DM channel, not to the user id)."""
    posts = emulator.calls_to("chat.postMessage", ok=True)
    return [c for c in posts if c.args["channel"] == user]


async def _next_due(rt: Runtime, after: datetime) -> datetime | None:
    """The next time something milestone-related is due: an ask or a scheduled invitation."""
    async with rt.db.session() as session:
        ask = await session.scalar(
            select(func.min(MilestoneAsk.due_at)).where(
                MilestoneAsk.invitation_id.is_(None), MilestoneAsk.due_at > after
            )
        )
        invitation = await session.scalar(
            select(func.min(Invitation.due_at)).where(
                Invitation.status == S.SCHEDULED, Invitation.due_at > after
            )
        )
    return min((t for t in (ask, invitation) if t is not None), default=None)


# day 30, 60 and 90


@pytest.mark.slow
async def test_day_30_60_90_go_out_on_their_days_once_across_two_processes_and_a_restart(
    rt: Runtime,
    hooks: Hooks,  # noqa: F811
    emulator: SlackEmulator,
    clock: FakeClock,
    database_url: str,
) -> None:
    emulator.add_user("U1", email=ANA, tz="UTC")
    emulator.add_user("U2", email=BEN, tz="Asia/Kuala_Lumpur")
    await add_people(
        rt.db,
        Person(ANA, "U1", tz="UTC"),
        Person(BEN, "U2", account="Globex", tz="Asia/Kuala_Lumpur"),
    )
    status, activated = await hooks.send(event="activated", occurred_at="2026-11-24T09:00:00Z")
    assert status == 202
    assert activated == {
        "scheduled": [
            {"kind": "csat", "day": 30, "due_at": "2026-12-24T10:00:00+00:00"},
            {"kind": "csat", "day": 60, "due_at": "2027-01-25T10:00:00+00:00"},  # Sat → Mon
            {"kind": "nps", "day": 90, "due_at": "2027-02-22T10:00:00+00:00"},
        ],
        "skipped": None,
    }
    status, since = await hooks.send(
        event="customer_since", email=BEN, occurred_at="2026-11-24T00:00:00Z"
    )
    assert status == 202 and [e["day"] for e in since["scheduled"]] == [30, 60, 90]
    async with rt.db.session() as session:
        globex = (
            await session.execute(select(Account).where(Account.name == "Globex"))
        ).scalar_one()
    assert globex.customer_since is not None and globex.customer_since.isoformat() == "2026-11-24"

    # Two scheduler processes tick side by side for 100 days; the second restarts on day 45.
    other = build_runtime(rt.settings, db=Database(database_url), clock=clock)
    end = clock.current + timedelta(days=100)
    restarted = False
    while clock.current < end:
        await asyncio.gather(drain(rt), drain(other))
        if not restarted and clock.current >= NOW + timedelta(days=45):
            await other.db.dispose()
            other = build_runtime(rt.settings, db=Database(database_url), clock=clock)
            restarted = True
        due = await _next_due(rt, clock.current)
        step = clock.current + timedelta(hours=12)
        clock.current = min(step, due) if due is not None else step
    await other.db.dispose()

    assert restarted
    sent = [i for i in await _invitations(rt) if i.trigger == "milestone"]
    assert [(i.contact_id, i.kind, i.sent_at) for i in sent if i.contact_id == 1] == [
        (1, "csat", utc(2026, 12, 24, 10)),
        (1, "csat", utc(2027, 1, 25, 10)),
        (1, "nps", utc(2027, 2, 22, 10)),
    ]
    assert [(i.kind, i.sent_at) for i in sent if i.contact_id == 2] == [
        ("csat", utc(2026, 12, 24, 2)),  # 10:00 in Kuala Lumpur
        ("csat", utc(2027, 1, 25, 2)),
        ("nps", utc(2027, 2, 22, 2)),
    ]
    assert len(_survey_dms(emulator, "U1")) == 3 and len(_survey_dms(emulator, "U2")) == 3
    text = json.dumps([c.args["blocks"] for c in _survey_dms(emulator, "U1")])
    assert "How satisfied are you with us so far?" in text
    assert "How likely are you to recommend us" in text
    asks = await _asks(rt)
    assert len(asks) == 6 and all(a.invitation_id is not None for a in asks)


async def test_the_same_milestone_again_asks_nothing_new(
    rt: Runtime,
    hooks: Hooks,  # noqa: F811
    emulator: SlackEmulator,
) -> None:
    emulator.add_user("U1", email=ANA, tz="UTC")
    await add_people(rt.db, Person(ANA, "U1", tz="UTC"))
    first = await hooks.send(event="activated", occurred_at="2026-11-24T09:00:00Z")
    again = await hooks.send(event="activated", occurred_at="2026-11-20T09:00:00Z")
    assert len(first[1]["scheduled"]) == 3
    assert again == (202, {"scheduled": [], "skipped": "already scheduled"})
    assert len(await _asks(rt)) == 3
    years_ago = await hooks.send(event="onboarding_started", occurred_at="2024-01-02T09:00:00Z")
    assert years_ago == (202, {"scheduled": [], "skipped": "too old"})  # its days have gone by


async def test_the_contacts_import_plans_a_recent_customer_since_and_not_an_old_one(
    rt: Runtime, emulator: SlackEmulator, clock: FakeClock
) -> None:
    emulator.add_user("U1", email=ANA, tz="UTC")
    emulator.add_user("U2", email=BEN, tz="UTC")
    csv_text = (
        "email,name,account,customer_since\n"  # no Slack id: found by email when due
        f"{ANA},Ana,Acme,2026-11-20\n"
        f"{BEN},Ben,Globex,2021-03-01\n"
    )
    report = await import_contacts(
        db=rt.db, csv_text=csv_text, now=clock.current, milestone_days=(30, 60, 90)
    )
    assert report.errors == []
    asks = await _asks(rt)
    assert [(a.contact_id, a.milestone, a.day, a.due_at) for a in asks] == [
        (1, "customer_since", 30, utc(2026, 12, 21, 10)),  # a Sunday → Monday 21st
        (1, "customer_since", 60, utc(2027, 1, 19, 10)),
        (1, "customer_since", 90, utc(2027, 2, 18, 10)),
    ]
    again = await import_contacts(
        db=rt.db, csv_text=csv_text, now=clock.current, milestone_days=(30, 60, 90)
    )
    assert again.errors == [] and len(await _asks(rt)) == 3
    clock.current = utc(2026, 12, 21, 10)
    await drain(rt)
    assert len(_survey_dms(emulator, "U1")) == 1 and _survey_dms(emulator, "U2") == []


async def test_a_milestone_survey_honours_fatigue_and_opt_out_when_it_is_due(
    rt: Runtime,
    hooks: Hooks,  # noqa: F811
    emulator: SlackEmulator,
    clock: FakeClock,
) -> None:
    emulator.add_user("U1", email=ANA, tz="UTC")
    [ana] = await add_people(rt.db, Person(ANA, "U1", tz="UTC"))
    await hooks.send(event="activated", occurred_at="2026-11-24T09:00:00Z")
    clock.current = utc(2026, 12, 22, 9)  # two days before day 30, a ticket closes
    await hooks.send(event="ticket_closed", occurred_at=clock.current.isoformat())
    await drain(rt)
    clock.current = utc(2026, 12, 24, 10)
    await drain(rt)
    day_30 = [i for i in await _invitations(rt) if i.trigger == "milestone"]
    assert [(i.status, i.skip_reason) for i in day_30] == [(S.SKIPPED, "fatigue")]
    async with rt.db.transaction() as session:
        await session.execute(update(Contact).where(Contact.id == ana).values(opted_out=True))
    clock.current = utc(2027, 1, 25, 10)
    await drain(rt)
    day_60 = [i for i in await _invitations(rt) if i.trigger == "milestone"][1]
    assert (day_60.status, day_60.skip_reason) == (S.SKIPPED, "opted out")
    assert len(_survey_dms(emulator, "U1")) == 1  # the ticket's one DM (its CES in place) only


# the renewal's CES a week later


async def test_renewal_signed_asks_its_ces_seven_days_later_not_before(
    rt: Runtime,
    hooks: Hooks,  # noqa: F811
    emulator: SlackEmulator,
    clock: FakeClock,
) -> None:
    emulator.add_user("U1", email=ANA, tz="UTC")
    await add_people(rt.db, Person(ANA, "U1", tz="UTC"))
    status, answer = await hooks.send(event="renewal_signed", occurred_at="2026-11-24T09:00:00Z")
    due = utc(2026, 12, 1, 9)
    assert (status, answer) == (
        202,
        {"scheduled": [{"kind": "ces", "day": 7, "due_at": due.isoformat()}], "skipped": None},
    )
    for moment in (NOW, NOW + timedelta(days=3), due - timedelta(minutes=1)):
        clock.current = moment
        await drain(rt)
        assert _survey_dms(emulator, "U1") == [] and await _invitations(rt) == []
    clock.current = due
    await drain(rt)
    await drain(rt)
    [dm] = _survey_dms(emulator, "U1")
    assert "How easy was it to renew?" in json.dumps(dm.args["blocks"])
    [invitation] = await _invitations(rt)
    assert (invitation.kind, invitation.trigger, invitation.sent_at) == ("ces", "renewal", due)


async def test_a_renewal_reported_six_days_late_asks_the_next_day(
    rt: Runtime,
    hooks: Hooks,  # noqa: F811
    emulator: SlackEmulator,
) -> None:
    emulator.add_user("U1", email=ANA, tz="UTC")
    await add_people(rt.db, Person(ANA, "U1", tz="UTC"))
    signed = NOW - timedelta(days=6)
    status, answer = await hooks.send(event="renewal_signed", occurred_at=signed.isoformat())
    assert status == 202 and answer["skipped"] is None
    assert answer["scheduled"][0]["due_at"] == (signed + timedelta(days=7)).isoformat()


# the exit survey


async def _churn_setup(rt: Runtime, emulator: SlackEmulator) -> None:
    emulator.add_user("U1", email=ANA, tz="UTC")
    emulator.add_user("U2", email="bo@acme.test", tz="UTC")
    emulator.add_user("U3", email=CARA, tz="UTC")
    emulator.add_user("UCSM", email="csm@vendor.test", tz="UTC")
    await add_people(
        rt.db,
        Person(ANA, "U1", tz="UTC"),
        Person("bo@acme.test", "U2", tz="UTC"),
        Person(CARA, "U3", account="Initech", tz="UTC"),
    )
    async with rt.db.transaction() as session:
        await session.execute(
            update(Account).where(Account.name == "Acme").values(csm_user_id="UCSM")
        )


async def _exit_survey_for(
    rt: Runtime,
    hooks: Hooks,  # noqa: F811
    emulator: SlackEmulator,
    email: str,
) -> Invitation:
    """The people set up, `email` churned, and the one exit survey that went out."""
    await _churn_setup(rt, emulator)
    status, _ = await hooks.send(event="churned", email=email, occurred_at=NOW.isoformat())
    assert status == 202
    await drain(rt)
    [exit_survey] = [i for i in await _invitations(rt) if i.kind == "exit"]
    return exit_survey


def _reasons(*values: str, comment: str | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {
        "exit.reasons": {
            "exit.reasons": {
                "type": "checkboxes",
                "selected_options": [{"value": value} for value in values],
            }
        }
    }
    if comment is not None:
        state["exit.comment"] = {"exit.comment": {"type": "plain_text_input", "value": comment}}
    return state


async def _open_and_answer(
    slack: SlackSender, emulator: SlackEmulator, invitation: Invitation, user: str, values: dict
) -> tuple[int, str]:
    opened_before = len(emulator.calls_to("views.open", ok=True))
    await slack.interactive(
        block_action(
            user=user,
            action_id="exit.open",
            value=str(invitation.id),
            channel=invitation.dm_channel or "",
            message_ts=invitation.message_ts or "",
            response_url=emulator.new_response_url(),
            block_id="exit.actions",
        )
    )
    opened = await eventually(lambda: emulator.calls_to("views.open", ok=True)[opened_before:])
    view = opened[0].args["view"]
    assert view["callback_id"] == "exit.modal"
    return await slack.interactive(
        view_submission(
            user=user,
            callback_id=view["callback_id"],
            private_metadata=view["private_metadata"],
            values=values,
        )
    )


async def test_churned_asks_why_and_the_answer_reaches_the_csm_and_the_themes(
    rt: Runtime,
    hooks: Hooks,  # noqa: F811
    emulator: SlackEmulator,
    slack: SlackSender,
    clock: FakeClock,
) -> None:
    await _churn_setup(rt, emulator)
    await hooks.send(event="ticket_closed")  # a survey yesterday: an exit survey still goes
    await drain(rt)
    status, answer = await hooks.send(
        event="churned",
        email=DROP,
        account="Acme",
        occurred_at=NOW.isoformat(),
        event_id="crm-acme-churn",
    )
    assert status == 202
    assert [(e["email"], e["kind"]) for e in answer["scheduled"]] == [
        (ANA, "exit"),
        ("bo@acme.test", "exit"),
    ]
    again = await hooks.send(event="churned", email=ANA, occurred_at=NOW.isoformat())
    assert again == (202, {"scheduled": [], "skipped": "already scheduled"})  # once per churn
    await drain(rt)
    await drain(rt)
    exits = [i for i in await _invitations(rt) if i.kind == "exit"]
    assert [(i.contact_id, i.trigger, i.status) for i in exits] == [
        (1, "churn", S.SENT),
        (2, "churn", S.SENT),
    ]
    [dm] = [c for c in _survey_dms(emulator, "U1") if "exit.open" in json.dumps(c.args)]
    assert "Why are you leaving?" in json.dumps(dm.args["blocks"])

    comment = "Too pricey <!channel> & <@U777> never called"
    status, body = await _open_and_answer(
        slack, emulator, exits[0], "U1", _reasons("price", "competitor", comment=comment)
    )
    assert status == 200
    [notice] = await eventually(lambda: emulator.messages("UCSM"))
    shown = json.dumps(notice["blocks"])
    assert "Price" in shown and "Switched to a competitor" in shown
    assert "Too pricey &lt;!channel&gt; &amp; &lt;@U777&gt; never called" in shown
    assert "<!channel>" not in shown and "<@U777>" not in shown
    await eventually(
        lambda: any(
            "Thank you for telling us" in json.dumps(c.args)
            for c in emulator.calls_to("chat.update", ok=True)
        )
    )

    # A second submission (a double click) changes nothing and tells the CSM nothing new.
    await slack.interactive(
        view_submission(
            user="U1",
            callback_id="exit.modal",
            private_metadata=str(exits[0].id),
            values=_reasons("support"),
        )
    )
    await asyncio.sleep(0)
    async with rt.db.session() as session:
        stored = (await session.execute(select(ExitAnswer))).scalars().all()
    assert [(a.reasons, a.comment) for a in stored] == [(["price", "competitor"], comment)]
    assert len(emulator.messages("UCSM")) == 1

    week_later = clock.current + timedelta(days=7)  # the next weekly digest
    themes = {t.theme: t.count for t in (await digest.build_digest(rt, week_later)).themes}
    assert themes.get("pricing") == 1 and themes.get("competitor") == 1
    async with rt.db.session() as session:
        ingested = (await session.execute(select(IngestedEvent))).scalar_one()
    assert ingested.event == "churned" and ingested.result == answer


async def test_an_exit_answer_without_a_csm_goes_to_voc_and_a_reason_is_required(
    rt: Runtime,
    hooks: Hooks,  # noqa: F811
    emulator: SlackEmulator,
    slack: SlackSender,
) -> None:
    exit_survey = await _exit_survey_for(rt, hooks, emulator, CARA)

    status, body = await _open_and_answer(slack, emulator, exit_survey, "U3", _reasons())
    assert status == 200
    assert json_body(body)["response_action"] == "errors"
    assert "at least one reason" in json.dumps(json_body(body)["errors"])

    status, _ = await _open_and_answer(
        slack, emulator, exit_survey, "U3", _reasons("no_longer_needed")
    )
    [card] = await eventually(lambda: emulator.messages("CVOC"))
    assert "No longer needed" in json.dumps(card["blocks"])
    assert "no CSM" in json.dumps(card["blocks"])


async def test_someone_else_cannot_answer_an_exit_survey(
    rt: Runtime,
    hooks: Hooks,  # noqa: F811
    emulator: SlackEmulator,
    slack: SlackSender,
) -> None:
    exit_survey = await _exit_survey_for(rt, hooks, emulator, ANA)
    status, _ = await slack.interactive(
        view_submission(
            user="U2",
            callback_id="exit.modal",
            private_metadata=str(exit_survey.id),
            values=_reasons("price"),
        )
    )
    assert status == 200
    await drain(rt)
    async with rt.db.session() as session:
        assert (await session.execute(select(func.count(ExitAnswer.id)))).scalar_one() == 0
    assert emulator.messages("UCSM") == []


async def test_an_unanswered_exit_survey_is_reminded_once_in_its_own_words(
    rt: Runtime,
    hooks: Hooks,  # noqa: F811
    emulator: SlackEmulator,
    clock: FakeClock,
) -> None:
    exit_survey = await _exit_survey_for(rt, hooks, emulator, ANA)
    for _ in range(3):
        clock.advance(timedelta(days=2, hours=1))
        await drain(rt)
    reminders = emulator.messages(exit_survey.dm_channel or "")[1:]
    assert [m["text"] for m in reminders] == [
        "A gentle reminder: we'd still like to know why you're leaving (above)."
    ]


# bad input


@pytest.mark.parametrize(
    ("fields", "status", "field", "said"),
    [
        (
            {"event": "ticket_closed", "email": None, "account": "Acme"},
            400,
            "account",
            "send its email",
        ),
        ({"event": "churned", "account": "Acme"}, 400, "account", "not both"),
        ({"event": "churned", "email": None}, 400, "email", "email is missing"),
        ({"event": "churned", "email": None, "account": ""}, 400, "account", "CRM id or its name"),
        ({"event": "churned", "email": None, "account": 7}, 400, "account", "CRM id or its name"),
        ({"event": "activated", "occurred_at": "2026-11-30"}, 400, "occurred_at", "no time zone"),
        (
            {"event": "customer_since", "occurred_at": "2027-01-01T00:00:00Z"},
            400,
            "occurred_at",
            "in the future",
        ),
        ({"event": "activated", "since": "2026-11-24"}, 400, "since", "is not a field"),
        ({"event": "churned", "email": None, "account": "Nowhere Inc"}, 404, None, "no account"),
        ({"event": "activated", "email": "nobody@acme.test"}, 404, None, "import it first"),
    ],
)
async def test_bad_milestone_events_are_refused_and_store_nothing(
    rt: Runtime,
    hooks: Hooks,  # noqa: F811
    emulator: SlackEmulator,
    fields: dict[str, Any],
    status: int,
    field: str | None,
    said: str,
) -> None:
    await _churn_setup(rt, emulator)
    body = {"email": ANA, "occurred_at": "2026-11-24T09:00:00Z", "event_id": "e-1"} | fields
    body = {key: value for key, value in body.items() if value is not None}
    got, answer = await hooks.raw(json.dumps(body).encode())
    assert got == status
    assert said in answer["error"]
    if field is not None:
        assert answer["field"] == field
    assert await _asks(rt) == [] and await _invitations(rt) == []
    async with rt.db.session() as session:
        assert (await session.execute(select(func.count(IngestedEvent.id)))).scalar_one() == 0
        acme = (await session.execute(select(Account).where(Account.name == "Acme"))).scalar_one()
    assert acme.customer_since is None


async def test_a_csm_copy_lost_on_the_way_is_found_and_one_refused_goes_out_later_once(
    rt: Runtime,
    hooks: Hooks,  # noqa: F811
    emulator: SlackEmulator,
    slack: SlackSender,
    clock: FakeClock,
) -> None:
    await _churn_setup(rt, emulator)
    await hooks.send(event="churned", email=DROP, account="Acme", occurred_at=NOW.isoformat())
    await drain(rt)
    first, second = [i for i in await _invitations(rt) if i.kind == "exit"]

    # Slack stores Ana's copy but the answer is lost: it is looked for, not posted again.
    emulator.lose_answers("chat.postMessage", probability=1.0)
    await _open_and_answer(slack, emulator, first, "U1", _reasons("price"))
    await eventually(lambda: emulator.messages("UCSM"))
    emulator.lose_answers("chat.postMessage", probability=0)
    # Slack is down when Bo answers: nothing reaches the CSM yet.
    refused_before = len(emulator.calls_to("chat.postMessage", ok=False))
    emulator.fail("chat.postMessage", status=500, times=20)
    await _open_and_answer(slack, emulator, second, "U2", _reasons("support"))
    await eventually(lambda: len(emulator.calls_to("chat.postMessage", ok=False)) > refused_before)
    emulator.fail("chat.postMessage", status=500, times=0)
    await asyncio.sleep(0.2)
    assert len(emulator.messages("UCSM")) == 1

    await drain(rt)  # the leases have not run out: nothing moves
    assert len(emulator.messages("UCSM")) == 1
    clock.advance(timedelta(minutes=3))
    await drain(rt)
    await drain(rt)
    copies = emulator.messages("UCSM")
    assert len(copies) == 2
    assert "Price" in json.dumps(copies[0]["blocks"]) and "Support" in json.dumps(
        copies[1]["blocks"]
    )
    async with rt.db.session() as session:
        stored = (await session.execute(select(ExitAnswer).order_by(ExitAnswer.id))).scalars()
        assert [(a.csm_notified_at is not None, a.csm_error) for a in stored] == [(True, None)] * 2
