"""`forget` and RETAIN_COMMENTS at the storage level: the words a person gave, the emails and
phone numbers in their surveys' context and webhook payloads, and their survey links."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.domain.vocabulary import InvitationStatus
from storage import erasure, privacy
from storage.db import Database
from storage.models import (
    Contact,
    ErasedLink,
    ExitAnswer,
    FeatureRequest,
    Invitation,
    OutboxEvent,
    Response,
    ShipNotice,
    SurveyLink,
)
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres
S = InvitationStatus
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
ANA, BEN = "ana@acme.test", "ben@globex.test"
PHONE, HOME = "+60 12-345 6789", "ana.lim@home.test"
CONTEXT = {
    "event": "ticket_closed",
    "ticket_id": "4521",
    "agent": "Sam Tan",
    "opened": "2026-11-30",
    "requester": {"phone": PHONE, "emails": [HOME, "cc: bob@acme.test"]},
    "subject": f"Call me back on {PHONE} or (03) 2345 6789, not before 9",
}


async def _said_everything(db: Database, email: str, *, at: datetime) -> int:
    """A person who answered a ticket's CSAT, left after an exit survey and answered a
    request notice, with words in each; the webhook events their answer queued."""
    [contact_id] = await add_people(db, Person(email, account=email.split("@")[1]))
    async with db.transaction() as session:
        ticket, exit_survey = (
            Invitation(contact_id=contact_id, kind=kind, trigger=trigger, status=status,
                       due_at=at, sent_at=at, context=context)
            for kind, trigger, status, context in (
                ("csat", "support", S.ANSWERED, CONTEXT),
                ("exit", "churn", S.ANSWERED, None),
            )
        )  # fmt: skip
        request = FeatureRequest(name=f"SSO {email}", name_key=f"sso {email}")
        session.add_all([ticket, exit_survey, request])
        await session.flush()
        account_id = await session.scalar(
            select(Contact.account_id).where(Contact.id == contact_id)
        )
        response = Response(invitation_id=ticket.id or 0, contact_id=contact_id,
                            account_id=account_id, kind="csat", score=2, category="low",
                            comment="Slow", answered_at=at)  # fmt: skip
        session.add(response)
        session.add(
            ExitAnswer(
                invitation_id=exit_survey.id or 0,
                contact_id=contact_id,
                account_id=account_id,
                reasons=["price"],
                comment="Too dear for us",
                answered_at=at,
            )  # fmt: skip
        )
        session.add(
            ShipNotice(
                feature_request_id=request.id or 0,
                user_id=f"U{contact_id}",
                contact_id=contact_id,
                kind="asked",
                sent_at=at,
                answer="not_quite",
                answer_comment="Still cannot log in",
                answered_at=at,
            )  # fmt: skip
        )
        await session.flush()
        payload = {"invitation_id": ticket.id, "response_id": response.id, "context": CONTEXT,
                   "contact": {"email": email}, "note": f"Called {PHONE}"}  # fmt: skip
        session.add(OutboxEvent(event_id=f"e{contact_id}", type="response.created",
                                payload=payload, created_at=at, due_at=at))  # fmt: skip
    return contact_id


async def _forget(db: Database, email: str) -> dict[str, int]:
    async with db.transaction() as session:
        person = await privacy.find_person(session=session, email=email)
        assert person is not None
        return await privacy.erase(session=session, person=person, now=NOW)


async def _words(db: Database, contact_id: int) -> tuple[list[object], list[object]]:
    async with db.session() as session:
        exits = await session.execute(
            select(ExitAnswer.comment).where(ExitAnswer.contact_id == contact_id)
        )
        notices = await session.execute(
            select(ShipNotice.answer_comment).where(ShipNotice.contact_id == contact_id)
        )
        return list(exits.scalars()), list(notices.scalars())


async def test_forget_blanks_exit_comments_and_request_answers_and_only_theirs(
    db: Database,
) -> None:
    """Fails before: `forget` left `exit_answers.comment` and `answer_comment` as they were."""
    ana = await _said_everything(db, ANA, at=NOW)
    ben = await _said_everything(db, BEN, at=NOW)
    changed = await _forget(db, ANA)
    assert changed["exit answers (comments)"] == 1
    assert changed["request notices (answers)"] == 1
    assert await _words(db, ana) == ([None], [None])
    assert await _words(db, ben) == (["Too dear for us"], ["Still cannot log in"])
    async with db.session() as session:
        reasons = list((await session.execute(select(ExitAnswer.reasons))).scalars())
    assert reasons == [["price"], ["price"]]  # the reasons stay, for the churn figures


async def test_retain_comments_blanks_old_exit_comments_and_request_answers(
    db: Database,
) -> None:
    """Fails before: the retention job blanked survey comments and insights only."""
    old = await _said_everything(db, ANA, at=NOW - timedelta(days=800))
    fresh = await _said_everything(db, BEN, at=NOW - timedelta(days=10))
    async with db.transaction() as session:
        dropped = await privacy.drop_verbatims(session=session, before=NOW - timedelta(days=730))
    assert dropped == 3  # the survey comment, the exit comment, the request answer
    assert await _words(db, old) == ([None], [None])
    assert await _words(db, fresh) == (["Too dear for us"], ["Still cannot log in"])


async def test_forget_erases_emails_and_phones_in_context_and_webhook_payloads(
    db: Database,
) -> None:
    """Fails before: the phone number, the other addresses and the note stayed."""
    ana = await _said_everything(db, ANA, at=NOW)
    ben = await _said_everything(db, BEN, at=NOW)
    changed = await _forget(db, ANA)
    assert changed["invitations (emails and phone numbers in context)"] == 1
    assert changed["webhook events (emails, phone numbers, notes)"] == 1
    async with db.session() as session:
        [context] = (
            await session.execute(
                select(Invitation.context).where(
                    Invitation.contact_id == ana, Invitation.trigger == "support"
                )
            )
        ).scalars()
        payloads = {
            row.event_id: row.payload
            for row in (await session.execute(select(OutboxEvent))).scalars()
        }
    assert context == {
        "event": "ticket_closed",
        "ticket_id": "4521",
        "agent": "Sam Tan",
        "opened": "2026-11-30",  # a date is not a phone number
        "requester": {"phone": "[erased]", "emails": ["[erased]", "cc: [erased]"]},
        "subject": "Call me back on [erased] or [erased], not before 9",
    }
    mine = json.dumps(payloads[f"e{ana}"])
    for gone in (PHONE, HOME, ANA, "bob@acme.test", "2345 6789", "Called"):
        assert gone not in mine, gone
    assert payloads[f"e{ana}"]["context"]["agent"] == "Sam Tan"
    assert PHONE in json.dumps(payloads[f"e{ben}"])  # Ben's are his own business


async def test_forget_closes_open_surveys_and_keeps_only_the_hash_of_their_links(
    db: Database,
) -> None:
    """Fails before: the invitations stayed open and the links kept working."""
    [ana, ben] = await add_people(db, Person(ANA), Person(BEN))
    async with db.transaction() as session:
        for contact_id in (ana, ben):
            for status in (S.SCHEDULED, S.SENT, S.REMINDED, S.ANSWERED):
                invitation = Invitation(
                    contact_id=contact_id,
                    kind="nps",
                    trigger="relationship",
                    status=status,
                    due_at=NOW,
                )
                session.add(invitation)
                await session.flush()
                session.add(SurveyLink(token_hash=f"{contact_id}-{status}",
                                       invitation_id=invitation.id or 0, purpose="survey",
                                       created_at=NOW))  # fmt: skip
    await _forget(db, ANA)
    async with db.session() as session:
        statuses = (
            await session.execute(
                select(Invitation.contact_id, Invitation.status, Invitation.skip_reason).order_by(
                    Invitation.id
                )
            )
        ).all()
        links = set((await session.execute(select(SurveyLink.token_hash))).scalars())
        gone = set((await session.execute(select(ErasedLink.token_hash))).scalars())
        assert await erasure.link_erased(session=session, token_hash=f"{ana}-sent")
        assert not await erasure.link_erased(session=session, token_hash=f"{ben}-sent")
    assert [tuple(row) for row in statuses] == [
        (ana, S.SKIPPED, "opted out"),
        (ana, S.EXPIRED, None),
        (ana, S.EXPIRED, None),
        (ana, S.ANSWERED, None),
        *[(ben, status, None) for status in (S.SCHEDULED, S.SENT, S.REMINDED, S.ANSWERED)],
    ]
    assert links == {f"{ben}-{status}" for status in (S.SCHEDULED, S.SENT, S.REMINDED, S.ANSWERED)}
    assert gone == {f"{ana}-{status}" for status in (S.SCHEDULED, S.SENT, S.REMINDED, S.ANSWERED)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ring 012-345 6789 today", "ring [erased] today"),
        ("+44 (20) 7946 0958", "[erased]"),
        ("mail A.Lim+voc@mail.acme.co.uk", "mail [erased]"),
        ("on 2026-12-06 at 10:30", "on 2026-12-06 at 10:30"),
        ("06/12/2026", "06/12/2026"),
        ("ticket 4521, order 12-34", "ticket 4521, order 12-34"),
        ("ARR $120,000", "ARR $120,000"),
    ],
)
def test_redact_replaces_emails_and_phone_numbers_and_leaves_dates_and_ids(
    text: str, expected: str
) -> None:
    assert erasure.redact(text) == expected
