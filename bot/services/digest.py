"""The weekly digest: what it contains, when it is due, and posting it once per period.

A period is the ISO week of the scheduled moment in `DIGEST_TZ` (e.g. "2026-W48"). Its
`digest_runs` row is claimed with a lease: two schedulers never both post it, and a poster
that dies is taken over once the lease runs out. The message carries metadata naming the
period, so whoever takes over looks in the channel first and never posts it twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from blocks.digest import digest_blocks, digest_summary
from blocks.surveys import to_dicts
from bot.core.config import parse_weekly_schedule
from bot.core.runtime import Runtime
from bot.core.slack import error_code, find_by_metadata
from bot.core.slack_errors import SlackError
from bot.domain.figures import Digest, ThemeCount, ThemeTrend, WeekNps, Window
from bot.domain.records import ClaimedRun
from bot.domain.triage import unowned
from bot.domain.user_errors import NoDigestChannel
from bot.services import digest_insights, health
from bot.services.digest_chart import nps_trend_png
from storage import digest_runs, question_sets
from storage.csat import csat_by_context
from storage.db import Database
from storage.digest import (
    QUARTER,
    WEEK,
    nps_breakdowns,
    period_figures,
    recent_verbatims,
    response_rate,
    week_windows,
)
from storage.insights import theme_counts, top_requests
from storage.metrics import follow_up_completion
from storage.zendesk import csat_by_resolution

log = logging.getLogger(__name__)
T = TypeVar("T")

TREND_WEEKS = 12
THEMES_SHOWN = 5
REQUESTS_SHOWN = 5
VERBATIMS_SHOWN = 3
DIGEST_LEASE = timedelta(minutes=10)
# A digest more than this late (the app was down all morning) is skipped, not posted days
# after the fact; `python -m bot digest --post` posts one by hand.
DIGEST_GRACE = timedelta(hours=12)
MAX_ATTEMPTS = 5
DIGEST_METADATA_EVENT = "voc_digest"
HISTORY_SLACK = timedelta(minutes=1)


@dataclass(frozen=True)
class DigestSlot:
    period: str  # ISO week of the scheduled day in DIGEST_TZ
    due_at: datetime  # UTC


def latest_slot(now: datetime, schedule: str, tz: str) -> DigestSlot:
    """The most recent scheduled moment at or before `now` (`schedule` like `mon 09:00`)."""
    weekday, hour, minute = parse_weekly_schedule(schedule)
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    due = datetime.combine(day, time(hour, minute), tzinfo=zone)
    if due > local:
        day -= WEEK
        due = datetime.combine(day, time(hour, minute), tzinfo=zone)
    iso = day.isocalendar()
    return DigestSlot(f"{iso.year}-W{iso.week:02d}", due.astimezone(UTC))


async def compute_digest(db: Database, *, as_of: datetime, today: date) -> Digest:
    """Every figure of the digest for the week and the 90 days before `as_of`.

    The sections are independent reads: each is a task reading on a session of its own
    (`Database.read`), the longest started first, so the database works on several at
    once. A section that fails raises its own error, as one read after another would.
    """
    week = Window(as_of - WEEK, as_of)
    quarter = Window(as_of - QUARTER, as_of)
    periods = [
        week,
        Window(as_of - 2 * WEEK, as_of - WEEK),
        quarter,
        Window(as_of - 2 * QUARTER, as_of - QUARTER),
    ]
    read = db.read
    since, until = quarter.since, as_of

    async def trends(themes: asyncio.Task[list[ThemeCount]]) -> list[ThemeTrend]:
        current = await themes
        return await read(
            lambda s: digest_insights.theme_trends(
                s, current=current, this=quarter, before=periods[3]
            )
        )

    try:
        async with asyncio.TaskGroup() as group:

            def section(query: Callable[[AsyncSession], Awaitable[T]]) -> asyncio.Task[T]:
                return group.create_task(read(query))

            # one scan of the responses serves the four periods and the weekly trend
            windows = periods + week_windows(as_of, TREND_WEEKS)
            figures = section(lambda s: period_figures(session=s, windows=windows))
            quarter_rate = section(lambda s: response_rate(session=s, window=quarter))
            breakdowns = section(lambda s: nps_breakdowns(session=s, window=quarter, today=today))
            completion = section(
                lambda s: follow_up_completion(session=s, since=since, until=until, now=as_of)
            )
            themes = section(
                lambda s: theme_counts(session=s, since=since, until=until, limit=THEMES_SHOWN)
            )
            detractor_themes = section(
                lambda s: theme_counts(
                    session=s, since=since, until=until, category="detractor", limit=THEMES_SHOWN
                )
            )
            theme_trends = group.create_task(trends(themes))
            week_rate = section(lambda s: response_rate(session=s, window=week))
            csat_by = section(lambda s: csat_by_context(session=s, window=quarter))
            by_resolution = section(lambda s: csat_by_resolution(session=s, window=quarter))
            requests = section(lambda s: top_requests(session=s, limit=REQUESTS_SHOWN))
            heard = section(lambda s: digest_insights.heard_last_week(s, week=week))
            verbatims = section(
                lambda s: recent_verbatims(session=s, window=week, limit=VERBATIMS_SHOWN)
            )
            followups = section(
                lambda s: question_sets.followup_summary(session=s, since=since, until=until)
            )
    except BaseExceptionGroup as failed:
        first = failed.exceptions[0]  # the section's own error, as a serial read raised it
        raise first from first.__cause__
    numbers = figures.result()
    signals, moods = heard.result()
    return Digest(
        as_of=as_of,
        today=today,
        week=numbers[0],
        previous_week=numbers[1],
        quarter=numbers[2],
        previous_quarter=numbers[3],
        week_rate=week_rate.result(),
        quarter_rate=quarter_rate.result(),
        breakdowns=breakdowns.result(),
        themes=themes.result(),
        detractor_themes=detractor_themes.result(),
        completion=completion.result(),
        requests=requests.result(),
        verbatims=verbatims.result(),
        trend=[WeekNps(f.window.since, f.nps) for f in numbers[len(periods) :]],
        csat_by=csat_by.result() | {"resolution_time": by_resolution.result()},
        theme_trends=theme_trends.result(),
        signals=signals,
        week_sentiment=moods,
        followups=followups.result(),
    )


async def build_digest(rt: Runtime, as_of: datetime) -> Digest:
    today = as_of.astimezone(ZoneInfo(rt.settings.digest_tz)).date()
    digest = await compute_digest(rt.db, as_of=as_of, today=today)
    heard = await rt.db.read(lambda s: theme_counts(session=s, since=as_of - WEEK, until=as_of))
    # THEME_OWNERS (bot/services/owners.py), once a team uses it: last week's themes that
    # reach nobody
    owners = rt.settings.theme_owners
    return replace(
        digest,
        unowned_themes=unowned([c.theme for c in heard], owners) if owners else [],
        health=await health.health_summary(rt, as_of - WEEK, as_of),
        bands=rt.settings.verdict_bands,
        people=await slack_names(rt, _csms(digest)),
    )


def _csms(digest: Digest) -> set[str]:
    """The Slack users the digest names: CSMs with cases and in the NPS-by-CSM breakdown."""
    ids = {csm for csm in digest.completion.by_csm if csm}
    ids |= {group.label for group in digest.breakdowns.get("csm", [])}
    return {user for user in ids if user.startswith(("U", "W")) and user.isalnum()}


async def slack_names(rt: Runtime, user_ids: set[str]) -> dict[str, str]:
    """Each user's display name (or real name) as Slack has it, for the terminal and the
    PDF, which never print a raw id: one Slack does not name (refused, no token) is
    "unnamed CSM 1", "unnamed CSM 2"… in id order, the same in every section."""
    names: dict[str, str] = {}
    unnamed = 0
    for user_id in sorted(user_ids):
        name = await _slack_name(rt, user_id)
        if name is None:
            unnamed += 1
            name = f"unnamed CSM {unnamed}"
        names[user_id] = name
    return names


async def _slack_name(rt: Runtime, user_id: str) -> str | None:
    if rt.settings.slack_bot_token is None:  # printing without Slack: nobody to ask
        return None
    try:
        user = (await rt.slack.users_info(user=user_id))["user"]
    except SlackError:
        return None
    profile = user.get("profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or user.get("real_name")
    return str(name) if name else None


async def post_due(rt: Runtime, now: datetime) -> int:
    """Scheduler job: post this period's digest if it is due and nobody has; 1 if posted."""
    channel = rt.settings.digest_channel
    if not channel:
        return 0
    slot = latest_slot(now, rt.settings.digest_schedule, rt.settings.digest_tz)
    if now - slot.due_at > DIGEST_GRACE:
        return 0
    async with rt.db.session() as session:
        if await digest_runs.is_posted(session=session, period=slot.period):
            return 0
    async with rt.db.transaction() as session:
        run = await digest_runs.claim(
            session=session,
            period=slot.period,
            due_at=slot.due_at,
            now=now,
            lease=DIGEST_LEASE,
            max_attempts=MAX_ATTEMPTS,
        )
    if run is None:
        return 0
    return int(await _post_run(rt, run, channel, now))


async def post_now(rt: Runtime, now: datetime) -> tuple[str, str]:
    """`digest --post`: the digest as of now, posted at once (no period is used up)."""
    channel = rt.settings.digest_channel
    if not channel:
        raise NoDigestChannel()
    digest = await build_digest(rt, now)
    ts = await _post_message(rt, channel, digest, period=None)
    await _upload_chart(rt, channel, ts, digest)
    return channel, ts


async def _post_run(rt: Runtime, run: ClaimedRun, channel: str, now: datetime) -> bool:
    fields = {"period": run.period, "attempt": run.attempts}
    digest = await build_digest(rt, run.due_at)
    ts = run.message_ts
    channel = run.channel or channel
    try:
        if ts is None and run.attempts > 1:
            ts = await _find_posted(rt, channel, run)
        if ts is None:
            ts = await _post_message(rt, channel, digest, period=run.period)
        async with rt.db.transaction() as session:
            await digest_runs.set_message(session=session, run_id=run.id, channel=channel, ts=ts)
    except SlackError as exc:  # the lease runs out and a later pass tries again
        code = error_code(exc)
        log.error("digest not posted", extra=fields | {"error": code})
        async with rt.db.transaction() as session:
            await digest_runs.record_error(session=session, run_id=run.id, error=code)
        return False
    chart_error = await _upload_chart(rt, channel, ts, digest)
    async with rt.db.transaction() as session:
        await digest_runs.mark_posted(session=session, run_id=run.id, now=now, error=chart_error)
    log.info("digest posted", extra=fields | {"channel": channel})
    return True


async def _post_message(rt: Runtime, channel: str, digest: Digest, *, period: str | None) -> str:
    metadata = None
    if period is not None:
        metadata = {"event_type": DIGEST_METADATA_EVENT, "event_payload": {"period": period}}
    posted = await rt.slack.chat_postMessage(
        channel=channel,
        text=digest_summary(digest),
        blocks=to_dicts(digest_blocks(digest)),
        metadata=metadata,
        unfurl_links=False,
        unfurl_media=False,
    )
    return str(posted["ts"])


async def _upload_chart(rt: Runtime, channel: str, ts: str, digest: Digest) -> str | None:
    """The trend chart as a reply in the digest's thread; the error code if it failed."""
    title = f"NPS per week, last {len(digest.trend)} weeks"
    # drawing takes a CPU-bound moment; keep the event loop free to ack Slack meanwhile
    png = await asyncio.to_thread(nps_trend_png, digest.trend, title=title, bands=digest.bands)
    stamp = digest.today.isoformat()
    try:
        await rt.slack.files_upload_v2(
            content=png,
            filename=f"nps-trend-{stamp}.png",
            title=f"NPS per week to {stamp}",
            channel=channel,
            thread_ts=ts,
        )
    except SlackError as exc:  # the digest itself is out; a missing chart is not retried
        code = error_code(exc)
        log.warning("digest chart not uploaded", extra={"channel": channel, "error": code})
        return f"chart: {code}"
    return None


async def _find_posted(rt: Runtime, channel: str, run: ClaimedRun) -> str | None:
    """The ts of this period's digest if an earlier attempt posted it before dying."""
    return await find_by_metadata(
        rt.slack,
        channel=channel,
        since=run.due_at - HISTORY_SLACK,
        event_type=DIGEST_METADATA_EVENT,
        key="period",
        value=run.period,
    )
