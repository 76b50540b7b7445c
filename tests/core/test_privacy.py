"""Masking of mobile numbers and secrets."""

from __future__ import annotations

import pytest

from akasa.core.privacy import mask_mobile, mask_mobiles_in, mask_value, redact


def test_mask_mobile() -> None:
    assert mask_mobile("9876543210") == "98XXXXXX10"


def test_mobiles_in_text_are_masked_but_other_numbers_stay() -> None:
    text = "order 12345 from 9876543210 and 6123456789; id 12345678901234"
    assert mask_mobiles_in(text) == (
        "order 12345 from 98XXXXXX10 and 61XXXXXX89; id 12345678901234"
    )


def test_redact_passwords_in_urls_known_values_and_arguments() -> None:
    text = "mysql+mysqldb://akasa:s3cr3t@db:3306/x failed; also s3cr3t; password='hunter2' pwd=abc"
    assert redact(text, ["s3cr3t"]) == (
        "mysql+mysqldb://akasa:***@db:3306/x failed; also ***; password='***' pwd=***"
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("+91 98765 43210", "98XXXXXX10"),
        ("call 9876543210 now", "call 98XXXXXX10 now"),
        ("098765-43210", "98XXXXXX10"),
        ("919876543210", "98XXXXXX10"),
        ("98765.43210", "98XXXXXX10"),
        ('C1,Bala,+91 98765 43210,"North"', 'C1,Bala,98XXXXXX10,"North"'),
        ("12345678901234", "12345678901234"),  # a longer number is not a mobile
        ("5876543210", "5876543210"),  # does not start 6-9
    ],
)
def test_phone_like_runs_are_masked_whatever_their_formatting(text: str, shown: str) -> None:
    assert mask_mobiles_in(text) == shown


def test_values_are_masked_by_what_they_are_not_where_they_come_from() -> None:
    assert mask_value(9876543210) == "98XXXXXX10"  # mobile_number::BIGINT
    assert mask_value(42) == 42
    assert mask_value('{"mobile_number":"+91 98765 43210"}') == '{"mobile_number":"98XXXXXX10"}'
