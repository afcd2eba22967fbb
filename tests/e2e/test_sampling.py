"""`send … --sample`: a random share of the audience, stratified by segment, repeatable."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from storage.models import Invitation
from tests.harness import cli_env, vocbot
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres


async def _audience(rt: Runtime, emulator: SlackEmulator) -> dict[int, str]:
    """60 enterprise and 40 smb contacts; contact id → segment."""
    people = []
    for i in range(100):
        segment = "enterprise" if i < 60 else "smb"
        emulator.add_user(f"U{i}", email=f"p{i}@acme.test")
        people.append(
            Person(f"p{i}@acme.test", f"U{i}", account=f"Acct{i % 7}{segment}", segment=segment)
        )
    ids = await add_people(rt.db, *people)
    return {contact_id: person.segment for contact_id, person in zip(ids, people, strict=True)}


async def _asked(rt: Runtime, campaign_id: int) -> set[int]:
    async with rt.db.session() as session:
        rows = await session.execute(
            select(Invitation.contact_id).where(Invitation.campaign_id == campaign_id)
        )
        return set(rows.scalars())


async def test_a_30_percent_sample_is_stratified_printed_and_repeatable_by_its_seed(
    rt: Runtime, emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    segments = await _audience(rt, emulator)
    env = cli_env(api_url=emulator.api_url, database_url=database_url, home=tmp_path)

    code, out, err = await vocbot(env, "send", "nps", "--sample", "30%", cwd=tmp_path)

    assert (code, err) == (0, ""), err
    lines = out.splitlines()
    assert (
        lines[0]
        == "Sample: 30 of 100 contacts (30%), by segment: enterprise 18 of 60, smb 12 of 40."
    )
    seed = lines[1].split()[1].rstrip(":")
    assert lines[1] == f"Seed {seed}: repeat this draw with --sample 30% --seed {seed}."
    first = await _asked(rt, 1)
    assert 29 <= len(first) <= 31
    assert sum(segments[i] == "enterprise" for i in first) == 18

    code, out, err = await vocbot(
        env, "send", "nps", "--sample", "30%", "--seed", seed, cwd=tmp_path
    )
    assert code == 0 and f"Seed {seed}:" in out
    assert await _asked(rt, 2) == first  # the same people (now skipped: asked recently)

    code, out, _ = await vocbot(
        env,
        "send",
        "nps",
        "--sample",
        "30%",
        "--seed",
        str(int(seed) % 999_999 + 1),
        cwd=tmp_path,
    )
    assert code == 0 and await _asked(rt, 3) != first

    code, out, _ = await vocbot(env, "send", "nps", "smb", "--sample", "10", cwd=tmp_path)
    assert code == 0 and out.startswith("Sample: 10 of 40 contacts (10), by segment: smb 10 of 40.")


async def test_a_bad_sample_is_refused_in_one_line(
    rt: Runtime, emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    env = cli_env(api_url=emulator.api_url, database_url=database_url, home=tmp_path)
    for args, said in (
        (("--sample", "130%"), "at most 100%"),
        (("--sample", "lots"), "write it like 30% or 200"),
        (("--seed", "5"), "give it with --sample"),
    ):
        code, _, err = await vocbot(env, "send", "nps", *args, cwd=tmp_path)
        assert code == 1 and said in err, err
