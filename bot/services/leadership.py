"""Leadership reports: the month's and the quarter's figures against the period before,
posted once a period to REPORT_CHANNEL with their chart and a PDF, and printed by
`report monthly` / `report quarterly`.

A period's moment is the first working day after it at REPORT_SCHEDULE's time, in
DIGEST_TZ. Its `report_runs` row ("monthly:2026-11") is claimed with a lease, so two
schedulers never both post it; the message carries metadata naming the period, so one
taking over after a crash looks in the channel first and never posts it twice.

The health section reads the health service when one is installed: a module
`bot.services.health` with `async def health_summary(rt, start, end) -> HealthSummary`.
Without it (or without scores) the section is left out.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from blocks.leadership import report_blocks, report_summary, report_text
from blocks.surveys import to_dicts
from bot.core.config import Settings
from bot.core.runtime import Runtime
from bot.core.slack import error_code, find_by_metadata
from bot.core.slack_errors import SlackError
from bot.domain.figures import Window
from bot.domain.health import HealthSummary
from bot.domain.leadership import (
    THEMES_SHOWN,
    LeadershipReport,
    SegmentMove,
    Shipped,
    ThemeMove,
)
from bot.domain.report_periods import Cadence, ReportPeriod, last_closed, parse_report_schedule
from bot.domain.scores import ScoreSplit
from bot.domain.triage import first_working_day
from bot.domain.user_errors import NoReportChannel
from bot.services.digest import slack_names
from bot.services.report_files import report_pdf, trend_png
from storage import leadership as store
from storage import post_runs
from storage import triage as triage_store
from storage.digest import nps_breakdowns, period_figures, response_rate
from storage.insights import theme_counts
from storage.metrics import follow_up_completion
from storage.models import ReportRun

log = logging.getLogger(__name__)

CADENCES: tuple[Cadence, ...] = ("monthly", "quarterly")
TREND_PERIODS: dict[Cadence, int] = {"monthly": 6, "quarterly": 4}
LEASE = timedelta(minutes=10)
GRACE = timedelta(days=7)  # a report this late (the app was down a week) is not posted
METADATA_EVENT = "voc_leadership_report"
HEALTH_MODULE = "bot.services.health"

HealthProvider = Callable[[Runtime, datetime, datetime], Awaitable[HealthSummary]]


def health_provider() -> HealthProvider | None:
    """The health service's `health_summary`, when that service is installed."""
    try:
        module = importlib.import_module(HEALTH_MODULE)
    except ImportError:
        return None
    found = getattr(module, "health_summary", None)
    return found if callable(found) else None


def window_of(settings: Settings, period: ReportPeriod) -> Window:
    """A period's bounds as moments: midnight of its first day to midnight after its last."""
    zone = ZoneInfo(settings.digest_tz)
    return Window(_midnight(period.start, zone), _midnight(period.end, zone))


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _trend(period: ReportPeriod) -> list[ReportPeriod]:
    periods = [period]
    while len(periods) < TREND_PERIODS[period.cadence]:
        periods.insert(0, periods[0].previous())
    return periods


async def build(rt: Runtime, period: ReportPeriod) -> LeadershipReport:
    """Every figure of one period's report, against the period before."""
    here = window_of(rt.settings, period)
    there = window_of(rt.settings, period.previous())
    trend = _trend(period)
    async with rt.db.session() as session:
        figures = await period_figures(
            session=session,
            windows=[here, there, *(window_of(rt.settings, p) for p in trend)],
        )
        rate = await response_rate(session=session, window=here)
        segments = await _segments(session, here, there, period.end - timedelta(days=1))
        themes = await _themes(session, here, there)
        completion = await follow_up_completion(
            session=session, since=here.since, until=here.until, now=here.until
        )
        shipped = await _shipped(session, here)
        churned = await store.churned_in(session=session, start=period.start, end=period.end)
    provider = health_provider()
    health = await provider(rt, here.since, here.until) if provider else None
    people = await slack_names(rt, {csm for csm in completion.by_csm if csm})
    return LeadershipReport(
        period=period,
        now=figures[0],
        before=figures[1],
        rate=rate,
        segments=segments,
        themes=themes,
        completion=completion,
        shipped=shipped,
        churned=churned,
        health=health if health is not None and health.scored else None,
        bands=rt.settings.verdict_bands,
        people=people,
        trend=[(p.title, f) for p, f in zip(trend, figures[2:], strict=True)],
    )


async def _segments(
    session: AsyncSession, here: Window, there: Window, today: date
) -> list[SegmentMove]:
    now = (await nps_breakdowns(session=session, window=here, today=today))["segment"]
    before = (await nps_breakdowns(session=session, window=there, today=today))["segment"]
    earlier = {group.label: group.split for group in before}
    return [SegmentMove(g.label, g.split, earlier.get(g.label, ScoreSplit())) for g in now]


async def _themes(session: AsyncSession, here: Window, there: Window) -> list[ThemeMove]:
    now = await theme_counts(
        session=session, since=here.since, until=here.until, limit=THEMES_SHOWN
    )
    before = await theme_counts(session=session, since=there.since, until=there.until)
    earlier = {theme.theme: theme.count for theme in before}
    return [ThemeMove(t.theme, t.count, earlier.get(t.theme, 0)) for t in now]


async def _shipped(session: AsyncSession, here: Window) -> list[Shipped]:
    shipped = []
    for request in await triage_store.shipped_in(session=session, start=here.since, end=here.until):
        assert request.id is not None and request.shipped_at is not None
        asked = await triage_store.requesting_accounts(session=session, request_id=request.id)
        arr = sum(value or 0.0 for _id, _name, value in asked)
        shipped.append(Shipped(request.name, request.shipped_at.date(), len(asked), arr))
    return shipped


def due_period(
    settings: Settings, cadence: Cadence, now: datetime
) -> tuple[ReportPeriod, datetime]:
    """The last period ended by `now` (DIGEST_TZ) and the moment its report is due: the
    first working day after it, at REPORT_SCHEDULE's time."""
    zone = ZoneInfo(settings.digest_tz)
    period = last_closed(cadence, now.astimezone(zone).date())
    day = first_working_day(period.end.year, period.end.month)
    moment = datetime.combine(day, parse_report_schedule(settings.report_schedule), tzinfo=zone)
    return period, moment


async def post_due(rt: Runtime, now: datetime) -> int:
    """Scheduler job: each report whose moment has come and that nobody posted; how many."""
    channel = rt.settings.report_channel
    if not channel:
        return 0
    posted = 0
    for cadence in CADENCES:
        period, moment = due_period(rt.settings, cadence, now)
        if now < moment or now - moment > GRACE:
            continue
        run_key = f"{cadence}:{period.key}"
        async with rt.db.transaction() as session:
            claimed, retried = await post_runs.claim(
                session=session, table=ReportRun, key=run_key, now=now, lease=LEASE
            )
        if not claimed:
            continue
        report = await build(rt, period)
        try:
            ts = await _find_posted(rt, channel, run_key, moment) if retried else None
            if ts is None:
                ts = await _post(rt, channel, report, run_key)
        except SlackError as exc:  # the lease runs out and a later pass tries again
            code = error_code(exc)
            log.error("leadership report not posted", extra={"period": run_key, "error": code})
            async with rt.db.transaction() as session:
                await post_runs.record_error(
                    session=session, table=ReportRun, key=run_key, error=code
                )
            continue
        async with rt.db.transaction() as session:
            await post_runs.mark_posted(
                session=session, table=ReportRun, key=run_key, channel=channel, ts=ts, now=now
            )
        log.info("leadership report posted", extra={"period": run_key})
        await _attach(rt, channel, ts, report)
        posted += 1
    return posted


async def post_now(rt: Runtime, report: LeadershipReport) -> tuple[str, str]:
    """`report monthly --post`: this report posted at once (no period is used up)."""
    channel = rt.settings.report_channel
    if not channel:
        raise NoReportChannel()
    ts = await _post(rt, channel, report, None)
    await _attach(rt, channel, ts, report)
    return channel, ts


async def _post(rt: Runtime, channel: str, report: LeadershipReport, key: str | None) -> str:
    metadata = None
    if key is not None:
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"period": key}}
    posted = await rt.slack.chat_postMessage(
        channel=channel,
        text=report_summary(report),
        blocks=to_dicts(report_blocks(report)),
        metadata=metadata,
        unfurl_links=False,
        unfurl_media=False,
    )
    return str(posted["ts"])


async def _attach(rt: Runtime, channel: str, ts: str, report: LeadershipReport) -> None:
    """The chart and the PDF as replies in the report's thread; a refused upload is logged
    (the report itself is out) and not retried."""
    png = await asyncio.to_thread(trend_png, report)
    pdf = await asyncio.to_thread(report_pdf, report)
    stem = f"voc-{report.period.cadence}-{report.period.key}"
    for content, name, title in (
        (png, f"{stem}.png", f"NPS by {report.period.cadence[:-2]}"),
        (pdf, f"{stem}.pdf", f"{report_summary(report)} (PDF)"),
    ):
        try:
            await rt.slack.files_upload_v2(
                content=content, filename=name, title=title, channel=channel, thread_ts=ts
            )
        except SlackError as exc:
            log.warning(
                "leadership report file not uploaded",
                extra={"file": name, "error": error_code(exc)},
            )


async def _find_posted(rt: Runtime, channel: str, key: str, moment: datetime) -> str | None:
    return await find_by_metadata(
        rt.slack,
        channel=channel,
        since=moment - timedelta(minutes=1),
        event_type=METADATA_EVENT,
        key="period",
        value=key,
    )


def text_of(report: LeadershipReport) -> str:
    """What `report monthly` / `report quarterly` prints."""
    return report_text(report)
