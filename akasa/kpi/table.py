"""The four KPIs over the table-mode database: the orders are reduced in SQL (SQLAlchemy
Core, one definition for every dialect; the few dialect-specific pieces are in
`akasa.kpi.dialect`), the small result finished in Polars.

Same raw semantics as `akasa.kpi.memory`: scope = orders at or before as_of, joined to their
customer through any number the customer ever had; region NULL -> `Unknown`; each unmatched
mobile number counts as one customer. `akasa.kpi.spec.finalise` does every division,
rounding, sort and format for both modes. Every value is a bound parameter; no SQL is built
from strings.

The orders are read ONCE per run, by one SELECT, the scope: one row per mobile number and
month (orders, paise, units, first and last order, the same within the top-customers
window) with the number's customer, name and region. That is all the database returns; its
size follows numbers x months, not orders. Summing those rows per month, region and
customer, counting distinct customers and ranking take Polars milliseconds, where each was
another pass (and temporary table) in the database. See docs/table-mode.md, "Query plans".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Engine,
    Select,
    String,
    case,
    cast,
    func,
    literal,
    select,
    type_coerce,
)

from akasa.config import Settings
from akasa.kpi import dialect
from akasa.kpi.context import KpiContext
from akasa.kpi.spec import RAW_SCHEMAS, UNKNOWN_REGION, RawKpis
from akasa.store.database import database_errors, make_engine
from akasa.store.migrations import ensure_at_head
from akasa.store.schema import MYSQL, batches, customer_mobiles, customers, orders, rejects
from akasa.tables import SCHEMAS

# The scope's GROUP BY keeps one in-memory row per number and month; past MySQL's default
# 16 MB of temporary table (about 120k numbers) it moves to disk and the scope takes twice
# as long. Raised for this session only; the memory is used only as the data needs it.
MYSQL_KPI_SESSION = "SET SESSION tmp_table_size = 268435456, max_heap_table_size = 268435456"

SCOPE_SCHEMA: dict[str, pl.DataType] = {
    "mobile_number": pl.String(),
    "month_index": pl.Int64(),
    "customer_id": pl.String(),  # null: no customer has this number
    "customer_name": pl.String(),
    "region": pl.String(),
    "orders": pl.Int64(),
    "paise": pl.Int64(),
    "units": pl.Int64(),
    "first_at": pl.Datetime("us", "UTC"),
    "last_at": pl.Datetime("us", "UTC"),
    "window_orders": pl.Int64(),
    "window_paise": pl.Int64(),
}


def scope_rows(ctx: KpiContext, starts: Sequence[datetime]) -> Select[Any]:
    """Orders at or before as_of per number and month, with the number's customer (NULL
    when unmatched), name and region; columns as `SCOPE_SCHEMA`."""
    in_window = case((orders.c.ordered_at >= ctx.window_start, 1), else_=0)
    by_order = (
        select(
            orders.c.mobile_number,
            dialect.month_index(orders.c.ordered_at, starts).label("month_index"),
            orders.c.ordered_at,
            dialect.paise(orders.c.total_amount).label("paise"),
            orders.c.units,
            in_window.label("in_window"),
        )
        .where(orders.c.ordered_at <= ctx.as_of)
        .subquery("by_order")
    )
    per_number = (
        select(
            by_order.c.mobile_number,
            by_order.c.month_index,
            func.count().label("orders"),
            func.sum(by_order.c.paise).label("paise"),
            func.sum(by_order.c.units).label("units"),
            func.min(by_order.c.ordered_at).label("first_at"),
            func.max(by_order.c.ordered_at).label("last_at"),
            func.sum(by_order.c.in_window).label("window_orders"),
            func.sum(by_order.c.in_window * by_order.c.paise).label("window_paise"),
        )
        .group_by(by_order.c.mobile_number, by_order.c.month_index)
        .subquery("per_number")
    )
    owner = customer_mobiles
    return select(
        per_number.c.mobile_number,
        per_number.c.month_index,
        owner.c.customer_id,
        customers.c.customer_name,
        func.coalesce(customers.c.region, literal(UNKNOWN_REGION, String)).label("region"),
        # Sums come back as DECIMAL from MySQL and PostgreSQL, which the drivers turn into
        # Python Decimals one by one; as BIGINT they arrive as plain ints.
        cast(per_number.c.orders, BigInteger).label("orders"),
        cast(per_number.c.paise, BigInteger).label("paise"),
        cast(per_number.c.units, BigInteger).label("units"),
        # Plain DateTime: naive UTC from the driver, made aware for the whole column at
        # once (UtcDateTime would convert each of ~100k values in Python).
        type_coerce(per_number.c.first_at, DateTime()).label("first_at"),
        type_coerce(per_number.c.last_at, DateTime()).label("last_at"),
        cast(per_number.c.window_orders, BigInteger).label("window_orders"),
        cast(per_number.c.window_paise, BigInteger).label("window_paise"),
    ).select_from(
        per_number.outerjoin(owner, owner.c.mobile_number == per_number.c.mobile_number).outerjoin(
            customers, customers.c.customer_id == owner.c.customer_id
        )
    )


def read_scope(conn: Connection, ctx: KpiContext) -> tuple[pl.DataFrame, list[str]]:
    """The scope as a frame, and the `YYYY-MM` label of each month index (months are
    counted from the first order in scope; both reads share the run's snapshot)."""
    first = conn.execute(
        select(func.min(orders.c.ordered_at)).where(orders.c.ordered_at <= ctx.as_of)
    ).scalar()
    if first is None:
        return pl.DataFrame(schema=SCOPE_SCHEMA), []
    labels, starts = dialect.months(first, ctx)
    return _frame(conn.execute(scope_rows(ctx, starts)).all(), SCOPE_SCHEMA), labels


def _frame(rows: Sequence[Any], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Rows in `schema` column order -> a frame. Times come back naive UTC (plain
    `DateTime`) and are made aware here, for the whole column at once."""
    times = [name for name, dtype in schema.items() if isinstance(dtype, pl.Datetime)]
    naive = {name: pl.Datetime("us") if name in times else dtype for name, dtype in schema.items()}
    frame = pl.DataFrame(rows, schema=naive, orient="row")
    return frame.with_columns(pl.col(name).dt.replace_time_zone("UTC") for name in times)


# ---- the KPIs from the scope ---------------------------------------------------------------


def distinct_customers() -> pl.Expr:
    """Customers with an order; each unmatched mobile number counts as one customer."""
    unmatched = pl.col("mobile_number").filter(pl.col("customer_id").is_null())
    return pl.col("customer_id").drop_nulls().n_unique() + unmatched.n_unique()


def per_customer(scope: pl.DataFrame, ctx: KpiContext) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Repeat customers (>= 2 orders in scope) and top customers (competition rank 1, 2, 2,
    4 by window revenue among customers with an order in the window; every row with
    rank <= top). Name and region are the same on every row of a customer, so `max` just
    picks them."""
    by_customer = (
        scope.filter(pl.col("customer_id").is_not_null())
        .group_by("customer_id")
        .agg(
            pl.col("customer_name").max(),
            pl.col("region").max(),
            pl.col("orders").sum(),
            pl.col("paise").sum().alias("revenue_paise"),
            pl.col("first_at").min().alias("first_order_at"),
            pl.col("last_at").max().alias("last_order_at"),
            pl.col("window_orders").sum(),
            pl.col("window_paise").sum(),
        )
    )
    repeat = by_customer.filter(pl.col("orders") >= 2).select(list(RAW_SCHEMAS["repeat_customers"]))
    top = (
        by_customer.filter(pl.col("window_orders") > 0)
        .with_columns(pl.col("window_paise").rank("min", descending=True).alias("rank"))
        .filter(pl.col("rank") <= ctx.top)
        .select(
            "rank",
            "customer_id",
            "customer_name",
            "region",
            pl.col("window_orders").alias("orders"),
            pl.col("window_paise").alias("revenue_paise"),
        )
    )
    return repeat, top


def monthly(scope: pl.DataFrame, labels: list[str]) -> pl.DataFrame:
    """Orders, customers, units and revenue of each month that has orders."""
    return (
        scope.group_by("month_index")
        .agg(
            pl.col("orders").sum(),
            distinct_customers().alias("customers"),
            pl.col("units").sum(),
            pl.col("paise").sum().alias("revenue_paise"),
        )
        .with_columns(
            pl.col("month_index")
            .replace_strict(dict(enumerate(labels)), return_dtype=pl.String)
            .alias("month")
        )
    )


def regional_revenue(scope: pl.DataFrame) -> pl.DataFrame:
    return scope.group_by("region").agg(
        pl.col("paise").sum().alias("revenue_paise"),
        pl.col("orders").sum(),
        distinct_customers().alias("customers"),
    )


def totals(scope: pl.DataFrame) -> pl.DataFrame:
    unmatched = pl.col("orders").filter(pl.col("customer_id").is_null())
    return scope.select(
        pl.col("orders").sum(),
        distinct_customers().alias("customers"),
        pl.col("paise").sum().alias("revenue_paise"),
        unmatched.sum().alias("unmatched_orders"),
    )


def compute(conn: Connection, ctx: KpiContext) -> RawKpis:
    scope, labels = read_scope(conn, ctx)
    repeat, top = per_customer(scope, ctx)
    frames = {
        "repeat_customers": repeat,
        "monthly_trends": monthly(scope, labels),
        "regional_revenue": regional_revenue(scope),
        "top_customers": top,
        "totals": totals(scope),
    }
    return RawKpis.of(frames)


class TableKpis:
    """Table mode behind the interface `kpi.run` uses for both modes."""

    mode = "table"

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine

    def _scalar(self, query: Select[Any]) -> Any:
        with database_errors(self.settings), self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def newest_order_at(self) -> datetime | None:
        return self._scalar(select(func.max(orders.c.ordered_at)))

    def last_ingest_at(self) -> datetime | None:
        return self._scalar(select(func.max(batches.c.finished_at)))

    def compute(self, ctx: KpiContext) -> RawKpis:
        with database_errors(self.settings), self.engine.connect() as conn:
            if conn.dialect.name != "sqlite":  # one snapshot for both reads
                conn.execution_options(isolation_level="REPEATABLE READ")
            if conn.dialect.name in MYSQL:
                conn.exec_driver_sql(MYSQL_KPI_SESSION)
            return compute(conn, ctx)

    def ledger(self) -> pl.DataFrame:
        query = select(*(batches.c[name] for name in SCHEMAS["batches"])).order_by(
            batches.c.batch_id
        )
        with database_errors(self.settings), self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return pl.DataFrame(rows, schema=SCHEMAS["batches"], orient="row")

    def reject_reasons(self, limit: int) -> pl.DataFrame:
        """As memory mode: a record with several problems counts once for each."""
        query = select(rejects.c.reason, func.count()).group_by(rejects.c.reason)
        with database_errors(self.settings), self.engine.connect() as conn:
            rows = conn.execute(query).all()
        counted = pl.DataFrame(
            [(reason, int(n)) for reason, n in rows],
            schema={"reason": pl.String, "records": pl.Int64},
            orient="row",
        )
        return (
            counted.with_columns(pl.col("reason").str.split("; "))
            .explode("reason")
            .group_by("reason")
            .agg(pl.col("records").sum())
            .sort(["records", "reason"], descending=[True, False])
            .head(limit)
        )


def open_table_kpis(settings: Settings) -> TableKpis:
    """Table-mode KPIs, after checking the schema is at the newest migration."""
    engine = make_engine(settings)
    with database_errors(settings), engine.connect() as conn:
        ensure_at_head(conn)
    return TableKpis(settings, engine)
