"""Per-CSM follow-up figures in the digest and App Home, against a hand-computed fixture."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from blocks.digest import digest_blocks, digest_text
from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.services.digest import build_digest
from bot.services.export import export_responses
from storage.db import Database
from storage.models import Account, Contact, FollowUpCase, Invitation, Response
from tests.harness import SIGNING_SECRET, SlackSender, eventually
from tests.payloads import app_home_opened, block_action, signed_json_headers

pytestmark = pytest.mark.postgres
AS_OF = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
# Hours from each answer to its first follow-up (None: never), per account's CSM.
# UANN: 2h, 30h, 50h -> 2 of 3 within 48h = 67%, below target; median 30h.
# UBEN: 1h, 10h, 20h, 47h and one never -> 4 of 5 = 80%, on target; median of the
#       four followed up (10h and 20h in the middle) = 15h.
PLAN = {
    "UANN": [2, 30, 50],
    "UBEN": [1, 10, 20, 47, None],
}
ANN = "UANN: 67% within 48h (2 of 3, below target) · median first follow-up 30h"
BEN = "UBEN: 80% within 48h (4 of 5, on target) · median first follow-up 15h"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(AS_OF)


async def _seed(db: Database) -> None:
    async with db.transaction() as session:
        for n, (csm, hours) in enumerate(PLAN.items()):
            account = Account(name=f"Account {n}", name_key=f"account {n}", csm_user_id=csm)
            session.add(account)
            await session.flush()
            contact = Contact(email=f"p{n}@example.test", account_id=account.id or 0)
            session.add(contact)
            await session.flush()
            for i, waited in enumerate(hours):
                opened = AS_OF - timedelta(days=10 + i)
                invitation = Invitation(contact_id=contact.id or 0, kind="nps",
                                        trigger="relationship", status="answered",
                                        due_at=opened, answered_at=opened)  # fmt: skip
                session.add(invitation)
                await session.flush()
                response = Response(invitation_id=invitation.id or 0, contact_id=contact.id or 0,
                                    account_id=account.id or 0, kind="nps", score=3,
                                    category="detractor", answered_at=opened)  # fmt: skip
                session.add(response)
                await session.flush()
                logged = None if waited is None else opened + timedelta(hours=waited)
                session.add(
                    FollowUpCase(response_id=response.id or 0, invitation_id=invitation.id or 0,
                                 contact_id=contact.id or 0, account_id=account.id or 0,
                                 kind="nps", score=3, review="csm", opened_at=opened,
                                 logged_at=logged, first_logged_at=logged, outcome=None,
                                 follow_up_seconds=None if waited is None else waited * 3600)
                )  # fmt: skip


async def test_the_digest_shows_each_csm_against_the_target(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    await _seed(rt.db)
    emulator.add_user("UANN", name="Ann")
    emulator.add_user("UBEN", name="Ben")
    digest = await build_digest(rt, AS_OF)
    text = digest_text(digest)
    named = f"  {ANN.replace('UANN:', 'Ann:')}\n  {BEN.replace('UBEN:', 'Ben:')}\n"
    assert named in text  # lowest completion first, by name
    assert "75%, below target (6 of 8 cases in 90 days" in text
    blocks = json.dumps([b.to_dict() for b in digest_blocks(digest)], ensure_ascii=False)
    assert ANN.replace("UANN:", "<@UANN>:") in blocks and "<@UBEN>: 80%" in blocks


async def _home(slack: SlackSender, emulator: SlackEmulator, user: str) -> str:
    body = json.dumps(app_home_opened(user=user))
    assert (await slack.post(body, signed_json_headers(SIGNING_SECRET, body)))[0] == 200

    def view() -> str | None:
        for stored in emulator.views.values():
            if stored["kind"] == "home" and stored.get("user_id") == user:
                return json.dumps(stored["view"], ensure_ascii=False)
        return None

    return await eventually(view)


async def test_app_home_shows_my_figures_and_admins_the_team(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await _seed(rt.db)
    rt.settings.voc_admins = ["UBOSS"]
    mine = await _home(slack, emulator, "UANN")
    assert ANN.replace("UANN: ", "Your accounts' cases (90 days): ") in mine
    assert "Team follow-ups" not in mine and "UBEN" not in mine
    team = await _home(slack, emulator, "UBOSS")
    assert "Team follow-ups (90 days), per CSM" in team
    assert ANN.replace("UANN:", "<@UANN>:") in team and BEN.replace("UBEN:", "<@UBEN>:") in team
    outsider = await _home(slack, emulator, "UNOBODY")
    assert "Account 0" not in outsider and "within 48h" not in outsider


async def test_app_home_cases_have_buttons_and_a_link_overdue_first(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender
) -> None:
    await _seed(rt.db)
    async with rt.db.transaction() as session:
        [open_case] = (
            await session.execute(select(FollowUpCase).where(FollowUpCase.logged_at.is_(None)))
        ).scalars().all()  # fmt: skip
        open_case.channel, open_case.message_ts = "CVOC", "1790000000.000100"
    view = json.loads(await _home(slack, emulator, "UBEN"))
    blocks = view["blocks"]
    [line] = [b for b in blocks if "Open the card" in json.dumps(b)]
    assert "https://acme.slack.com/archives/CVOC/p1790000000000100" in line["text"]["text"]
    assert ":warning: *overdue*" in line["text"]["text"]
    [actions] = [b for b in blocks if b.get("block_id") == f"home.case.{open_case.id}"]
    assert [e["action_id"] for e in actions["elements"]] == ["case.claim", "case.log"]

    tap = block_action(user="UBEN", action_id="case.claim", value=str(open_case.id),
                       channel="D0HOME", message_ts="", response_url="",
                       block_id=actions["block_id"])  # fmt: skip
    tap["container"] = {"type": "view", "view_id": "VHOME"}
    tap["view"] = {"id": "VHOME", "callback_id": ""}
    del tap["message"], tap["response_url"]
    publishes = len(emulator.calls_to("views.publish"))
    assert (await slack.interactive(tap))[0] == 200
    await eventually(lambda: len(emulator.calls_to("views.publish")) > publishes)
    assert "claimed by you" in json.dumps(emulator.calls_to("views.publish")[-1].args)


TICKETS = [("Ali", "billing", 5), ("Ali", "login", 4), ("Bea", "billing", 2)]


async def _seed_tickets(db: Database) -> None:
    async with db.transaction() as session:
        account = Account(name="Tickets", name_key="tickets")
        session.add(account)
        await session.flush()
        contact = Contact(email="t@example.test", account_id=account.id or 0)
        session.add(contact)
        await session.flush()
        for n, (agent, issue, score) in enumerate(TICKETS):
            at = AS_OF - timedelta(days=2, hours=n)
            invitation = Invitation(contact_id=contact.id or 0, kind="csat", trigger="support",
                                    status="answered", due_at=at, answered_at=at,
                                    context={"event": "ticket_solved", "agent": agent,
                                             "issue_type": issue})  # fmt: skip
            session.add(invitation)
            await session.flush()
            session.add(Response(invitation_id=invitation.id or 0, contact_id=contact.id or 0,
                                 account_id=account.id or 0, kind="csat", score=score,
                                 category="satisfied" if score >= 4 else "dissatisfied",
                                 answered_at=at, agent=agent, issue_type=issue))  # fmt: skip


async def test_csat_by_agent_and_issue_type_in_the_digest_and_the_export(rt: Runtime) -> None:
    await _seed_tickets(rt.db)
    text = digest_text(await build_digest(rt, AS_OF))
    # Bea 2 → 2.0; Ali 5, 4 → 4.5; billing 5, 2 → 3.5; login 4 → 4.0 (lowest first)
    assert (
        "CSAT by agent (90 days)\n-----------------------\n"
        "  Bea: 2.0 of 5 from 1 answers\n  Ali: 4.5 of 5 from 2 answers\n"
    ) in text
    assert "  billing: 3.5 of 5 from 2 answers\n  login: 4.0 of 5 from 1 answers\n" in text
    out = io.StringIO()
    await export_responses(db=rt.db, out=out, format="csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["agent"], r["issue_type"], r["score"]) for r in rows] == [
        (agent, issue, str(score)) for agent, issue, score in TICKETS
    ]
