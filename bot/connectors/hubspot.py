"""The HubSpot connector (being built; see bot/domain/crm.py for the shape it implements)."""

from __future__ import annotations

from bot.core.config import Settings
from bot.domain.crm import CrmConnector, CrmKind, FieldMap

DEFAULT_FIELDS = FieldMap()


class HubSpot(CrmConnector):
    kind = CrmKind.HUBSPOT

    @classmethod
    def from_settings(cls, settings: Settings) -> HubSpot:
        raise NotImplementedError("the HubSpot connector is not built yet")
