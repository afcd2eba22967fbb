"""A small hand-computed data set for the leadership reports: November 2026 against October.

NPS, November: Acme 4/1/1, Initech 3/0/0 (enterprise 7/1/1 → +67), Globex 0/1/4 (smb → −80)
    → the whole 7/2/5 = 14 answers → +14.3 (shown +14), "fair"
NPS, October: Acme 2/2/2 (enterprise → 0), Globex 3/1/1 (smb → +40)
    → the whole 5/3/3 = 11 answers → +18.2: the whole fell 4; enterprise rose 67 against it
    (diverging); smb fell 120, with the whole (not diverging)
CSAT, November (Acme): 5, 4, 2, 5 → 3 of 4 satisfied = 75%, mean 4.0 → "healthy" (the mean);
    October: 5, 1 → 50% → ▲ 25 pts
CES, November (Acme): 7, 6, 3 → 2 of 3 = 67%, mean 5.3 → "a problem"; none in October
Response rate, November: people once per kind: NPS Acme, Globex, Initech, Globex's second
    contact (two sends, no answer); CSAT Acme; CES Acme → 5 of 6 answered = 83%, "healthy"
Themes: November pricing 3, slow support 1; October pricing 1, slow support 2
Follow-ups, November: UANN 2 cases (one in 10h, one in 60h), UBEN 1 (5h) → 2 of 3 = 67%
Shipped: SSO on 12 Nov, asked by Acme ($100,000) and Globex ($20,000) → 2 accounts, $120,000
Churned: Globex on 20 Nov; its last NPS is a 3 (no CSAT, no CES)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from storage.db import Database
from storage.models import (
    Account,
    Contact,
    FeatureRequest,
    FollowUpCase,
    Insight,
    Invitation,
    MilestoneAsk,
    Response,
    ThemeTag,
)

NOV = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
OCT = datetime(2026, 10, 10, 12, 0, tzinfo=UTC)
FIRST_WORKING_DAY = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday
SCORES = {"promoter": 10, "passive": 7, "detractor": 3}
ACCOUNTS = {
    "Acme": ("enterprise", "UANN", 100000.0),
    "Initech": ("enterprise", "UANN", 50000.0),
    "Globex": ("smb", "UBEN", 20000.0),
}


async def seed_leadership(db: Database) -> None:
    async with db.transaction() as session:
        accounts, contacts = {}, {}
        for name, (segment, csm, arr) in ACCOUNTS.items():
            account = Account(name=name, name_key=name.lower(), segment=segment,
                              csm_user_id=csm, arr=arr)  # fmt: skip
            session.add(account)
            await session.flush()
            contact = Contact(email=f"a@{name.lower()}.test", account_id=account.id)
            session.add(contact)
            await session.flush()
            accounts[name], contacts[name] = account, contact
        quiet = Contact(email="b@globex.test", account_id=accounts["Globex"].id)
        session.add(quiet)
        await session.flush()
        minute = [0]

        async def answer(name: str, kind: str, score: int, category: str, at: datetime):
            minute[0] += 1
            moment = at + timedelta(minutes=minute[0])
            contact = contacts[name]
            invitation = Invitation(contact_id=contact.id, kind=kind, trigger="relationship",
                                    status="answered", due_at=moment, sent_at=moment,
                                    answered_at=moment, created_at=moment)  # fmt: skip
            session.add(invitation)
            await session.flush()
            response = Response(invitation_id=invitation.id, contact_id=contact.id,
                                account_id=contact.account_id, kind=kind, score=score,
                                category=category, answered_at=moment)  # fmt: skip
            session.add(response)
            await session.flush()
            return response

        async def nps(name: str, counts: tuple[int, int, int], at: datetime) -> list[Response]:
            made = []
            for category, count in zip(SCORES, counts, strict=True):
                for _ in range(count):
                    made.append(await answer(name, "nps", SCORES[category], category, at))
            return made

        acme = await nps("Acme", (4, 1, 1), NOV)
        await nps("Initech", (3, 0, 0), NOV)
        globex = await nps("Globex", (0, 1, 4), NOV)
        await nps("Acme", (2, 2, 2), OCT)
        await nps("Globex", (3, 1, 1), OCT)
        for score in (5, 4, 2, 5):
            await answer("Acme", "csat", score, "satisfied" if score >= 4 else "dissatisfied", NOV)
        for score in (5, 1):
            await answer("Acme", "csat", score, "satisfied" if score >= 4 else "dissatisfied", OCT)
        for score in (7, 6, 3):
            await answer("Acme", "ces", score, "easy" if score >= 5 else "difficult", NOV)
        for day in (3, 5):
            at = NOV + timedelta(days=day)
            session.add(
                Invitation(contact_id=quiet.id, kind="nps", trigger="relationship",
                           status="sent", due_at=at, sent_at=at, created_at=at)
            )  # fmt: skip
        # follow-ups: UANN's two (10h, 60h), UBEN's one (5h)
        for response, hours in ((acme[-1], 10), (acme[-2], 60), (globex[-1], 5)):
            logged = response.answered_at + timedelta(hours=hours)
            session.add(FollowUpCase(
                response_id=response.id, invitation_id=response.invitation_id,
                contact_id=response.contact_id, account_id=response.account_id, kind="nps",
                score=response.score, review="csm", opened_at=response.answered_at,
                logged_at=logged, first_logged_at=logged, follow_up_seconds=hours * 3600,
            ))  # fmt: skip
        sso = FeatureRequest(name="SSO", name_key="sso", status="shipped",
                             shipped_at=datetime(2026, 11, 12, 15, 0, tzinfo=UTC))  # fmt: skip
        session.add(sso)
        await session.flush()
        themes = [
            (NOV, "Acme", ["pricing"], sso.id),
            (NOV, "Globex", ["pricing", "slow support"], sso.id),
            (NOV, "Initech", ["pricing"], None), (OCT, "Acme", ["pricing", "slow support"], None),
            (OCT, "Globex", ["slow support"], None),
        ]  # fmt: skip
        for at, name, tags, request in themes:
            insight = Insight(
                account_id=accounts[name].id, source="slack", type="other", text="feedback",
                feature_request_id=request, created_at=at,
            )  # fmt: skip
            session.add(insight)
            await session.flush()
            for tag in tags:
                session.add(ThemeTag(insight_id=insight.id, theme=tag, created_at=at))
        session.add(MilestoneAsk(contact_id=contacts["Globex"].id, milestone="churned", day=0,
                                 anchor=date(2026, 11, 20), key="churned:2026-11-20", kind="exit",
                                 due_at=NOV + timedelta(days=10), created_at=NOV))  # fmt: skip
