"""The demo's email step: a contact in nobody's Slack answers through the survey page."""

from __future__ import annotations

import email
import email.policy
import io
from pathlib import Path

from sqlalchemy import select

from bot.devkit.demo import EMAIL_PERSON, EMAIL_SCORE, Demo, by_email, run_demo
from storage.models import Contact, Response


async def test_the_demo_emails_a_contact_slack_cannot_reach_and_keeps_the_email_and_page(
    tmp_path: Path,
) -> None:
    facts: dict[str, object] = {}

    async def scenario(demo: Demo) -> None:
        await by_email(demo)
        async with demo.runtime.db.session() as session:
            rows = await session.execute(
                select(Response.score, Response.comment)
                .join(Contact, Contact.id == Response.contact_id)
                .where(Contact.email == EMAIL_PERSON[0])
            )
            facts["answers"] = rows.all()

    out = io.StringIO()
    await run_demo(out, tmp_path, scenario)
    text = out.getvalue()
    assert "by email: 1 (contacts Slack cannot reach)" in text
    assert "Farah Aziz's inbox · email “Fleetline: satu soalan ringkas”" in text
    assert "Terima kasih! Jawapan anda: 9." in text
    assert facts["answers"] == [(EMAIL_SCORE, "Penghantaran sentiasa tepat masa.")]
    kept = email.message_from_bytes(
        (tmp_path / "survey-email.eml").read_bytes(), policy=email.policy.default
    )
    assert kept["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f'value="{EMAIL_SCORE}" checked' in (tmp_path / "survey-page.html").read_text()
    assert "Jawapan anda: 9" in (tmp_path / "survey-thanks.html").read_text()
