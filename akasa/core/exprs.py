"""Exact integer arithmetic and number formats as Polars expressions (money in paise)."""

from __future__ import annotations

import polars as pl


def div_half_away(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """Integer division rounded half away from zero (denominator > 0)."""
    magnitude = (numerator.abs() * 2 + denominator) // (denominator * 2)
    return pl.when(numerator < 0).then(magnitude * -1).otherwise(magnitude)


def fixed_2(hundredths: pl.Expr) -> pl.Expr:
    """An integer count of hundredths (paise, basis points) -> text with exactly two decimals."""
    magnitude = hundredths.abs()
    body = pl.format(
        "{}.{}",
        (magnitude // 100).cast(pl.String),
        (magnitude % 100).cast(pl.String).str.zfill(2),
    )
    return pl.when(hundredths < 0).then(pl.lit("-") + body).otherwise(body)
