from __future__ import annotations

import csv
import io
import json
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update

from bot.domain.errors import UserError
from bot.services.export import export_responses
from bot.services.surveys import CampaignReport, Unreachable, write_unreachable
from storage.db import Database
from storage.export import FIELDS
from storage.models import Account, AccountHealth, Contact, Invitation, Response
from tests.digest_fixture import seed_digest
from tests.spreadsheet import FORMULA_STARTS, libreoffice_rows, python_rows

pytestmark = pytest.mark.postgres


class _Sink(io.TextIOBase):
    """Counts what is written and keeps none of it."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        return len(text)


async def _tricky_comment(db: Database) -> str:
    comment = 'Too slow, "really"\nsecond line, ünïcode'
    async with db.transaction() as session:
        await session.execute(
            update(Response)
            .where(Response.comment == "Love the new dashboards")
            .values(comment=comment)
        )
    return comment


async def test_csv_has_every_response_with_its_account(db: Database) -> None:
    await seed_digest(db)
    comment = await _tricky_comment(db)
    out = io.StringIO()
    count = await export_responses(db=db, out=out, format="csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert count == len(rows) == 41
    assert tuple(rows[0]) == FIELDS
    [row] = [r for r in rows if r["comment"] == comment]
    assert row["account"] == "Initech" and row["segment"] == "mid-market"
    assert (row["plan"], row["crm_health"], row["csm_user_id"]) == ("Scale", "yellow", "UCSM1")
    assert (row["health_score"], row["health_change"]) == ("", "")  # never scored
    assert (row["arr"], row["customer_since"]) == ("50000.0", "2025-06-01")
    assert (row["kind"], row["score"], row["category"]) == ("nps", "9", "promoter")
    assert row["trigger"] == "relationship" and row["contact_email"] == "someone@initech.test"
    assert {r["channel"] for r in rows} == {"slack"}  # DMs, recorded before channels were
    assert row["answered_at"] == "2026-11-20T17:00:00+00:00"
    assert [int(r["response_id"]) for r in rows] == sorted(int(r["response_id"]) for r in rows)
    hooli = next(r for r in rows if r["account"] == "Hooli")
    assert hooli["segment"] == "" and hooli["arr"] == ""


async def test_the_newest_health_score_and_its_change_are_exported(db: Database) -> None:
    await seed_digest(db)
    async with db.transaction() as session:
        initech = (
            await session.execute(select(Account).where(Account.name == "Initech"))
        ).scalar_one()
        for week, score, change in ((date(2026, 11, 9), 80, None), (date(2026, 11, 16), 61, -19)):
            session.add(
                AccountHealth(
                    account_id=initech.id or 0, week=week, score=score, change=change,
                    computed_at=datetime(2026, 11, 20, tzinfo=UTC),
                )
            )  # fmt: skip
    out = io.StringIO()
    await export_responses(db=db, out=out, format="csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    scored = {(r["account"], r["health_score"], r["health_change"]) for r in rows}
    assert ("Initech", "61", "-19") in scored
    assert not any(r["account"] == "Initech" and r["health_score"] != "61" for r in rows)
    assert len(rows) == 41  # the history does not repeat a response


async def test_jsonl_is_one_object_per_line(db: Database) -> None:
    await seed_digest(db)
    comment = await _tricky_comment(db)
    out = io.StringIO()
    await export_responses(db=db, out=out, format="jsonl")
    lines = out.getvalue().splitlines()
    assert len(lines) == 41
    objects = [json.loads(line) for line in lines]
    [found] = [o for o in objects if o["comment"] == comment]
    assert found["account"] == "Initech" and found["arr"] == 50000
    assert found["customer_since"] == "2025-06-01"
    assert next(o for o in objects if o["account"] == "Hooli")["segment"] is None


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
async def test_csv_cells_that_look_like_formulas_are_neutralised(db: Database, start: str) -> None:
    await seed_digest(db)
    comment = f'{start}HYPERLINK("http://evil.test","click")'
    account = f"{start}cmd|' /C calc'!A0"
    async with db.transaction() as session:
        await session.execute(
            update(Response)
            .where(Response.comment == "Love the new dashboards")
            .values(comment=comment)
        )
        await session.execute(update(Account).where(Account.name == "Initech").values(name=account))
    out = io.StringIO()
    await export_responses(db=db, out=out, format="csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert "'" + comment in {r["comment"] for r in rows}
    assert {r["account"] for r in rows} >= {"'" + account}
    assert not any(value.startswith(start) for r in rows for value in r.values())
    jsonl = io.StringIO()
    await export_responses(db=db, out=jsonl, format="jsonl")
    objects = [json.loads(line) for line in jsonl.getvalue().splitlines()]
    assert comment in {o["comment"] for o in objects}  # JSON lines stay exact
    assert account in {o["account"] for o in objects}


async def test_a_bare_cr_in_a_comment_cannot_start_a_row(
    db: Database, backend: str, tmp_path: Path
) -> None:
    """Issue 25, item 11: `-2+3` after the CR went out unprefixed at the start of a row."""
    await seed_digest(db)
    comment = "\t=1+1 @SUM(A1) \r-2+3"
    async with db.transaction() as session:
        await session.execute(
            update(Response)
            .where(Response.comment == "Love the new dashboards")
            .values(comment=comment)
        )
    out = io.StringIO()
    count = await export_responses(db=db, out=out, format="csv")
    rows = python_rows(out.getvalue())
    assert len(rows) == 1 + count and all(len(row) == len(FIELDS) for row in rows)
    comments = [dict(zip(FIELDS, row, strict=True))["comment"] for row in rows[1:]]
    assert "'" + comment in comments
    assert not any(value.startswith(FORMULA_STARTS) for row in rows for value in row)
    if backend != "sqlite":
        return  # the same text whatever the database: one LibreOffice run is enough
    opened = libreoffice_rows(out.getvalue(), tmp_path)
    assert len(opened) == 1 + count
    assert not [cell for row in opened for cell in row if cell.formula is not None]
    column = FIELDS.index("comment")
    assert any(row[column].text.startswith("'") and "-2+3" in row[column].text for row in opened)


def test_unreachable_contacts_csv_is_safe_in_a_spreadsheet() -> None:
    """`send --unreachable FILE.csv` uses the same writer: names are data, never formulas."""
    report = CampaignReport(
        unreachable=[
            Unreachable("ana@acme.test", '=HYPERLINK("http://evil.test")', "no Slack user"),
            Unreachable("ben@acme.test", "Acme\r=1+1", "no Slack user"),
        ]
    )
    out = io.StringIO()
    write_unreachable(report, out)
    rows = python_rows(out.getvalue())
    assert rows == [
        ["email", "account", "reason"],
        ["ana@acme.test", '\'=HYPERLINK("http://evil.test")', "no Slack user"],
        ["ben@acme.test", "Acme\r=1+1", "no Slack user"],
    ]


async def test_unknown_format_is_a_user_error(db: Database) -> None:
    with pytest.raises(UserError, match="--format csv"):
        await export_responses(db=db, out=io.StringIO(), format="xml")


async def test_memory_stays_flat_however_many_responses(db: Database) -> None:
    """10,000 rows of 1 kB held at once would be over 10 MB; streamed, the peak stays small."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    async with db.transaction() as session:
        await session.execute(insert(Account).values(id=1, name="Big", name_key="big", arr=1.0))
        await session.execute(
            insert(Contact).values(id=1, email="big@big.test", account_id=1, opted_out=False)
        )
        for start in range(0, 10_000, 5_000):
            ids = range(start + 1, start + 5_001)
            common = dict(contact_id=1, kind="nps", trigger="relationship", status="answered")
            await session.execute(
                insert(Invitation),
                [dict(id=i, due_at=at, created_at=at, attempts=0, **common) for i in ids],
            )
            await session.execute(
                insert(Response),
                [
                    dict(
                        invitation_id=i,
                        contact_id=1,
                        account_id=1,
                        kind="nps",
                        score=9,
                        category="promoter",
                        comment="x" * 1000,
                        answered_at=at + timedelta(seconds=i),
                    )
                    for i in ids
                ],  # fmt: skip
            )
    sink = _Sink()
    tracemalloc.start()
    try:
        count = await export_responses(db=db, out=sink, format="jsonl")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 10_000 and sink.chars > 10_000 * 1000
    assert peak < 6 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
