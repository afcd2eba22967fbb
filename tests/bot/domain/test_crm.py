"""The CRM vocabulary: Salesforce's names for the pushed fields, and which fields are mapped."""

from __future__ import annotations

import pytest

from bot.domain.crm import COMPANY_PUSH_FIELDS, CONTACT_PUSH_FIELDS, FieldMap, salesforce_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("voc_last_score", "VoC_Last_Score__c"),
        ("voc_last_answered_at", "VoC_Last_Answered_At__c"),
        ("voc_nps", "VoC_Nps__c"),
        ("voc_open_cases", "VoC_Open_Cases__c"),
    ],
)
def test_a_pushed_field_has_the_same_name_as_a_salesforce_custom_field(
    name: str, expected: str
) -> None:
    assert salesforce_name(name) == expected


def test_every_pushed_field_maps_to_a_distinct_salesforce_name() -> None:
    names = [salesforce_name(name) for name in CONTACT_PUSH_FIELDS + COMPANY_PUSH_FIELDS]
    assert len(set(names)) == len(names)
    assert all(len(name) <= 43 for name in names)  # Salesforce's API name limit (40 + __c)


def test_a_blank_mapping_is_left_out_of_what_is_synced() -> None:
    fields = FieldMap(arr="annualrevenue", plan="", health="health_score")
    assert fields.mapped() == {"arr": "annualrevenue", "health": "health_score"}
