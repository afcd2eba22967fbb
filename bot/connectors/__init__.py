"""The CRM connectors: one module a CRM, each turning its vendor's API into `bot.domain.crm`
values.

Both vendors' Python clients (hubspot-api-client, simple-salesforce) are synchronous
(requests/urllib3): every call would block the event loop the bot's listeners and scheduler
share, or need a thread each. These connectors are thin async clients on aiohttp, which the
bot already uses, with the vendors' documented limits (429 + Retry-After, batch sizes, the
daily allowance) handled in one place (`bot/connectors/http.py`).
"""

from __future__ import annotations

from bot.core.config import Settings
from bot.domain.crm import FieldMap


def field_map(settings: Settings, defaults: FieldMap) -> FieldMap:
    """The mapped account fields: each CRM_FIELD_* as set ("" = not synced), else the
    CRM's default."""
    chosen = {
        name: value
        if (value := getattr(settings, f"crm_field_{setting}")) is not None
        else (getattr(defaults, name))
        for name, setting in _SETTINGS.items()
    }
    return FieldMap(**{name: value.strip() for name, value in chosen.items()})


_SETTINGS = {
    "arr": "arr",
    "plan": "plan",
    "segment": "segment",
    "health": "health",
    "renewal_date": "renewal",
    "customer_since": "customer_since",
}
