"""Masking of mobile numbers and secrets; text from the data made harmless to show."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akasa.core.privacy import (
    mask_mobile,
    mask_mobiles_in,
    mask_value,
    printable,
    printable_json,
    redact,
)


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


# ---- text from the data, made harmless to show --------------------------------------------

OBEYED = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize(
    ("raw", "seen"),
    [
        ("[/]", "[/]"),  # markup is left to Rich's Text, which shows it as it is
        ("a\x1b[2Jb", "a?[2Jb"),
        ("\x1b]8;;http://x\x07a\x1b]8;;\x07", "?]8;;http://x?a?]8;;?"),
        ("c\rd", "c?d"),
        ("e\x9b31mf", "e?31mf"),
        ("abc\u202edcba", "abc?dcba"),  # a right-to-left override would reorder the line
        ("two\nlines\ttab", "two?lines?tab"),
        ("Priyā Śarmā 😀", "Priyā Śarmā 😀"),  # letters and symbols stay
    ],
)
def test_printable_shows_controls_as_question_marks(raw: str, seen: str) -> None:
    assert printable(raw) == seen


def test_printable_keeps_the_lines_of_a_traceback_when_asked() -> None:
    assert printable("Traceback\n  x\x1b[2J\r\n", lines=True) == "Traceback\n  x?[2J?\n"


@given(st.text())
def test_printable_leaves_nothing_a_terminal_obeys(text: str) -> None:
    shown = printable(text)
    assert not OBEYED.search(shown) and len(shown) == len(text)
    assert printable(shown) == shown


@settings(max_examples=50)
@given(
    st.recursive(
        st.text() | st.integers(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)
    )
)
def test_printable_json_is_the_same_json_with_nothing_a_terminal_obeys(value: object) -> None:
    for indent in (None, 2):
        text = json.dumps(value, ensure_ascii=False, indent=indent)
        escaped = printable_json(text)
        assert json.loads(escaped) == value
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202e]", escaped)


def test_printable_json_escapes_delete_and_c0_in_ascii_text_too() -> None:
    """ASCII text takes a quicker check; what it finds is escaped all the same."""
    assert printable_json('{"a": "x\x7fy"}') == '{"a": "x\\u007fy"}'
    assert printable_json('["\x01", "ok"]') == '["\\u0001", "ok"]'
    plain = json.dumps({"rows": ["a\tb", 1]}, indent=2)
    assert printable_json(plain) is plain
