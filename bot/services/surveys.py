"""Starting survey campaigns: who gets an invitation, who is skipped and why."""

from __future__ import annotations

from datetime import datetime
from typing import TextIO

from bot.core.csv_out import CsvWriter
from bot.core.runtime import Runtime
from bot.domain import eligibility, sampling
from bot.domain.admin_commands import SendRequest, survey_kind
from bot.domain.admin_commands import segment as segment_of
from bot.domain.admin_results import CampaignReport, Unreachable
from bot.domain.campaigns import audience_record
from bot.domain.names import InvalidEmail, name_key, parse_email
from bot.domain.progress import OnProgress, Stage, Tick, unseen
from bot.domain.send_windows import next_relationship_slot
from bot.domain.user_errors import NoContacts, NoContactsInAccount, NotAnEmail
from bot.domain.vocabulary import (
    UNREACHABLE_REASONS,
    DeliveryChannel,
    InvitationStatus,
    SkipReason,
)
from bot.services import audit, campaigns, email_survey, question_sets, reach
from storage import audience, invitations, shared_posts
from storage.models import Account, Contact


def write_unreachable(report: CampaignReport, out: TextIO) -> None:
    """Every contact the campaign could not reach, as CSV: email, account, reason."""
    writer = CsvWriter(out)
    writer.writerow(["email", "account", "reason"])
    writer.writerows([who.email, who.account, who.reason] for who in report.unreachable)


async def start_relationship_campaign(
    rt: Runtime,
    *,
    kind: str,
    now: datetime,
    segment: str | None = None,
    account: str | None = None,
    email: str | None = None,
    send_now: bool = False,
    sample: sampling.Sample | None = None,
    seed: int | None = None,
    on_progress: OnProgress = unseen,
) -> CampaignReport:
    """Create one relationship invitation per matching contact, or a skipped one with a reason.

    Args:
        send_now: due immediately instead of the recipient's next Tue–Thu 09:00–11:00 slot.
        sample: ask a random share of the audience, stratified by segment; `seed` repeats a
            draw (a new one is chosen and reported when not given).
        on_progress: hears of each contact resolved, with the invitations created so far.

    Raises:
        SetError: the relationship question set in force asks another metric.
    """
    survey = survey_kind(kind)
    await question_sets.check_relationship_kind(rt, survey, now)
    targets = await _targets(rt, segment=segment, account=account, email=email)
    report = CampaignReport(email_on=email_survey.enabled(rt.settings))
    if sample is not None:
        targets, report.sample = sampling.draw(
            targets,
            sample,
            seed if seed is not None else sampling.new_seed(),
            stratum=lambda target: target[1].segment,
            order=lambda target: _id(target[0]),
        )
    report.campaign_id = await campaigns.new_campaign(
        rt,
        kind=survey,
        audience=audience_record(segment_of(segment) if segment else None, account, email),
        by=None,
        now=now,
    )
    directory = reach.Directory(rt)
    async with rt.db.session() as session:
        in_channel_before = await shared_posts.asked_in_channel_last_time(session=session)
    on_progress(Tick(Stage.CONTACTS, 0, len(targets)))
    for resolved, (contact, contact_account) in enumerate(targets, start=1):
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
        on_progress(Tick(Stage.CONTACTS, resolved, len(targets), made=report.created))
    report.channel_problems = [str(problem) for problem in directory.problems.values()]
    return report


async def send(
    rt: Runtime,
    request: SendRequest,
    *,
    by: str,
    now: datetime,
    on_progress: OnProgress = unseen,
) -> CampaignReport:
    """An admin's `send` (the CLI's or `/voc`'s): the campaign, recorded in the audit log."""
    report = await start_relationship_campaign(
        rt,
        kind=request.kind,
        now=now,
        segment=request.segment,
        account=request.account,
        email=request.email,
        send_now=request.now,
        sample=request.sample,
        seed=request.seed,
        on_progress=on_progress,
    )
    await audit.record(rt, actor=by, action="send", now=now, detail=request.detail())
    return report


async def _targets(
    rt: Runtime, *, segment: str | None, account: str | None, email: str | None
) -> list[tuple[Contact, Account]]:
    segment_value = segment_of(segment) if segment else None
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
            raise NoContactsInAccount(account=account, names=names[:10])
    raise NoContacts(email=email, segment=segment_value if segment else None)


async def _skip_reason(
    rt: Runtime, contact: Contact, account: Account, directory: reach.Directory, *, now: datetime
) -> str | None:
    """Opted out, fatigue (a relationship survey in the last 90 days), or no way to reach them."""
    async with rt.db.session() as session:
        last = await invitations.last_surveyed_at(
            session=session, contact_id=_id(contact), relationship=True
        )
    reason = eligibility.skip_reason(
        opted_out=contact.opted_out,
        last_surveyed=last,
        relationship=True,
        now=now,
        active=contact.active,
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
        raise NotAnEmail(text=text, why=str(exc)) from None


def _id(contact: Contact) -> int:
    assert contact.id is not None
    return contact.id
