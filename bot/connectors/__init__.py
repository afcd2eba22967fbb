"""The CRM connectors: one module a CRM, each turning its vendor's API into `bot.domain.crm`
values. `connect(settings)` is the one place that picks and builds one.

Both vendors' Python clients (hubspot-api-client, simple-salesforce) are synchronous
(requests/urllib3): every call would block the event loop the bot's listeners and scheduler
share, or need a thread each. These connectors are thin async clients on aiohttp, which the
bot already uses, with the vendors' documented limits (429 + Retry-After, batch sizes, the
daily allowance) handled in one place (`bot/connectors/http.py`).
"""

from __future__ import annotations

from bot.connectors.fields import field_map
from bot.core.config import Settings
from bot.domain.crm import CrmConnector, CrmKind
from bot.domain.errors import ConfigError

__all__ = ["connect", "field_map"]


def connect(settings: Settings) -> CrmConnector:
    """The connector for CRM=…, built from the settings; ConfigError when no CRM is set."""
    if settings.crm is None:
        raise ConfigError("CRM is not set: set CRM=hubspot or CRM=salesforce (see .env.example)")
    if CrmKind(settings.crm) is CrmKind.HUBSPOT:
        from bot.connectors.hubspot import HubSpot

        return HubSpot.from_settings(settings)
    from bot.connectors.salesforce import Salesforce

    return Salesforce.from_settings(settings)
