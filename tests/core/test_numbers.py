"""The rupee formatter: Indian digit grouping (lakh, crore) as money reads in India."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from akasa.core.numbers import count, rupees, rupees_compact


@pytest.mark.parametrize(
    ("paise", "text"),
    [
        (0, "₹0.00"),
        (5, "₹0.05"),
        (99_900, "₹999.00"),
        (100_000, "₹1,000.00"),
        (99_999_999, "₹9,99,999.99"),  # just under ten lakh
        (10_000_000, "₹1,00,000.00"),  # one lakh
        (123_456_750, "₹12,34,567.50"),
        (1_000_000_000, "₹1,00,00,000.00"),  # one crore
        (123_456_789_000, "₹1,23,45,67,890.00"),  # 123 crore
        (1_000_000_000_000_000, "₹1,00,00,00,00,00,000.00"),  # crores of crores keep going
        (-123_456_750, "-₹12,34,567.50"),
        (-5, "-₹0.05"),
    ],
)
def test_rupees(paise: int, text: str) -> None:
    assert rupees(paise) == text


@pytest.mark.parametrize(
    ("paise", "text"),
    [
        (0, "₹0"),
        (1_274_900, "₹12,749"),
        (123_456_750, "₹12,34,568"),  # half a rupee rounds away from zero
        (123_456_749, "₹12,34,567"),
        (99_950, "₹1,000"),  # rounding can add a digit group
        (-123_456_750, "-₹12,34,568"),
    ],
)
def test_rupees_without_paise(paise: int, text: str) -> None:
    assert rupees(paise, decimals=False) == text


@given(st.integers(min_value=-(10**18), max_value=10**18))
def test_grouping_is_three_then_twos_and_loses_nothing(paise: int) -> None:
    text = rupees(paise)
    match = re.fullmatch(r"(-?)₹((?:\d{1,2},)?(?:\d{2},)*\d{1,3})\.(\d{2})", text)
    assert match, text
    sign, whole, part = match.groups()
    groups = whole.split(",")
    if len(groups) > 1:
        assert len(groups[-1]) == 3 and all(len(g) == 2 for g in groups[1:-1])
        assert 1 <= len(groups[0]) <= 2
    assert int(sign + whole.replace(",", "") + part) == paise


@pytest.mark.parametrize(
    ("paise", "text"),
    [
        (0, "₹0"),
        (99_900, "₹999"),
        (100_000, "₹1,000"),
        (4_530_049, "₹45,300"),  # below a lakh: the rupees, grouped
        (10_000_000, "₹1 L"),  # one lakh
        (73_500_000, "₹7.35 L"),
        (73_549_999, "₹7.35 L"),
        (73_550_000, "₹7.36 L"),  # half away from zero
        (999_999_999, "₹100 L"),  # 99,99,999.99: still lakh, rounded
        (1_000_000_000, "₹1 Cr"),  # one crore
        (33_200_000_000, "₹33.2 Cr"),
        (332_323_989_668, "₹332 Cr"),  # ₹3,32,32,39,896.68
        (1_000_000_000_000, "₹1,000 Cr"),  # 1,000 crore
        (-73_500_000, "-₹7.35 L"),
        (-1_000_000_000_000, "-₹1,000 Cr"),
    ],
)
def test_rupees_compact(paise: int, text: str) -> None:
    assert rupees_compact(paise) == text


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0"),
        (999, "999"),
        (1_000, "1,000"),
        (1_00_000, "1,00,000"),
        (330_357, "3,30,357"),
        (1_00_00_000, "1,00,00,000"),
        (-1_234_567, "-12,34,567"),
    ],
)
def test_counts_are_grouped(n: int, text: str) -> None:
    assert count(n) == text


def test_ninety_nine_lakh_and_change_keeps_its_paise() -> None:
    assert rupees(999_999_999) == "₹99,99,999.99"
