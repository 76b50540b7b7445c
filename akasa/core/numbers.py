"""Exact number handling in plain Python (no binary floats for money); see `exprs` for Polars."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def round_fraction(value: Fraction) -> int:
    """A rational -> nearest integer, halves away from zero."""
    magnitude = (abs(value) * 2 + 1) // 2
    return magnitude if value >= 0 else -magnitude


def text_2(hundredths: int) -> str:
    """Python twin of `fixed_2` for scalars."""
    sign = "-" if hundredths < 0 else ""
    whole, part = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{part:02d}"


def paise_of(text: str) -> int:
    """Money text from the outputs (`7450.00`) -> integer paise."""
    return decimal_to_paise(Decimal(text))


def decimal_to_paise(value: Decimal) -> int:
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def rupees(paise: int, *, decimals: bool = True) -> str:
    """Indian digit grouping: 123456750 paise -> `₹12,34,567.50`."""
    sign = "-" if paise < 0 else ""
    if not decimals:
        paise = round_fraction(Fraction(abs(paise), 100)) * 100
    whole, part = divmod(abs(paise), 100)
    digits = str(whole)
    if len(digits) > 3:
        head, tail = digits[:-3], digits[-3:]
        groups: list[str] = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        if head:
            groups.insert(0, head)
        digits = ",".join([*groups, tail])
    text = f"{sign}₹{digits}"
    return f"{text}.{part:02d}" if decimals else text
