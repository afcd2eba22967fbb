"""Starting survey campaigns: who gets an invitation, who is skipped and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from bot.core.csv_out import CsvWriter
from bot.core.runtime import Runtime
from bot.domain import eligibility
from bot.domain.errors import UserError
from bot.domain.names import InvalidEmail, name_key, parse_email, segment_named
from bot.domain.send_windows import next_relationship_slot
from bot.domain.vocabulary import (
    UNREACHABLE_REASONS,
    DeliveryChannel,
    InvitationStatus,
    SkipReason,
    SurveyKind,
)
from bot.services import campaigns, email_survey, reach
from storage import audience, invitations, shared_posts
from storage.models import Account, Contact

NAMED_UNREACHABLE = 20  # `send` names this many contacts it could not reach, then counts
NAMED_SKIPPED = 5  # and this many of those skipped for each other reason


@dataclass(frozen=True)
class Unreachable:
    """A contact the campaign meant to ask but has no way to reach, and why."""

    email: str
    account: str
    reason: str


@dataclass
class CampaignReport:
    created: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    first_due: datetime | None = None
    by_dm: int = 0  # invitations that go to the person's DM
    external: int = 0  # of those, people of another organisation (Slack Connect)
    in_channel: int = 0  # customers whose DM was refused last time: their shared channel
    by_email: int = 0  # contacts Slack cannot reach, asked by email (SMTP_URL is set)
    email_on: bool = False
    unreachable: list[Unreachable] = field(default_factory=list)
    skipped_who: dict[str, list[str]] = field(default_factory=dict)  # reason → emails
    channel_problems: list[str] = field(default_factory=list)
    campaign_id: int | None = None  # bot/services/campaigns.py

    def summary(self) -> str:
        lines = [f"Created {self.created} invitation{'s' if self.created != 1 else ''}."]
        if self.created and self.first_due:
            lines[0] += f" First delivery due {self.first_due:%a %d %b %H:%M} UTC."
        total = sum(self.skipped.values())
        if total:  # nobody skipped: nothing to say
            lines.append(f"Skipped {total}:")
        lines += [
            f"  {reason}: {count}" + self._named(reason)
            for reason, count in sorted(self.skipped.items())
        ]
        return "\n".join(lines + self.reach_lines() + self.campaign_lines())

    def campaign_lines(self) -> list[str]:
        if self.campaign_id is None or not self.created:
            return []
        return [
            f"Campaign {self.campaign_id}: `campaigns` shows it; `campaigns cancel "
            f"{self.campaign_id}` takes back what has not gone out."
        ]

    def _named(self, reason: str) -> str:
        """The first few people skipped for this reason (unreachable ones are listed below)."""
        who = self.skipped_who.get(reason, [])
        if not who:
            return ""
        more = f" and {len(who) - NAMED_SKIPPED} more" if len(who) > NAMED_SKIPPED else ""
        return f" ({', '.join(who[:NAMED_SKIPPED])}{more})"

    def reach_lines(self) -> list[str]:
        """How the campaign reaches people, per channel, and who it cannot reach."""
        lines = [
            "Reach:",
            f"  by DM: {self.by_dm}"
            + (
                f" ({self.external} in other organisations, through Slack Connect)"
                if self.external
                else ""
            ),
            f"  in a shared channel: {self.in_channel}"
            + (" (their organisation refused the DM last time)" if self.in_channel else "")
            + "; any other customer whose DM is refused is asked in their account's channel",
            f"  by email: {self.by_email}"
            + (
                " (contacts Slack cannot reach)"
                if self.email_on
                else " (off: set SMTP_URL, EMAIL_FROM and PUBLIC_URL to email them)"
            ),
        ]
        if self.channel_problems:
            lines.append(f"Shared channels the bot cannot read: {len(self.channel_problems)}")
            lines += [f"  {problem}" for problem in self.channel_problems]
        if self.unreachable:
            lines.append(f"could not reach {len(self.unreachable)}:")
            named = self.unreachable[:NAMED_UNREACHABLE]
            lines += [f"  {who.email} ({who.account}): {who.reason}" for who in named]
            if len(self.unreachable) > len(named):
                lines.append(
                    f"  … and {len(self.unreachable) - len(named)} more "
                    "(--unreachable FILE.csv writes them all)"
                )
            lines.append(
                "  To reach them: add their slack_user_id, or the account's Slack Connect "
                "channel as slack_channel, to the contacts CSV and import it again"
                + ("." if self.email_on else ", or set SMTP_URL to ask them by email.")
            )
        return lines


def write_unreachable(report: CampaignReport, out: TextIO) -> None:
    """Every contact the campaign could not reach, as CSV: email, account, reason."""
    writer = CsvWriter(out)
    writer.writerow(["email", "account", "reason"])
    writer.writerows([who.email, who.account, who.reason] for who in report.unreachable)


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
    report = CampaignReport(email_on=email_survey.enabled(rt.settings))
    report.campaign_id = await campaigns.new_campaign(
        rt, kind=survey, audience=_audience(segment, account, email), by=None, now=now
    )
    directory = reach.Directory(rt)
    async with rt.db.session() as session:
        in_channel_before = await shared_posts.asked_in_channel_last_time(session=session)
    for contact, contact_account in targets:
        reason = await _skip_reason(rt, contact, contact_account, directory, now=now)
        channel = None
        if reason in UNREACHABLE_REASONS and email_survey.enabled(rt.settings):
            reason, channel = None, DeliveryChannel.EMAIL  # Slack cannot reach them: email
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
                channel=channel,
                campaign_id=report.campaign_id,
            )
        if reason:
            report.skipped[reason] += 1
            if reason in UNREACHABLE_REASONS or reason.startswith("Slack lookup failed"):
                report.unreachable.append(Unreachable(contact.email, contact_account.name, reason))
            else:
                report.skipped_who.setdefault(reason, []).append(contact.email)
        elif channel == DeliveryChannel.EMAIL:
            report.created += 1
            report.first_due = min(filter(None, (report.first_due, due)))
            report.by_email += 1
        else:
            report.created += 1
            report.first_due = min(filter(None, (report.first_due, due)))
            external = reach.is_external(contact, await directory.own_team())
            if external and contact.id in in_channel_before:
                report.in_channel += 1
            else:
                report.by_dm += 1
                report.external += external
    report.channel_problems = [str(problem) for problem in directory.problems.values()]
    return report


def _audience(segment: str | None, account: str | None, email: str | None) -> str:
    """Whom a `send` asked, as `campaigns` shows it (an email is never shown)."""
    if email:
        return "one contact"
    if account:
        return f"account {account.strip()}"
    return f"segment {parse_segment(segment)}" if segment else "everyone"


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


async def _skip_reason(
    rt: Runtime, contact: Contact, account: Account, directory: reach.Directory, *, now: datetime
) -> str | None:
    """Opted out, fatigue (a relationship survey in the last 90 days), or no way to reach them."""
    async with rt.db.session() as session:
        last = await invitations.last_surveyed_at(
            session=session, contact_id=_id(contact), relationship=True
        )
    reason = eligibility.skip_reason(
        opted_out=contact.opted_out, last_surveyed=last, relationship=True, now=now
    )
    if reason == SkipReason.FATIGUE:
        async with rt.db.session() as session:
            if await invitations.has_scheduled(
                session=session, contact_id=_id(contact), relationship=True, now=now
            ):
                return SkipReason.ALREADY_SCHEDULED  # e.g. the autopilot's turn is near
    return reason or await reach.resolve(rt, contact, account, directory, now)


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
