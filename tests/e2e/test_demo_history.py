"""The demo brings twelve weeks of history through `import responses`: the chart has a trend."""

from __future__ import annotations

import io
from pathlib import Path

from bot.devkit.demo import HISTORY_WEEKS, Demo, _digest_monday, history, play, run_demo, weekly
from bot.services.digest import TREND_WEEKS, compute_digest


async def test_the_demo_imports_history_and_the_chart_has_a_point_every_week(
    tmp_path: Path,
) -> None:
    facts: dict[str, object] = {}

    async def scenario(demo: Demo) -> None:
        await play(demo)
        await history(demo)
        digest_at = _digest_monday(demo.clock())
        facts["chart"] = await weekly(demo)
        digest = await compute_digest(demo.runtime.db, as_of=digest_at, today=digest_at.date())
        facts["trend"] = digest.trend

    out = io.StringIO()
    await run_demo(out, tmp_path, scenario)
    text = out.getvalue()

    imported = HISTORY_WEEKS * 7
    assert (
        f"Priya also brings {HISTORY_WEEKS} weeks of answers from the tool used before:\n"
        f"$ python -m bot import responses history.csv\nRead the generic layout. "
        f"Imported {imported} past answers"
    ) in text
    trend = facts["trend"]
    assert isinstance(trend, list) and len(trend) == TREND_WEEKS >= 12
    assert all(week.split.nps is not None for week in trend)  # a point every week
    history_nps = [week.split.nps for week in trend[:HISTORY_WEEKS]]
    assert history_nps[-1] > history_nps[0]  # the old tool's answers climb
    assert "NPS per week, last 12 weeks" in text or "chart of NPS per week" in text
    chart = facts["chart"]
    assert isinstance(chart, Path) and chart.read_bytes().startswith(b"\x89PNG")
