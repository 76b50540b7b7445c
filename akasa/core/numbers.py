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


LOCALE = "en_IN"
LAKH, CRORE = 10**5, 10**7


def _grouped(value: Decimal, pattern: str) -> str:
    """Indian digit grouping (12,34,567) by Babel's en_IN rules, exact on a Decimal."""
    from babel.numbers import format_decimal

    return str(format_decimal(value, format=pattern, locale=LOCALE, decimal_quantization=True))


def rupees(paise: int, *, decimals: bool = True) -> str:
    """Exact money for people: 123456750 paise -> `₹12,34,567.50` (`₹12,34,568` without
    decimals, half away from zero)."""
    sign = "-" if paise < 0 else ""
    value = Decimal(abs(paise)) / 100
    if not decimals:
        value = value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return f"{sign}₹{_grouped(value, '#,##,##0')}"
    return f"{sign}₹{_grouped(value, '#,##,##0.00')}"


def rupees_compact(paise: int) -> str:
    """Headline money in lakh and crore, as managers here read it: `₹7.35 L`, `₹33.2 Cr`,
    `₹1,000 Cr`; below a lakh the rupees themselves (`₹45,300`). Three significant digits
    at least, half away from zero; an amount is never shown bigger than its unit allows
    (₹99,99,999 is `₹100 L`, not `₹1 Cr` rounded up from below)."""
    sign = "-" if paise < 0 else ""
    rupee = Decimal(abs(paise)) / 100
    if rupee < LAKH:
        whole = rupee.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return f"{sign}₹{_grouped(whole, '#,##,##0')}"
    unit, name = (CRORE, "Cr") if rupee >= CRORE else (LAKH, "L")
    amount = rupee / unit
    places = 0 if amount >= 100 else 1 if amount >= 10 else 2
    shown = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    pattern = "#,##,##0" + ("." + "#" * places if places else "")
    return f"{sign}₹{_grouped(shown, pattern)} {name}"


def count(n: int) -> str:
    """A count for people, grouped the Indian way: 330357 -> `3,30,357`."""
    sign = "-" if n < 0 else ""
    return sign + _grouped(Decimal(abs(n)), "#,##,##0")


def grouped(value: Decimal) -> str:
    """An exact decimal grouped the Indian way with its own places: `17992.690` ->
    `17,992.690` (query results, whose scale is the column's)."""
    if not value.is_finite():
        return str(value)
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    sign = "-" if value < 0 else ""
    return sign + _grouped(abs(value), "#,##,##0" + ("." + "0" * places if places else ""))
