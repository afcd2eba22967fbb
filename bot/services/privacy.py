"""Privacy requests about one person: export what is held (access) and forget (erasure).

Forgetting keeps each answer's score, kind and account, anonymous, so the program's
figures (NPS, CSAT, CES, follow-up rates) do not move; everything that names the person
(`storage/privacy.py` finds it) is erased, they are never surveyed again, their survey links
stop working (`storage/erasure.py`), the #voc cards already posted say the details were
erased, and SQLite's write-ahead log is emptied. Both are recorded in the audit log with who
asked and when, never with the email.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from datetime import date, datetime
from typing import Any, TextIO

from bot.core.runtime import Runtime
from bot.domain.crm_results import CrmCleared
from bot.domain.names import parse_email
from bot.domain.records import Forgotten, Person
from bot.domain.user_errors import NoContactWithEmail
from bot.services import cases, crm_push, survey_messages
from bot.services.audit import CLI, record_in
from storage import erasure, invitations, privacy
from storage.models import Contact

log = logging.getLogger(__name__)


async def forget(rt: Runtime, email: str, *, actor: str = CLI) -> Forgotten:
    """Erase the person with this email everywhere; what changed, per table.

    Forgetting the address `forget` left (`erased-<id>@erased.invalid`) again is harmless
    and redraws the cards Slack refused the first time.
    """
    now = rt.now()
    in_crm = await crm_push.person_in_crm(rt, email)  # before the email is erased
    async with rt.db.transaction() as session:
        person = await _person(session, email)
        contact = await session.get(Contact, person.contact_id)
        locale = contact.locale if contact is not None else None  # for the closed surveys
        open_surveys = await invitations.close_open_for_contact(
            session=session, contact_id=person.contact_id, now=now
        )
        changed = await privacy.erase(session=session, person=person, now=now)
        if open_surveys:
            changed["invitations (open surveys closed)"] = len(open_surveys)
        cards = await erasure.posted_cards(session=session, contact_id=person.contact_id)
        await record_in(
            session, actor=actor, action="forget", now=now, detail=f"contact {person.contact_id}"
        )
        clearing = await crm_push.forgotten(
            session,
            settings=rt.settings,
            contact_id=person.contact_id,
            person=in_crm,
            now=now,
        )
    crm = await _clear_crm(rt, person.contact_id, clearing, in_crm, actor)
    redrawn = await _redraw(rt, cards, now)
    await survey_messages.take_buttons_off(rt, open_surveys, locale=locale, reason="expired")
    return Forgotten(
        crm=crm,
        changed=changed,
        cards_redrawn=redrawn,
        cards_refused=len(cards) - redrawn,
        again=erasure.erased_address(person.contact_id) if redrawn < len(cards) else "",
        wal_kept=not await erasure.empty_sqlite_log(rt.db.engine),
    )


async def _clear_crm(
    rt: Runtime, contact_id: int, event_id: str, in_crm: Any, actor: str
) -> CrmCleared | None:
    """Clear what was pushed to the CRM about the person (audited, without the email)."""
    if rt.settings.crm is None:
        return None
    cleared = await crm_push.clear_now(rt, event_id, in_crm)
    detail = (
        f"contact {contact_id}: fields {'cleared' if cleared.fields_cleared else 'not cleared'}, "
        f"{cleared.notes_deleted} notes deleted"
        + (", retrying" if cleared.retrying else "")
        + (f", {len(cleared.not_cleared)} not cleared" if cleared.not_cleared else "")
    )
    async with rt.db.transaction() as session:
        await record_in(session, actor=actor, action="forget in CRM", now=rt.now(), detail=detail)
    return cleared


async def _redraw(rt: Runtime, case_ids: Collection[int], now: datetime) -> int:
    """Show "details erased" on the person's cards in Slack; how many Slack took."""
    done = 0
    for case_id in case_ids:
        done += await cases.refresh_card(rt, case_id, now)
    return done


async def export_contact(rt: Runtime, email: str, out: TextIO, *, actor: str = CLI) -> int:
    """Write everything held about the person as one JSON document; how many rows."""
    now = rt.now()
    async with rt.db.transaction() as session:
        person = await _person(session, email)
        found = await privacy.rows_naming(session=session, person=person)
        await record_in(
            session,
            actor=actor,
            action="export contact",
            now=now,
            detail=f"contact {person.contact_id}",
        )
    document = {"email": person.email, "exported_at": now.isoformat(), "tables": found}
    json.dump(document, out, ensure_ascii=False, indent=2, default=_plain)
    out.write("\n")
    return sum(len(rows) for rows in found.values())


async def drop_old_verbatims(rt: Runtime, now: datetime) -> int:
    """Scheduler job: with RETAIN_COMMENTS set, blank verbatims older than that."""
    keep = rt.settings.retain_comments
    if keep is None:
        return 0
    async with rt.db.transaction() as session:
        pushed = await crm_push.comments_to_blank(session, settings=rt.settings, before=now - keep)
        dropped = await privacy.drop_verbatims(session=session, before=now - keep)
        await crm_push.comments_blanked(session, settings=rt.settings, response_ids=pushed, now=now)
    if dropped:
        log.info("old verbatims blanked", extra={"rows": dropped})
    return dropped


async def _person(session: Any, email: str) -> Person:
    typed = email.strip().lower()
    # the address `forget` left is no deliverable address, but names the person to redo it
    address = typed if erasure.is_erased(typed) else parse_email(email)
    person = await privacy.find_person(session=session, email=address)
    if person is None:
        raise NoContactWithEmail(address=address)
    return person


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
