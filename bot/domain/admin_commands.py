"""The admin verbs' one grammar: `send`, `autopilot`, `wording`, `campaigns`.

Two front ends feed it the same words: the command line (`python -m bot VERB …`, each
shell word one `Words` token) and `/voc VERB …` in Slack (the text split on spaces, with
Slack's entities and curly quotes undone). `parse` turns the words into a typed request;
the services take the request and never see text. Both forms are accepted everywhere:

- `send nps|csat|ces [SEGMENT] [--segment S] [--account A] [--email E] [--now]
  [--sample 30%|200] [--seed N]`
- `autopilot [list]`, `autopilot nps|csat [90d] [SEGMENT] [--every 90d] [--segment S]`
  `[--quarterly [--week N]] [--sample 30%|200]`,
  `autopilot pause|resume|stop ID`
- `wording [show]`, `wording set KIND [--lang L] TEXT`, `wording reset KIND [--lang L]`
- `campaigns [list]`, `campaigns cancel ID`, `campaigns reschedule ID [--at] WHEN|now`
- `/voc` only: `ship FEATURE [LINK]`, `plan FEATURE` (`parse_ship`, `parse_plan`)

A mistake is a UserError saying what to type, with the front end's prefix (`/voc ` or none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain import cadence, quarterly, question_text, sampling, triage
from bot.domain.campaigns import CampaignId, parse_at, parse_id
from bot.domain.errors import UserError
from bot.domain.names import segment_named
from bot.domain.user_errors import NotALink, RequestPushUsage
from bot.domain.vocabulary import RequestStatus, Segment, SurveyKind, Theme

ADMIN_VERBS = ("send", "autopilot", "wording", "campaigns")
AUTOPILOT_KINDS = (SurveyKind.NPS, SurveyKind.CSAT)
AUTOPILOT_ACTIONS = ("pause", "resume", "stop")
WORDING_USAGE = (
    '`wording set nps --lang en "How likely are you to recommend {product}, {first_name}?"`, '
    "`wording show`, `wording reset nps --lang en`"
)
LINK = re.compile(r"https?://[^\s<>|]{3,490}")  # `ship`'s "how to use it" address
_SLACK_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"), ("“", '"'), ("”", '"'))


@dataclass(frozen=True)
class Words:
    """What followed the verb: each word with where it starts in `raw`, and the front end's
    prefix for the usage hints (`/voc ` in Slack)."""

    raw: str
    tokens: tuple[tuple[str, int], ...]
    prefix: str = ""

    @classmethod
    def from_argv(cls, argv: list[str]) -> Words:
        """The command line's words, as the shell split them."""
        tokens, start = [], 0
        for word in argv:
            tokens.append((word, start))
            start += len(word) + 1
        return cls(" ".join(argv), tuple(tokens))

    @classmethod
    def from_slack(cls, text: str) -> Words:
        """A slash command's text as typed: Slack sends `&`, `<`, `>` as entities and
        often turns quotes curly."""
        for entity, char in _SLACK_ENTITIES:
            text = text.replace(entity, char)
        found = tuple((m.group(), m.start()) for m in re.finditer(r"\S+", text))
        return cls(text, found, prefix="/voc ")

    @property
    def words(self) -> list[str]:
        return [word for word, _start in self.tokens]

    def rest(self, index: int, end: int | None = None) -> str:
        """The text as typed from word `index` up to word `end` (exclusive)."""
        if index >= len(self.tokens):
            return ""
        stop = len(self.raw) if end is None or end >= len(self.tokens) else self.tokens[end][1]
        return self.raw[self.tokens[index][1] : stop].strip()


# the requests


@dataclass(frozen=True)
class SendRequest:
    kind: SurveyKind
    segment: Segment | None = None
    account: str | None = None
    email: str | None = None
    now: bool = False
    sample: sampling.Sample | None = None  # a random share of the audience (sampling.py)
    seed: int | None = None  # the draw's seed, to repeat a sample

    def detail(self) -> str:
        """How the audit log names it: `nps segment=smb account=Acme one contact`."""
        named = (("segment", self.segment), ("account", self.account), ("sample", self.sample))
        chosen = " ".join(f"{name}={value}" for name, value in named if value)
        return f"{self.kind.value} {chosen}{' one contact' if self.email else ''}".strip()


@dataclass(frozen=True)
class AutopilotOn:
    kind: SurveyKind
    every_days: int = cadence.DEFAULT_EVERY_DAYS
    segment: Segment | None = None
    sample: sampling.Sample | None = None  # a random share of each period's contacts
    quarter_week: int | None = None  # `--quarterly [--week N]`: that week of every quarter


@dataclass(frozen=True)
class AutopilotList:
    pass


@dataclass(frozen=True)
class AutopilotChange:
    autopilot_id: int
    action: str  # pause, resume or stop


@dataclass(frozen=True)
class WordingShow:
    pass


@dataclass(frozen=True)
class WordingSet:
    kind: str
    lang: str
    template: str


@dataclass(frozen=True)
class WordingReset:
    kind: str
    lang: str


@dataclass(frozen=True)
class CampaignList:
    pass


@dataclass(frozen=True)
class CampaignCancel:
    campaign: CampaignId


@dataclass(frozen=True)
class CampaignReschedule:
    campaign: CampaignId
    at: datetime | None  # None: `--at now`, due at once


@dataclass(frozen=True)
class ShipRequest:
    """`/voc ship FEATURE [LINK]`: the request's name as typed and the "how to use it" link."""

    feature: str
    link: str | None = None


@dataclass(frozen=True)
class PlanRequest:
    feature: str


AdminRequest = (
    SendRequest
    | AutopilotOn
    | AutopilotList
    | AutopilotChange
    | WordingShow
    | WordingSet
    | WordingReset
    | CampaignList
    | CampaignCancel
    | CampaignReschedule
)


def parse(verb: str, words: Words) -> AdminRequest:
    """The request `VERB words` asks for; a UserError saying what to type when it is wrong."""
    parser = {
        "send": parse_send,
        "autopilot": parse_autopilot,
        "wording": parse_wording,
        "campaigns": parse_campaigns,
    }[verb]
    return parser(words)


@dataclass
class _Split:
    """Words with their `--name value` options and flags taken out."""

    bare: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)


def _split(words: list[str], options: tuple[str, ...], flags: tuple[str, ...]) -> _Split:
    found = _Split()
    it = iter(words)
    for word in it:
        name, equals, value = word.partition("=")
        if name.startswith("--") and name[2:] in options:
            given = value if equals else next(it, None)
            if given is None:
                raise UserError(f"Give {name} a value, e.g. {name} {_EXAMPLES[name[2:]]}.")
            found.options[name[2:]] = given
        elif word.startswith("--") and word[2:] in flags:
            found.flags.add(word[2:])
        elif word.startswith("--"):
            raise UserError(f"I don't know {word[:40]}.")
        else:
            found.bare.append(word)
    return found


_EXAMPLES = {"segment": "smb", "account": "Acme", "email": "ana@acme.test", "every": "90d"}
_EXAMPLES |= {"sample": "30%", "seed": "4821", "week": "1"}
_EXAMPLES |= {"at": '"2026-12-08 09:30"', "lang": "ms"}


def survey_kind(text: str) -> SurveyKind:
    try:
        return SurveyKind(text.strip().lower())
    except ValueError:
        raise UserError(f'"{text}" is not a survey kind: use nps, csat or ces') from None


def segment(text: str) -> Segment:
    found = segment_named(text)
    if found is None:
        raise UserError(f'"{text}" is not a segment: use enterprise, mid-market or smb')
    return found


def every_days(text: str) -> int:
    """The period in days from "90d", "12w", "3m" or "90", within the allowed range."""
    days = cadence.parse_every(text)
    if days is None:
        raise UserError(f'"{text}" is not a period: write it like 90d, 12w or 3m')
    if not cadence.MIN_EVERY_DAYS <= days <= cadence.MAX_EVERY_DAYS:
        raise UserError(
            f"Every {days} days is out of range: use {cadence.MIN_EVERY_DAYS} to "
            f"{cadence.MAX_EVERY_DAYS} days, e.g. 90d"
        )
    return days


def parse_send(words: Words) -> SendRequest:
    split = _split(words.words, ("segment", "account", "email", "sample", "seed"), ("now",))
    if not split.bare:
        segments = "|".join(s.value for s in Segment)
        raise UserError(f"Say which survey: `{words.prefix}send nps|csat|ces [{segments}]`.")
    kind = survey_kind(split.bare[0])  # a bad kind is refused before anything else
    named = split.options.get("segment") or " ".join(split.bare[1:]) or None
    sample, seed = _sample_options(split)
    return SendRequest(
        kind=kind,
        segment=segment(named) if named else None,
        account=split.options.get("account"),
        email=split.options.get("email"),
        now="now" in split.flags,
        sample=sample,
        seed=seed,
    )


def _sample_options(split: _Split) -> tuple[sampling.Sample | None, int | None]:
    """`--sample 30%|200` and `--seed N` (a seed alone, without a sample, is refused)."""
    sample = split.options.get("sample")
    seed = split.options.get("seed")
    if seed is not None and sample is None:
        raise UserError("--seed repeats a sample: give it with --sample, e.g. --sample 30%")
    return (
        sampling.parse_sample(sample) if sample else None,
        sampling.parse_seed(seed) if seed else None,
    )


def parse_autopilot(words: Words) -> AutopilotRequest:
    p = words.prefix
    split = _split(words.words, ("every", "segment", "sample", "week"), ("quarterly",))
    verb, *rest = split.bare or ["list"]
    verb = verb.lower()
    if verb == "list" and not rest and not split.options:
        return AutopilotList()
    if verb in AUTOPILOT_ACTIONS:
        if len(rest) != 1 or split.options:
            raise UserError(f"Say which autopilot: `{p}autopilot {verb} 1`")
        return AutopilotChange(autopilot_id(rest[0]), verb)
    if verb in {kind.value for kind in SurveyKind}:
        kind = SurveyKind(verb)
        if kind not in AUTOPILOT_KINDS:
            raise UserError(
                "The autopilot runs nps or csat; ces follows events (tickets, renewals)"
            )
        every = split.options.get("every")
        if every is None:
            every = next((word for word in rest if cadence.parse_every(word) is not None), None)
            rest = [word for word in rest if word != every]
        named = split.options.get("segment") or " ".join(rest) or None
        week = _quarter_week(split, every)
        sample = split.options.get("sample")
        return AutopilotOn(
            kind=kind,
            every_days=quarterly.QUARTER_DAYS
            if week
            else every_days(every)
            if every
            else cadence.DEFAULT_EVERY_DAYS,
            segment=segment(named) if named else None,
            sample=sampling.parse_sample(sample) if sample else None,
            quarter_week=week,
        )
    raise UserError(
        f"Try `{p}autopilot nps 90d [segment]`, `{p}autopilot list` or "
        f"`{p}autopilot pause|resume|stop 1`"
    )


AutopilotRequest = AutopilotOn | AutopilotList | AutopilotChange


def _quarter_week(split: _Split, every: str | None) -> int | None:
    """`--quarterly [--week N]`: the week of every quarter (1 by default); None: rolling."""
    week = split.options.get("week")
    if "quarterly" not in split.flags:
        if week is not None:
            raise UserError("--week picks the week of a quarter: add --quarterly")
        return None
    if every is not None:
        raise UserError("Choose one rhythm: --quarterly or --every 90d, not both")
    if week is None:
        return 1
    if not week.isdigit() or not 1 <= int(week) <= quarterly.MAX_WEEK:
        raise UserError(f"--week is a week of the quarter, 1 to {quarterly.MAX_WEEK}")
    return int(week)


def autopilot_id(text: str | int) -> int:
    try:
        return int(str(text).lstrip("#"))
    except ValueError:
        raise UserError(
            f'"{text}" is not an autopilot number; see them with: autopilot list'
        ) from None


def parse_wording(words: Words) -> WordingShow | WordingSet | WordingReset:
    """`[show] | set KIND [--lang L] TEXT | reset KIND [--lang L]`; TEXT is kept as typed
    (quotes around it dropped), and `--lang L` may also end a `set` from the command line."""
    said = words.words
    verb = said[0].lower() if said else "show"
    usage = f"Try {WORDING_USAGE.replace('`wording', f'`{words.prefix}wording')}"
    if verb == "show" and len(said) <= 1:
        return WordingShow()
    if verb not in ("set", "reset") or len(said) < 2:
        raise UserError(usage)
    kind, lang, start, end = wording_kind(said[1]), "en", 2, len(said)
    if start < end and said[start].lower().startswith("--lang"):
        lang, start = _lang(said, start)
    elif verb == "set" and end - start > 2 and said[end - 2].lower() == "--lang":
        lang, end = wording_language(said[end - 1]), end - 2
    if verb == "reset":
        if start != end:
            raise UserError(usage)
        return WordingReset(kind, lang)
    if start >= end:
        raise UserError(usage)
    return WordingSet(kind, lang, _unquote(words.rest(start, end)))


def _lang(said: list[str], at: int) -> tuple[str, int]:
    """The language of `--lang L` or `--lang=L` at `at`, and the index after it."""
    name, equals, value = said[at].partition("=")
    if name.lower() != "--lang":
        raise UserError(f"I don't know {said[at][:40]}. {WORDING_USAGE}")
    if equals:
        return wording_language(value), at + 1
    if at + 1 >= len(said):
        raise UserError(f"Give --lang a value, e.g. --lang ms. {WORDING_USAGE}")
    return wording_language(said[at + 1]), at + 2


def wording_kind(text: str) -> str:
    kind = text.strip().lower()
    if kind not in question_text.KINDS:
        raise UserError(
            f'"{text[:20]}" is not a survey kind: use nps, csat or ces. {WORDING_USAGE}'
        )
    return kind


def wording_language(text: str) -> str:
    lang = text.strip().lower()
    if lang not in question_text.LANGUAGES:
        raise UserError(f'"{text[:20]}" is not a language I have: use en or ms. {WORDING_USAGE}')
    return lang


def _unquote(text: str) -> str:
    """The question without the quotes around it, if it has them."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "\"'":
        return stripped[1:-1]
    return stripped


def parse_campaigns(words: Words) -> CampaignList | CampaignCancel | CampaignReschedule:
    p = words.prefix
    verb, *rest = words.words or ["list"]
    verb = verb.lower()
    if verb == "list" and not rest:
        return CampaignList()
    if verb == "cancel" and len(rest) == 1:
        return CampaignCancel(parse_id(rest[0]))
    if verb == "reschedule" and len(rest) >= 2:
        found = parse_id(rest[0])
        if found.autopilot:
            raise UserError(
                f"An autopilot picks each contact's day itself: `autopilot pause {found.number}` "
                f"holds it back, `campaigns cancel {found}` takes back what is scheduled."
            )
        at = _unquote(" ".join(word for word in rest[1:] if word != "--at"))
        return CampaignReschedule(found, None if at.lower() == "now" else parse_at(at))
    raise UserError(
        f"Try `{p}campaigns`, `{p}campaigns cancel 3` or "
        f"`{p}campaigns reschedule 3 2026-12-08 09:30`"
    )


def parse_ship(text: str) -> ShipRequest:
    """`SSO https://…` → ShipRequest("SSO", "https://…"): a last word that looks like an
    http(s) address is the link (Slack's `<…>` taken off); NotALink when it is none."""
    words = text.strip().split()
    if len(words) > 1 and words[-1].strip("<>").lower().startswith(("http://", "https://")):
        return ShipRequest(" ".join(words[:-1]), ship_link(words[-1]))
    return ShipRequest(text.strip())


def ship_link(typed: str) -> str | None:
    """An http(s) address (with Slack's `<…>` taken off), None when blank; else NotALink."""
    link = typed.strip().strip("<>")
    if not link:
        return None
    if not LINK.fullmatch(link):
        raise NotALink(link)
    return link


def parse_plan(text: str) -> PlanRequest:
    """`/voc plan FEATURE`: the whole text names the request."""
    return PlanRequest(text.strip())


# --- triage: `request ID [STATE [note]] [--tell|--quiet]`, `request ID tell-customers [off]`,
# `theme THEME STATE [note]` (bot/services/triage.py)

REQUEST_USAGE = (
    '`/voc request 12` (details), `/voc request 12 planned "in Q3"`, '
    '`/voc request 12 declined --tell "not for now"`, `/voc request 12 tell-customers`'
)
THEME_USAGE = '`/voc theme slow support known issue "we are hiring"`'


@dataclass(frozen=True)
class RequestShow:
    request_id: int


@dataclass(frozen=True)
class RequestStateChange:
    request_id: int
    state: RequestStatus
    note: str | None = None
    tell: bool | None = None  # None: the state's default (bot/domain/triage.py)


@dataclass(frozen=True)
class RequestTellCustomers:
    """Whether the monthly "you said, we did" reaches the customers who asked."""

    request_id: int
    on: bool = True


@dataclass(frozen=True)
class ThemeStateChange:
    theme: Theme
    state: RequestStatus
    note: str | None = None


TriageRequest = RequestShow | RequestStateChange | RequestTellCustomers


def parse_request(words: Words) -> TriageRequest:
    """`request ID …` read into what staff asked for (see the block's heading)."""
    typed = [w for w in words.words if w.lower() not in ("--tell", "--quiet")]
    flags = {w.lower() for w in words.words} & {"--tell", "--quiet"}
    if not typed or not typed[0].lstrip("#").isdigit():
        shown = typed[0] if typed else ""
        said = f"`{_unquote(shown)[:40]}` is not a request number. " if shown else ""
        raise UserError(
            f"{said}Type the request's number from `{words.prefix}requests`: {REQUEST_USAGE}"
        )
    request_id = int(typed[0].lstrip("#"))
    if len(typed) == 1 and not flags:
        return RequestShow(request_id)
    if len(typed) > 1 and typed[1].lower() in ("tell-customers", "tell_customers"):
        off = len(typed) > 2 and typed[2].lower() in ("off", "no", "stop")
        return RequestTellCustomers(request_id, on=not off)
    named = triage.state_named(typed[1:])
    if named is None:
        shown = " ".join(typed[1:3])[:40]
        raise UserError(f"`{shown}` is not a state. {_states_hint(words.prefix, REQUEST_USAGE)}")
    state, size = named
    if flags == {"--tell", "--quiet"}:
        raise UserError("Say `--tell` or `--quiet`, not both.")
    note = _note(typed[1 + size :])
    return RequestStateChange(request_id, state, note, ("--tell" in flags) if flags else None)


def parse_theme(words: Words) -> ThemeStateChange:
    """`theme THEME STATE [note]`: the theme is the words before the first state."""
    typed = words.words
    for start in range(1, len(typed)):
        named = triage.state_named(typed[start:])
        if named is None:
            continue
        theme_name = " ".join(typed[:start]).lower().strip("\"'")
        theme = next((theme for theme in Theme if theme.value == theme_name), None)
        if theme is None:
            themes = ", ".join(theme.value for theme in Theme)
            raise UserError(f"`{theme_name[:60]}` is not a theme. The themes: {themes}.")
        state, size = named
        return ThemeStateChange(theme, state, _note(typed[start + size :]))
    raise UserError(f"Name the theme, then its state. {_states_hint(words.prefix, THEME_USAGE)}")


def _states_hint(prefix: str, usage: str) -> str:
    states = ", ".join(f"`{state.value}`" for state in triage.STATES)
    return f"The states: {states}. For example {usage.replace('/voc ', prefix)}"


def _note(words: list[str]) -> str | None:
    note = _unquote(" ".join(words)).strip()
    return note[: triage.NOTE_MAX] or None


# -- `/voc request push ID` (Jira) ---------------------------------------------------------


@dataclass(frozen=True)
class RequestPush:
    """`/voc request push ID`: push feature request ID to Jira."""

    request_id: int


def parse_request_push(text: str) -> RequestPush | None:
    """`push 12` (or `push #12`) → RequestPush(12); None when the words are not a push, a
    RequestPushUsage when they are one without a number."""
    words = text.split()
    if not words or words[0].lower() != "push":
        return None
    number = words[1].removeprefix("#") if len(words) == 2 else ""
    if not number.isdigit() or int(number) == 0:
        raise RequestPushUsage()
    return RequestPush(int(number))
