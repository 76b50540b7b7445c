"""The four KPIs as lazy Polars queries over the Parquet store, collected together."""

from __future__ import annotations

import polars as pl

from akasa.backends.base import OrderSpan, top_reasons_per_kind
from akasa.backends.lake import rollup
from akasa.backends.lake.store import Lake
from akasa.core import zones
from akasa.kpi.context import KpiContext
from akasa.kpi.spec import UNKNOWN_REGION, RawKpis


def order_span(lake: Lake) -> OrderSpan:
    kept = lake.rollup()
    if kept is not None:  # built in any zone, it holds every current order's time
        found = kept.select(pl.col("first_at").min(), pl.col("last_at").max())
    else:
        times = pl.col("ordered_at")
        found = (
            lake.current("orders")
            .select(times.min().alias("first_at"), times.max().alias("last_at"))
            .collect()
        )
    oldest, newest = found.row(0)
    return OrderSpan(oldest, newest)


def orders_in_scope(lake: Lake, ctx: KpiContext) -> pl.LazyFrame:
    """Orders at or before as_of: number, time, paise, units."""
    return (
        lake.current("orders")
        .filter(pl.col("ordered_at") <= ctx.as_of)
        .select("mobile_number", "ordered_at", rollup.paise(), "units")
    )


def per_number(orders: pl.LazyFrame, ctx: KpiContext) -> pl.LazyFrame:
    """Scope rows from the orders: per mobile number and business-zone month, the orders,
    paise, units, first and last order, and the same within the top-customers window."""
    month_key = pl.col("ordered_at").map_batches(
        lambda utc: zones.month_keys(utc, ctx.timezone), return_dtype=pl.Int64
    )
    in_window = pl.col("ordered_at") >= ctx.window_start
    return orders.group_by("mobile_number", month_key.alias("month_key")).agg(
        *rollup.figures(),
        in_window.sum().alias("window_orders"),
        pl.col("paise").filter(in_window).sum().alias("window_paise"),
    )


def per_number_rows(lake: Lake, ctx: KpiContext) -> pl.LazyFrame:
    """The scope rows, from the rollup where the run can use it (`rollup.plan`): its whole
    rows, and the months a bound cuts from the orders; else all from the orders."""
    orders = orders_in_scope(lake, ctx)
    kept = lake.rollup(ctx.timezone)
    found = rollup.plan(kept, ctx) if kept is not None else None
    if kept is None or found is None:  # (both, for the type checker)
        return per_number(orders, ctx)
    whole = rollup.whole_rows(kept, found)
    if not found.cut_months:
        return whole
    cut = orders.filter(pl.col("ordered_at") >= found.lower_bound())
    months = per_number(cut, ctx).filter(pl.col("month_key").is_in(found.cut_months))
    schema = whole.collect_schema()  # the index type of counts differs between builds
    return pl.concat([whole, months.select(schema.names()).cast(schema)])


def scope(lake: Lake, ctx: KpiContext) -> pl.LazyFrame:
    """One row per mobile number and business-zone month (`per_number_rows`), joined to
    the number's customer through any number the customer ever had (NULL when none) and
    region. Every KPI is a small aggregate over it, as in table mode
    (`akasa.backends.sql.kpis`): the joins and the per-customer work follow numbers x
    months, not orders."""
    owners = lake.current("customer_mobiles").select("mobile_number", "customer_id")
    customers = lake.current("customers").select("customer_id", "customer_name", "region")
    return (
        per_number_rows(lake, ctx)
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


def per_customer(scope: pl.LazyFrame) -> pl.LazyFrame:
    """The scope per customer (numbers without a customer left out); name and region are
    the same on every row of a customer."""
    return (
        scope.filter(pl.col("customer_id").is_not_null())
        .group_by("customer_id")
        .agg(
            pl.col("customer_name").first(),
            pl.col("region").first(),
            pl.col("orders").sum(),
            pl.col("paise").sum(),
            pl.col("first_at").min(),
            pl.col("last_at").max(),
            pl.col("window_orders").sum(),
            pl.col("window_paise").sum(),
        )
    )


def repeat_customers(customers: pl.LazyFrame) -> pl.LazyFrame:
    return customers.filter(pl.col("orders") >= 2).select(
        "customer_id",
        "customer_name",
        "region",
        "orders",
        pl.col("paise").alias("revenue_paise"),
        pl.col("first_at").alias("first_order_at"),
        pl.col("last_at").alias("last_order_at"),
    )


def monthly_trends(scope: pl.LazyFrame) -> pl.LazyFrame:
    """Months in the business zone by `akasa.core.zones` (the rules table mode uses too)."""
    return (
        scope.group_by("month_key")
        .agg(
            pl.col("orders").sum(),
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
        pl.col("orders").sum(),
        distinct_customers().alias("customers"),
    )


def top_customers(customers: pl.LazyFrame, ctx: KpiContext) -> pl.LazyFrame:
    return (
        customers.filter(pl.col("window_orders") > 0)
        .select(
            "customer_id",
            "customer_name",
            "region",
            pl.col("window_orders").alias("orders"),
            pl.col("window_paise").alias("revenue_paise"),
        )
        .with_columns(pl.col("revenue_paise").rank("min", descending=True).alias("rank"))
        .filter(pl.col("rank") <= ctx.top)
    )


def previous_month_to_date(orders: pl.LazyFrame, ctx: KpiContext) -> pl.LazyFrame:
    """The like-for-like base of the as_of month's growth: from the orders, not the scope
    (whose rows are whole months)."""
    start, end = ctx.previous_month_to_date
    return orders.filter(pl.col("ordered_at").is_between(start, end)).select(
        pl.len().alias("orders"), pl.col("paise").sum().alias("revenue_paise")
    )


def window_totals(scope: pl.LazyFrame) -> pl.LazyFrame:
    """Every order of the top-customers window, with a customer record or not."""
    return scope.select(
        pl.col("window_orders").sum().alias("orders"),
        pl.col("window_paise").sum().alias("revenue_paise"),
    )


def totals(scope: pl.LazyFrame) -> pl.LazyFrame:
    return scope.select(
        pl.col("orders").sum(),
        distinct_customers().alias("customers"),
        pl.col("paise").sum().alias("revenue_paise"),
        pl.col("orders").filter(pl.col("customer_id").is_null()).sum().alias("unmatched_orders"),
    )


def compute(lake: Lake, ctx: KpiContext) -> RawKpis:
    orders = orders_in_scope(lake, ctx)
    numbers = scope(lake, ctx).cache()
    customers = per_customer(numbers).cache()
    queries = {
        "repeat_customers": repeat_customers(customers),
        "monthly_trends": monthly_trends(numbers),
        "regional_revenue": regional_revenue(numbers),
        "top_customers": top_customers(customers, ctx),
        "previous_month_to_date": previous_month_to_date(orders, ctx),
        "window_totals": window_totals(numbers),
        "totals": totals(numbers),
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
