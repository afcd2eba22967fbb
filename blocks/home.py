"""The App Home tab: one person's open and overdue cases, their accounts' NPS, Log feedback."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks.digest import csm_line, csm_lines, format_nps
from blocks.health import score_line
from blocks.ids import ActionId
from blocks.reading import signal_labels
from blocks.text import escape, shorten, synced_text
from bot.domain.health import HealthMover
from bot.domain.records import AccountNps, CaseCounts, HomeCase
from bot.domain.scores import CompletionRate, ScoreSplit
from bot.domain.verdicts import DEFAULT_BANDS, Bands, nps_verdict
from bot.domain.vocabulary import HEALTH_CASE

HOME_BLOCKS_MAX = 100
SECTION_MAX = 3000
NAME_MAX = 80
ACTIONABLE_MAX = 20  # cases shown with their own buttons (two blocks each); the rest as lines


@dataclass(frozen=True)
class HomeTab:
    user_id: str
    now: datetime
    cases: list[HomeCase]
    counts: CaseCounts
    accounts: list[AccountNps]
    book: ScoreSplit  # every answer from the accounts the person owns
    owned: int  # accounts the person is CSM of
    # follow-ups of cases opened in the last 90 days, per CSM (None: not staff)
    completion: CompletionRate | None = None
    admin: bool = False  # admins also see the whole team's follow-ups
    workspace_url: str = ""  # e.g. https://acme.slack.com/, for links to the cards
    health: list[HealthMover] = field(default_factory=list)  # owned accounts, lowest first
    bands: Bands = DEFAULT_BANDS  # VERDICT_BANDS: the verdict next to each NPS


def _age(opened_at: datetime, now: datetime) -> str:
    hours = int((now - opened_at).total_seconds() // 3600)
    return f"{hours}h ago" if hours < 48 else f"{hours // 24}d ago"


def _case_line(case: HomeCase, user_id: str, now: datetime) -> str:
    flag = ":warning: *overdue* · " if case.overdue else ""
    owner = (
        "claimed by you"
        if case.claimed_by == user_id
        else f"claimed by <@{case.claimed_by}>"
        if case.claimed_by
        else "unclaimed"
    )
    account = escape(shorten(case.account, NAME_MAX))
    signals = "".join(
        f" · :triangular_flag_on_post: {label}" for label in signal_labels(case.comment)
    )
    what = (
        f"health {case.score}, case opened"
        if case.kind == HEALTH_CASE
        else f"{case.kind.upper()} {case.score}, answered"
    )
    return f"{flag}*{account}*: {what} {_age(case.opened_at, now)}, {owner}{signals}"


def _nps_figure(split: ScoreSplit, bands: Bands = DEFAULT_BANDS) -> str:
    if split.total == 0 or split.nps is None:
        return "no answers"
    if split.too_small:
        return f"too few to read (n={split.total})"
    return f"{format_nps(split.nps)}, {nps_verdict(split.nps, bands)} (n={split.total})"


def _lines_section(lines: list[str]) -> SectionBlock:
    text = ""
    for line in lines:
        if len(text) + len(line) + 1 > SECTION_MAX - 20:
            text += "\n…"
            break
        text = f"{text}\n{line}" if text else line
    return SectionBlock(text=MarkdownTextObject(text=text))


def home_view(home: HomeTab) -> View:
    """The Home tab as a `views.publish` view (at most 100 blocks)."""
    blocks: list[Block] = [
        HeaderBlock(text="Your customer feedback"),
        ActionsBlock(
            block_id="home.actions",
            elements=[
                # Answered by the /voc "Log feedback" modal's listener (handlers for /voc);
                # the Home tab only offers the entry point.
                ButtonElement(
                    text="Log feedback",
                    action_id=ActionId.LOG_FEEDBACK,
                    value="home",
                    style="primary",
                )
            ],
        ),
        DividerBlock(),
    ]
    counts = home.counts
    summary = f"*Your follow-ups*: {counts.open} open, {counts.overdue} overdue"
    blocks.append(SectionBlock(text=MarkdownTextObject(text=summary)))
    blocks += _accountability(home)
    if home.cases:
        for case in home.cases[:ACTIONABLE_MAX]:
            blocks += _case_blocks(case, home)
        rest = home.cases[ACTIONABLE_MAX:]
        if rest:
            blocks.append(_lines_section([_case_line(c, home.user_id, home.now) for c in rest]))
        if counts.open > len(home.cases):
            more = f"…and {counts.open - len(home.cases)} more in the #voc channel."
            blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]))
    else:
        blocks.append(
            _context("Nothing waiting on you. Cases you claim or on your accounts show here.")
        )
    blocks.append(DividerBlock())
    if home.owned == 0:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text="*Your accounts' NPS*: you own no accounts."))
        )
    else:
        headline = (
            f"*Your accounts' NPS (90 days)*: {_nps_figure(home.book, home.bands)}"
            f" across {home.owned}"
            f" account{'' if home.owned == 1 else 's'}"
        )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=headline)))
        lines = [
            f"{escape(shorten(a.account, NAME_MAX))}: {_nps_figure(a.split, home.bands)}"
            f"{_synced(a)}"
            for a in home.accounts
        ]
        if lines:
            blocks.append(_lines_section(lines))
        if home.health:
            blocks.append(_lines_section([_health_heading(), *map(_health_line, home.health)]))
    blocks.append(
        _context(
            f"Updated {home.now:%d %b %Y %H:%M} UTC. Groups under 5 answers are too small to read."
        )
    )
    return View(type="home", blocks=blocks[:HOME_BLOCKS_MAX])


def card_link(workspace_url: str, channel: str | None, ts: str | None) -> str | None:
    """The permalink of a case's card in its channel; None until it is posted."""
    if not workspace_url or not channel or not ts:
        return None
    return f"{workspace_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"


def _case_blocks(case: HomeCase, home: HomeTab) -> list[Block]:
    """One open case: what it is, a link to its card, and Claim / Log follow-up."""
    line = _case_line(case, home.user_id, home.now)
    link = card_link(home.workspace_url, case.channel, case.message_ts)
    if link:
        line += f" · <{link}|Open the card>"
    value = str(case.id)
    buttons = [ButtonElement(text="Log follow-up", action_id=ActionId.LOG_FOLLOW_UP, value=value)]
    if not case.claimed_by:
        claim = ButtonElement(text="Claim", action_id=ActionId.CLAIM, value=value, style="primary")
        buttons.insert(0, claim)
    return [
        SectionBlock(text=MarkdownTextObject(text=line)),
        ActionsBlock(block_id=f"home.case.{case.id}", elements=buttons),
    ]


def _accountability(home: HomeTab) -> list[Block]:
    """The person's own 48h completion and median first follow-up; for admins, the team's."""
    completion = home.completion
    if completion is None:
        return []
    blocks: list[Block] = []
    if home.user_id in completion.by_csm:
        mine = csm_line(
            None,
            completion.by_csm[home.user_id],
            completion.median_seconds.get(home.user_id),
            home.bands,
        ).plain.removeprefix("No CSM: ")
        blocks.append(_context(f"Your accounts' cases (90 days): {mine}"))
    if home.admin:
        lines = [line.mrkdwn for line in csm_lines(completion, home.bands)]
        target = f"{home.bands.followup_target:g}%"
        title = f"*Team follow-ups (90 days), per CSM* (target: {target} within 48h)"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=title)))
        blocks.append(_lines_section(lines or ["No cases in the last 90 days."]))
    return blocks


def _health_heading() -> str:
    return "*Your accounts' health* (lowest first, change since last week)"


def _health_line(account: HealthMover) -> str:
    return (
        f"{escape(shorten(account.account, NAME_MAX))}: {score_line(account.score, account.change)}"
    )


def _synced(account: AccountNps) -> str:
    return f" · _{synced_text(account.synced)}_" if account.synced else ""


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])
