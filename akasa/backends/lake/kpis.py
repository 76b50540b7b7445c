"""The four KPIs as lazy Polars queries over the Parquet store, collected together."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from akasa.backends.base import top_reasons_per_kind
from akasa.backends.lake.store import Lake
from akasa.core import zones
from akasa.kpi.context import KpiContext
from akasa.kpi.spec import PAISE, UNKNOWN_REGION, RawKpis


def newest_order_at(lake: Lake) -> datetime | None:
    newest: datetime | None = (
        lake.current("orders").select(pl.col("ordered_at").max()).collect().item()
    )
    return newest


def oldest_order_at(lake: Lake) -> datetime | None:
    oldest: datetime | None = (
        lake.current("orders").select(pl.col("ordered_at").min()).collect().item()
    )
    return oldest


def orders_in_scope(lake: Lake, ctx: KpiContext) -> pl.LazyFrame:
    """Orders at or before as_of, joined to their customer through any number they had."""
    owners = lake.current("customer_mobiles").select("mobile_number", "customer_id")
    customers = lake.current("customers").select("customer_id", "customer_name", "region")
    return (
        lake.current("orders")
        .filter(pl.col("ordered_at") <= ctx.as_of)
        .select(
            "order_id",
            "mobile_number",
            "ordered_at",
            (pl.col("total_amount") * 100).cast(PAISE).alias("paise"),
            "units",
        )
        .join(owners, on="mobile_number", how="left")
        .join(customers, on="customer_id", how="left")
        .with_columns(pl.col("region").fill_null(UNKNOWN_REGION))
    )


def distinct_customers() -> pl.Expr:
    """Customers with an order; each unmatched mobile number counts as one customer.

    Counted apart, so a customer_id can never be mistaken for an unmatched number.
    """
    unmatched = pl.col("mobile_number").filter(pl.col("customer_id").is_null())
    return pl.col("customer_id").drop_nulls().n_unique() + unmatched.n_unique()


def repeat_customers(scope: pl.LazyFrame) -> pl.LazyFrame:
    return (
        scope.filter(pl.col("customer_id").is_not_null())
        .group_by("customer_id")
        .agg(
            pl.col("customer_name").first(),
            pl.col("region").first(),
            pl.len().alias("orders"),
            pl.col("paise").sum().alias("revenue_paise"),
            pl.col("ordered_at").min().alias("first_order_at"),
            pl.col("ordered_at").max().alias("last_order_at"),
        )
        .filter(pl.col("orders") >= 2)
    )


def monthly_trends(scope: pl.LazyFrame, ctx: KpiContext) -> pl.LazyFrame:
    """Months in the business zone by `akasa.core.zones` (the rules table mode uses too)."""
    month_key = pl.col("ordered_at").map_batches(
        lambda utc: zones.month_keys(utc, ctx.timezone), return_dtype=pl.Int64
    )
    return (
        scope.with_columns(month_key.alias("month_key"))
        .group_by("month_key")
        .agg(
            pl.len().alias("orders"),
            distinct_customers().alias("customers"),
            pl.col("units").sum(),
            pl.col("paise").sum().alias("revenue_paise"),
        )
        .with_columns(
            pl.format(
                "{}-{}",
                (pl.col("month_key") // 100).cast(pl.String).str.zfill(4),
                (pl.col("month_key") % 100).cast(pl.String).str.zfill(2),
            ).alias("month")
        )
    )


def regional_revenue(scope: pl.LazyFrame) -> pl.LazyFrame:
    return scope.group_by("region").agg(
        pl.col("paise").sum().alias("revenue_paise"),
        pl.len().alias("orders"),
        distinct_customers().alias("customers"),
    )


def top_customers(scope: pl.LazyFrame, ctx: KpiContext) -> pl.LazyFrame:
    return (
        scope.filter(
            pl.col("customer_id").is_not_null() & (pl.col("ordered_at") >= ctx.window_start)
        )
        .group_by("customer_id")
        .agg(
            pl.col("customer_name").first(),
            pl.col("region").first(),
            pl.len().alias("orders"),
            pl.col("paise").sum().alias("revenue_paise"),
        )
        .with_columns(pl.col("revenue_paise").rank("min", descending=True).alias("rank"))
        .filter(pl.col("rank") <= ctx.top)
    )


def previous_month_to_date(scope: pl.LazyFrame, ctx: KpiContext) -> pl.LazyFrame:
    """The like-for-like base of the as_of month's growth."""
    start, end = ctx.previous_month_to_date
    return scope.filter(pl.col("ordered_at").is_between(start, end)).select(
        pl.len().alias("orders"), pl.col("paise").sum().alias("revenue_paise")
    )


def window_totals(scope: pl.LazyFrame, ctx: KpiContext) -> pl.LazyFrame:
    """Every order of the top-customers window, with a customer record or not."""
    return scope.filter(pl.col("ordered_at") >= ctx.window_start).select(
        pl.len().alias("orders"), pl.col("paise").sum().alias("revenue_paise")
    )


def totals(scope: pl.LazyFrame) -> pl.LazyFrame:
    return scope.select(
        pl.len().alias("orders"),
        distinct_customers().alias("customers"),
        pl.col("paise").sum().alias("revenue_paise"),
        pl.col("customer_id").is_null().sum().alias("unmatched_orders"),
    )


def compute(lake: Lake, ctx: KpiContext) -> RawKpis:
    scope = orders_in_scope(lake, ctx).cache()
    queries = {
        "repeat_customers": repeat_customers(scope),
        "monthly_trends": monthly_trends(scope, ctx),
        "regional_revenue": regional_revenue(scope),
        "top_customers": top_customers(scope, ctx),
        "previous_month_to_date": previous_month_to_date(scope, ctx),
        "window_totals": window_totals(scope, ctx),
        "totals": totals(scope),
    }
    frames = pl.collect_all(list(queries.values()))
    return RawKpis.of(dict(zip(queries, frames, strict=True)))


def reject_reasons(rejects: pl.LazyFrame, ledger: pl.LazyFrame, limit: int) -> pl.DataFrame:
    """The most common kinds of reject reason per kind of record (each reject's kind is its
    batch's); a record with several problems counts for each."""
    kinds = ledger.select("batch_id", "kind")
    counted = rejects.join(kinds, on="batch_id", how="left").select(
        "kind", "reason", pl.lit(1, pl.Int64).alias("records")
    )
    return top_reasons_per_kind(counted, limit)
