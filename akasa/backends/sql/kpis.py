"""The four KPIs in SQLAlchemy Core over the table-mode database: one definition for every
dialect (the shared KPI pieces, paise and month buckets, are in `akasa.backends.sql.dialects`).

Same raw semantics as `akasa.backends.lake.kpis`: scope = orders at or before as_of, joined to their
customer through any number the customer ever had; region NULL -> `Unknown`; each unmatched
mobile number counts as one customer. The database returns sums and counts in integer paise
and UTC times; `akasa.kpi.spec.finalise` does every division, rounding, sort and format for
both modes. Every value is a bound parameter; no SQL is built from strings.

The orders are read ONCE per run: one INSERT ... SELECT fills a session TEMPORARY table,
the scope, with one row per mobile number and month (orders, paise, units, first and last
order, the same within the top-customers window) joined to the number's customer, name
and region. Every KPI is then a small aggregate over that table, whose size follows
customers x months, not orders. As one statement, the scope is one consistent snapshot.
See docs/table-mode.md, "Query plans".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    case,
    delete,
    distinct,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.schema import CreateIndex, CreateTable

from akasa.backends.sql.dialects import SqlDialect
from akasa.backends.sql.schema import (
    MOBILE,
    TABLE_OPTIONS,
    UtcDateTime,
    customer_mobiles,
    customers,
    orders,
)
from akasa.core.tables import MAX_ID_CHARS, MAX_NAME_CHARS, MAX_REGION_CHARS
from akasa.kpi.context import KpiContext
from akasa.kpi.spec import RAW_SCHEMAS, UNKNOWN_REGION, RawKpis

SCOPE = Table(
    "akasa_kpi_scope",
    MetaData(),  # not the schema's: a per-session table Alembic never sees
    Column("mobile_number", MOBILE, nullable=False),
    Column("month_index", Integer, nullable=False),
    Column("customer_id", String(MAX_ID_CHARS)),  # NULL: no customer has this number
    Column("customer_name", String(MAX_NAME_CHARS)),
    Column("region", String(MAX_REGION_CHARS), nullable=False),
    Column("orders", BigInteger, nullable=False),
    Column("paise", BigInteger, nullable=False),
    Column("units", BigInteger, nullable=False),
    Column("first_at", UtcDateTime(), nullable=False),
    Column("last_at", UtcDateTime(), nullable=False),
    Column("window_orders", BigInteger, nullable=False),
    Column("window_paise", BigInteger, nullable=False),
    prefixes=["TEMPORARY"],
    **TABLE_OPTIONS,  # MySQL: the binary collation, so ids group and count as in Polars
)
# Built after the scope is filled (cheaper than keeping it up to date row by row): the
# per-customer KPIs then group in index order instead of through a temporary table.
SCOPE_BY_CUSTOMER = Index("ix_akasa_kpi_scope_customer_id", SCOPE.c.customer_id)


def scope_rows(ctx: KpiContext, starts: Sequence[datetime]) -> Select[Any]:
    """The scope's rows: orders at or before as_of per number and month, with the number's
    customer (NULL when unmatched) and region."""
    in_window = case((orders.c.ordered_at >= ctx.window_start, 1), else_=0)
    by_order = (
        select(
            orders.c.mobile_number,
            SqlDialect.month_index(orders.c.ordered_at, starts).label("month_index"),
            orders.c.ordered_at,
            SqlDialect.paise(orders.c.total_amount).label("paise"),
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
        func.coalesce(customers.c.region, literal(UNKNOWN_REGION, String)),
        per_number.c.orders,
        per_number.c.paise,
        per_number.c.units,
        per_number.c.first_at,
        per_number.c.last_at,
        per_number.c.window_orders,
        per_number.c.window_paise,
    ).select_from(
        per_number.outerjoin(owner, owner.c.mobile_number == per_number.c.mobile_number).outerjoin(
            customers, customers.c.customer_id == owner.c.customer_id
        )
    )


def fill_scope(conn: Connection, ctx: KpiContext) -> list[str]:
    """Creates and fills the scope; returns the `YYYY-MM` label of each month index.

    Months are bucketed from the first order in scope. Where reads are not one snapshot
    (READ COMMITTED on MySQL), an older order may land between finding that first order
    and filling the scope: then the scope is filled again from the older one.
    """
    conn.execute(CreateTable(SCOPE))
    first = conn.execute(
        select(func.min(orders.c.ordered_at)).where(orders.c.ordered_at <= ctx.as_of)
    ).scalar()
    while first is not None:
        labels, starts = SqlDialect.months(first, ctx)
        conn.execute(insert(SCOPE).from_select(list(SCOPE.c.keys()), scope_rows(ctx, starts)))
        earliest = conn.execute(select(func.min(SCOPE.c.first_at))).scalar()
        if earliest is None or earliest >= starts[0]:
            conn.execute(CreateIndex(SCOPE_BY_CUSTOMER))
            return labels
        conn.execute(delete(SCOPE))
        first = earliest
    return []


def distinct_customers() -> ColumnElement[int]:
    """Customers with an order; each unmatched mobile number counts as one customer."""
    unmatched = case((SCOPE.c.customer_id.is_(None), SCOPE.c.mobile_number))
    return func.count(distinct(SCOPE.c.customer_id)) + func.count(distinct(unmatched))


def _per_customer() -> list[Any]:
    """Columns of a per-customer aggregate: name and region are the same on every row of
    a customer, so MAX just picks them."""
    return [
        SCOPE.c.customer_id,
        func.max(SCOPE.c.customer_name).label("customer_name"),
        func.max(SCOPE.c.region).label("region"),
    ]


def repeat_customers() -> Select[Any]:
    orders_ = func.sum(SCOPE.c.orders)
    return (
        select(
            *_per_customer(),
            orders_.label("orders"),
            func.sum(SCOPE.c.paise).label("revenue_paise"),
            func.min(SCOPE.c.first_at).label("first_order_at"),
            func.max(SCOPE.c.last_at).label("last_order_at"),
        )
        .where(SCOPE.c.customer_id.is_not(None))
        .group_by(SCOPE.c.customer_id)
        .having(orders_ >= 2)
    )


def monthly() -> Select[Any]:
    """Orders, customers, units and revenue per month index."""
    return select(
        SCOPE.c.month_index,
        func.sum(SCOPE.c.orders).label("orders"),
        distinct_customers().label("customers"),
        func.sum(SCOPE.c.units).label("units"),
        func.sum(SCOPE.c.paise).label("revenue_paise"),
    ).group_by(SCOPE.c.month_index)


def regional_revenue() -> Select[Any]:
    return select(
        SCOPE.c.region,
        func.sum(SCOPE.c.paise).label("revenue_paise"),
        func.sum(SCOPE.c.orders).label("orders"),
        distinct_customers().label("customers"),
    ).group_by(SCOPE.c.region)


def top_customers(ctx: KpiContext) -> Select[Any]:
    """Competition rank (1, 2, 2, 4) by window revenue; every row with rank <= top."""
    in_window = (
        select(
            *_per_customer(),
            func.sum(SCOPE.c.window_orders).label("orders"),
            func.sum(SCOPE.c.window_paise).label("revenue_paise"),
        )
        .where(SCOPE.c.customer_id.is_not(None), SCOPE.c.window_orders > 0)
        .group_by(SCOPE.c.customer_id)
        .subquery("in_window")
    )
    ranked = select(
        in_window,
        func.rank().over(order_by=in_window.c.revenue_paise.desc()).label("rank"),
    ).subquery("ranked")
    return select(
        ranked.c.rank,
        ranked.c.customer_id,
        ranked.c.customer_name,
        ranked.c.region,
        ranked.c.orders,
        ranked.c.revenue_paise,
    ).where(ranked.c.rank <= ctx.top)


def totals() -> Select[Any]:
    zero = literal(0, BigInteger)
    unmatched = case((SCOPE.c.customer_id.is_(None), SCOPE.c.orders), else_=zero)
    return select(
        func.coalesce(func.sum(SCOPE.c.orders), zero).label("orders"),
        distinct_customers().label("customers"),
        func.coalesce(func.sum(SCOPE.c.paise), zero).label("revenue_paise"),
        func.coalesce(func.sum(unmatched), zero).label("unmatched_orders"),
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
    labels = fill_scope(conn, ctx)
    months = [
        (labels[index], orders_, customers_, units, revenue)
        for index, orders_, customers_, units, revenue in conn.execute(monthly()).all()
    ]
    frames = {
        "repeat_customers": _frame(conn.execute(repeat_customers()).all(), "repeat_customers"),
        "monthly_trends": _frame(months, "monthly_trends"),
        "regional_revenue": _frame(conn.execute(regional_revenue()).all(), "regional_revenue"),
        "top_customers": _frame(conn.execute(top_customers(ctx)).all(), "top_customers"),
        "totals": _frame(conn.execute(totals()).all(), "totals"),
    }
    return RawKpis.of(frames)
