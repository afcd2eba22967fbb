"""The words of the admin verbs' answers (`send`, `autopilot`, `wording`, `campaigns`), the
same for `/voc` and the command line; `prefix` is how a usage hint starts (`/voc ` or "")."""

from __future__ import annotations

from bot.domain.admin_results import (
    AutopilotChanged,
    AutopilotView,
    CampaignCancelled,
    CampaignReport,
    CampaignRescheduled,
    CampaignView,
    Unreachable,
    WordingRestored,
    WordingSaved,
    WordingTable,
)
from bot.domain.vocabulary import SkipReason

NAMED_UNREACHABLE = 20  # `send` names this many contacts it could not reach, then counts
NAMED_SKIPPED = 5  # and this many of those skipped for each other reason


CLI = "python -m bot "  # the `prefix` of the command line's hints, as the README writes them


def send_summary(report: CampaignReport, prefix: str = CLI) -> str:
    """What a `send` did: created, skipped by reason, reach by channel, the campaign's id;
    hints name the commands after `prefix` ("/voc " in Slack)."""
    lines = [f"Created {report.created} invitation{'s' if report.created != 1 else ''}."]
    if report.created and report.first_due:
        lines[0] += f" First delivery due {report.first_due:%a %d %b %H:%M} UTC."
    total = sum(report.skipped.values())
    if total:  # nobody skipped: nothing to say
        lines.append(f"Skipped {total}:")
    for reason, count in sorted(report.skipped.items()):
        lines.append(f"  {reason}: {count}" + _named(report, reason))
        if reason == SkipReason.ALREADY_SCHEDULED:
            lines.append(
                f"    they wait in an earlier campaign or an autopilot: `{prefix}campaigns` "
                f"lists them, `{prefix}campaigns cancel ID` takes one back"
            )
    return "\n".join(
        _sample_lines(report) + lines + reach_lines(report) + _campaign_lines(report, prefix)
    )


def _sample_lines(report: CampaignReport) -> list[str]:
    """`--sample`: how many of the audience were drawn, per segment, and the seed."""
    drawn = report.sample
    if drawn is None:
        return []
    per_segment = ", ".join(f"{name} {chosen} of {of}" for name, chosen, of in drawn.by_segment)
    return [
        f"Sample: {drawn.chosen} of {drawn.population} contacts ({drawn.sample}), "
        f"by segment: {per_segment}.",
        f"Seed {drawn.seed}: repeat this draw with --sample {drawn.sample} --seed {drawn.seed}.",
    ]


def _campaign_lines(report: CampaignReport, prefix: str) -> list[str]:
    if report.campaign_id is None or not report.created:
        return []
    return [
        f"Campaign {report.campaign_id}: `{prefix}campaigns` shows it; `{prefix}campaigns cancel "
        f"{report.campaign_id}` takes back what has not gone out."
    ]


def _named(report: CampaignReport, reason: str) -> str:
    """The first few people skipped for this reason (unreachable ones are listed below)."""
    who = report.skipped_who.get(reason, [])
    if not who:
        return ""
    more = f" and {len(who) - NAMED_SKIPPED} more" if len(who) > NAMED_SKIPPED else ""
    return f" ({', '.join(who[:NAMED_SKIPPED])}{more})"


def reach_lines(report: CampaignReport) -> list[str]:
    """How the campaign reaches people, per channel, and who it cannot reach."""
    lines = [
        "Reach:",
        f"  by DM: {report.by_dm}"
        + (
            f" ({report.external} in other organisations, through Slack Connect)"
            if report.external
            else ""
        ),
        f"  in a shared channel: {report.in_channel}"
        + (" (their organisation refused the DM last time)" if report.in_channel else "")
        + "; any other customer whose DM is refused is asked in their account's channel",
        f"  by email: {report.by_email}"
        + (
            " (contacts Slack cannot reach)"
            if report.email_on
            else " (off: set SMTP_URL, EMAIL_FROM and PUBLIC_URL to email them)"
        ),
    ]
    if report.resolving:
        lines.append(
            f"  being found in Slack: {report.resolving} (the worker goes on; `campaigns` "
            "shows who it cannot reach once it is done)"
        )
    if report.channel_problems:
        lines.append(f"Shared channels the bot cannot read: {len(report.channel_problems)}")
        lines += [f"  {problem}" for problem in report.channel_problems]
    if report.unreachable:
        lines += _unreachable_lines(report.unreachable, "", "--unreachable FILE.csv")
        lines.append(
            "  To reach them: add their slack_user_id, or the account's Slack Connect "
            "channel as slack_channel, to the contacts CSV and import it again"
            + ("." if report.email_on else ", or set SMTP_URL to ask them by email.")
        )
    return lines


def autopilot_line(view: AutopilotView) -> str:
    who = f"segment {view.segment}" if view.segment else "everyone"
    counts = ", ".join(f"{name} {count}" for name, count in sorted(view.counts.items()))
    rhythm = (
        f"every quarter (week {view.quarter_week})"
        if view.quarter_week
        else f"every {view.every_days} days"
    )
    sampled = f", a sample of {view.sample}" if view.sample else ""
    return (
        f"#{view.id} {view.kind.upper()} {rhythm} for {who}{sampled}: "
        f"{view.status} since {view.anchor}" + (f" ({counts})" if counts else "")
    )


def autopilot_on(view: AutopilotView) -> str:
    return f"Autopilot on: {autopilot_line(view)}"


def autopilot_list(views: list[AutopilotView], prefix: str) -> str:
    if views:
        return "\n".join(autopilot_line(view) for view in views)
    if prefix:
        return f"No autopilot yet. Start one: `{prefix}autopilot nps 90d [segment]`"
    return f"No autopilot yet. Start one: {CLI}autopilot nps --every 90d"


def autopilot_changed(changed: AutopilotChanged) -> str:
    skipped = changed.skipped
    held = f"; {skipped} invitation{'s' if skipped != 1 else ''} not yet sent will not go"
    return f"Autopilot #{changed.autopilot_id} is {changed.status}{held * bool(skipped)}."


def _audience(view: CampaignView) -> str:
    if view.every_days is None:
        return view.audience
    whom = f"segment {view.segment}" if view.segment else "everyone"
    if view.quarter_week:
        return f"autopilot every quarter (week {view.quarter_week}), {whom}"
    return f"autopilot every {view.every_days}d, {whom}"


def campaign_line(view: CampaignView) -> str:
    f = view.figures
    waiting = "none waiting"
    if f.scheduled and f.next_due:
        waiting = f"{f.scheduled} waiting, due {f.next_due:%Y-%m-%d %H:%M}"
        if f.last_due and f.last_due != f.next_due:
            waiting += f" to {f.last_due:%Y-%m-%d %H:%M}"
        waiting += " UTC"
    if f.resolving:
        waiting = f"{f.resolving} being found in Slack, " + waiting
    skipped = ", ".join(f"{reason} {count}" for reason, count in sorted(f.skipped.items()))
    state = f" ({view.status})" if view.status else ""
    return (
        f"{view.id}  {view.kind.upper()} {_audience(view)}{state}, created "
        f"{view.created:%Y-%m-%d %H:%M} UTC: {f.created} invitations, {waiting}, "
        f"{f.sent} sent, {f.answered} answered"
        + (f", {f.failed} failed" if f.failed else "")
        + f", skipped {sum(f.skipped.values())}"
        + (f" ({skipped})" if skipped else "")
    )


def campaign_list(views: list[CampaignView], prefix: str = CLI) -> str:
    if not views:
        if prefix == CLI:
            return (
                f"No campaigns yet. Start one: {CLI}send nps (or {CLI}autopilot nps --every 90d)."
            )
        return f"No campaigns yet. Start one: `{prefix}send nps` (or `{prefix}autopilot nps 90d`)."
    lines: list[str] = []
    for view in views:
        lines.append(campaign_line(view))
        lines += _unreachable_lines(view.unreachable, "  ")
    return "\n".join(lines)


def _unreachable_lines(who: list[Unreachable], indent: str, all_of_them: str = "") -> list[str]:
    """Who could not be reached, named (the first NAMED_UNREACHABLE), then counted;
    `all_of_them`: the option that writes every one."""
    if not who:
        return []
    named = who[:NAMED_UNREACHABLE]
    lines = [f"{indent}could not reach {len(who)}:"]
    lines += [f"{indent}  {one.email} ({one.account}): {one.reason}" for one in named]
    if len(who) > len(named):
        more = f"{indent}  … and {len(who) - len(named)} more"
        lines.append(more + (f" ({all_of_them} writes them all)" if all_of_them else ""))
    return lines


def campaign_cancelled(done: CampaignCancelled, prefix: str = CLI) -> str:
    found = done.campaign
    line = (
        f"Campaign {found}: cancelled {done.cancelled}; {done.already_sent} had already gone out."
    )
    if found.autopilot:
        line += (
            f" The autopilot keeps planning later periods: `{prefix}autopilot stop {found.number}`."
        )
    return line


def campaign_rescheduled(done: CampaignRescheduled) -> str:
    if done.at is None:
        return f"Campaign {done.campaign}: {done.moved} due now; they go out on the next pass."
    line = (
        f"Campaign {done.campaign}: rescheduled {done.moved} to {done.at:%a %d %b %Y %H:%M}, "
        "their local time"
    )
    if done.outside_window:
        line += (
            f"; {done.outside_window} of them outside the Tue–Thu 09:00–11:00 window there, "
            "moved to their next slot after it"
        )
    return line + "."


def wording_saved(saved: WordingSaved) -> str:
    return (
        f"{saved.kind.upper()} ({saved.lang}) now asks: {saved.template}\n"
        f"For example: {saved.example}"
    )


def wording_restored(done: WordingRestored) -> str:
    if not done.was_set:
        return f"{done.kind.upper()} ({done.lang}) already asks the default: {done.default}"
    return f"{done.kind.upper()} ({done.lang}) asks the default again: {done.default}"


def wording_table(table: WordingTable) -> str:
    lines = [
        f"{row.kind} {row.lang} ({'set' if row.own else 'default'}): {row.text}"
        for row in table.rows
    ]
    product = table.product
    lines.append(
        f"Placeholders: {table.placeholders}. {{product}} is "
        + (f'"{product}" (PRODUCT_NAME).' if product else "unset: set PRODUCT_NAME to name it.")
    )
    return "\n".join(lines)
