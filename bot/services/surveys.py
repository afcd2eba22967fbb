"""Starting survey campaigns: who gets an invitation, who is skipped and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.domain import eligibility
from bot.domain.names import InvalidEmail, name_key, parse_email, segment_named
from bot.domain.send_windows import next_relationship_slot
from bot.services import identity
from storage import audience, invitations
from storage.models import Account, Contact, InvitationStatus, SurveyKind


@dataclass
class CampaignReport:
    created: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    first_due: datetime | None = None

    def summary(self) -> str:
        lines = [f"Created {self.created} invitation{'s' if self.created != 1 else ''}."]
        if self.created and self.first_due:
            lines[0] += f" First delivery due {self.first_due:%a %d %b %H:%M} UTC."
        total = sum(self.skipped.values())
        lines.append(f"Skipped {total}" + (":" if total else "."))
        lines += [f"  {reason}: {count}" for reason, count in sorted(self.skipped.items())]
        return "\n".join(lines)


def parse_kind(text: str) -> SurveyKind:
    try:
        return SurveyKind(text.strip().lower())
    except ValueError:
        raise UserError(f'"{text}" is not a survey kind: use nps, csat or ces') from None


def parse_segment(text: str) -> str:
    segment = segment_named(text)
    if segment is None:
        raise UserError(f'"{text}" is not a segment: use enterprise, mid-market or smb')
    return segment


async def start_relationship_campaign(
    rt: Runtime,
    *,
    kind: str,
    now: datetime,
    segment: str | None = None,
    account: str | None = None,
    email: str | None = None,
    send_now: bool = False,
) -> CampaignReport:
    """Create one relationship invitation per matching contact, or a skipped one with a reason.

    Args:
        send_now: due immediately instead of the recipient's next Tue–Thu 09:00–11:00 slot.
    """
    survey = parse_kind(kind)
    targets = await _targets(rt, segment=segment, account=account, email=email)
    report = CampaignReport()
    for contact, _account in targets:
        reason = await _skip_reason(rt, contact, now=now)
        due = now if send_now or reason else next_relationship_slot(now, contact.tz)
        async with rt.db.transaction() as session:
            session.add(contact)
            await invitations.create_invitation(
                session=session,
                contact_id=_id(contact),
                kind=survey,
                trigger="relationship",
                due_at=due,
                now=now,
                status=InvitationStatus.SKIPPED if reason else InvitationStatus.SCHEDULED,
                skip_reason=reason,
            )
        if reason:
            report.skipped[reason] += 1
        else:
            report.created += 1
            report.first_due = min(filter(None, (report.first_due, due)))
    return report


async def _targets(
    rt: Runtime, *, segment: str | None, account: str | None, email: str | None
) -> list[tuple[Contact, Account]]:
    segment_value = parse_segment(segment) if segment else None
    email_value = _parse_email(email) if email else None
    async with rt.db.session() as session:
        rows = await audience.campaign_contacts(
            session=session,
            segment=segment_value,
            account_key=name_key(account) if account else None,
            email=email_value,
        )
        if rows:
            return rows
        if account:
            names = await audience.account_names(session=session)
            hint = ", ".join(names[:10]) or "none yet"
            raise UserError(f'No contacts in an account named "{account}". Accounts: {hint}.')
    what = f" with email {email}" if email else f" in segment {segment_value}" if segment else ""
    raise UserError(f"No contacts{what}. Import them first: vocbot import contacts FILE.csv")


async def _skip_reason(rt: Runtime, contact: Contact, *, now: datetime) -> str | None:
    """Opted out, fatigue (a relationship survey in the last 90 days), or no Slack user."""
    async with rt.db.session() as session:
        last = await invitations.last_surveyed_at(
            session=session, contact_id=_id(contact), relationship=True
        )
    reason = eligibility.skip_reason(
        opted_out=contact.opted_out, last_surveyed=last, relationship=True, now=now
    )
    return reason or await identity.resolve(rt, contact, now)


def _parse_email(text: str) -> str:
    try:
        return parse_email(text)
    except InvalidEmail as exc:
        raise UserError(
            f'"{text}" is not an email address ({exc}); write it like ana@example.com'
        ) from None


def _id(contact: Contact) -> int:
    assert contact.id is not None
    return contact.id
