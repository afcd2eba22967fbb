"""The Salesforce connector (being built; see bot/domain/crm.py for the shape it implements)."""

from __future__ import annotations

from bot.core.config import Settings
from bot.domain.crm import CrmConnector, CrmKind, FieldMap

DEFAULT_FIELDS = FieldMap()


class Salesforce(CrmConnector):
    kind = CrmKind.SALESFORCE

    @classmethod
    def from_settings(cls, settings: Settings) -> Salesforce:
        raise NotImplementedError("the Salesforce connector is not built yet")
