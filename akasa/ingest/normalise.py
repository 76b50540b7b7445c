"""SPEC §3 value rules as vectorised Polars expressions.

Each normaliser maps a string column to its cleaned value, or to null when the value
breaks the rule; `clean.py` turns the nulls into reject reasons.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from akasa.core import zones
from akasa.core.exprs import fixed_2
from akasa.core.tables import MONEY

# DECIMAL(14,2) holds amounts below 10^12; the check is on the ROUNDED value, so
# 999999999999.995 (which rounds up to 10^12) is rejected, not cast into an overflow.
MAX_AMOUNT_INTEGER_DIGITS = 12
AMOUNT_LIMIT_PAISE = 10**12 * 100
MAX_SKU_COUNT = 1_000_000_000
# Order times every store can hold and every KPI boundary can be computed around (MySQL
# DATETIME starts at year 1000; Python dates end at 9999, and as_of looks one day ahead).
MIN_YEAR_UTC, MAX_YEAR_UTC = 1000, 9998


def trimmed(expr: pl.Expr) -> pl.Expr:
    """Trimmed text; empty becomes null (a missing value)."""
    text = expr.cast(pl.String).str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text)


def collapsed(expr: pl.Expr) -> pl.Expr:
    """Trimmed, inner whitespace runs collapsed to one space; null stays empty text."""
    return expr.cast(pl.String).fill_null("").str.replace_all(r"\s+", " ").str.strip_chars()


def region(expr: pl.Expr) -> pl.Expr:
    """`north  EAST` -> `North East`; empty -> `Unknown`."""
    words = collapsed(expr).str.split(" ")
    titled = words.list.eval(
        pl.element().str.slice(0, 1).str.to_titlecase()
        + pl.element().str.slice(1).str.to_lowercase()
    ).list.join(" ")
    return pl.when(titled.str.len_chars() > 0).then(titled).otherwise(pl.lit("Unknown"))


def digits(expr: pl.Expr) -> pl.Expr:
    """The ASCII digits of a value, everything else dropped."""
    return expr.cast(pl.String).fill_null("").str.replace_all(r"[^0-9]", "")


def national(expr: pl.Expr) -> pl.Expr:
    """Digits only, a leading `91` (12 digits) or `0` (11 digits) dropped: what must be a
    10-digit mobile number."""
    found = digits(expr)
    n = found.str.len_chars()
    return (
        pl.when((n == 12) & found.str.starts_with("91"))
        .then(found.str.slice(2))
        .when((n == 11) & found.str.starts_with("0"))
        .then(found.str.slice(1))
        .otherwise(found)
    )


def mobile(expr: pl.Expr) -> pl.Expr:
    """Digits only; drops a leading `91` (12 digits) or `0` (11 digits); 10 digits, 6-9 first."""
    number = national(expr)
    return pl.when(number.str.contains(r"^[6-9][0-9]{9}$")).then(number)


def sku_count(expr: pl.Expr) -> pl.Expr:
    """A whole number >= 1; `2` and `2.0` both mean 2."""
    text = expr.cast(pl.String).fill_null("").str.strip_chars()
    whole = text.str.extract(r"^([0-9]{1,10})(?:\.0*)?$", 1)
    value = whole.cast(pl.Int64, strict=False)
    return pl.when((value >= 1) & (value <= MAX_SKU_COUNT)).then(value)


_CURRENCY = r"^(?i:₹|rs\.?|inr)"


def amounts_paise(texts: pl.Series) -> pl.Series:
    """Decimals >= 0 in integer paise, rounded half away from zero to 2 places; null where
    a text is not one.

    Currency marks (₹, Rs, Rs., INR, any case, before the number), thousands commas and
    spaces are stripped; `-0` (any zeros) is 0.00. Integer arithmetic on the digits keeps
    it exact; the rounded value must stay below 10^12 rupees. Parsed once per distinct
    text (every line of an order repeats its total).
    """
    return on_distinct(texts, _parse_amounts)


def _parse_amounts(frame: pl.DataFrame) -> pl.Series:
    """Stage by stage, each part a column: as one expression, Polars evaluated the pattern
    again for every use of a part (eight times slower)."""
    text = pl.col("v").cast(pl.String).fill_null("").str.strip_chars()
    bare = text.str.replace(_CURRENCY, "").str.replace_all(r"[,\s]", "")
    parts = (
        frame.lazy()
        .select(bare.str.extract_groups(r"^(-?)([0-9]*)(?:\.([0-9]*))?$").alias("parts"))
        .unnest("parts")
        .select(
            pl.col("1").alias("sign"),
            pl.col("2").alias("whole_digits"),
            pl.col("3").fill_null("").alias("fraction"),
        )
        .with_columns(integer=pl.col("whole_digits").str.strip_chars_start("0"))
        .with_columns(
            integer_digits=pl.col("integer").str.len_chars(),
            padded=(pl.col("fraction") + "000").str.slice(0, 3),
        )
    )
    integer, fraction = pl.col("integer"), pl.col("fraction")
    integer_digits = pl.col("integer_digits")
    # A minus sign is allowed on zero alone: -0 and -0.00 mean 0.00.
    zero = (integer_digits == 0) & ~fraction.str.contains("[1-9]")
    valid = (
        pl.col("whole_digits").is_not_null()
        & (pl.col("whole_digits").str.len_chars() + fraction.str.len_chars() > 0)  # a digit
        & (integer_digits <= MAX_AMOUNT_INTEGER_DIGITS)
        & ((pl.col("sign") == "") | zero)
    )
    padded = pl.col("padded")
    cents = padded.str.slice(0, 2).cast(pl.Int64, strict=False)
    round_up = (padded.str.slice(2, 1).cast(pl.Int64, strict=False) >= 5).cast(pl.Int64)
    whole = pl.when(integer_digits > 0).then(integer).otherwise(pl.lit("0"))
    paise = whole.cast(pl.Int64, strict=False) * 100 + cents + round_up
    found = parts.select(pl.when(valid & (paise < AMOUNT_LIMIT_PAISE)).then(paise).alias("out"))
    return found.collect()["out"]


def paise_to_money(expr: pl.Expr) -> pl.Expr:
    """Integer paise -> DECIMAL(14,2), built from digits so nothing passes through a float."""
    return fixed_2(expr).cast(MONEY)


_ISO = (
    r"^(?<y>[0-9]{4})-(?<mo>[0-9]{2})-(?<d>[0-9]{2})"
    r"(?:[T ](?<h>[0-9]{2}):(?<mi>[0-9]{2})(?::(?<s>[0-9]{2})(?:\.(?<f>[0-9]+))?)?"
    r"(?<z>Z|[+-][0-9]{2}:[0-9]{2})?)?$"
)
_DAY_FIRST = (
    r"^(?<d>[0-9]{2})[-/](?<mo>[0-9]{2})[-/](?<y>[0-9]{4})"
    r" (?<h>[0-9]{2}):(?<mi>[0-9]{2})(?::(?<s>[0-9]{2}))?$"
)


def timestamps_utc(texts: pl.Series, source_timezone: str) -> pl.Series:
    """SPEC §3 date-time formats -> UTC; a time without offset is in `source_timezone`.

    Works in stages on the distinct values: every line of an order repeats its time, and
    staging keeps Polars from re-evaluating the regex captures in every branch.
    """
    return on_distinct(texts, lambda frame: _parse_times(frame, source_timezone))


def on_distinct(values: pl.Series, parse: Callable[[pl.DataFrame], pl.Series]) -> pl.Series:
    """Runs `parse` on a frame of the distinct values (column `v`) and maps the results back."""
    distinct = values.unique().drop_nulls().to_frame("v")
    parsed = parse(distinct)
    return values.replace_strict(distinct["v"], parsed, default=None, return_dtype=parsed.dtype)


def by_distinct(values: pl.Series, normaliser: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """An expression normaliser evaluated once per distinct value (values repeat per order),
    lazily: the query optimiser computes a part the expression uses twice only once."""
    return on_distinct(
        values,
        lambda f: f.lazy().select(normaliser(pl.col("v")).alias("out")).collect()["out"],
    )


def _parse_times(frame: pl.DataFrame, source_timezone: str) -> pl.Series:
    text = pl.col("v").str.strip_chars()
    staged = frame.with_columns(
        iso=text.str.extract_groups(_ISO),
        day=text.str.extract_groups(_DAY_FIRST),
        # The two separators of a day-first date must match: 01-02-2025 or 01/02/2025.
        same_separator=text.str.slice(2, 1) == text.str.slice(5, 1),
    )

    def part(name: str) -> pl.Expr:
        day_first = pl.when(pl.col("same_separator")).then(pl.col("day").struct.field(name))
        return pl.coalesce(pl.col("iso").struct.field(name), day_first)

    staged = staged.select(
        pl.format(
            "{}-{}-{} {}:{}:{}.{}",
            part("y"),
            part("mo"),
            part("d"),
            part("h").fill_null("00"),
            part("mi").fill_null("00"),
            part("s").fill_null("00"),
            (pl.col("iso").struct.field("f").fill_null("") + "000000").str.slice(0, 6),
        )
        .str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us")
        .alias("local"),
        pl.col("iso").struct.field("z").alias("zone"),
    ).with_columns(
        hours=pl.col("zone").str.slice(1, 2).cast(pl.Int64, strict=False),
        minutes=pl.col("zone").str.slice(4, 2).cast(pl.Int64, strict=False),
        sign=pl.when(pl.col("zone").str.starts_with("-")).then(-1).otherwise(1),
    )
    # The source zone's rules come from akasa's one zone database (`akasa.core.zones`).
    staged = staged.with_columns(zones.to_utc(staged["local"], source_timezone).alias("naive"))
    zone = pl.col("zone")
    offset = (
        pl.when(zone == "Z")
        .then(0)
        .otherwise((pl.col("hours") * 60 + pl.col("minutes")) * pl.col("sign"))
    )
    # SPEC §3: offsets lie within ±14:00.
    offset_ok = (zone == "Z") | (
        (pl.col("minutes") < 60) & (pl.col("hours") * 60 + pl.col("minutes") <= 14 * 60)
    )
    with_offset = pl.col("local").dt.replace_time_zone("UTC") - pl.duration(minutes=offset)
    utc = pl.when(zone.is_null()).then(pl.col("naive")).when(offset_ok).then(with_offset)
    return staged.select(
        pl.when(utc.dt.year().is_between(MIN_YEAR_UTC, MAX_YEAR_UTC)).then(utc).alias("utc")
    )["utc"]
