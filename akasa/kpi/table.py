"""The four KPIs in SQLAlchemy Core over the table-mode database: one definition for every
dialect (the few dialect-specific pieces are in `akasa.kpi.dialect`).

Same raw semantics as `akasa.kpi.memory`: scope = orders at or before as_of, joined to their
customer through any number the customer ever had; region NULL -> `Unknown`; each unmatched
mobile number counts as one customer. The database returns sums and counts in integer paise
and UTC times; `akasa.kpi.spec.finalise` does every division, rounding, sort and format for
both modes. Every value is a bound parameter; no SQL is built from strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    CTE,
    ColumnElement,
    Connection,
    Engine,
    FromClause,
    Select,
    String,
    case,
    distinct,
    func,
    literal,
    select,
)

from akasa.config import Settings
from akasa.kpi import dialect
from akasa.kpi.context import KpiContext
from akasa.kpi.spec import RAW_SCHEMAS, UNKNOWN_REGION, RawKpis
from akasa.store.database import database_errors, make_engine
from akasa.store.migrations import ensure_at_head
from akasa.store.schema import batches, customer_mobiles, customers, order_lines, orders, rejects
from akasa.tables import SCHEMAS


def orders_in_scope(ctx: KpiContext) -> CTE:
    """Orders at or before as_of with their customer (NULL when unmatched) and region."""
    owner = customer_mobiles
    return (
        select(
            orders.c.order_id,
            orders.c.mobile_number,
            orders.c.ordered_at,
            dialect.paise(orders.c.total_amount).label("paise"),
            owner.c.customer_id,
            func.coalesce(customers.c.region, literal(UNKNOWN_REGION, String)).label("region"),
        )
        .select_from(
            orders.outerjoin(owner, owner.c.mobile_number == orders.c.mobile_number).outerjoin(
                customers, customers.c.customer_id == owner.c.customer_id
            )
        )
        .where(orders.c.ordered_at <= ctx.as_of)
        .cte("scope")
    )


def distinct_customers(rows: FromClause) -> ColumnElement[int]:
    """Customers with an order; each unmatched mobile number counts as one customer."""
    unmatched = case((rows.c.customer_id.is_(None), rows.c.mobile_number))
    return func.count(distinct(rows.c.customer_id)) + func.count(distinct(unmatched))


def repeat_customers(scope: CTE) -> Select[Any]:
    per_customer = (
        select(
            scope.c.customer_id,
            func.count().label("orders"),
            func.sum(scope.c.paise).label("revenue_paise"),
            func.min(scope.c.ordered_at).label("first_order_at"),
            func.max(scope.c.ordered_at).label("last_order_at"),
        )
        .where(scope.c.customer_id.is_not(None))
        .group_by(scope.c.customer_id)
        .having(func.count() >= 2)
        .subquery("per_customer")
    )
    return select(
        per_customer.c.customer_id,
        customers.c.customer_name,
        customers.c.region,
        per_customer.c.orders,
        per_customer.c.revenue_paise,
        per_customer.c.first_order_at,
        per_customer.c.last_order_at,
    ).join_from(per_customer, customers, customers.c.customer_id == per_customer.c.customer_id)


def monthly(scope: CTE, starts: Sequence[datetime]) -> tuple[Select[Any], Select[Any]]:
    """Orders, customers and revenue per month index; units per month index."""
    by_month = select(
        scope.c.order_id,
        scope.c.customer_id,
        scope.c.mobile_number,
        scope.c.paise,
        dialect.month_index(scope.c.ordered_at, starts).label("month_index"),
    ).subquery("by_month")
    figures = select(
        by_month.c.month_index,
        func.count().label("orders"),
        distinct_customers(by_month).label("customers"),
        func.sum(by_month.c.paise).label("revenue_paise"),
    ).group_by(by_month.c.month_index)
    units = (
        select(by_month.c.month_index, func.sum(order_lines.c.sku_count).label("units"))
        .join_from(by_month, order_lines, order_lines.c.order_id == by_month.c.order_id)
        .group_by(by_month.c.month_index)
    )
    return figures, units


def regional_revenue(scope: CTE) -> Select[Any]:
    return select(
        scope.c.region,
        func.sum(scope.c.paise).label("revenue_paise"),
        func.count().label("orders"),
        distinct_customers(scope).label("customers"),
    ).group_by(scope.c.region)


def top_customers(scope: CTE, ctx: KpiContext) -> Select[Any]:
    """Competition rank (1, 2, 2, 4) by window revenue; every row with rank <= top."""
    in_window = (
        select(
            scope.c.customer_id,
            func.count().label("orders"),
            func.sum(scope.c.paise).label("revenue_paise"),
        )
        .where(scope.c.customer_id.is_not(None), scope.c.ordered_at >= ctx.window_start)
        .group_by(scope.c.customer_id)
        .subquery("in_window")
    )
    ranked = select(
        in_window,
        func.rank().over(order_by=in_window.c.revenue_paise.desc()).label("rank"),
    ).subquery("ranked")
    return (
        select(
            ranked.c.rank,
            ranked.c.customer_id,
            customers.c.customer_name,
            customers.c.region,
            ranked.c.orders,
            ranked.c.revenue_paise,
        )
        .join_from(ranked, customers, customers.c.customer_id == ranked.c.customer_id)
        .where(ranked.c.rank <= ctx.top)
    )


def totals(scope: CTE) -> Select[Any]:
    unmatched = case((scope.c.customer_id.is_(None), literal(1)))
    return select(
        func.count().label("orders"),
        distinct_customers(scope).label("customers"),
        func.coalesce(func.sum(scope.c.paise), 0).label("revenue_paise"),
        func.count(unmatched).label("unmatched_orders"),
    )


def _frame(rows: Sequence[Any], name: str) -> pl.DataFrame:
    """Rows in RAW_SCHEMAS column order -> a frame; sums come back as Decimal on some
    dialects, so every count and sum is made an int first."""
    schema = RAW_SCHEMAS[name]
    integer = [dtype == pl.Int64() for dtype in schema.values()]
    data = [
        tuple(
            int(v) if is_int and v is not None else v
            for v, is_int in zip(row, integer, strict=True)
        )
        for row in rows
    ]
    return pl.DataFrame(data, schema=schema, orient="row")


def compute(conn: Connection, ctx: KpiContext) -> RawKpis:
    scope = orders_in_scope(ctx)
    frames = {
        "repeat_customers": _frame(conn.execute(repeat_customers(scope)).all(), "repeat_customers"),
        "monthly_trends": _monthly(conn, scope, ctx),
        "regional_revenue": _frame(conn.execute(regional_revenue(scope)).all(), "regional_revenue"),
        "top_customers": _frame(conn.execute(top_customers(scope, ctx)).all(), "top_customers"),
        "totals": _frame(conn.execute(totals(scope)).all(), "totals"),
    }
    return RawKpis.of(frames)


def _monthly(conn: Connection, scope: CTE, ctx: KpiContext) -> pl.DataFrame:
    first = conn.execute(select(func.min(scope.c.ordered_at))).scalar()
    if first is None:
        return pl.DataFrame(schema=RAW_SCHEMAS["monthly_trends"])
    labels, starts = dialect.months(first, ctx)
    figures, units = monthly(scope, starts)
    sold = {index: int(n) for index, n in conn.execute(units).all()}
    rows = [
        (labels[index], orders_, customers_, sold.get(index, 0), revenue)
        for index, orders_, customers_, revenue in conn.execute(figures).all()
    ]
    return _frame(rows, "monthly_trends")


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
            if conn.dialect.name != "sqlite":  # one snapshot for all the queries
                conn.execution_options(isolation_level="REPEATABLE READ")
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
