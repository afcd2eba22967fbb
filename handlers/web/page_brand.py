"""The brand on the survey page: BRAND_NAME's header, BRAND_LOGO_URL, BRAND_COLOR.

The page's Content-Security-Policy allows no inline style, so the colour comes as a
stylesheet of its own (`/s/brand.css`, one CSS variable), and the logo's origin is added
to `img-src` only when a logo is set.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

from bot.core.config import Settings
from handlers.context import WEB_RUNTIME


@dataclass(frozen=True)
class Brand:
    name: str
    logo: str | None = None
    color: str | None = None

    @property
    def logo_origin(self) -> str | None:
        if not self.logo:
            return None
        parts = urlsplit(self.logo)
        return f"{parts.scheme}://{parts.netloc}"


CURRENT: ContextVar[Brand | None] = ContextVar("survey_page_brand", default=None)


def from_settings(settings: Settings) -> Brand | None:
    """The page's brand; None when neither BRAND_NAME nor BRAND_LOGO_URL nor a colour is set."""
    name = settings.brand_name or settings.product_name
    if not (settings.brand_name or settings.brand_logo_url or settings.brand_color):
        return None
    return Brand(name=name or "", logo=settings.brand_logo_url, color=settings.brand_color)


def enter(request: web.Request) -> None:
    """Remember the brand of the app answering this request, for the page's templates."""
    CURRENT.set(from_settings(request.app[WEB_RUNTIME].settings))


def csp(policy: str, brand: Brand | None) -> str:
    """The page's policy, with the logo's origin allowed as an image source."""
    origin = brand.logo_origin if brand else None
    return policy.replace("img-src 'self'", f"img-src 'self' {origin}") if origin else policy


async def stylesheet(request: web.Request) -> web.Response:
    """`/s/brand.css`: BRAND_COLOR as the page's `--brand` (validated as a hex colour)."""
    brand = from_settings(request.app[WEB_RUNTIME].settings)
    color = brand.color if brand and brand.color else None
    text = f":root {{ --brand: {color}; }}\n" if color else ""
    return web.Response(text=text, content_type="text/css", headers={"Cache-Control": "no-store"})
