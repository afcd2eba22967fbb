"""Scores and cases pushed to the CRM (CRM=hubspot|salesforce) through the outbox, exactly once.

Each fact writes its CRM events (`sink="crm"`) in its own transaction, like the webhooks,
and only when CRM is set: an answer → the contact's voc_* fields and the company's voc_nps /
voc_open_cases; an unhappy answer's case → a note (a Task in Salesforce) on the contact's and
the company's timeline; the case closing → its outcome added to that note; a comment saved
or blanked → the contact's fields again. An event holds ids only: what it pushes is read when
it is delivered (the NPS over 90 days then, the comment as kept then).

Delivery (`deliver_due`, a scheduler job) leases due events and calls the connector. The
CRM answering 429 / 5xx after the connector's own retries (`CrmUnavailable`) makes the event
due again with the webhooks' backoff and jitter; the CRM refusing the setup (`CrmSetupError`:
a bad token, a missing field) pauses the push with one ERROR line, every event still due
(the one that met it, with its error, after SETUP_RETRY). The CRM refusing one record's
values (`CrmRecordRefused`: a dropdown without that option, a validation rule) fails that
event alone, retried with the same backoff, and the others go on.
After WEBHOOK_GIVE_UP (the webhooks' setting) an event is a dead letter, shown by
`crm status` and sent again by `crm retry ID`.

Exactly once: an event claimed again after an earlier delivery started (`tried_before`: a
crash or a failure after the call went out) looks the write up first: the contact's fields
are read and skipped when they already show this answer (or a newer one); the company's
when they already hold the figures; a note is created by its key, never twice. A contact
the CRM does not have is delivered as "not in CRM", counted by `crm status`.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from blocks import crm as words
from bot.connectors import connect
from bot.core.config import Settings
from bot.core.runtime import Runtime
from bot.core.slack_errors import SlackError
from bot.domain.crm import (
    COMPANY_PUSH_FIELDS,
    CONTACT_PUSH_FIELDS,
    NPS_WINDOW_DAYS,
    CrmConnector,
    CrmObject,
    Note,
)
from bot.domain.crm_results import CrmCleared
from bot.domain.errors import ConfigError, CrmRecordRefused, CrmSetupError, CrmUnavailable
from bot.services.webhooks import retry_or_give_up
from storage import crm_push as store
from storage import erasure, outbox
from storage.outbox import Claimed

log = logging.getLogger(__name__)

SINK = "crm"
CONTACT = "crm.contact"  # {"response_id"}: the contact's voc_* fields from that answer
COMPANY = "crm.company"  # {"account_id"}: voc_nps and voc_open_cases
NOTE = "crm.note"  # {"case_id"}: the note on the timelines
OUTCOME = "crm.outcome"  # {"case_id"}: the closed case's outcome added to its note
FORGET = "crm.forget"  # {"contact_id", "crm_contact_id", "notes"}: what forget clears

BATCH = 20
# Longer than any call can take (a request times out after 60 s; the connector's retries of a
# 429 / 5xx wait a few minutes at most): a write a dead process sent has landed or died
# before another process claims the event and looks it up.
LEASE = timedelta(minutes=10)
# The CRM refused the setup (a bad token, a missing field, a record it will not take): the
# event tried goes behind the others, due again after this, counted as no attempt.
SETUP_RETRY = timedelta(minutes=5)
CARD_WAIT = timedelta(minutes=15)  # a note waits this long for its #voc card's link
CARD_POLL = timedelta(minutes=1)
NOTE_KEY = "voc-case-{case_id}"
_random = random.Random()
_paused: set[str] = set()  # the setup errors logged, once each until the push works again


# -- enqueueing, in the caller's transaction ---------------------------------------------------


async def enqueue(
    session: AsyncSession, *, settings: Settings, type: str, payload: dict[str, Any], now: datetime
) -> str:
    """Add one CRM event; its id, or "" when CRM is not set."""
    if settings.crm is None:
        return ""
    event_id = uuid.uuid4().hex
    await outbox.add_event(
        session=session, event_id=event_id, type=type, payload=payload, now=now, sink=SINK
    )
    return event_id


async def answered(
    session: AsyncSession, *, settings: Settings, response_id: int, account_id: int, now: datetime
) -> None:
    """An answer was recorded: the contact's fields, then the company's figures."""
    if settings.crm is None:
        return
    await enqueue(
        session, settings=settings, type=CONTACT, payload={"response_id": response_id}, now=now
    )
    await enqueue(
        session, settings=settings, type=COMPANY, payload={"account_id": account_id}, now=now
    )


async def comment_changed(
    session: AsyncSession, *, settings: Settings, response_id: int, now: datetime
) -> None:
    """A comment was added to an answer (or blanked): the contact's fields again."""
    await enqueue(
        session, settings=settings, type=CONTACT, payload={"response_id": response_id}, now=now
    )


async def comment_saved(
    session: AsyncSession, *, settings: Settings, invitation_id: int, now: datetime
) -> None:
    """The "why" was saved on a survey's answer: the contact's fields with it."""
    if settings.crm is None:
        return
    response_id = await store.response_of_invitation(session=session, invitation_id=invitation_id)
    if response_id is not None:
        await comment_changed(session, settings=settings, response_id=response_id, now=now)


async def case_opened(
    session: AsyncSession,
    *,
    settings: Settings,
    case_id: int,
    account_id: int,
    now: datetime,
    answered: bool = True,
) -> None:
    """A case opened: its note (an unhappy answer's: a health case has no answer to note),
    and the company's open cases."""
    if settings.crm is None:
        return
    if answered:
        await enqueue(session, settings=settings, type=NOTE, payload={"case_id": case_id}, now=now)
    await enqueue(
        session, settings=settings, type=COMPANY, payload={"account_id": account_id}, now=now
    )


async def case_logged(
    session: AsyncSession, *, settings: Settings, case_id: int, closes: bool, now: datetime
) -> None:
    """A follow-up was logged: a closing outcome goes on the case's note; the company's open
    cases are pushed again either way (a later, open outcome reopens a closed case)."""
    if settings.crm is None:
        return
    found = await store.account_of_case(session=session, case_id=case_id)
    if found is None:
        return
    account_id, answered = found
    if closes and answered:  # a health case has no note for the outcome to go on
        await enqueue(
            session, settings=settings, type=OUTCOME, payload={"case_id": case_id}, now=now
        )
    await enqueue(
        session, settings=settings, type=COMPANY, payload={"account_id": account_id}, now=now
    )


async def comments_to_blank(
    session: AsyncSession, *, settings: Settings, before: datetime
) -> list[int]:
    """Before verbatims older than `before` are blanked: the answers whose comment the CRM
    shows (each contact's latest), to push again once blank (`comments_blanked`)."""
    if settings.crm is None:
        return []
    return await store.latest_responses_with_comment_before(session=session, before=before)


async def comments_blanked(
    session: AsyncSession, *, settings: Settings, response_ids: list[int], now: datetime
) -> None:
    for response_id in response_ids:
        await comment_changed(session, settings=settings, response_id=response_id, now=now)


# -- delivery ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Wait:
    """Not yet: due again at `due_at`, no failure counted."""

    due_at: datetime


_Result = str | None | _Wait  # None: written; a str: delivered without a write, and why


async def deliver_due(
    rt: Runtime, now: datetime, *, draw: Callable[[], float] = _random.random
) -> int:
    """Scheduler job: lease due CRM events and push each; how many were delivered."""
    if rt.settings.crm is None:
        return 0
    async with rt.db.transaction() as session:
        claimed = await outbox.claim_due(
            session=session, now=now, lease=LEASE, limit=BATCH, sink=SINK
        )
    if not claimed:
        return 0
    try:
        crm = connect(rt.settings)
    except ConfigError as exc:  # CrmSetupError included: the settings cannot make one
        _pause(str(exc))
        await _release(rt, claimed)
        return 0
    try:
        return await _deliver(rt, crm, claimed, now, draw)
    finally:
        await crm.close()


async def _deliver(
    rt: Runtime,
    crm: CrmConnector,
    claimed: list[Claimed],
    now: datetime,
    draw: Callable[[], float],
) -> int:
    delivered = 0
    companies: set[int] = set()  # pushed in this pass: later events for them are already true
    for index, event in enumerate(claimed):
        try:
            if event.type == COMPANY and event.payload.get("account_id") in companies:
                result: _Result = "pushed with an earlier event"
            else:
                result = await _push(rt, crm, event, now)
                if event.type == COMPANY:
                    companies.add(int(event.payload["account_id"]))
        except CrmSetupError as exc:
            _pause(str(exc))
            async with rt.db.transaction() as session:  # behind the others, never dead
                await store.hold(
                    session=session, id=event.id, due_at=now + SETUP_RETRY, error=str(exc)
                )
            await _release(rt, claimed[index + 1 :])
            return delivered
        except CrmUnavailable as exc:
            await _failed(rt, event, str(exc), now, draw)
            await _release(rt, claimed[index + 1 :])  # the CRM is down: the rest wait too
            return delivered
        except CrmRecordRefused as exc:  # this record's values: the others go on
            await _failed(rt, event, str(exc), now, draw)
            continue
        except Exception as exc:  # one event's bug must not stop the others
            log.debug("CRM push failed", exc_info=True)
            await _failed(rt, event, type(exc).__name__, now, draw)
            continue
        _paused.clear()
        async with rt.db.transaction() as session:
            if isinstance(result, _Wait):
                await store.wait(session=session, id=event.id, due_at=result.due_at)
                continue
            await store.settle(session=session, id=event.id, now=rt.now(), note=result)
        delivered += 1
    return delivered


async def _push(rt: Runtime, crm: CrmConnector, event: Claimed, now: datetime) -> _Result:
    if event.type == CONTACT:
        return await _push_contact(rt, crm, event, now)
    if event.type == COMPANY:
        return await _push_company(rt, crm, event, now)
    if event.type == NOTE:
        return await _push_note(rt, crm, event, now)
    if event.type == OUTCOME:
        return await _push_outcome(rt, crm, event, now)
    if event.type == FORGET:
        await _clear(rt, crm, event.payload)
        return None
    return f"unknown event type {event.type}"


async def _push_contact(rt: Runtime, crm: CrmConnector, event: Claimed, now: datetime) -> _Result:
    async with rt.db.session() as session:
        facts = await store.answer_facts(
            session=session, response_id=int(event.payload["response_id"])
        )
    if facts is None:
        return "the answer is gone"
    if facts.superseded:
        return "a newer answer pushes"
    crm_id = await _contact_id(crm, facts.contact_crm_id, facts.email)
    if crm_id is None:
        return store.NOT_IN_CRM
    values = contact_values(
        rt.settings, facts.kind, facts.score, facts.answered_at, facts.comment, now
    )
    if event.tried_before:  # an earlier delivery may have written it: look before writing
        current = await crm.read(CrmObject.CONTACT, crm_id, CONTACT_PUSH_FIELDS)
        if current is None:
            return store.NOT_IN_CRM
        if already_written(current, values):
            return "already in the CRM"
    await crm.update(CrmObject.CONTACT, {crm_id: values})
    return None


def contact_values(
    settings: Settings,
    kind: str,
    score: int,
    answered_at: datetime,
    comment: str | None,
    now: datetime,
) -> dict[str, object]:
    """The contact's voc_* fields for an answer; the comment blank past RETAIN_COMMENTS."""
    keep = settings.retain_comments
    kept = comment if comment and (keep is None or answered_at >= now - keep) else None
    return {
        "voc_last_score": score,
        "voc_last_survey": kind,
        "voc_last_answered_at": answered_at,
        "voc_last_comment": kept,
    }


def already_written(current: Mapping[str, object], values: Mapping[str, object]) -> bool:
    """Whether the CRM's contact already shows this answer as `values` would write it, or a
    newer answer (an older answer never overwrites a newer one)."""
    theirs = _instant(current.get("voc_last_answered_at"))
    ours = _instant(values["voc_last_answered_at"])
    if theirs is None or ours is None:
        return False
    if theirs != ours:
        return theirs > ours
    return _blank(current.get("voc_last_comment")) == _blank(values["voc_last_comment"]) and str(
        current.get("voc_last_score")
    ).split(".")[0] == str(values["voc_last_score"])


def _instant(value: object) -> datetime | None:
    """A CRM's datetime (a datetime, ISO-8601 text, or epoch milliseconds) to the ms."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        moment = datetime.fromtimestamp(int(value) / 1000, UTC)
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("+0000", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)


def _blank(value: object) -> str:
    return "" if value is None else str(value)


async def _contact_id(crm: CrmConnector, known: str | None, email: str) -> str | None:
    if known:
        return known
    if erasure.is_erased(email):
        return None
    return await crm.find_contact(email)


async def _push_company(rt: Runtime, crm: CrmConnector, event: Claimed, now: datetime) -> _Result:
    since = now - timedelta(days=NPS_WINDOW_DAYS)
    async with rt.db.session() as session:
        crm_id, nps, open_cases = await store.account_figures(
            session=session, account_id=int(event.payload["account_id"]), since=since
        )
    if not crm_id:
        return store.NOT_IN_CRM
    values: dict[str, object] = {
        "voc_nps": None if nps is None else round(nps, 1),
        "voc_open_cases": open_cases,
    }
    if event.tried_before:
        current = await crm.read(CrmObject.COMPANY, crm_id, COMPANY_PUSH_FIELDS)
        if current is None:
            return store.NOT_IN_CRM
        if all(_number(current.get(k)) == _number(v) for k, v in values.items()):
            return "already in the CRM"
    await crm.update(CrmObject.COMPANY, {crm_id: values})
    return None


def _number(value: object) -> float | None:
    try:
        return None if value in (None, "") else round(float(str(value)), 1)
    except ValueError:
        return None


async def _push_note(rt: Runtime, crm: CrmConnector, event: Claimed, now: datetime) -> _Result:
    case_id = int(event.payload["case_id"])
    async with rt.db.session() as session:
        facts = await store.case_facts(session=session, case_id=case_id)
        known = await store.note_of_case(session=session, case_id=case_id)
    if facts is None:
        return "the case is gone"
    if known is not None:
        return "already in the CRM"
    if not facts.message_ts and now - event.created_at < CARD_WAIT:
        return _Wait(now + CARD_POLL)  # the card is being posted: its link goes in the note
    contact_id = await _contact_id(crm, facts.contact_crm_id, facts.email)
    if contact_id is None and not facts.account_crm_id:
        return store.NOT_IN_CRM
    comment = contact_values(
        rt.settings, facts.kind, facts.score, facts.answered_at, facts.comment, now
    )["voc_last_comment"]
    outcome = (
        words.outcome_line(facts.outcome, facts.note, facts.closed_at) if facts.closed_at else None
    )
    note = Note(
        key=NOTE_KEY.format(case_id=case_id),
        title=words.note_title(facts.kind, facts.score),
        body=words.note_body(
            kind=facts.kind,
            score=facts.score,
            comment=comment if isinstance(comment, str) else None,
            answered_at=facts.answered_at,
            permalink=await permalink(rt, facts.channel, facts.message_ts),
            outcome=outcome,
        ),
        at=facts.answered_at,
        contact_id=contact_id,
        company_id=facts.account_crm_id,
    )
    note_id = await crm.add_note(note)  # by its key: a second delivery finds the first note
    async with rt.db.transaction() as session:
        await store.record_note(
            session=session,
            key=note.key,
            crm=str(rt.settings.crm),
            crm_note_id=note_id,
            contact_id=facts.contact_id,
            case_id=case_id,
            now=now,
        )
    return None


async def permalink(rt: Runtime, channel: str | None, ts: str | None) -> str | None:
    """A #voc card's link (also in Zendesk's notes); None without a card or when Slack
    will not give it."""
    if not channel or not ts:
        return None
    try:
        answer = await rt.slack.chat_getPermalink(channel=channel, message_ts=ts)
    except SlackError:
        return None
    link = answer.get("permalink")
    return str(link) if link else None


async def _push_outcome(rt: Runtime, crm: CrmConnector, event: Claimed, now: datetime) -> _Result:
    case_id = int(event.payload["case_id"])
    async with rt.db.session() as session:
        facts = await store.case_facts(session=session, case_id=case_id)
        known = await store.note_of_case(session=session, case_id=case_id)
        waiting = known is None and await store.note_pending(
            session=session, case_id=case_id, type=NOTE
        )
    if facts is None:
        return "the case is gone"
    if waiting:
        return _Wait(now + CARD_POLL)  # the note is not written yet
    if known is None:
        return store.NOT_IN_CRM
    if facts.closed_at is not None and known.created_at > facts.closed_at:
        return "the note was written with the outcome"
    text = words.outcome_line(facts.outcome, facts.note, facts.closed_at)
    await crm.append_to_note(known.crm_note_id, text)
    return None


async def _failed(
    rt: Runtime, event: Claimed, error: str, now: datetime, draw: Callable[[], float]
) -> None:
    attempts = event.attempts + 1
    dead = await retry_or_give_up(rt, event, error, now, draw)
    fields = {"event": event.id, "type": event.type, "attempts": attempts, "error": error}
    if dead:
        log.error(
            "CRM push given up: `python -m bot crm status` lists it, "
            "`python -m bot crm retry ID` sends it again",
            extra=fields,
        )
    else:
        log.warning("CRM push not delivered; will retry", extra=fields)


async def _release(rt: Runtime, events: list[Claimed]) -> None:
    if events:
        async with rt.db.transaction() as session:
            await store.release(session=session, ids=[e.id for e in events])


def _pause(error: str) -> None:
    if error not in _paused:
        _paused.add(error)
        log.error("CRM push paused: %s", error)


# -- forget ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrmPerson:
    """Who `forget` clears in the CRM, found before the email is erased."""

    crm_contact_id: str | None
    problem: str | None = None  # why the CRM's contact could not be found


async def person_in_crm(rt: Runtime, email: str) -> CrmPerson | None:
    """The CRM contact of the person with this email (None when CRM is not set or the
    person is unknown): the id synced, else the CRM's contact with that email."""
    if rt.settings.crm is None:
        return None
    async with rt.db.session() as session:
        found = await store.contact_by_email(session=session, email=email.strip().lower())
    if found is None:
        return None
    _contact, crm_id = found
    if crm_id or erasure.is_erased(email):
        return CrmPerson(crm_id)
    crm = connect(rt.settings)
    try:
        return CrmPerson(await crm.find_contact(email.strip().lower()))
    except (CrmUnavailable, CrmSetupError, CrmRecordRefused) as exc:
        return CrmPerson(None, f"the contact could not be looked up in the CRM ({exc})")
    finally:
        await crm.close()


async def forgotten(
    session: AsyncSession,
    *,
    settings: Settings,
    contact_id: int,
    person: CrmPerson | None,
    now: datetime,
) -> str:
    """In `forget`'s transaction: nothing more of the person is pushed (their pending events
    go), and one event clears what was (their voc_* fields, their notes). Its id, or ""."""
    if settings.crm is None:
        return ""
    response_ids, case_ids = await store.person_ids(session=session, contact_id=contact_id)
    await store.drop_pending(session=session, response_ids=response_ids, case_ids=case_ids)
    notes = await store.notes_of_contact(session=session, contact_id=contact_id)
    crm_contact = person.crm_contact_id if person else None
    if not notes and not crm_contact:
        return ""
    payload = {"contact_id": contact_id, "crm_contact_id": crm_contact, "notes": notes}
    return await enqueue(session, settings=settings, type=FORGET, payload=payload, now=now)


async def clear_now(rt: Runtime, event_id: str, person: CrmPerson | None) -> CrmCleared:
    """Deliver `forgotten`'s event at once, for `forget` to say what was cleared; when the
    CRM is down it stays due and the outbox keeps trying."""
    cleared = CrmCleared()
    if person is not None and person.problem:
        cleared.not_cleared.append(f"voc_* fields: {person.problem}")
    if not event_id:
        return cleared
    now = rt.now()
    async with rt.db.transaction() as session:
        event = await store.claim_one(session=session, event_id=event_id, now=now, lease=LEASE)
    if event is None:
        cleared.retrying = True
        return cleared
    crm = connect(rt.settings)
    try:
        deleted = await _clear(rt, crm, event.payload)
    except (CrmUnavailable, CrmSetupError, CrmRecordRefused) as exc:
        async with rt.db.transaction() as session:
            if isinstance(exc, CrmUnavailable):
                await outbox.reschedule(
                    session=session, id=event.id, error=str(exc), due_at=now + CARD_POLL
                )
            else:
                await store.release(session=session, ids=[event.id])
        what = []
        if event.payload.get("crm_contact_id"):
            what.append("voc_* fields")
        if event.payload.get("notes"):
            what.append(f"{len(event.payload['notes'])} notes")
        cleared.not_cleared.append(f"{' and '.join(what)}: {exc}")
        cleared.retrying = True
        return cleared
    finally:
        await crm.close()
    async with rt.db.transaction() as session:
        await store.settle(session=session, id=event.id, now=rt.now(), note=None)
    cleared.fields_cleared = bool(event.payload.get("crm_contact_id"))
    cleared.notes_deleted = deleted
    return cleared


async def _clear(rt: Runtime, crm: CrmConnector, payload: Mapping[str, Any]) -> int:
    """Delete the person's notes, blank their voc_* fields; notes deleted. Each step is
    idempotent: a retry after a crash does it again harmlessly."""
    notes = [str(n) for n in payload.get("notes") or []]
    deleted = 0
    for note_id in notes:
        deleted += await crm.delete_note(note_id)
        async with rt.db.transaction() as session:
            await store.forget_notes(session=session, crm_note_ids=[note_id])
    crm_contact = payload.get("crm_contact_id")
    if crm_contact:
        blank: dict[str, object] = {name: None for name in CONTACT_PUSH_FIELDS}
        await crm.update(CrmObject.CONTACT, {str(crm_contact): blank})
    return deleted
