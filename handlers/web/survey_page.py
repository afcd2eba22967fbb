"""The survey page for email respondents: `GET /s/{token}` shows, `POST` answers.

Served by `serve` next to `/slack/events`. A GET never records anything (mail scanners
open every link); the form is a plain HTML form (no JavaScript) with a CSRF token that
must match a cookie set by the GET. One-click unsubscribe (RFC 8058) is a POST to
`/s/{token}/unsubscribe`, which needs no cookie: mail clients send it on their own.
Every response carries a strict Content-Security-Policy, `Referrer-Policy: no-referrer`
and `X-Frame-Options: DENY`; requests are limited per token and per address.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from blocks.catalog import language, t
from bot.core.runtime import Runtime
from bot.domain.outcomes import TapOutcome
from bot.domain.scales import scale_for
from bot.services import survey_page
from bot.services.survey_page import COMMENT_MAX, PageState, SurveyPage
from handlers.context import WEB_RUNTIME

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
CSRF_COOKIE = "voc_csrf"
PER_TOKEN = 30  # requests a minute for one link
PER_ADDRESS = 300  # requests a minute from one address (a whole office may share one)
WINDOW = 60.0
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

_env = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False
)


class RateLimit:
    """A sliding one-minute window of request times per key."""

    def __init__(self, limit: int, clock: Any = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self.seen: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        now = self.clock()
        times = self.seen[key]
        while times and now - times[0] > WINDOW:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        if len(self.seen) > 10_000:  # forget idle keys so memory stays bounded
            for idle in [k for k, v in self.seen.items() if not v or now - v[-1] > WINDOW]:
                del self.seen[idle]
        return True


LIMITS = web.AppKey("survey_page_limits", dict)


def register(web_app: web.Application) -> None:
    """Add the survey page's routes to the aiohttp app built in bot/app.py."""
    web_app[LIMITS] = {"token": RateLimit(PER_TOKEN), "address": RateLimit(PER_ADDRESS)}
    web_app.router.add_get("/s/page.css", stylesheet)
    web_app.router.add_get("/s/{token}", show)
    web_app.router.add_post("/s/{token}", submit)
    web_app.router.add_post("/s/{token}/advocacy", advocacy)
    web_app.router.add_get("/s/{token}/unsubscribe", unsubscribe_page)
    web_app.router.add_post("/s/{token}/unsubscribe", unsubscribe)


async def stylesheet(request: web.Request) -> web.Response:
    css = (TEMPLATES / "page.css").read_text(encoding="utf-8")
    return web.Response(text=css, content_type="text/css", headers=HEADERS)


async def show(request: web.Request) -> web.Response:
    """The question with the link's score chosen; records nothing."""
    if (limited := _limited(request)) is not None:
        return limited
    rt = request.app[WEB_RUNTIME]
    page = await survey_page.open_link(rt, _token(request), rt.now())
    chosen = _int(request.query.get("score"))
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    chosen = chosen if chosen in page.scores else None
    response = _render(page, chosen=chosen, csrf=csrf, token=_token(request))
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        httponly=True,
        samesite="Lax",
        secure=(rt.settings.public_url or "").startswith("https://"),
        path="/s/",
    )
    return response


async def submit(request: web.Request) -> web.Response:
    """Record the answer once; a second submit shows the score already recorded."""
    if (limited := _limited(request)) is not None:
        return limited
    rt: Runtime = request.app[WEB_RUNTIME]
    token = _token(request)
    form = await request.post()
    page = await survey_page.open_link(rt, token, rt.now())
    if page.state is PageState.OPEN:
        problem = _problem(request, form, page)
        if problem is not None:
            return _render(page, status=400, error=problem, csrf=str(form.get("csrf") or ""))
    score = _int(str(form.get("score") or ""))
    comment = str(form.get("comment") or "")
    outcome, shown = await survey_page.answer(
        rt, token, score=score if score is not None else -1, comment=comment, now=rt.now()
    )
    csrf = str(form.get("csrf") or "")
    return _render(shown, csrf=csrf, fresh=outcome is TapOutcome.RECORDED, token=token)


async def advocacy(request: web.Request) -> web.Response:
    """A promoter's yes from the thank-you page (same CSRF rule as the answer)."""
    if (limited := _limited(request)) is not None:
        return limited
    rt: Runtime = request.app[WEB_RUNTIME]
    form = await request.post()
    if not _csrf_ok(request, form):
        page = await survey_page.open_link(rt, _token(request), rt.now())
        return _render(page, status=400, error=t(page.locale, "page.fix.form"))
    page = await survey_page.say_yes(
        rt, _token(request), offer=str(form.get("offer") or ""), now=rt.now()
    )
    csrf = str(form.get("csrf") or "")
    return _render(page, csrf=csrf, notice="page.advocacy.done", token=_token(request))


async def unsubscribe_page(request: web.Request) -> web.Response:
    """Asks to confirm: a scanner's GET must not opt anyone out."""
    if (limited := _limited(request)) is not None:
        return limited
    rt: Runtime = request.app[WEB_RUNTIME]
    page = await survey_page.open_link(rt, _token(request), rt.now())
    if page.state is PageState.UNKNOWN:
        return _render(page, status=404)
    return _html("unsubscribe.html", page.locale, {"done": False})


async def unsubscribe(request: web.Request) -> web.Response:
    """One-click unsubscribe (RFC 8058) or the confirmation button: the contact opts out."""
    if (limited := _limited(request)) is not None:
        return limited
    rt: Runtime = request.app[WEB_RUNTIME]
    page = await survey_page.open_link(rt, _token(request), rt.now())
    if not await survey_page.unsubscribe(rt, _token(request), rt.now()):
        return _render(page, status=404)
    log.info("contact unsubscribed by email link", extra={"invitation_id": page.invitation_id})
    return _html("unsubscribe.html", page.locale, {"done": True})


def _problem(request: web.Request, form: Any, page: SurveyPage) -> str | None:
    """What is wrong with a submitted form, said so the person can fix it; None when fine."""
    if not _csrf_ok(request, form):
        return t(page.locale, "page.fix.form")
    score = _int(str(form.get("score") or ""))
    if score is None or score not in page.scores:
        scale = scale_for(page.kind)
        return t(page.locale, "page.fix.score", low=scale.low, high=scale.high)
    if len(str(form.get("comment") or "")) > COMMENT_MAX:
        return t(page.locale, "page.fix.comment", limit=COMMENT_MAX)
    return None


def _csrf_ok(request: web.Request, form: Any) -> bool:
    sent, cookie = str(form.get("csrf") or ""), request.cookies.get(CSRF_COOKIE) or ""
    return bool(sent) and hmac.compare_digest(sent.encode(), cookie.encode())


def _limited(request: web.Request) -> web.Response | None:
    limits = request.app[LIMITS]
    address = _address(request)
    if limits["address"].allow(address) and limits["token"].allow(_token(request)):
        return None
    return _html("message.html", None, {"message": t(None, "page.busy")}, status=429)


def _render(
    page: SurveyPage,
    *,
    chosen: int | None = None,
    csrf: str = "",
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    fresh: bool = False,
    token: str = "",
) -> web.Response:
    """The page for the link's state; `fresh` when this very request recorded the answer."""
    locale = page.locale
    if page.state is PageState.UNKNOWN:
        return _html("message.html", None, {"message": t(None, "page.unknown")}, status=404)
    if page.state is PageState.CLOSED:
        return _html("message.html", locale, {"message": t(locale, "page.closed")}, status=410)
    context = {"page": page, "chosen": chosen, "csrf": csrf, "error": error, "token": token}
    if page.state is PageState.ANSWERED:
        context["notice"] = t(locale, notice) if notice else None
        context["fresh"] = fresh or notice is not None
        return _html("thanks.html", locale, context, status=status)
    return _html("survey.html", locale, context, status=status)


def _html(
    template: str, locale: str | None, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    def say(key: str, **values: object) -> str:
        return t(locale, key, **values)

    body = _env.get_template(template).render(lang=language(locale), t=say, **context)
    return web.Response(text=body, status=status, content_type="text/html", headers=HEADERS)


def _address(request: web.Request) -> str:
    """The client's address: behind a platform's proxy, the hop it appended last."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    return forwarded.split(",")[-1].strip() or request.remote or "?"


def _token(request: web.Request) -> str:
    return request.match_info.get("token", "")[:100]


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None and text.strip().lstrip("-").isdigit() else None
    except ValueError:
        return None
