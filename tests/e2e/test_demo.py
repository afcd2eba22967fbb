"""The offline demo plays the whole program through the real HTTP path and tells it right."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from bot.devkit.demo import SCORES, Demo, feedback, play, run_demo, slack_connect, weekly
from storage.models import FollowUpCase, Invitation, Response


async def test_the_demo_runs_the_program_and_prints_what_people_saw(tmp_path: Path) -> None:
    facts: dict[str, object] = {}

    async def scenario(demo: Demo) -> None:
        await play(demo)
        await feedback(demo)
        facts["chart"] = await weekly(demo)
        async with demo.runtime.db.session() as session:
            facts["sent"] = await session.scalar(
                select(func.count()).select_from(Invitation).where(Invitation.sent_at.is_not(None))
            )
            facts["answers"] = await session.scalar(select(func.count()).select_from(Response))
            facts["cases"] = await session.scalar(select(func.count()).select_from(FollowUpCase))
            facts["escalated"] = await session.scalar(
                select(func.count()).select_from(FollowUpCase).where(FollowUpCase.escalations > 0)
            )

    out = io.StringIO()
    await run_demo(out, tmp_path, scenario)
    text = out.getvalue()
    answered = [s for row in SCORES for s in row if s is not None]
    detractors = sum(1 for s in answered if s <= 6)
    promoters = sum(1 for s in answered if s >= 9)
    assert facts["sent"] == 40
    assert facts["answers"] == len(answered)
    assert facts["cases"] == detractors
    assert facts["escalated"] == detractors - 1  # all but the one Daniel followed up
    assert "Sejauh manakah anda akan mengesyorkan" in text  # a Malay survey DM
    assert "How likely are you to recommend" in text
    assert f"{len(answered)} of 40 answered" in text
    assert "Synced from HubSpot: 8 companies (8 new), 40 contacts (40 new)" in text
    # the detractor's note on the company in HubSpot, with the card's link and the outcome
    assert "Follow-up card in Slack: https://" in text
    assert "Outcome (2026-11-24): Recovered. Called Zulkifli" in text
    assert "Follow-up logged by @Daniel Okafor: Recovered" in text
    assert "Reminder 1 of 3" in text
    assert "SSO (#1 · new) — $325,000 ARR · 2 accounts" in text  # /voc requests, ranked by ARR
    assert "Told 4 new people it's live" in text  # two contacts (by email) and two CSMs
    assert "Anda pernah meminta SSO" in text  # the Malay contact reads it in Malay
    assert f"NPS, last week: +{round(100 * (promoters - detractors) / len(answered))}" in text
    chart = facts["chart"]
    assert isinstance(chart, Path) and chart.read_bytes().startswith(b"\x89PNG")
    assert f"the chart of NPS per week: {chart}" in text
    assert (tmp_path / "demo.db").exists()


def test_python_m_bot_demo_finishes_offline_within_a_minute(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Priya starts the quarterly NPS survey" in done.stdout
    assert str(tmp_path) in done.stdout


async def test_the_demo_shows_a_customer_answering_from_a_slack_connect_channel(
    tmp_path: Path,
) -> None:
    async def scenario(demo: Demo) -> None:
        await play(demo)
        await slack_connect(demo)

    out = io.StringIO()
    await run_demo(out, tmp_path, scenario)
    text = out.getvalue()
    connect = text.split("talks to us only in a Slack Connect channel")[1]
    assert "could not reach 1:\n  ops@kinabalu.example" in connect
    assert "#kinabalu-freight (Slack Connect) · message\n" in connect
    assert "@Nadia, @Marcus" in connect
    assert "2 of 2 answered" in connect
    assert "Nadia (Kinabalu Freight) · only visible to you" in connect
    assert "NPS 4 · DETRACTOR" in connect and "Kinabalu Freight" in connect
    channel_views = [part for part in connect.split("▸ ") if part.startswith("#kinabalu")]
    assert channel_views and all("Your answer" not in view for view in channel_views)
