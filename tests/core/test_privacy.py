"""Masking of mobile numbers and secrets."""

from __future__ import annotations

from akasa.core.privacy import mask_mobile, mask_mobiles_in, redact


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
