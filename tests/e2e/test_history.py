"""`import responses`: past answers from other tools, every supported layout, all or nothing,
the same file twice changes nothing, and the answers count without sending anything."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from blocks.terminal import history_report
from bot.core.runtime import Runtime
from bot.devkit.emulator import SlackEmulator
from bot.services.history import import_responses
from bot.services.surveys import start_relationship_campaign
from storage.models import FollowUpCase, Invitation, Response
from storage.responses import previous_score
from tests.harness import cli_env, vocbot
from tests.seed import Person, add_people

pytestmark = pytest.mark.postgres

LAYOUTS = {
    "the generic layout": (
        "email,kind,score,comment,answered_at\n"
        "ana@acme.test,nps,3,Too slow,2026-09-01 10:00:00\n"
        "ben@acme.test,csat,5,,2026-09-02T11:00:00+02:00\n"
    ),
    "Delighted's export": (
        "Response ID,Person ID,Name,Email,Score,Comment,Response timestamp\n"
        "r1,p1,Ana,ana@acme.test,3,Too slow,2026-09-01 10:00:00\n"
        'r2,p2,Ben,ben@acme.test,10,"Great, thanks",1756807200\n'
    ),
    "SurveyMonkey's export": (
        "Respondent ID,Collector ID,Start Date,End Date,Email Address,"
        "How likely is it that you would recommend Acme to a friend?,Why did you give that score?\n"
        ",,,,,Response,Open-Ended Response\n"
        "111,9,09/01/2026 09:58:00 AM,09/01/2026 10:00:00 AM,ana@acme.test,3,Too slow\n"
        "112,9,09/02/2026 11:00:00 AM,09/02/2026 11:01:00 AM,ben@acme.test,10 - Extremely likely,\n"
    ),
    "Typeform's export": (
        "#,How satisfied are you with support?,Anything else you want to tell us?,"
        "email,Start Date (UTC),Submit Date (UTC),Network ID\n"
        "a1,2,Nobody answered,ana@acme.test,2026-09-01 09:59:00,2026-09-01 10:00:00,n1\n"
        "a2,5,,ben@acme.test,2026-09-02 11:00:00,2026-09-02 11:01:00,n2\n"
    ),
}


async def _count(rt: Runtime, model: type) -> int:
    async with rt.db.session() as session:
        return (await session.execute(select(func.count(model.id)))).scalar_one()


async def _people(rt: Runtime) -> list[int]:
    return await add_people(rt.db, Person("ana@acme.test", "U1"), Person("ben@acme.test", "U2"))


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
async def test_each_layout_is_recognised_and_a_second_import_changes_nothing(
    rt: Runtime, emulator: SlackEmulator, layout: str
) -> None:
    ana, _ben = await _people(rt)

    first = await import_responses(db=rt.db, csv_text=LAYOUTS[layout])
    again = await import_responses(db=rt.db, csv_text=LAYOUTS[layout])

    assert first.errors == []
    assert history_report(first).startswith(f"Read {layout}. Imported 2 past answers; 0 were")
    assert (again.imported, again.already) == (0, 2)
    assert await _count(rt, Response) == 2
    assert await _count(rt, Invitation) == 2
    assert await _count(rt, FollowUpCase) == 0  # a low past score opens no case
    assert emulator.calls_to("chat.postMessage") == []  # nothing is sent
    async with rt.db.session() as session:
        [response] = (
            await session.execute(select(Response).where(Response.contact_id == ana))
        ).scalars()
        later = datetime(2026, 12, 1, tzinfo=UTC)
        assert (
            await previous_score(session=session, contact_id=ana, kind=response.kind, before=later)
            == response.score
        )
    assert response.comment in ("Too slow", "Nobody answered")
    assert response.answered_at.date().isoformat() == "2026-09-01"


async def test_a_bad_row_imports_nothing_and_names_its_line(rt: Runtime) -> None:
    await _people(rt)
    text = (
        "email,kind,score,comment,answered_at\n"
        "ana@acme.test,nps,11,,2026-09-01\n"
        "ben@acme.test,csat,4,,yesterday\n"
        "cy@acme.test,nps,9,,2026-09-01\n"
    )

    report = await import_responses(db=rt.db, csv_text=text)

    assert [str(error) for error in report.errors] == [
        'line 2: score "11" is not a NPS score; write a whole number from 0 to 10',
        'line 3: "yesterday" is not a date and time; write it like 2026-03-14 10:30:00 (UTC)',
    ]
    assert history_report(report).startswith("Nothing was imported: 2 rows have problems.")
    fixed = text.replace(",11,", ",10,").replace("yesterday", "2026-09-02")
    unknown = await import_responses(db=rt.db, csv_text=fixed)
    assert [str(e) for e in unknown.errors] == [
        "line 4: no contact has the email cy@acme.test; import contacts first"
    ]
    assert await _count(rt, Response) == 0
    header = await import_responses(db=rt.db, csv_text="when,who,what\n1,2,3\n")
    assert "this header is not one I know; use generic" in str(header.errors[0])


async def test_imported_answers_count_for_fatigue(rt: Runtime, emulator: SlackEmulator) -> None:
    emulator.add_user("U1", email="ana@acme.test")
    await add_people(rt.db, Person("ana@acme.test", "U1"))
    recent = rt.now().replace(month=10).strftime("%Y-%m-%d %H:%M:%S")
    await import_responses(
        db=rt.db, csv_text=f"email,kind,score,comment,answered_at\nana@acme.test,nps,8,,{recent}\n"
    )

    report = await start_relationship_campaign(rt, kind="nps", now=rt.now())

    assert (report.created, dict(report.skipped)) == (0, {"fatigue": 1})


async def test_the_import_responses_command(
    emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    env = cli_env(api_url=emulator.api_url, database_url=database_url, home=tmp_path)
    (tmp_path / "contacts.csv").write_text(
        "email,account\nana@acme.test,Acme\nben@acme.test,Acme\n"
    )
    (tmp_path / "past.csv").write_text(LAYOUTS["Delighted's export"])
    assert (await vocbot(env, "import", "contacts", "contacts.csv", cwd=tmp_path))[0] == 0

    code, out, err = await vocbot(env, "import", "responses", "past.csv", cwd=tmp_path)
    assert (code, err) == (0, "")
    assert out.startswith("Read Delighted's export. Imported 2 past answers")
    code, out, _ = await vocbot(env, "import", "responses", "past.csv", cwd=tmp_path)
    assert "Imported 0 past answers; 2 were already here." in out
    (tmp_path / "bad.csv").write_text("email,kind,score,comment,answered_at\nx,nps,1,,2026-01-01\n")
    code, _out, err = await vocbot(env, "import", "responses", "bad.csv", cwd=tmp_path)
    assert code == 1
    assert 'line 2: "x" is not an email address' in err
