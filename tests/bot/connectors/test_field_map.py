"""`field_map`: each CRM_FIELD_* as set (blank: not synced), else the CRM's default."""

from __future__ import annotations

from bot.connectors import field_map
from bot.core.config import load_settings
from bot.domain.crm import FieldMap

DEFAULTS = FieldMap(arr="annualrevenue", plan="plan", segment="segment", health="health")


def test_unset_mappings_take_the_crms_defaults_and_blank_ones_turn_a_field_off() -> None:
    settings = load_settings(crm_field_plan="", crm_field_health=" hs_health ")
    chosen = field_map(settings, DEFAULTS)
    assert chosen.arr == "annualrevenue" and chosen.segment == "segment"
    assert chosen.plan == "" and chosen.health == "hs_health"
    assert "plan" not in chosen.mapped()
