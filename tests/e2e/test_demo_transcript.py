"""The demo's transcript reads as a person would want it: no rough edges (issue 17, item 9)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from bot.devkit.demo import (
    Demo,
    by_email,
    feedback,
    play,
    run_demo,
    slack_connect,
    weekly,
)


async def _transcript(tmp_path: Path) -> tuple[str, Demo]:
    played: list[Demo] = []

    async def scenario(demo: Demo) -> None:
        played.append(demo)
        await play(demo)
        await slack_connect(demo)
        await by_email(demo)
        await feedback(demo)
        await weekly(demo)

    out = io.StringIO()
    await run_demo(out, tmp_path, scenario)
    return out.getvalue(), played[0]


async def test_the_transcript_has_no_rough_edges(tmp_path: Path) -> None:
    text, demo = await _transcript(tmp_path)

    # links are named, not printed with this run's port and a secret token (issue #30)
    assert "127.0.0.1" not in text and "/s/" not in text
    assert "[0] [1] [2] [3] [4] [5] [6] [7] [8] [9] [10]  (each a link to the survey page)" in (
        text
    )
    assert "‹unsubscribe link›" in text
    # each box names who saw it as the transcript names them elsewhere
    labels = set(re.findall(r"^  ▸ (.+?) · ", text, flags=re.M))
    assert not {"the CSM", "Nadia, only", "survey page"} & labels
    assert "Farah Aziz's browser" in labels and "Nadia (Kinabalu Freight)" in labels

    # nobody skipped is not news
    assert "Skipped 0" not in text and "Skipped 1:" in text  # Kinabalu's ops@ has no user
    # every emoji drawn, none left as a :shortcode:
    assert re.findall(r"(?<![\w:/]):[a-z][a-z0-9_+-]*:(?![\w/])", text) == []
    assert "⚪ neutral" in text and "Health 🟡 Yellow" in text
    # one spelling of a health colour, on cards and in the digest
    assert "Yellow: +" in text and not re.search(r"\b(green|yellow|red)\b", text)
    # a score reads "3 (daripada 10)", not "3 (3 / 10)"
    assert not re.search(r"\d+ \(\d+ / \d+\)", text) and "3 (daripada 10)" in text
    # "Told N people" is the number of DMs that went out
    told = re.search(r"Told (\d+) new people it's live", text)
    sent = re.search(r"\n(\d+) DMs went out, each in its reader's language", text)
    assert told and sent and told.group(1) == sent.group(1)
    # the escalation ladder is shown to its end, in one case's thread
    ladder = text.split("Nobody followed up the Dunmore Health card")[1].split("WEEKLY")[0]
    assert [f"Reminder {n} of 3" in ladder for n in (1, 2, 3)] == [True, True, True]
    assert ladder.index("Reminder 1 of 3") < ladder.index("Reminder 3 of 3")

    # a Malay respondent's updated DM notifies in Malay too (the `text` fallback)
    amir = demo.people[12].user_id
    updates = [
        c
        for c in demo.emulator.calls_to("chat.update")
        if c.args.get("channel") == demo.emulator.dm_channel(amir)
    ]
    assert updates and all(u.args["text"].startswith("Sejauh manakah") for u in updates)
