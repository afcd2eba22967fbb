"""Question sets a team designs (bot/domain/question_sets.py): SURVEYS_FILE kept in the
database as versions, the set an invitation is asked with, and the follow-up answers.

At start (`sync_file`) every set in SURVEYS_FILE whose definition differs from the last
version read from the file becomes a new version, so a change made with `/voc survey`
stays until the file itself changes. The follow-ups are asked in the survey DM after the
score tap (chat.update, the same message) and on the email survey page; each answer names
the set version it was asked in.
"""

from __future__ import annotations

import logging
import weakref
from datetime import datetime
from pathlib import Path

from blocks.question_sets import followup_blocks
from bot.core.runtime import Runtime
from bot.domain.exit_survey import EXIT_KIND
from bot.domain.outcomes import TapOutcome
from bot.domain.question_sets import (
    Checked,
    FollowUpCard,
    QuestionSet,
    QuestionType,
    SetError,
    asked_kinds,
    check_all,
    check_set,
    invitation_trigger,
)
from bot.domain.survey_file import SurveysFileBroken, SurveysFileUnreadable, is_toml, read
from bot.domain.themes import tag
from bot.domain.vocabulary import InvitationStatus as S
from bot.domain.vocabulary import Trigger
from storage import invitations, question_sets, responses
from storage.models import Invitation

log = logging.getLogger(__name__)
_SYNCED: dict[int, weakref.ref[Runtime]] = {}  # the runtimes that read SURVEYS_FILE in


def check_file(path: str) -> Checked:
    """Read and check a surveys file (`surveys check FILE`)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SurveysFileUnreadable(path, str(exc.strerror or exc)) from None
    return read(text, toml=is_toml(path))


def file_sets(rt: Runtime) -> list[QuestionSet]:
    """The sets SURVEYS_FILE holds (checked at start by the settings); [] when unset."""
    path = rt.settings.surveys_file
    if not path:
        return []
    checked = check_file(path)
    if checked.problems:
        raise SurveysFileBroken(path, checked.problems)
    return checked.sets


async def sync_file(rt: Runtime, now: datetime) -> list[QuestionSet]:
    """SURVEYS_FILE's changed sets stored as new versions, a set taken out of it switched
    off (unless it was last changed in Slack); the current sets returned."""
    wanted = file_sets(rt)
    async with rt.db.transaction() as session:
        newest = await question_sets.newest_rows(session=session)
        for qset in wanted:
            row = newest.get(qset.name)
            read_before = await question_sets.last_from_file(session=session, name=qset.name)
            if read_before == qset.definition():
                continue  # unchanged in the file: a change made in Slack stays
            if row is not None and row.active and row.definition == qset.definition():
                continue
            await question_sets.add_version(
                session=session, qset=qset, source="file", by=None, now=now
            )
            log.info("question set loaded", extra={"survey": qset.name})
        named = {qset.name for qset in wanted}
        for name, row in newest.items() if rt.settings.surveys_file else ():
            if row.active and row.source == "file" and name not in named:  # taken out of it
                await question_sets.add_version(
                    session=session,
                    qset=check_set(name, row.definition),
                    source="file",
                    by=None,
                    now=now,
                    active=False,
                )
        current = await question_sets.current(session=session)
    _SYNCED[id(rt)] = weakref.ref(rt)
    return current


async def current(rt: Runtime, now: datetime) -> list[QuestionSet]:
    """The sets in force (SURVEYS_FILE read into the database once per process)."""
    synced = _SYNCED.get(id(rt))
    if synced is None or synced() is not rt:
        return await sync_file(rt, now)
    async with rt.db.session() as session:
        return await question_sets.current(session=session)


async def version(rt: Runtime, set_id: int) -> QuestionSet | None:
    async with rt.db.session() as session:
        return await question_sets.by_id(session=session, set_id=set_id)


async def versions(rt: Runtime, name: str) -> list[QuestionSet]:
    async with rt.db.session() as session:
        return await question_sets.versions(session=session, name=name)


async def change(
    rt: Runtime,
    sets: dict[str, object],
    *,
    by: str | None,
    now: datetime,
    switch_off_others: bool = False,
) -> list[QuestionSet]:
    """Sets changed by staff (`/voc survey`): each one that differs becomes a new version;
    with `switch_off_others`, a set in force but not given is switched off (a version too).

    Raises:
        SetError: a set breaks a rule; nothing is stored.
    """
    checked = [check_set(name, raw) for name, raw in sets.items()]
    check_all(sets)
    changed: list[QuestionSet] = []
    async with rt.db.transaction() as session:
        newest = await question_sets.newest_rows(session=session)
        for qset in checked:
            row = newest.get(qset.name)
            if row is not None and row.active and row.definition == qset.definition():
                continue
            changed.append(
                await question_sets.add_version(
                    session=session, qset=qset, source="slack", by=by, now=now
                )
            )
        for name, row in newest.items() if switch_off_others else ():
            if row.active and name not in sets:
                off = check_set(name, row.definition)
                await question_sets.add_version(
                    session=session, qset=off, source="slack", by=by, now=now, active=False
                )
    _SYNCED[id(rt)] = weakref.ref(rt)
    return changed


async def for_invitation(rt: Runtime, invitation: Invitation, now: datetime) -> QuestionSet | None:
    """The set a survey asks its follow-ups from: its trigger's, on its own scale; the
    first question of a message only (a chained CES asks none of its own)."""
    if invitation.follows_invitation_id is not None or invitation.id is None:
        return None
    sets = [s for s in await current(rt, now) if s.follow_ups and s.metric == invitation.kind]
    sets = [s for s in sets if invitation_trigger(s.trigger) == invitation.trigger]
    if invitation.trigger == Trigger.MILESTONE and sets:
        async with rt.db.session() as session:
            day = await question_sets.milestone_day(session=session, invitation_id=invitation.id)
        sets = [s for s in sets if s.trigger == f"onboarding_day_{day}"]
    return sets[0] if sets else None


async def in_force(
    rt: Runtime, trigger: str, now: datetime, *, day: int | None = None
) -> QuestionSet | None:
    """The set in force for an invitations' trigger (a milestone: for its day N)."""
    for qset in await current(rt, now):
        if invitation_trigger(qset.trigger) != trigger:
            continue
        if trigger != Trigger.MILESTONE or qset.trigger == f"onboarding_day_{day}":
            return qset
    return None


async def kinds_for(
    rt: Runtime, trigger: str, defaults: tuple[str, ...], now: datetime, *, day: int | None = None
) -> tuple[str, ...]:
    """What a trigger's survey asks: the metric of the set in force for it decides
    (bot/domain/question_sets.py `asked_kinds`); the trigger's own kinds without one."""
    return asked_kinds(await in_force(rt, trigger, now, day=day), defaults)


async def check_relationship_kind(rt: Runtime, kind: str, now: datetime) -> None:
    """A relationship survey names its kind (`send nps`, `autopilot csat`): one of another
    metric than the relationship set in force would ask none of the set's questions.

    Raises:
        SetError: one line naming the set, its metric and what to do.
    """
    qset = await in_force(rt, Trigger.RELATIONSHIP, now)
    if qset is not None and qset.metric != str(kind):
        raise SetError(
            f"the relationship survey {qset.name} asks {qset.metric.upper()}, not "
            f"{str(kind).upper()}: send {qset.metric} (or autopilot {qset.metric}), "
            "or change its metric with /voc survey"
        )


async def card(
    rt: Runtime, invitation: Invitation, locale: str | None, now: datetime
) -> FollowUpCard | None:
    """What the survey shows of its follow-ups once scored: the set it was first asked
    with (its answers name it) or, before any answer, the set in force."""
    if invitation.id is None:
        return None
    async with rt.db.session() as session:
        given = (await question_sets.answers(session=session, invitation_ids=[invitation.id])).get(
            invitation.id, {}
        )
        asked = None
        if given:
            asked = await question_sets.by_id(session=session, set_id=next(iter(given.values()))[0])
    qset = asked or await for_invitation(rt, invitation, now)
    if qset is None:
        return None
    answers = {key: value for key, (_, value) in given.items()}
    return FollowUpCard(invitation.id, qset, locale, answers, rt.settings.product_name)


async def answer(
    rt: Runtime,
    *,
    invitation_id: int,
    set_id: int,
    key: str,
    value: str,
    user_id: str | None,
    now: datetime,
) -> tuple[TapOutcome, Invitation | None, FollowUpCard | None]:
    """Record a follow-up answer once, with the set version the respondent was shown.

    `user_id` None: the survey page's token proved who answers. The score must be in.
    """
    async with rt.db.transaction() as session:
        found = await invitations.get_with_contact(session=session, invitation_id=invitation_id)
        if found is None:
            return TapOutcome.UNKNOWN, None, None
        invitation, contact = found
        if user_id is not None and contact.slack_user_id != user_id:
            return TapOutcome.NOT_YOURS, None, None
        scored = await responses.get_for_invitation(session=session, invitation_id=invitation_id)
        if scored is None and not (
            invitation.kind == EXIT_KIND and invitation.status == S.ANSWERED
        ):
            return TapOutcome.CLOSED, None, None  # the score (an exit survey: its reasons) first
        qset = await question_sets.by_id(session=session, set_id=set_id)
        question = qset.question(key) if qset else None
        value = (
            " ".join(value.split()) if question and question.type is QuestionType.TEXT else value
        )
        if question is None or not question.accepts(value):
            return TapOutcome.CLOSED, None, None
        themes = sorted(str(t) for t in tag(value)) if question.type is QuestionType.TEXT else []
        saved = await question_sets.save_answer(
            session=session,
            invitation_id=invitation_id,
            set_id=set_id,
            key=key,
            value=value,
            themes=themes,
            now=now,
        )
    if not saved:
        return TapOutcome.ANSWERED, invitation, await card(rt, invitation, contact.locale, now)
    log.info("follow-up answered", extra={"invitation_id": invitation_id, "question": key})
    return TapOutcome.RECORDED, invitation, await card(rt, invitation, contact.locale, now)


async def with_followups(
    rt: Runtime, invitation_id: int, locale: str | None, blocks: list[dict], now: datetime
) -> list[dict]:
    """A survey message's blocks with its set's follow-ups under the answer (as the tap
    showed them), for a redraw that starts from the answered message."""
    async with rt.db.session() as session:
        invitation = await session.get(Invitation, invitation_id)
    shown = await card(rt, invitation, locale, now) if invitation is not None else None
    extra = followup_blocks(shown)
    return blocks[:2] + extra + blocks[2:] if extra else blocks
