"""The four KPIs, defined once for both modes: raw shapes, output columns, final numbers.

Each mode computes the *raw* frames (sums and counts in integer paise, UTC times). Every
derived number (averages, shares, growth), every rounding and every format is applied here,
by the same code for both modes, which is what makes them agree to the paisa.

Money is exact at any total: revenue sums are 128-bit integers of paise (`PAISE`), and so
is every product taken to divide them (growth and shares multiply by 10,000 first); 2^127
paise is far beyond any sum of DECIMAL(14,2) amounts that a store can hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import polars as pl

from akasa.core import zones
from akasa.core.exprs import div_half_away, fixed_2
from akasa.core.tables import UTC_TS
from akasa.kpi.context import KpiContext
from akasa.kpi.document import ROWS, QualityFile, columns

KPIS = tuple(ROWS)  # repeat_customers, monthly_trends, regional_revenue, top_customers

# Each output table's columns, in order: the fields of its row model in kpis.json.
COLUMNS: dict[str, tuple[str, ...]] = {name: columns(row) for name, row in ROWS.items()}

# The per-file accounting in kpis.json's data_quality section (and the report's table of it).
QUALITY_FILE_COLUMNS = columns(QualityFile)

# Cells a spreadsheet could mistake for formulas (escaped in CSV outputs).
TEXT_COLUMNS = ("customer_id", "customer_name", "region")

UNKNOWN_REGION = "Unknown"

PAISE = pl.Int128()

RAW_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    # Customers (with a customer record) with >= 2 orders in scope.
    "repeat_customers": {
        "customer_id": pl.String(),
        "customer_name": pl.String(),
        "region": pl.String(),
        "orders": pl.Int64(),
        "revenue_paise": PAISE,
        "first_order_at": UTC_TS,
        "last_order_at": UTC_TS,
    },
    # Only months that have orders; `finalise` adds the empty ones.
    "monthly_trends": {
        "month": pl.String(),
        "orders": pl.Int64(),
        "customers": pl.Int64(),
        "units": pl.Int64(),
        "revenue_paise": PAISE,
    },
    "regional_revenue": {
        "region": pl.String(),
        "revenue_paise": PAISE,
        "orders": pl.Int64(),
        "customers": pl.Int64(),
    },
    # Already cut to rank <= top.
    "top_customers": {
        "rank": pl.Int64(),
        "customer_id": pl.String(),
        "customer_name": pl.String(),
        "region": pl.String(),
        "orders": pl.Int64(),
        "revenue_paise": PAISE,
    },
    # One row: the orders of the previous month up to the like-for-like cutoff of the
    # as_of month (`KpiContext.previous_month_to_date`), the base of its growth.
    "previous_month_to_date": {
        "orders": pl.Int64(),
        "revenue_paise": PAISE,
    },
    # One row: every order of the top-customers window (window_start to as_of), with a
    # customer record or not: the window's revenue in the summary.
    "window_totals": {
        "orders": pl.Int64(),
        "revenue_paise": PAISE,
    },
    # One row: everything in scope.
    "totals": {
        "orders": pl.Int64(),
        "customers": pl.Int64(),
        "revenue_paise": PAISE,
        "unmatched_orders": pl.Int64(),
    },
}


@dataclass(frozen=True)
class RawKpis:
    frames: dict[str, pl.DataFrame]

    @classmethod
    def of(cls, frames: dict[str, pl.DataFrame]) -> RawKpis:
        return cls({name: conform_raw(frames[name], name) for name in RAW_SCHEMAS})

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.frames[name]


def conform_raw(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    schema = RAW_SCHEMAS[name]
    return frame.select([pl.col(c).cast(t) for c, t in schema.items()])


def timestamp_text(expr: pl.Expr, timezone: str) -> pl.Expr:
    """UTC -> `2025-10-12T09:15:32+05:30` in the business zone, to the second (the zone's
    rules from `akasa.core.zones`, the same for every mode)."""
    return expr.map_batches(lambda utc: zones.iso_text(utc, timezone), return_dtype=pl.String)


def _money(column: str = "revenue_paise") -> pl.Expr:
    return fixed_2(pl.col(column))


def finalise(raw: RawKpis, ctx: KpiContext) -> dict[str, pl.DataFrame]:
    """Raw frames -> the output tables, every value already in its final text form."""
    return {
        "repeat_customers": _repeat_customers(raw["repeat_customers"], ctx),
        "monthly_trends": monthly_table(raw["monthly_trends"], ctx, raw["previous_month_to_date"]),
        "regional_revenue": _regional_revenue(raw["regional_revenue"]),
        "top_customers": _top_customers(raw["top_customers"]),
    }


def _repeat_customers(frame: pl.DataFrame, ctx: KpiContext) -> pl.DataFrame:
    return frame.sort(
        ["orders", "revenue_paise", "customer_id"], descending=[True, True, False]
    ).select(
        "customer_id",
        "customer_name",
        "region",
        "orders",
        _money().alias("revenue"),
        timestamp_text(pl.col("first_order_at"), ctx.timezone).alias("first_order_at"),
        timestamp_text(pl.col("last_order_at"), ctx.timezone).alias("last_order_at"),
    )


def monthly_filled(
    frame: pl.DataFrame, ctx: KpiContext, base: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Every month from the first with an order to the as_of month; empty months as zeros.

    Adds `complete` (only the as_of month can be incomplete) and `base_paise`, the revenue
    each month's growth compares with (SPEC §4.2): the whole previous month for a complete
    month, the previous month over the same elapsed time for the incomplete one (`base`,
    the raw `previous_month_to_date`); null for the first month.
    """
    if frame.is_empty():
        return frame.with_columns(
            pl.lit(None, pl.Boolean).alias("complete"), pl.lit(None, PAISE).alias("base_paise")
        )
    first_month = cast(str, frame["month"].min())  # a String column with at least one row
    months = pl.DataFrame({"month": ctx.months_from(first_month)})
    filled = months.join(frame, on="month", how="left").with_columns(
        pl.col("orders", "customers", "units", "revenue_paise").fill_null(0)
    )
    complete = (pl.col("month") != ctx.as_of_month) | pl.lit(ctx.month_complete)
    like_for_like = None
    if base is not None and base.height:
        like_for_like = base["revenue_paise"][0]
    previous = pl.col("revenue_paise").cast(PAISE).shift(1)
    partial_base = pl.when(previous.is_not_null()).then(pl.lit(like_for_like, PAISE))
    return filled.with_columns(
        complete.alias("complete"),
        pl.when(complete).then(previous).otherwise(partial_base).alias("base_paise"),
    )


def monthly_table(
    frame: pl.DataFrame, ctx: KpiContext, base: pl.DataFrame | None = None
) -> pl.DataFrame:
    filled = monthly_filled(frame, ctx, base)
    revenue = pl.col("revenue_paise").cast(PAISE)
    previous = pl.col("base_paise")
    growth = pl.when(previous > 0).then(div_half_away((revenue - previous) * 10_000, previous))
    average = (
        pl.when(pl.col("orders") > 0)
        .then(div_half_away(revenue, pl.col("orders").cast(PAISE)))
        .otherwise(0)
    )
    return filled.select(
        "month",
        "orders",
        "customers",
        "units",
        _money().alias("revenue"),
        fixed_2(average).alias("avg_order_value"),
        fixed_2(growth).alias("revenue_growth_pct"),
        "complete",
    )


def _regional_revenue(frame: pl.DataFrame) -> pl.DataFrame:
    revenue = pl.col("revenue_paise").cast(PAISE)
    total = revenue.sum()
    share = pl.when(total > 0).then(div_half_away(revenue * 10_000, total)).otherwise(0)
    return frame.sort(["revenue_paise", "region"], descending=[True, False]).select(
        "region",
        _money().alias("revenue"),
        "orders",
        "customers",
        fixed_2(share).alias("revenue_share_pct"),
    )


def _top_customers(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(["rank", "customer_id"]).select(
        "rank", "customer_id", "customer_name", "region", "orders", _money().alias("revenue")
    )
