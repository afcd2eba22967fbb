"""What people type after `/voc`: the subcommand, and the one-line form of an insight.

The one-line form is `ACCOUNT: WHAT THEY SAID #tags`; a contact's email in place of the
account names who said it (and so who hears when a requested feature ships). Tags are
words starting with `#` anywhere after the colon, each separated by spaces:

- the type: `#feature` (or `#request`, `#fr`), `#bug`, `#pricing`, `#competitor`,
  `#praise`, `#docs`, `#service`, `#other`; without one the type is "other";
- the source: `#call` (the default), `#qbr`, `#ticket`, `#sales`, `#interview`,
  `#email`, `#social`;
- the sentiment: `#positive`, `#neutral`, `#negative` (default: from the type);
- a name: `#feature:SSO`, `#feature:"Single sign-on"`, `#competitor:Zendesk`. A feature
  request without a name is named by its text; a competitor mention needs the name.

Recognised tags are taken out of the text; everything else is stored exactly as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TypeVar

from bot.domain.errors import UserError
from bot.domain.names import ACCOUNT_NAME_MAX
from bot.domain.vocabulary import InsightSource, InsightType, Sentiment

T = TypeVar("T")
D = TypeVar("D")

USAGE = "/voc Acme: they want SSO #feature"
VERBS: tuple[str, ...]
VERBS = ("help", "account", "themes", "requests", "nps", "send", "ship", "plan", "autopilot")
VERBS += ("wording", "campaigns")  # admins: bot/services/wording.py, bot/services/campaigns.py
VERBS += ("request", "theme")  # staff: triage (bot/services/triage.py), `request push ID` (Jira)
VERBS += ("survey",)  # staff: question sets (bot/services/question_sets.py)
_BARE_VERBS = ("help", "requests", "survey")  # they take nothing, so "Help Scout: …" is a one-liner
NAME_MAX = 200  # feature request and competitor names (the columns' size)
TEXT_MAX = 12_000  # a sanity cap on stored text; Slack caps a command's text lower
MODAL_TEXT_MAX = 3000  # the most a plain_text_input takes

TYPE_TAGS: dict[str, InsightType] = {
    "feature": InsightType.FEATURE_REQUEST,
    "request": InsightType.FEATURE_REQUEST,
    "fr": InsightType.FEATURE_REQUEST,
    "bug": InsightType.BUG,
    "pricing": InsightType.PRICING,
    "price": InsightType.PRICING,
    "competitor": InsightType.COMPETITOR,
    "praise": InsightType.PRAISE,
    "kudos": InsightType.PRAISE,
    "docs": InsightType.DOCS_GAP,
    "doc": InsightType.DOCS_GAP,
    "service": InsightType.SERVICE_ISSUE,
    "other": InsightType.OTHER,
}
SOURCE_TAGS: dict[str, InsightSource] = {
    "call": InsightSource.CALL,
    "qbr": InsightSource.QBR,
    "ticket": InsightSource.SUPPORT_TICKET,
    "sales": InsightSource.SALES,
    "interview": InsightSource.INTERVIEW,
    "email": InsightSource.EMAIL,
    "social": InsightSource.SOCIAL,
}
SENTIMENT_TAGS: dict[str, Sentiment] = {
    "positive": Sentiment.POSITIVE,
    "neutral": Sentiment.NEUTRAL,
    "negative": Sentiment.NEGATIVE,
}
NAMED_TYPES = (InsightType.FEATURE_REQUEST, InsightType.COMPETITOR)
DEFAULT_SENTIMENT: dict[str, Sentiment] = {
    InsightType.PRAISE: Sentiment.POSITIVE,
    InsightType.FEATURE_REQUEST: Sentiment.NEUTRAL,
    InsightType.OTHER: Sentiment.NEUTRAL,
}
_TAG = re.compile(r'(?:^|\s+)#([A-Za-z][\w-]*)(?::(?:"([^"\n]*)"|([^\s"]+)))?(?=\s|$)')
_PERIOD = re.compile(r"^(\d{1,3})\s*d(?:ays?)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Draft:
    """An insight as typed, before its account is found and it is stored."""

    account: str
    text: str
    type: InsightType = InsightType.OTHER
    source: InsightSource = InsightSource.CALL
    sentiment: Sentiment | None = None
    feature: str | None = None
    competitor: str | None = None

    @property
    def mood(self) -> Sentiment:
        """The sentiment given, else the one the type implies."""
        return self.sentiment or DEFAULT_SENTIMENT.get(self.type, Sentiment.NEGATIVE)


def split_command(text: str) -> tuple[str, str]:
    """(`verb`, the rest) for a read or admin command; ("", text) for anything else.

    A verb wins over an account of the same first word ("account Acme" is the timeline);
    log for such an account with the modal, or type its name in another form.
    """
    stripped = text.strip()
    first, _, rest = stripped.partition(" ")
    verb = first.lower()
    if verb in _BARE_VERBS and ":" in rest:  # "Help Scout: …" names an account
        return "", stripped
    if verb in ("request", "theme") and rest.split(" ", 1)[0].endswith(":"):  # "Theme Co: …"
        return "", stripped
    if verb in VERBS:
        return verb, rest.strip()
    return "", stripped


def parse_line(text: str) -> Draft:
    """Parse `ACCOUNT: WHAT THEY SAID #tags` (see the module docstring)."""
    account, colon, body = text.partition(":")
    account = account.strip()
    if not colon or not account or "\n" in account or len(account) > ACCOUNT_NAME_MAX:
        raise UserError(
            f"Start with the account and a colon, e.g. `{USAGE}`. "
            "Type `/voc help` for every form, or `/voc` alone for a form to fill in."
        )
    tags = _Tags()
    names: dict[InsightType, str] = {}
    for match in _TAG.finditer(body):
        _read_tag(match, tags, names)
    said = _TAG.sub("", body).strip()
    draft = Draft(
        account=account,
        text=said,
        type=_one(tags.types, "type", InsightType.OTHER),
        source=_one(tags.sources, "source", InsightSource.CALL),
        sentiment=_one(tags.sentiments, "sentiment", None),
    )
    feature = names.get(InsightType.FEATURE_REQUEST)
    competitor = names.get(InsightType.COMPETITOR)
    problems = draft_errors(draft.type, said, feature, competitor)
    if problems:
        raise UserError(" ".join(problems.values()) + f" For example: `{USAGE}`.")
    return replace(draft, feature=feature, competitor=competitor)


def draft_errors(
    insight_type: str, text: str, feature: str | None, competitor: str | None
) -> dict[str, str]:
    """What is wrong with an insight, by field (`text`, `feature`, `competitor`)."""
    errors: dict[str, str] = {}
    if not text.strip():
        errors["text"] = "Write what the customer said."
    elif len(text) > TEXT_MAX:
        errors["text"] = f"Keep it under {TEXT_MAX:,} characters ({len(text):,} now)."
    if feature is not None and not 0 < len(feature.strip()) <= NAME_MAX:
        errors["feature"] = f"Name the feature in 1 to {NAME_MAX} characters."
    if insight_type == InsightType.COMPETITOR and not (competitor or "").strip():
        errors["competitor"] = 'Name the competitor, e.g. #competitor:Zendesk or "Help Scout".'
    elif competitor is not None and len(competitor.strip()) > NAME_MAX:
        errors["competitor"] = f"Name the competitor in at most {NAME_MAX} characters."
    return errors


def parse_period(text: str) -> int:
    """`30d`, `90d` (the default when empty) … up to `365d`: a number of days."""
    if not text.strip():
        return 90
    match = _PERIOD.match(text.strip())
    if not match or not 1 <= int(match.group(1)) <= 365:
        raise UserError(f'"{text.strip()[:50]}" is not a period: use 30d or 90d (up to 365d).')
    return int(match.group(1))


@dataclass
class _Tags:
    """The kinds the message's tags name; more than one of a kind is an error."""

    types: set[InsightType] = field(default_factory=set)
    sources: set[InsightSource] = field(default_factory=set)
    sentiments: set[Sentiment] = field(default_factory=set)


def _read_tag(match: re.Match[str], tags: _Tags, names: dict[InsightType, str]) -> None:
    word = match.group(1).lower()
    value = match.group(2) if match.group(2) is not None else match.group(3)
    if word in TYPE_TAGS:
        kind = TYPE_TAGS[word]
        tags.types.add(kind)
        if value is not None and kind in NAMED_TYPES:
            names[kind] = value.strip()
            return
    elif word in SOURCE_TAGS:
        tags.sources.add(SOURCE_TAGS[word])
    elif word in SENTIMENT_TAGS:
        tags.sentiments.add(SENTIMENT_TAGS[word])
    else:
        raise UserError(
            f"I don't know the tag #{word[:40]}. Types: "
            + " ".join(f"#{t}" for t in TYPE_TAGS)
            + ". Sources: "
            + " ".join(f"#{s}" for s in SOURCE_TAGS)
            + ". Sentiment: #positive #neutral #negative."
        )
    if value is not None:
        raise UserError(f"#{word} takes no name; only #feature:NAME and #competitor:NAME do.")


def _one(found: set[T], what: str, default: D) -> T | D:
    if len(found) > 1:
        shown = ", ".join(sorted(str(v) for v in found))
        raise UserError(f"Pick one {what}: the message has {shown}.")
    return next(iter(found)) if found else default
