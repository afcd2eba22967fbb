"""Starting survey campaigns: who gets an invitation, who is skipped and why."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from datetime import datetime
from typing import TextIO

from bot.core.csv_out import CsvWriter
from bot.core.runtime import Runtime
from bot.domain import eligibility, sampling
from bot.domain.admin_commands import SendRequest, survey_kind
from bot.domain.admin_commands import segment as segment_of
from bot.domain.admin_results import CampaignReport, Unreachable, is_unreachable
from bot.domain.campaigns import audience_record
from bot.domain.names import InvalidEmail, name_key, parse_email
from bot.domain.progress import OnProgress, Stage, Tick, unseen
from bot.domain.send_windows import next_relationship_slot
from bot.domain.user_errors import NoContacts, NoContactsInAccount, NotAnEmail
from bot.domain.vocabulary import (
    DeliveryChannel,
    InvitationStatus,
    SkipReason,
)
from bot.services import audit, campaigns, email_survey, question_sets, reach
from storage import audience, shared_posts
from storage import reach as reach_store
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
        on_progress: hears how many contacts are settled (skipped, or found in Slack or
            for email) with the invitations created so far: once the invitations exist, and
            again when `send` stops waiting for Slack (the worker finds the rest).

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
    total = len(targets)
    on_progress(Tick(Stage.CONTACTS, 0, total))
    created = await _create_invitations(
        rt, targets, survey, report.campaign_id, now=now, send_now=send_now
    )
    left = created[InvitationStatus.RESOLVING]
    on_progress(
        Tick(
            Stage.CONTACTS,
            total - left,
            total,
            made=created[InvitationStatus.SCHEDULED],  # the rest count once found
        )
    )
    problems = await _resolve_a_while(rt, report.campaign_id, now) if left else []
    await _fill_report(rt, report, problems)
    if left:
        on_progress(Tick(Stage.CONTACTS, total - report.resolving, total, made=report.created))
    return report


async def _create_invitations(
    rt: Runtime,
    targets: list[tuple[Contact, Account]],
    survey: str,
    campaign_id: int,
    *,
    now: datetime,
    send_now: bool,
) -> Counter[str]:
    """Every target's invitation, in one transaction: skipped with a reason, scheduled for
    someone Slack was asked about lately, and `resolving` for the rest (the worker finds
    them: bot/services/reach.py). How many of each status."""
    ids = [_id(contact) for contact, _ in targets]
    async with rt.db.session() as session:
        last = await reach_store.last_relationship_surveys(session=session, contact_ids=ids)
        waiting = await reach_store.relationship_scheduled(
            session=session, contact_ids=ids, now=now
        )
    rows = []
    for contact, _ in targets:
        reason = eligibility.skip_reason(
            opted_out=contact.opted_out,
            last_surveyed=last.get(_id(contact)),
            relationship=True,
            now=now,
            active=contact.active,
        )
        if reason == SkipReason.FATIGUE and _id(contact) in waiting:
            reason = SkipReason.ALREADY_SCHEDULED  # e.g. the autopilot's turn is near
        if reason:
            status = InvitationStatus.SKIPPED
        elif reach.known_lately(contact, now):
            status = InvitationStatus.SCHEDULED
        else:
            status = InvitationStatus.RESOLVING
        rows.append(
            {
                "contact_id": _id(contact),
                "kind": survey,
                "trigger": "relationship",
                "status": status,
                "skip_reason": reason,
                # `resolving` rows keep `due_at == created_at` for `--now` (reach.py reads it)
                "due_at": now if send_now or reason else next_relationship_slot(now, contact.tz),
                "campaign_id": campaign_id,
                "created_at": now,
                "closed_at": now if reason else None,
            }
        )
    async with rt.db.transaction() as session:
        await reach_store.create_many(session=session, rows=rows)
    return Counter(str(row["status"]) for row in rows)


async def _resolve_a_while(rt: Runtime, campaign_id: int, now: datetime) -> list[str]:
    """Find the campaign's people in Slack for up to `REACH_SEND_WAIT`; the worker goes on
    with whoever is left. The shared channels the bot cannot read, as sentences."""
    wait = rt.settings.reach_send_wait.total_seconds()
    if wait <= 0:
        return []
    task = asyncio.ensure_future(reach.resolve_pending(rt, now, campaign_id=campaign_id))
    try:
        resolved = await asyncio.wait_for(asyncio.shield(task), wait)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return []
    return [str(problem) for problem in resolved.problems]


async def _fill_report(rt: Runtime, report: CampaignReport, problems: list[str]) -> None:
    """What the campaign's invitations came to so far: reached how, or skipped why."""
    assert report.campaign_id is not None
    async with rt.db.session() as session:
        rows = await reach_store.outcomes(session=session, campaign_id=report.campaign_id)
        in_channel_before = await shared_posts.asked_in_channel_last_time(session=session)
    own_team: str | None = None
    for row in rows:
        reason = row.skip_reason
        if row.status == InvitationStatus.SKIPPED and reason:
            report.skipped[reason] += 1
            if is_unreachable(reason):
                report.unreachable.append(Unreachable(row.email, row.account, reason))
            else:
                report.skipped_who.setdefault(reason, []).append(row.email)
            continue
        report.created += 1
        report.first_due = min(filter(None, (report.first_due, row.due_at)))
        if row.status == InvitationStatus.RESOLVING:
            report.resolving += 1
        elif row.channel == DeliveryChannel.EMAIL:
            report.by_email += 1
        else:
            if own_team is None and row.slack_team_id:
                own_team = await reach.Directory(rt).own_team()
            external = bool(row.slack_team_id) and row.slack_team_id != own_team
            if external and row.contact_id in in_channel_before:
                report.in_channel += 1
            else:
                report.by_dm += 1
                report.external += external
    report.channel_problems = problems


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


def _parse_email(text: str) -> str:
    try:
        return parse_email(text)
    except InvalidEmail as exc:
        raise NotAnEmail(text=text, why=str(exc)) from None


def _id(contact: Contact) -> int:
    assert contact.id is not None
    return contact.id
