"""Which CRM field holds each mapped account field: the CRM_FIELD_* settings over a CRM's
defaults."""

from __future__ import annotations

from bot.core.config import Settings
from bot.domain.crm import MAPPED_ACCOUNT_FIELDS, FieldMap


def field_map(settings: Settings, defaults: FieldMap) -> FieldMap:
    """Each CRM_FIELD_* as set ("" = not synced), else the CRM's default from `defaults`."""
    chosen = {}
    for name, setting in MAPPED_ACCOUNT_FIELDS.items():
        value = getattr(settings, setting.lower())
        chosen[name] = (value if value is not None else getattr(defaults, name)).strip()
    return FieldMap(**chosen)
