"""The survey page for email respondents: `GET /s/{token}` shows, `POST` answers.

Served by `serve` next to `/slack/events`. A GET never records anything (mail scanners
open every link); the form is a plain HTML form (no JavaScript) with a CSRF token that
must match a cookie set by the GET. One-click unsubscribe (RFC 8058) is a POST to
`/s/{token}/unsubscribe`, which needs no cookie: mail clients send it on their own.
Every response carries a strict Content-Security-Policy, `Referrer-Policy: no-referrer`
and `X-Frame-Options: DENY`; requests are limited per token and per address
(handlers/rate_limit.py: `X-Forwarded-For` counts only from `TRUSTED_PROXIES`). A form
is text fields only, and must arrive within `BODY_TIMEOUT` (handlers/web/bodies.py).
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from blocks.catalog import language, t
from blocks.question_sets import page_fields
from bot.core.runtime import Runtime
from bot.domain.outcomes import TapOutcome
from bot.domain.scales import scale_for
from bot.services import survey_page
from bot.services.survey_page import COMMENT_MAX, PageState, SurveyPage
from handlers.context import WEB_RUNTIME
from handlers.web import bodies, page_brand
from handlers.web.bodies import too_slow
from handlers.web.rate_limit import RateLimit, client_address
from storage.db import outage

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
CSRF_COOKIE = "voc_csrf"
PER_TOKEN = 30  # requests a minute for one link
PER_ADDRESS = 300  # requests a minute from one address (a whole office may share one)
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


LIMITS = web.AppKey("survey_page_limits", dict)


def register(web_app: web.Application) -> None:
    """Add the survey page's routes to the aiohttp app built in bot/app.py."""
    web_app[LIMITS] = {"token": RateLimit(PER_TOKEN), "address": RateLimit(PER_ADDRESS)}
    web_app.router.add_get("/s/page.css", stylesheet)
    web_app.router.add_get("/s/brand.css", page_brand.stylesheet)
    web_app.router.add_get("/s/{token}", show)
    web_app.router.add_post("/s/{token}", submit)
    web_app.router.add_post("/s/{token}/advocacy", advocacy)
    web_app.router.add_get("/s/{token}/unsubscribe", unsubscribe_page)
    web_app.router.add_post("/s/{token}/unsubscribe", unsubscribe)


async def stylesheet(request: web.Request) -> web.Response:
    css = (TEMPLATES / "page.css").read_text(encoding="utf-8")
    return web.Response(text=css, content_type="text/css", headers=HEADERS)


RETRY_AFTER = 60  # seconds, with the "try again in a minute" page
Page = Callable[[web.Request], Awaitable[web.Response]]


def _database_down_page(page: Page) -> Page:
    """While the database cannot answer: a "try again in a minute" page (503, Retry-After,
    the page's security headers), and one log line without the traceback or any value."""

    @functools.wraps(page)
    async def guarded(request: web.Request) -> web.Response:
        page_brand.enter(request)
        try:
            return await page(request)
        except Exception as exc:
            failure = outage(exc)
            if failure is None:
                raise
            log.error("survey page: database unavailable", extra={"error": failure})
            message = {"message": t(None, "page.unavailable")}
            response = _html("message.html", None, message, status=503)
            response.headers["Retry-After"] = str(RETRY_AFTER)
            return response

    return guarded


@_database_down_page
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


@_database_down_page
async def submit(request: web.Request) -> web.Response:
    """Record the answer once; a second submit shows the score already recorded."""
    if (limited := _limited(request)) is not None:
        return limited
    rt: Runtime = request.app[WEB_RUNTIME]
    token = _token(request)
    form = await _form(request)
    if isinstance(form, web.Response):
        return form
    page = await survey_page.open_link(rt, token, rt.now())
    if page.state is PageState.OPEN:
        problem = _problem(request, form, page)
        if problem is not None:
            return _render(page, status=400, error=problem, csrf=str(form.get("csrf") or ""))
    score = _int(str(form.get("score") or ""))
    comment = str(form.get("comment") or "")
    outcome, shown = await survey_page.answer(
        rt,
        token,
        score=score if score is not None else -1,
        comment=comment,
        now=rt.now(),
        followups=_followups(form),
    )
    csrf = str(form.get("csrf") or "")
    return _render(shown, csrf=csrf, fresh=outcome is TapOutcome.RECORDED, token=token)


@_database_down_page
async def advocacy(request: web.Request) -> web.Response:
    """A promoter's yes from the thank-you page (same CSRF rule as the answer)."""
    if (limited := _limited(request)) is not None:
        return limited
    rt: Runtime = request.app[WEB_RUNTIME]
    form = await _form(request)
    if isinstance(form, web.Response):
        return form
    if not _csrf_ok(request, form):
        page = await survey_page.open_link(rt, _token(request), rt.now())
        return _render(page, status=400, error=t(page.locale, "page.fix.form"))
    page = await survey_page.say_yes(
        rt, _token(request), offer=str(form.get("offer") or ""), now=rt.now()
    )
    csrf = str(form.get("csrf") or "")
    return _render(page, csrf=csrf, notice="page.advocacy.done", token=_token(request))


@_database_down_page
async def unsubscribe_page(request: web.Request) -> web.Response:
    """Asks to confirm: a scanner's GET must not opt anyone out."""
    if (limited := _limited(request)) is not None:
        return limited
    rt: Runtime = request.app[WEB_RUNTIME]
    page = await survey_page.open_link(rt, _token(request), rt.now())
    if page.state in (PageState.UNKNOWN, PageState.GONE):
        return _render(page)
    return _html("unsubscribe.html", page.locale, {"done": False})


@_database_down_page
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


async def _form(request: web.Request) -> Any:
    """The posted form's text fields; 400 for a file in it, 408 when it comes too slowly."""
    try:
        async with asyncio.timeout(bodies.BODY_TIMEOUT):  # a browser sends its form at once
            form = await request.post()
    except TimeoutError:
        return too_slow(_html("message.html", None, {"message": t(None, "page.busy")}, status=408))
    if any(not isinstance(value, str) for value in form.values()):
        return _html("message.html", None, {"message": t(None, "page.fix.form")}, status=400)
    return form


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
    trusted = request.app[WEB_RUNTIME].settings.trusted_proxies
    forwarded = request.headers.getall("X-Forwarded-For", [])
    address = client_address(request.remote, forwarded, trusted)
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
    if page.state is PageState.GONE:  # its person was forgotten: nothing of theirs is shown
        return _html("message.html", None, {"message": t(None, "page.unknown")}, status=410)
    if page.state is PageState.CLOSED:
        return _html("message.html", locale, {"message": t(locale, "page.closed")}, status=410)
    context: dict[str, Any] = {"page": page, "chosen": chosen, "csrf": csrf, "error": error}
    context |= {"token": token, "followups": page_fields(page.followups)}
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

    brand = page_brand.CURRENT.get()
    body = _env.get_template(template).render(lang=language(locale), t=say, brand=brand, **context)
    headers = HEADERS | {
        "Content-Security-Policy": page_brand.csp(HEADERS["Content-Security-Policy"], brand)
    }
    return web.Response(text=body, status=status, content_type="text/html", headers=headers)


def _followups(form: Any) -> tuple[int | None, dict[str, str]]:
    """The follow-up answers posted with the score, and the set version the page showed."""
    given = {str(k)[3:]: str(v) for k, v in form.items() if str(k).startswith("fq.")}
    return _int(str(form.get("fq_set") or "")), given


def _token(request: web.Request) -> str:
    return request.match_info.get("token", "")[:100]


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None and text.strip().lstrip("-").isdigit() else None
    except ValueError:
        return None
