"""The demo's Zendesk step: a solved ticket in the local Zendesk turns into a CSAT in Slack
and, once tapped, a private note and a tag on the ticket."""

from __future__ import annotations

import io
from pathlib import Path

from bot.devkit.demo import Demo, run_demo
from bot.devkit.demo_zendesk import zendesk_ticket
from bot.services import crm_sync


async def test_the_demo_turns_a_solved_ticket_into_a_csat_and_a_note(tmp_path: Path) -> None:
    async def scenario(demo: Demo) -> None:
        await crm_sync.sync(demo.runtime, now=demo.clock())  # the contacts, as step 1 has them
        await zendesk_ticket(demo)

    out = io.StringIO()
    await run_demo(out, tmp_path, scenario)
    text = out.getvalue()
    assert "/hooks/zendesk → 202 {'ticket_id': 1, 'decision': 'asked'}" in text
    assert "▸ Zendesk ticket #1 · private note" in text
    assert "│ Customer satisfaction: 4 of 5 (CSAT, answered" in text
    assert "Tags: voc_csat_4" in text
