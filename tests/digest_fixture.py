"""A small hand-computed data set for the digest, written straight to the database.

As of Monday 2026-11-23 09:00 UTC (the default schedule's moment):

last week [16 Nov 09:00, 23 Nov 09:00): 10 promoters, 4 passives, 6 detractors → NPS +20
    Acme 6/2/1, Globex 0/1/4, Initech 2/1/1, Hooli 2/0/0; CSAT 5, 4, 2, 5; CES 7, 3
    → 26 responses; 74 more NPS sends to Acme nobody answered; the response rate counts
    people once per survey kind: 7 (4 NPS, 2 CSAT, 1 CES), all 7 answered
the week before: Acme 3/1/1 → NPS +40, and a CSAT 2 (90 days: CSAT 18/5 = 3.6, CES 5.0)
    → 90 days: 34 responses; 8 people answered (Initech's CSAT of the week before too)
30 Sep: Initech 0/0/2 → 90 days: 13/5/9 = 27 answers → NPS +14.8 (shown +15)
the 90 days before that (1 Jun): Acme 4/0/1 → NPS +60
by account over 90 days: Acme 9/3/2 → +50 (14), Globex 0/1/4 → −80 (5),
    Initech 2/1/3 → −17 (6), Hooli 2/0/0 → too small (2)
plan Scale (Acme + Initech) 11/4/5 → +30 (20); CSM UCSM1 the same
follow-ups: 4 cases in 90 days, 1 logged within 48h → 25%; 2 open, 1 of them overdue
themes of 4 insights: slow support 2 (50%), pricing 2 (50%), praise 1 (25%);
    of the 2 detractor comments: slow support 2 (100%), pricing 1 (50%)
requests: SSO asked by Acme ($100,000) and Globex ($20,000) → $120,000; Dark mode $50,000
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from storage.db import Database
from storage.models import (
    Account,
    Contact,
    FeatureRequest,
    FollowUpCase,
    Insight,
    Invitation,
    Response,
    ThemeTag,
)

AS_OF = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LAST_WEEK = AS_OF - timedelta(days=3)
WEEK_BEFORE = AS_OF - timedelta(days=10)
SEPT = datetime(2026, 9, 30, 12, 0, tzinfo=UTC)
JUNE = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

ACCOUNTS = {
    "Acme": dict(segment="enterprise", plan="Scale", csm_user_id="UCSM1", arr=100000,
                 customer_since=date(2020, 1, 1), health="green"),
    "Globex": dict(segment="smb", plan="Starter", csm_user_id="UCSM2", arr=20000,
                   customer_since=date(2026, 8, 1), health="red"),
    "Initech": dict(segment="mid-market", plan="Scale", csm_user_id="UCSM1", arr=50000,
                    customer_since=date(2025, 6, 1), health="yellow"),
    "Hooli": dict(),
}  # fmt: skip

NPS_SCORE = {"promoter": 10, "passive": 7, "detractor": 3}


@dataclass
class _Writer:
    session: object
    contacts: dict[str, Contact]
    accounts: dict[str, Account]
    responses: list[Response]

    async def answer(
        self, account: str, kind: str, score: int, category: str, at: datetime, comment=None
    ) -> Response:
        contact = self.contacts[account]
        invitation = Invitation(
            contact_id=contact.id, kind=kind, trigger="relationship", status="answered",
            due_at=at, sent_at=at, answered_at=at, created_at=at,
        )  # fmt: skip
        self.session.add(invitation)
        await self.session.flush()
        response = Response(
            invitation_id=invitation.id, contact_id=contact.id, account_id=contact.account_id,
            kind=kind, score=score, category=category, comment=comment, answered_at=at,
        )  # fmt: skip
        self.session.add(response)
        await self.session.flush()
        self.responses.append(response)
        return response

    async def nps(self, account: str, counts: tuple[int, int, int], at: datetime) -> None:
        for category, count in zip(("promoter", "passive", "detractor"), counts, strict=True):
            for i in range(count):
                moment = at + timedelta(minutes=i)
                await self.answer(account, "nps", NPS_SCORE[category], category, moment)


async def seed_digest(db: Database) -> dict[str, int]:
    """Write the data set above; returns the ids of the detractor responses with comments."""
    async with db.transaction() as session:
        accounts, contacts = {}, {}
        for name, fields in ACCOUNTS.items():
            account = Account(name=name, name_key=name.lower(), **fields)
            session.add(account)
            await session.flush()
            contact = Contact(email=f"someone@{name.lower()}.test", account_id=account.id)
            session.add(contact)
            await session.flush()
            accounts[name], contacts[name] = account, contact
        w = _Writer(session, contacts, accounts, [])
        await w.nps("Acme", (6, 2, 1), LAST_WEEK)
        await w.nps("Globex", (0, 1, 4), LAST_WEEK + timedelta(hours=1))
        await w.nps("Initech", (1, 0, 0), LAST_WEEK + timedelta(hours=2))
        await w.nps("Hooli", (2, 0, 0), LAST_WEEK + timedelta(hours=3))
        for score in (5, 4, 2):
            category = "satisfied" if score >= 4 else "dissatisfied"
            await w.answer("Acme", "csat", score, category, LAST_WEEK + timedelta(hours=4))
        await w.answer("Acme", "ces", 7, "easy", LAST_WEEK + timedelta(hours=5))
        await w.answer("Acme", "ces", 3, "difficult", LAST_WEEK + timedelta(hours=5))
        await w.nps("Acme", (3, 1, 1), WEEK_BEFORE)
        await w.nps("Initech", (0, 0, 2), SEPT)
        await w.nps("Acme", (4, 0, 1), JUNE)
        # edges: exactly at the start of last week counts; exactly at AS_OF does not
        await w.answer("Globex", "csat", 5, "satisfied", AS_OF - timedelta(days=7))
        await w.answer("Acme", "nps", 10, "promoter", AS_OF)
        await w.answer("Acme", "nps", 0, "detractor", datetime(2025, 1, 1, tzinfo=UTC))
        # Initech's other three NPS answers last week carry comments (shown newest first,
        # escaped); the CSAT comment of the week before is not last week's
        comments = {
            "old": ("csat", 2, "dissatisfied", WEEK_BEFORE, "too old to show"),
            "mid": ("nps", 2, "detractor", LAST_WEEK + timedelta(hours=6),
                    "Support took <b>days</b> & days"),
            "new": ("nps", 7, "passive", LAST_WEEK + timedelta(hours=7),
                    "<!channel> pricing is too high"),
            "newest": ("nps", 9, "promoter", LAST_WEEK + timedelta(hours=8),
                       "Love the new dashboards"),
        }  # fmt: skip
        ids = {}
        for key, (kind, score, category, at, text) in comments.items():
            response = await w.answer("Initech", kind, score, category, at, comment=text)
            ids[key] = response.id
        globex_detractor = next(
            r for r in w.responses if r.account_id == accounts["Globex"].id and r.score == 3
        )
        ids["globex"] = globex_detractor.id
        await _unanswered(session, contacts["Acme"], 74)
        await _cases(session, w)
        await _insights(session, accounts, ids)
    return ids


async def _unanswered(session, contact: Contact, count: int) -> None:
    for i in range(count):
        at = LAST_WEEK + timedelta(minutes=i)
        session.add(
            Invitation(contact_id=contact.id, kind="nps", trigger="relationship",
                       status="sent", due_at=at, sent_at=at, created_at=at)
        )  # fmt: skip
    await session.flush()


async def _cases(session, w: _Writer) -> None:
    """4 cases opened in the 90 days: one logged in 10h, one in 60h, two never."""
    detractors = [r for r in w.responses if r.category == "detractor" and r.kind == "nps"]
    plans = [
        (AS_OF - timedelta(days=20), timedelta(hours=10)),
        (AS_OF - timedelta(days=15), timedelta(hours=60)),
        (AS_OF - timedelta(days=3), None),
        (AS_OF - timedelta(days=1), None),
    ]
    for response, (opened, logged_after) in zip(detractors, plans, strict=False):
        logged = None if logged_after is None else opened + logged_after
        session.add(
            FollowUpCase(
                response_id=response.id, invitation_id=response.invitation_id,
                contact_id=response.contact_id, account_id=response.account_id, kind="nps",
                score=response.score, review="csm", opened_at=opened, claimed_by="UCSM1",
                logged_at=logged, first_logged_at=logged,
                follow_up_seconds=None if logged_after is None
                else int(logged_after.total_seconds()),
            )
        )  # fmt: skip
    await session.flush()


async def _insights(session, accounts: dict[str, Account], ids: dict[str, int]) -> None:
    sso = FeatureRequest(name="SSO", name_key="sso")
    dark = FeatureRequest(name="Dark mode", name_key="dark mode")
    session.add_all([sso, dark])
    await session.flush()
    at = AS_OF - timedelta(days=5)
    rows = [
        ("Initech", ids["mid"], ["slow support"], None),
        ("Globex", ids["globex"], ["slow support", "pricing"], None),
        ("Acme", None, ["praise"], sso.id),
        ("Globex", None, ["pricing"], sso.id),
        ("Initech", None, [], dark.id),  # untagged, and older than 90 days
    ]
    for index, (account, response_id, themes, request_id) in enumerate(rows):
        created = at if index < 4 else AS_OF - timedelta(days=120)
        insight = Insight(
            account_id=accounts[account].id, response_id=response_id, source="survey",
            type="other", text="feedback", feature_request_id=request_id, created_at=created,
        )  # fmt: skip
        session.add(insight)
        await session.flush()
        for theme in themes:
            session.add(ThemeTag(insight_id=insight.id, theme=theme, created_at=created))
    await session.flush()
