"""Block Kit for the answers of `/voc`: help, notices, timelines, themes, requests, NPS."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from blocks.feedback import SECTION_MAX, fit, fit_quote
from blocks.health import health_text
from blocks.ids import VocId
from blocks.text import escape, shorten, synced_text
from bot.domain.figures import RequestRank, ThemeCount
from bot.domain.reports import (
    CaseFacts,
    Event,
    NpsReport,
    ScoreFacts,
    ShipReport,
    ThemesReport,
    Timeline,
)
from bot.domain.verdicts import nps_verdict
from bot.domain.vocabulary import HEALTH_CASE

MESSAGE_BLOCKS_MAX = 50
TEXT_MAX = 3000  # the notification text of an answer (Slack refuses updates past 4,000)
_ICONS = {"score": ":bar_chart:", "case": ":telephone_receiver:", "insight": ":speech_balloon:"}

HELP = (
    ("`/voc`", "open the Log feedback form"),
    ("`/voc Acme: they want SSO #feature`", "log feedback in one line"),
    ("`/voc Acme: SSO keeps failing #bug #qbr`", "tags set the type and source"),
    ('`/voc Acme: wants SAML #feature:"Single sign-on"`', "name the feature request"),
    ("`/voc Acme: moving to them #competitor:Zendesk`", "name the competitor"),
    ("`/voc ana@acme.com: needs SSO #feature`", "say who said it: they hear when it ships"),
    ("`/voc account Acme`", "the account's scores, follow-ups and feedback"),
    ("`/voc themes 30d`", "top themes, overall and among detractors (default 90d)"),
    ("`/voc requests`", "feature requests ranked by the ARR of the accounts asking"),
    ("`/voc nps enterprise`", "NPS for everyone, a segment or an account"),
    ("`/voc request 12`", "staff: one request, who asked, its state and impact"),
    (
        '`/voc request 12 planned "in Q3"`',
        "staff: new, under review, planned, in progress, shipped, declined, known issue; "
        "planned, shipped and known issue tell who asked (`--quiet` not to), others with `--tell`",
    ),
    ("`/voc request 12 tell-customers`", "staff: who asked hears of it in “you said, we did”"),
    ("`/voc theme slow support known issue`", "staff: a theme's state (`fixed` = shipped)"),
    ("`/voc survey`", "staff: each survey's follow-up questions: preview, templates, change"),
    ("`/voc send nps smb`", "admins: start a survey (nps, csat or ces; optional segment)"),
    ("`/voc ship SSO`", "admins: mark a request shipped and tell everyone who asked"),
    ("`/voc ship SSO https://…`", "admins: the same, with a link on how to use it"),
    ("`/voc plan SSO`", "admins: mark a request planned and tell everyone who asked"),
    ("`/voc request push 12`", "send request ID 12 (see `/voc requests`) to Jira as one issue"),
    ("`/voc autopilot nps 90d smb`", "admins: ask NPS every 90 days, a few each day (list, pause)"),
    (
        '`/voc wording set nps --lang en "…{first_name}…"`',
        "admins: your own question (show, reset)",
    ),
    ("`/voc campaigns`", "admins: every send and autopilot run (cancel 3, reschedule 3 DATE TIME)"),
)
TAGS_HELP = (
    "Types: #feature #bug #pricing #competitor #praise #docs #service #other · "
    "Sources: #call (default) #qbr #ticket #sales #interview #email #social · "
    "Sentiment: #positive #neutral #negative"
)


def notice(text: str) -> list[Block]:
    """A short answer or refusal; the text is escaped and shortened."""
    return [SectionBlock(text=MarkdownTextObject(text=fit(text, SECTION_MAX)))]


def refusal(text: str, typed: str) -> list[Block]:
    """A refused one-liner: what was wrong, and what was typed, so nothing is lost."""
    kept = "Nothing was saved. What you typed, to copy:\n" + fit_quote(typed, 2800)
    return notice(text) + [SectionBlock(text=MarkdownTextObject(text=kept))]


def notice_text(text: str) -> str:
    return fit(text, TEXT_MAX)


def help_blocks() -> list[Block]:
    lines = "\n".join(f"{form} — {what}" for form, what in HELP)
    return [
        SectionBlock(text=MarkdownTextObject(text="*What you can do with /voc*\n" + lines)),
        ContextBlock(elements=[MarkdownTextObject(text=TAGS_HELP)]),
    ]


def timeline_blocks(found: Timeline, *, now: datetime) -> list[Block]:
    """One account's history, newest first; each insight has an Edit themes button."""
    account = found.account
    crm_health = f"CRM health: {account.health}" if account.health else None
    facts = [account.segment, account.plan, _money(account.arr), crm_health]
    shown = " · ".join(escape(shorten(f, 60)) for f in facts if f)
    if account.synced is not None:
        shown = " · ".join(filter(None, [shown, synced_text(account.synced)]))
    blocks: list[Block] = [
        HeaderBlock(text=shorten(account.name, 150)),
        ContextBlock(elements=[MarkdownTextObject(text=shown or "No account details.")]),
        *_account_nps(found),
    ]
    if account.health_score is not None:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=health_text(account))))
    if not found.events:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="Nothing recorded yet.")))
    room = MESSAGE_BLOCKS_MAX - len(blocks) - 1
    for event in found.events[:room]:
        blocks.append(_event(event, now))
    if len(found.events) > room:
        more = f"{len(found.events) - room} older entries not shown."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]))
    return blocks


def _account_nps(found: Timeline) -> list[Block]:
    """The account's NPS over the last 90 days with its verdict; nothing before any answer."""
    split = found.nps
    if split is None or split.total == 0 or split.nps is None:
        return []
    if split.too_small:
        text = f"NPS (90 days): too few answers to read ({split.total})"
    else:
        verdict = nps_verdict(split.nps, found.bands)
        text = f"NPS (90 days): {split.nps:+.0f}, {verdict}, from {split.total} answers"
    return [ContextBlock(elements=[MarkdownTextObject(text=text)])]


def themes_blocks(report: ThemesReport) -> list[Block]:
    head = f"*Top themes, last {report.days} days*"
    return [
        SectionBlock(text=MarkdownTextObject(text=head + "\n" + _counts(report.overall, "all"))),
        SectionBlock(
            text=MarkdownTextObject(
                text="*Among detractor comments*\n" + _counts(report.detractors, "detractor")
            )
        ),
        *_theme_states(report),
    ]


def _theme_states(report: ThemesReport) -> list[Block]:
    """Where the themes staff triaged stand (`/voc theme THEME STATE`; shipped = fixed)."""
    if not report.states:
        return []
    shown = " · ".join(
        f"{escape(theme)}: {'fixed' if state == 'shipped' else state}"
        for theme, state in sorted(report.states.items())
    )
    return [ContextBlock(elements=[MarkdownTextObject(text=shorten(f"States: {shown}", 2000))])]


def requests_blocks(ranked: list[RequestRank]) -> list[Block]:
    if not ranked:
        text = "No open feature requests yet. Log one: `/voc Acme: they want SSO #feature`"
        return [SectionBlock(text=MarkdownTextObject(text=text))]
    lines = [
        f"{n}. *{fit(r.name, 100)}* (#{r.id} · {r.status}) — {_money(r.arr) or '$0'} ARR · "
        f"{r.accounts} account{'s' if r.accounts != 1 else ''} · "
        f"{r.mentions} mention{'s' if r.mentions != 1 else ''}"
        for n, r in enumerate(ranked, 1)
    ]
    head = "*Feature requests by the ARR of the accounts asking*\n"
    return [SectionBlock(text=MarkdownTextObject(text=shorten(head + "\n".join(lines), 3000)))]


def nps_blocks(report: NpsReport) -> list[Block]:
    current, previous = report.current, report.previous
    if current.nps is None:
        text = f"No NPS answers in the last 90 days for {fit(_scope(report), 200)}."
        return [SectionBlock(text=MarkdownTextObject(text=text))]
    change = ""
    if previous.nps is not None:
        change = f" ({current.nps - previous.nps:+.0f} against the 90 days before)"
    verdict = nps_verdict(current.nps, report.bands)
    text = (
        f"*NPS for {fit(_scope(report), 200)}, last 90 days: {current.nps:+.0f}, {verdict}*"
        f"{change}\n"
        f"{current.total} answers: {current.promoters} promoters · {current.passives} passives"
        f" · {current.detractors} detractors"
    )
    return [SectionBlock(text=MarkdownTextObject(text=text))]


def _scope(report: NpsReport) -> str:
    if report.account is not None:
        return report.account
    return f"segment {report.segment}" if report.segment else "all accounts"


def event_summary(event: Event) -> str:
    """One line of the account timeline, plain text (escaped by the caller)."""
    facts = event.facts
    if isinstance(facts, ScoreFacts):
        return f"{facts.kind.upper()} {facts.score} ({facts.category}) from {facts.who}"
    if isinstance(facts, CaseFacts):
        outcome = facts.outcome
        state = f"outcome: {outcome.replace('_', ' ')}" if outcome else "no outcome yet"
        if facts.kind == HEALTH_CASE:
            return f"Health case at {facts.score} ({state})"
        return f"Follow-up on {facts.kind.upper()} {facts.score} ({state})"
    what = "survey comment" if facts.survey_comment else f"{facts.type} via {facts.source}"
    return what + f" · themes: {', '.join(facts.themes) or 'none'}"


def ship_blocks(report: ShipReport) -> list[Block]:
    name = fit(report.feature, 200)
    state = "marked shipped" if report.newly_shipped else "was already shipped"
    lines = [f":rocket: *{name}* {state}. Told {report.sent} new people it's live."]
    if report.already:
        lines.append(f"{report.already} had been told before.")
    if report.failed:
        failed = ", ".join(f"<@{user}> ({escape(error)})" for user, error in report.failed.items())
        lines.append(f"Slack refused {len(report.failed)}: {failed}")
    return [SectionBlock(text=MarkdownTextObject(text=shorten("\n".join(lines), 3000)))]


def _event(event: Event, now: datetime) -> Block:
    when = event.at.strftime("%d %b %Y")
    who = f" · <@{event.person}>" if event.person else ""
    head = f"{_ICONS.get(event.kind, '•')} *{when}* · {fit(event_summary(event), 300)}{who}"
    text = head
    if event.detail and event.detail.strip():
        text += "\n" + fit_quote(event.detail, SECTION_MAX - len(head) - 1)
    section = SectionBlock(text=MarkdownTextObject(text=text))
    if event.insight_id is not None:
        section.accessory = ButtonElement(
            text="Edit themes",
            action_id=f"{VocId.EDIT_THEMES_PREFIX}{event.insight_id}",
            value=str(event.insight_id),
        )
    return section


def _counts(counts: list[ThemeCount], scope: str) -> str:
    if not counts:
        return "No tagged feedback in this period." if scope == "all" else "None in this period."
    total = counts[0].total
    lines = [f"• {c.theme}: {c.share or 0:.0%} ({c.count} of {total})" for c in counts]
    return "\n".join(lines)


def _money(value: float | None) -> str | None:
    return f"${value:,.0f}" if value is not None else None
