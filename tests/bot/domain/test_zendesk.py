from __future__ import annotations

import pytest

from bot.domain.zendesk import band, csat_tag, issue_type, sampled, signature


def test_one_solved_ticket_in_n_is_sampled_by_its_number() -> None:
    assert [n for n in range(1, 10) if sampled(n, 3)] == [3, 6, 9]
    assert all(sampled(n, 1) for n in range(1, 10))


@pytest.mark.parametrize(
    ("minutes", "label"),
    [
        (0, "under 4 hours"),
        (239, "under 4 hours"),
        (240, "4 to 24 hours"),
        (1439, "4 to 24 hours"),
        (1440, "1 to 3 days"),
        (4319, "1 to 3 days"),
        (4320, "over 3 days"),
    ],
)
def test_resolution_time_bands(minutes: int, label: str) -> None:
    assert band(minutes) == label


def test_the_issue_type_is_the_form_else_the_first_tag_not_ours() -> None:
    assert issue_type("Billing question", ("vip",)) == "Billing question"
    assert issue_type(None, ("voc_csat_5", "refund")) == "refund"
    assert issue_type(None, ()) is None
    assert csat_tag(4) == "voc_csat_4"


def test_the_signature_is_base64_hmac_sha256_over_timestamp_then_body() -> None:
    # computed independently: printf '%s' '2021-07-25T10:00:00Z{"say": "hello"}' |
    #   openssl dgst -sha256 -hmac 'HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=' -binary | base64
    secret = "HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA="
    body = b'{"say": "hello"}'
    assert signature(secret, "2021-07-25T10:00:00Z", body) == (
        "Rry/4TtIdFyawtXXp8QdI6tlAUUQ/5kL1OTp5qo/ZIk="
    )
