"""Leadership reports: every figure against the hand-computed set of
`tests.leadership_fixture`, the PDF drawn page by page, and one post per period."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image, ImageStat

from bot.core.runtime import Runtime, build_runtime
from bot.devkit.emulator import SlackEmulator
from bot.domain.health import HealthSummary
from bot.domain.report_periods import parse_period
from bot.services import leadership
from bot.services.report_files import report_pdf
from tests.harness import cli_env, vocbot
from tests.leadership_fixture import FIRST_WORKING_DAY, seed_leadership

pytestmark = pytest.mark.postgres

NOVEMBER = parse_period("monthly", "2026-11")


async def test_every_figure_against_the_hand_computed_month(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    await seed_leadership(rt.db)
    emulator.add_user("UANN", name="Ann")
    emulator.add_user("UBEN", name="Ben")
    report = await leadership.build(rt, NOVEMBER)
    assert round(report.now.nps.nps or 0, 1) == 14.3 and report.now.nps.total == 14
    assert round(report.before.nps.nps or 0, 1) == 18.2
    assert [m.segment for m in report.diverging] == ["enterprise"]
    assert (report.rate.answered, report.rate.meant) == (5, 6)
    text = leadership.text_of(report)
    for line in (
        "Monthly customer report, November 2026",
        "NPS: +14, fair, from 14 answers (▼ 4 on October 2026)",
        "CSAT: 75% answered 4–5 of 5, mean 4.0, healthy, from 4 answers (▲ 25 pts on October 2026)",
        "CES: 67% answered 5–7 of 7, mean 5.3, a problem, from 3 answers (too few answers in"
        " October 2026 to compare)",
        "Response rate: 83%, healthy (5 of 6 people asked answered; healthy ≥ 20%)",
        "enterprise: 0 → +67 (+67) while the whole fell 4",
        "pricing: 3 comments (was 1, +2)",
        "slow support: 1 comment (was 2, -1)",
        "All: 67%, below target (2 of 3 cases; target ≥ 80%)",
        "Ann: 50% within 48h (1 of 2, below target) · median first follow-up 35h",
        "Ben: 100% within 48h (1 of 1, on target) · median first follow-up 5h",
        "SSO, shipped 12 Nov: asked by 2 accounts, $120,000 ARR",
        "Globex (churned 20 Nov, $20,000 ARR): last NPS 3",
    ):
        assert line in text, line
    assert "smb:" not in text  # it fell with the whole
    assert "Account health" not in text  # no health service installed here
    assert "UANN" not in text and "UBEN" not in text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (pdftoppm)")
async def test_the_pdf_renders_page_by_page(rt: Runtime, tmp_path: Path) -> None:
    await seed_leadership(rt.db)
    report = await leadership.build(rt, NOVEMBER)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(report_pdf(report))
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2  # the sections on one A4 page, the chart on a landscape one
    drawn = []
    for page in pages:
        with Image.open(page) as image:
            grey = image.convert("L")
        stat = ImageStat.Stat(grey)
        drawn.append((grey.size, stat.extrema[0][0], stat.mean[0]))
    assert drawn[0][0] == (414, 585) and drawn[1][0] == (585, 414)  # A4 at 50 dpi, then landscape
    for size, darkest, mean in drawn:
        assert darkest < 100 and mean < 254, size  # ink on the page, not a blank one


async def test_posted_once_on_the_first_working_day_under_two_workers(
    rt: Runtime, emulator: SlackEmulator
) -> None:
    await seed_leadership(rt.db)
    other = build_runtime(rt.settings, db=rt.db, clock=rt.clock)
    early = FIRST_WORKING_DAY - timedelta(minutes=1)
    assert await leadership.post_due(rt, early) == 0
    posted = await asyncio.gather(
        leadership.post_due(rt, FIRST_WORKING_DAY), leadership.post_due(other, FIRST_WORKING_DAY)
    )
    # November's report; Q3's was due on 1 Oct, more than a week ago, so it is not posted now
    assert sorted(posted) == [0, 1]
    assert await leadership.post_due(rt, FIRST_WORKING_DAY + timedelta(hours=1)) == 0
    [message, chart, pdf] = emulator.messages("CVOC")
    assert "Monthly customer report, November 2026" in json.dumps(message["blocks"])
    assert message["metadata"]["event_payload"] == {"period": "monthly:2026-11"}
    assert chart["thread_ts"] == message["ts"] == pdf["thread_ts"]
    names = [f["name"] for post in (chart, pdf) for f in post["files"]]
    assert names == ["voc-monthly-2026-11.png", "voc-monthly-2026-11.pdf"]


async def test_the_cli_prints_writes_the_pdf_and_posts(
    emulator: SlackEmulator, database_url: str, tmp_path: Path, rt: Runtime
) -> None:
    await seed_leadership(rt.db)
    env = cli_env(
        api_url=emulator.api_url,
        database_url=database_url,
        home=tmp_path,
        MPLCONFIGDIR=str(tmp_path / "mpl"),
    )
    code, _out, err = await vocbot(env, "report", "monthly", "--month", "2026-13", cwd=tmp_path)
    assert code == 1 and "type it like 2026-11" in err
    pdf = tmp_path / "november.pdf"
    code, out, err = await vocbot(
        env | {"REPORT_CHANNEL": "CLEAD"},
        "report", "monthly", "--month", "2026-11", "--pdf", str(pdf), "--post",
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    assert "NPS: +14, fair, from 14 answers" in out
    assert f"Wrote the PDF to {pdf}." in out and pdf.read_bytes().startswith(b"%PDF")
    assert "Posted the report to CLEAD." in out
    [message, _chart, _pdf] = emulator.messages("CLEAD")
    assert "metadata" not in message or not message["metadata"]  # by hand: no period used up
    code, out, err = await vocbot(env, "report", "quarterly", "--quarter", "2026-Q4", cwd=tmp_path)
    assert code == 0, err
    assert "Quarterly customer report, Q4 2026" in out


async def test_the_health_section_comes_from_the_health_service_when_installed(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[datetime, datetime]] = []

    async def health_summary(_rt: Runtime, start: datetime, end: datetime) -> HealthSummary:
        asked.append((start, end))
        return HealthSummary(bands={"healthy": 2, "watch": 1}, scored=3)

    # stands in for the health service, which lives in its own module (not this change's)
    monkeypatch.setitem(
        sys.modules, leadership.HEALTH_MODULE, SimpleNamespace(health_summary=health_summary)
    )
    report = await leadership.build(rt, NOVEMBER)
    assert asked == [(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))]
    assert "healthy 2 · watch 1 · at risk 0 (3 accounts scored)" in leadership.text_of(report)


def test_each_report_is_due_on_the_first_working_day_after_its_period(rt: Runtime) -> None:
    rt.settings.report_schedule = "first working day 08:30"
    rt.settings.digest_tz = "Asia/Kuala_Lumpur"
    # 1 Aug 2026 is a Saturday: July's report waits for Monday 3 Aug, 08:30 local
    period, moment = leadership.due_period(rt.settings, "monthly", datetime(2026, 8, 5, tzinfo=UTC))
    assert period.key == "2026-07"
    assert moment == datetime(2026, 8, 3, 0, 30, tzinfo=UTC)
    period, moment = leadership.due_period(
        rt.settings, "quarterly", datetime(2026, 10, 1, 1, 0, tzinfo=UTC)
    )
    assert period.key == "2026-Q3" and moment == datetime(2026, 10, 1, 0, 30, tzinfo=UTC)
