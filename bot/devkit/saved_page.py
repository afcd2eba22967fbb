"""The demo's saved survey pages, made to open from disk with their stylesheet.

The served page links `/s/page.css` (and `/s/brand.css` when BRAND_COLOR is set): from a
file those would point at the disk's root. The saved copies link the stylesheets beside
them, which are written next to the pages.
"""

from __future__ import annotations

from pathlib import Path

from bot.core.config import Settings
from handlers.web.survey_page import TEMPLATES


def save_pages(folder: Path, settings: Settings, pages: dict[str, str]) -> None:
    """Write each page (file name → HTML) into `folder`, with `page.css` and `brand.css`."""
    (folder / "page.css").write_text(
        (TEMPLATES / "page.css").read_text(encoding="utf-8"), encoding="utf-8"
    )
    color = settings.brand_color
    (folder / "brand.css").write_text(
        f":root {{ --brand: {color}; }}\n" if color else "", encoding="utf-8"
    )
    for name, html in pages.items():
        local = html.replace('href="/s/page.css"', 'href="page.css"')
        local = local.replace('href="/s/brand.css"', 'href="brand.css"')
        (folder / name).write_text(local, encoding="utf-8")
