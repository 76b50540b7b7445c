"""The four KPIs in SQLAlchemy Core over the table-mode database: one definition for every
dialect (paise and the local month key come from the dialect classes in
`akasa.backends.sql.dialects`).

Same raw semantics as `akasa.backends.lake.kpis`: scope = orders at or before as_of, joined
to their customer through any number the customer ever had; region NULL -> `Unknown`; each unmatched
mobile number counts as one customer. The database returns sums and counts in integer paise
and UTC times; `akasa.kpi.spec.finalise` does every division, rounding, sort and format for
both modes. Every value is a bound parameter; no SQL is built from strings.

The orders are read ONCE per run, or not at all: one INSERT ... SELECT fills a session
TEMPORARY table, the scope, with one row per mobile number and month (orders, paise,
units, first and last order, the same within the top-customers window) joined to the
number's customer, name and region. It is filled from the rollup `order_days` (numbers x
local days, kept by the load; `akasa.backends.sql.rollup`) whenever the run's bounds are
whole days, else from the orders. Every KPI is then a small aggregate over that table,
whose size follows customers x months, not orders. As one statement, the scope is one
consistent snapshot. See docs/table-mode.md, "Query plans".
"""

from __future__ import annotations

from collections.abc import Sequence
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
    Subquery,
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

from akasa.backends.sql import rollup
from akasa.backends.sql.dialects import SqlDialect, dialect_of
from akasa.backends.sql.schema import (
    MOBILE,
    TABLE_OPTIONS,
    UtcDateTime,
    customer_mobiles,
    customers,
    order_days,
    orders,
)
from akasa.core import zones
from akasa.core.tables import MAX_ID_CHARS, MAX_NAME_CHARS, MAX_REGION_CHARS
from akasa.core.zones import OffsetPeriods
from akasa.kpi.context import KpiContext
from akasa.kpi.spec import RAW_SCHEMAS, UNKNOWN_REGION, RawKpis

SCOPE = Table(
    "akasa_kpi_scope",
    MetaData(),  # not the schema's: a per-session table Alembic never sees
    Column("mobile_number", MOBILE, nullable=False),
    Column("month_key", Integer, nullable=False),  # 202510: October 2025, business zone
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


def scope_rows(ctx: KpiContext, periods: OffsetPeriods, dialect: SqlDialect) -> Select[Any]:
    """The scope's rows: orders at or before as_of per number and month, with the number's
    customer (NULL when unmatched) and region."""
    in_window = case((orders.c.ordered_at >= ctx.window_start, 1), else_=0)
    by_order = (
        select(
            orders.c.mobile_number,
            dialect.local_month_key(orders.c.ordered_at, periods).label("month_key"),
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
            by_order.c.month_key,
            func.count().label("orders"),
            func.sum(by_order.c.paise).label("paise"),
            func.sum(by_order.c.units).label("units"),
            func.min(by_order.c.ordered_at).label("first_at"),
            func.max(by_order.c.ordered_at).label("last_at"),
            func.sum(by_order.c.in_window).label("window_orders"),
            func.sum(by_order.c.in_window * by_order.c.paise).label("window_paise"),
        )
        .group_by(by_order.c.mobile_number, by_order.c.month_key)
        .subquery("per_number")
    )
    return _with_owner(per_number)


def rollup_scope_rows(as_of_day: int, first_day: int) -> Select[Any]:
    """The same rows from the rollup (`akasa.backends.sql.rollup`): numbers x local days
    up to the as_of day, the window being whole days from `first_day`."""
    days = order_days.c
    in_window = days.local_day >= first_day
    zero = literal(0, BigInteger)
    per_number = (
        select(
            days.mobile_number,
            days.local_month.label("month_key"),
            func.sum(days.orders).label("orders"),
            func.sum(days.paise).label("paise"),
            func.sum(days.units).label("units"),
            func.min(days.first_at).label("first_at"),
            func.max(days.last_at).label("last_at"),
            func.sum(case((in_window, days.orders), else_=zero)).label("window_orders"),
            func.sum(case((in_window, days.paise), else_=zero)).label("window_paise"),
        )
        .where(days.local_day <= as_of_day)
        .group_by(days.mobile_number, days.local_month)
        .subquery("per_number")
    )
    return _with_owner(per_number)


def _with_owner(per_number: Subquery) -> Select[Any]:
    """Per-number rows joined to the number's customer (NULL when unmatched) and region."""
    owner = customer_mobiles
    return select(
        per_number.c.mobile_number,
        per_number.c.month_key,
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


def fill_scope(conn: Connection, ctx: KpiContext) -> None:
    """Creates and fills the scope: from the rollup when the run's bounds are whole local
    days of the zone it is kept in (every `--as-of` but `now`), else from the orders.

    The zone's offsets are looked up for the span of the orders in scope. Where reads are
    not one snapshot (READ COMMITTED on MySQL), an order outside that span may land between
    finding the span and filling the scope: then the scope is filled again over the wider
    span.
    """
    conn.execute(CreateTable(SCOPE))
    whole_days = rollup.usable(conn, ctx)
    if whole_days is not None:
        rows = rollup_scope_rows(*whole_days)
        conn.execute(insert(SCOPE).from_select(list(SCOPE.c.keys()), rows))
        conn.execute(CreateIndex(SCOPE_BY_CUSTOMER))
        return
    in_scope = orders.c.ordered_at <= ctx.as_of
    span = conn.execute(
        select(func.min(orders.c.ordered_at), func.max(orders.c.ordered_at)).where(in_scope)
    ).one()
    first, last = span
    dialect = dialect_of(conn)
    while first is not None:
        periods = zones.periods(ctx.timezone, first, last)
        conn.execute(
            insert(SCOPE).from_select(list(SCOPE.c.keys()), scope_rows(ctx, periods, dialect))
        )
        earliest, latest = conn.execute(
            select(func.min(SCOPE.c.first_at), func.max(SCOPE.c.last_at))
        ).one()
        if earliest is None or (earliest >= first and latest <= last):
            conn.execute(CreateIndex(SCOPE_BY_CUSTOMER))
            return
        conn.execute(delete(SCOPE))
        first, last = min(first, earliest), max(last, latest)


def month_label(key: int) -> str:
    """202510 -> `2025-10`."""
    return f"{key // 100:04d}-{key % 100:02d}"


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
    """Orders, customers, units and revenue per month."""
    return select(
        SCOPE.c.month_key,
        func.sum(SCOPE.c.orders).label("orders"),
        distinct_customers().label("customers"),
        func.sum(SCOPE.c.units).label("units"),
        func.sum(SCOPE.c.paise).label("revenue_paise"),
    ).group_by(SCOPE.c.month_key)


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


def previous_month_to_date(ctx: KpiContext) -> Select[int, int]:
    """The like-for-like base of the as_of month's growth: a range of the orders' time
    index, not the scope (whose rows are whole months)."""
    start, end = ctx.previous_month_to_date
    zero = literal(0, BigInteger)
    return select(
        func.count().label("orders"),
        func.coalesce(func.sum(SqlDialect.paise(orders.c.total_amount)), zero).label(
            "revenue_paise"
        ),
    ).where(orders.c.ordered_at >= start, orders.c.ordered_at <= end)


def window_totals(ctx: KpiContext) -> Select[int, int]:
    """Every order of the top-customers window, with a customer record or not: a range of
    the orders' time index, as for the month to date."""
    zero = literal(0, BigInteger)
    return select(
        func.count().label("orders"),
        func.coalesce(func.sum(SqlDialect.paise(orders.c.total_amount)), zero).label(
            "revenue_paise"
        ),
    ).where(orders.c.ordered_at >= ctx.window_start, orders.c.ordered_at <= ctx.as_of)


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
    integer = [dtype.is_integer() for dtype in schema.values()]
    data = [
        tuple(
            int(v) if is_int and v is not None else v
            for v, is_int in zip(row, integer, strict=True)
        )
        for row in rows
    ]
    return pl.DataFrame(data, schema=schema, orient="row")


def compute(conn: Connection, ctx: KpiContext) -> RawKpis:
    fill_scope(conn, ctx)
    months = [
        (month_label(key), orders_, customers_, units, revenue)
        for key, orders_, customers_, units, revenue in conn.execute(monthly()).all()
    ]
    frames = {
        "repeat_customers": _frame(conn.execute(repeat_customers()).all(), "repeat_customers"),
        "monthly_trends": _frame(months, "monthly_trends"),
        "regional_revenue": _frame(conn.execute(regional_revenue()).all(), "regional_revenue"),
        "top_customers": _frame(conn.execute(top_customers(ctx)).all(), "top_customers"),
        "previous_month_to_date": _frame(
            conn.execute(previous_month_to_date(ctx)).all(), "previous_month_to_date"
        ),
        "window_totals": _frame(conn.execute(window_totals(ctx)).all(), "window_totals"),
        "totals": _frame(conn.execute(totals()).all(), "totals"),
    }
    return RawKpis.of(frames)
