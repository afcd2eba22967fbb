"""`import responses FILE.csv`: past answers from another survey tool, all or nothing.

The layout is recognised from the header (bot/domain/history_layouts.py) and said back.
Each answer becomes an answered invitation with its response, dated when it was given, so
it feeds trends, the digest chart, the "previous score" on cards and fatigue; nothing is
sent and no case is opened. A key made of who, what, score and when is stored on the
invitation, so importing the same file again changes nothing.
"""

from __future__ import annotations

import hashlib

from bot.domain import history_layouts, imports
from bot.domain.contacts_csv import read_records
from bot.domain.history_layouts import Answer, BadCell, Layout
from bot.domain.imports import HistoryReport, RowError
from bot.domain.progress import OnProgress, Stage, Tick, unseen
from bot.domain.scales import category
from bot.domain.vocabulary import SurveyKind, Trigger
from storage import history
from storage.db import Database

# SurveyMonkey puts a second header row under the questions
_SUBHEADER = {"response", "open-ended response"}


async def import_responses(
    *, db: Database, csv_text: str, on_progress: OnProgress = unseen
) -> HistoryReport:
    """Check every row, then write the new answers in one transaction (or nothing);
    `on_progress` hears of each answer looked at while writing."""
    records, errors = read_records(csv_text)
    if not records:
        return HistoryReport(errors=errors or [imports.empty_file()])
    header_line, header = records[0]
    layout = history_layouts.detect(header)
    if layout is None:
        problem = imports.unknown_header(header_line, history_layouts.SUPPORTED)
        return HistoryReport(errors=[problem])
    report = HistoryReport(layout=layout.name, errors=errors)
    answers = _answers(layout, records[1:], report)
    if report.errors:
        return report
    async with db.transaction() as session:
        contacts = await history.contacts_by_email(
            session=session, emails={answer.email for _line, answer in answers}
        )
        report.errors = [
            imports.unknown_email(line, answer.email)
            for line, answer in answers
            if answer.email not in contacts
        ]
        if report.errors:
            return report
        keyed = {_key(answer): answer for _line, answer in answers}
        known = await history.known_keys(session=session, keys=set(keyed))
        for done, (key, answer) in enumerate(keyed.items(), start=1):
            on_progress(Tick(Stage.ANSWERS, done, len(keyed)))
            if key in known:
                continue
            contact_id, account_id = contacts[answer.email]
            await history.add_answer(
                session=session,
                contact_id=contact_id,
                account_id=account_id,
                kind=answer.kind,
                trigger=Trigger.RELATIONSHIP if answer.kind == SurveyKind.NPS else Trigger.SUPPORT,
                score=answer.score,
                category=category(answer.kind, answer.score),
                comment=answer.comment,
                answered_at=answer.answered_at,
                import_key=key,
                source=layout.name,
            )
        report.imported = len(keyed) - len(known)
        report.already = len(answers) - report.imported
    return report


def _answers(
    layout: Layout, records: list[tuple[int, list[str]]], report: HistoryReport
) -> list[tuple[int, Answer]]:
    answers: list[tuple[int, Answer]] = []
    for line, cells in records:
        if {cell.strip().lower() for cell in cells if cell.strip()} <= _SUBHEADER:
            continue
        try:
            answers.append((line, history_layouts.read(layout, cells)))
        except BadCell as exc:
            report.errors.append(RowError(line, str(exc)))
    if not answers and not report.errors:
        report.errors.append(imports.header_only())
    return answers


def _key(answer: Answer) -> str:
    """Who, what, which score and when: the same answer in a second import has the same key."""
    text = f"{answer.email}|{answer.kind}|{answer.score}|{answer.answered_at.isoformat()}"
    return "import:" + hashlib.sha256(text.encode()).hexdigest()[:40]
