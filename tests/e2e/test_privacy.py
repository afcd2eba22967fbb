"""Privacy requests end to end: `forget`, `export contact` and `audit` as real processes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from bot.core.runtime import Runtime
from bot.devkit.clock import FakeClock
from bot.devkit.emulator import SlackEmulator
from bot.scheduler import run_due
from bot.services.digest import build_digest
from storage.db import Database
from storage.models import Contact, Insight, Response
from storage.privacy import text_columns
from tests.e2e.test_followups import VOC, _cases, _survey, _tap
from tests.e2e.test_roles import _follow_up
from tests.harness import SlackSender, cli_env, eventually, vocbot
from tests.payloads import slash_command, view_submission

pytestmark = pytest.mark.postgres
EMAIL = "ana@acme.test"
NAME = "Zofia Quill"
SLACK_ID = "U1"


async def _person_everywhere(rt: Runtime, emulator: SlackEmulator, slack: SlackSender) -> None:
    """Ana answers 2 and comments; her case is followed up; a CSM logs what she said."""
    rt.settings.webhook_url = "http://127.0.0.1:9/hooks"  # outbox rows carry her email
    inv = await _survey(rt, emulator)
    async with rt.db.transaction() as session:
        contact = (await session.execute(select(Contact))).scalars().one()
        contact.name = NAME
    await _tap(slack, emulator, inv, 2)
    await eventually(lambda: emulator.messages(VOC))
    comment = f"I am {NAME}, invoices are wrong; mail {EMAIL}"
    await slack.interactive(
        view_submission(
            user=SLACK_ID,
            callback_id="survey.comment",
            private_metadata=str(inv.id),
            values={
                "survey.comment": {
                    "survey.comment.input": {"type": "plain_text_input", "value": comment}
                }
            },
        )  # fmt: skip
    )
    await eventually(lambda: _commented(rt))
    [case] = await _cases(rt.db)
    await slack.interactive(_follow_up("UCSM", case.id or 0, "in_progress", f"Called {NAME}"))
    fields = slash_command(
        user="UCSM", text=f"{EMAIL}: wants SSO #feature", response_url=emulator.new_response_url()
    )
    await slack.command(fields)
    await eventually(lambda: emulator.calls_to("response_url"))


async def _commented(rt: Runtime) -> bool:
    async with rt.db.session() as session:
        return bool((await session.execute(select(Response.comment))).scalars().first())


async def _rows_mentioning(db: Database, *needles: str) -> dict[str, set[Any]]:
    """Every row, by table, with a text or JSON column containing one of `needles`."""
    found: dict[str, set[Any]] = {}
    async with db.session() as session:
        for table in SQLModel.metadata.sorted_tables:
            columns = text_columns(table)
            for row in (await session.execute(select(table))).mappings():
                text = json.dumps([row[c.name] for c in columns], default=str).lower()
                if any(n.lower() in text for n in needles):
                    found.setdefault(table.name, set()).add(row[_key(table.name)])
    return found


def _key(table: str) -> str:
    """The name of a table's key (`id`, or e.g. `user_id` for the Slack listing cache)."""
    return next(iter(SQLModel.metadata.tables[table].primary_key)).name


def _figures(digest: Any) -> tuple[Any, ...]:
    return (digest.week, digest.previous_week, digest.quarter, digest.previous_quarter,
            digest.breakdowns, digest.trend, digest.completion)  # fmt: skip


async def test_forget_erases_the_person_and_keeps_the_figures(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, database_url: str, tmp_path: Path
) -> None:
    await _person_everywhere(rt, emulator, slack)
    env = cli_env(api_url=emulator.api_url, database_url=database_url, home=tmp_path)
    before = _figures(await build_digest(rt, rt.now()))
    named = await _rows_mentioning(rt.db, EMAIL, NAME)
    for table in ("contacts", "responses", "insights", "cases", "case_logs", "outbox"):
        assert table in named, table  # the fixture names her in each of these
    assert "reach_users" in named  # Slack's listing of members, which names her too

    code, out, err = await vocbot(env, "export", "contact", EMAIL, cwd=tmp_path)
    assert code == 0, err
    exported = json.loads(out)["tables"]
    for table, ids in named.items():
        assert ids <= {row[_key(table)] for row in exported.get(table, [])}, table
    assert exported["contacts"][0]["email"] == EMAIL
    assert {row["contact_id"] for row in exported["invitations"]} == {exported["contacts"][0]["id"]}

    code, out, err = await vocbot(env, "forget", EMAIL, cwd=tmp_path)
    assert code == 0, err
    assert f"Forgot {EMAIL}" in out and "responses (comments): 1" in out
    assert await _rows_mentioning(rt.db, EMAIL, NAME, "Zofia", "Quill") == {}
    async with rt.db.session() as session:
        contact = (await session.execute(select(Contact))).scalars().one()
        assert contact.slack_user_id is None and contact.name is None
        assert [r.score for r in (await session.execute(select(Response))).scalars()] == [2]
    assert _figures(await build_digest(rt, rt.now())) == before

    code, out, err = await vocbot(env, "forget", EMAIL, cwd=tmp_path)
    assert code == 1 and "No contact has the email" in err
    code, out, err = await vocbot(env, "audit", cwd=tmp_path)
    assert code == 0, err
    actions = [line.split()[3:6] for line in out.splitlines()]
    assert actions == [["cli", "export", "contact"], ["cli", "forget", "contact"]]
    assert EMAIL not in out and NAME not in out
    assert EMAIL not in err and NAME not in err


async def test_retain_comments_blanks_old_verbatims_and_keeps_scores(
    rt: Runtime, emulator: SlackEmulator, slack: SlackSender, clock: FakeClock
) -> None:
    await _person_everywhere(rt, emulator, slack)
    rt.settings.retain_comments = timedelta(days=730)
    await run_due(rt)
    assert await _commented(rt)
    clock.advance(timedelta(days=731))
    await run_due(rt)
    async with rt.db.session() as session:
        [response] = (await session.execute(select(Response))).scalars().all()
        texts = set((await session.execute(select(Insight.text))).scalars())
    assert (response.comment, response.score) == (None, 2)
    assert texts == {"[removed after the retention period]"}
