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
whole days, else from the orders. A second temporary table holds the scope per customer
(`fill_customers`). Every KPI is then a small aggregate over one of them, whose sizes
follow customers x months, not orders. As one statement, the scope is one
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
    cast,
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


def _temporary(name: str, *columns: Column[Any]) -> Table:
    """A per-session table: not in the schema's metadata, so Alembic never sees it; on
    MySQL the binary collation, so ids group and count as in Polars."""
    return Table(name, MetaData(), *columns, prefixes=["TEMPORARY"], **TABLE_OPTIONS)


def _customer(nullable: bool) -> list[Column[Any]]:
    return [
        Column("customer_id", String(MAX_ID_CHARS), nullable=nullable),
        Column("customer_name", String(MAX_NAME_CHARS)),
        Column("region", String(MAX_REGION_CHARS), nullable=False),
    ]


def _figures(*names: str) -> list[Column[Any]]:
    """Counts and sums in integer paise, and the first and last order (UTC)."""
    times = ("first_at", "last_at")
    return [Column(n, UtcDateTime() if n in times else BigInteger, nullable=False) for n in names]


SCOPE = _temporary(
    "akasa_kpi_scope",
    Column("mobile_number", MOBILE, nullable=False),
    Column("month_key", Integer, nullable=False),  # 202510: October 2025, business zone
    *_customer(nullable=True),  # NULL: no customer has this number
    *_figures("orders", "paise", "units", "first_at", "last_at", "window_orders", "window_paise"),
)
# Built after the scope is filled (cheaper than keeping it up to date row by row): the
# per-customer table below then groups in index order instead of through a sort.
SCOPE_BY_CUSTOMER = Index("ix_akasa_kpi_scope_customer_id", SCOPE.c.customer_id)
# The scope per customer (numbers without a customer left out), filled once from it: the
# repeat and top customers are then a filter and a short ranking over its rows, instead
# of two more groupings of the scope.
CUSTOMERS = _temporary(
    "akasa_kpi_customers",
    *_customer(nullable=False),
    *_figures("orders", "paise", "first_at", "last_at", "window_orders", "window_paise"),
)


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


def fill_customers(conn: Connection) -> None:
    """Creates and fills the per-customer table from the scope. Name and region are the
    same on every scope row of a customer, so MAX just picks them."""
    conn.execute(CreateTable(CUSTOMERS))
    rows = (
        select(
            SCOPE.c.customer_id,
            func.max(SCOPE.c.customer_name),
            func.max(SCOPE.c.region),
            func.sum(SCOPE.c.orders),
            func.sum(SCOPE.c.paise),
            func.min(SCOPE.c.first_at),
            func.max(SCOPE.c.last_at),
            func.sum(SCOPE.c.window_orders),
            func.sum(SCOPE.c.window_paise),
        )
        .where(SCOPE.c.customer_id.is_not(None))
        .group_by(SCOPE.c.customer_id)
    )
    conn.execute(insert(CUSTOMERS).from_select(list(CUSTOMERS.c.keys()), rows))


def repeat_customers() -> Select[Any]:
    return select(
        CUSTOMERS.c.customer_id,
        CUSTOMERS.c.customer_name,
        CUSTOMERS.c.region,
        CUSTOMERS.c.orders,
        CUSTOMERS.c.paise.label("revenue_paise"),
        _as_text(CUSTOMERS.c.first_at).label("first_order_at"),
        _as_text(CUSTOMERS.c.last_at).label("last_order_at"),
    ).where(CUSTOMERS.c.orders >= 2)


def top_threshold(ctx: KpiContext) -> Select[Any]:
    """The `top`-th largest window revenue (none when fewer customers bought in the
    window): a customer ranks within `top` exactly when its revenue is at least that."""
    return (
        select(CUSTOMERS.c.window_paise)
        .where(CUSTOMERS.c.window_orders > 0)
        .order_by(CUSTOMERS.c.window_paise.desc())
        .limit(1)
        .offset(ctx.top - 1)
    )


def top_customers(threshold: int) -> Select[Any]:
    """Competition rank (1, 2, 2, 4) by window revenue over the customers at or above
    `threshold`: every customer that outranks one of them is among them, so their ranks
    are their ranks among all customers, each <= top."""
    ranked = (
        select(
            CUSTOMERS.c.customer_id,
            CUSTOMERS.c.customer_name,
            CUSTOMERS.c.region,
            CUSTOMERS.c.window_orders.label("orders"),
            CUSTOMERS.c.window_paise.label("revenue_paise"),
        )
        .where(CUSTOMERS.c.window_orders > 0, CUSTOMERS.c.window_paise >= threshold)
        .subquery("in_window")
    )
    return select(
        func.rank().over(order_by=ranked.c.revenue_paise.desc()).label("rank"),
        ranked.c.customer_id,
        ranked.c.customer_name,
        ranked.c.region,
        ranked.c.orders,
        ranked.c.revenue_paise,
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


def window_totals() -> Select[Any]:
    """Every order of the top-customers window, with a customer record or not: the
    scope's window columns cover every number, matched or not."""
    zero = literal(0, BigInteger)
    return select(
        func.coalesce(func.sum(SCOPE.c.window_orders), zero).label("orders"),
        func.coalesce(func.sum(SCOPE.c.window_paise), zero).label("revenue_paise"),
    )


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
    """Rows in RAW_SCHEMAS column order -> a frame, converted a column at a time: sums
    come back as Decimal on some dialects, and times naive or as text (see `_as_text`)."""
    schema = RAW_SCHEMAS[name]
    frame = pl.DataFrame(
        [tuple(row) for row in rows], schema=list(schema), orient="row", infer_schema_length=None
    )
    return frame.select(_conformed(frame.schema[c], c, dtype) for c, dtype in schema.items())


def _conformed(found: pl.DataType, name: str, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        if found == pl.String:  # see `_as_text`
            parsed = column.str.to_datetime(TIME_TEXT, time_unit=dtype.time_unit)
            return parsed.dt.replace_time_zone(dtype.time_zone)
        if isinstance(found, pl.Datetime) and found.time_zone is not None:
            return column.dt.convert_time_zone(dtype.time_zone).dt.cast_time_unit(dtype.time_unit)
        naive = column.cast(pl.Datetime(dtype.time_unit))
        return naive.dt.replace_time_zone(dtype.time_zone)
    return column.cast(dtype)


# A UTC time as the databases write it as text: `2025-01-10 10:00:00`, with a fraction of
# up to six digits where it has one (PostgreSQL drops trailing zeros, SQLite keeps six).
TIME_TEXT = "%Y-%m-%d %H:%M:%S%.f"


def _as_text(column: Any) -> Any:
    """A UTC time column fetched as text and parsed by Polars a column at a time: the
    drivers' own conversion (mysqlclient's in Python, then the aware `datetime` of
    `UtcDateTime`) takes about a second for a hundred thousand repeat customers' first
    and last orders."""
    return cast(column, String(32))


def compute(conn: Connection, ctx: KpiContext) -> RawKpis:
    fill_scope(conn, ctx)
    fill_customers(conn)
    threshold = conn.execute(top_threshold(ctx)).scalar()
    months = [
        (month_label(key), orders_, customers_, units, revenue)
        for key, orders_, customers_, units, revenue in conn.execute(monthly()).all()
    ]
    frames = {
        "repeat_customers": _frame(conn.execute(repeat_customers()).all(), "repeat_customers"),
        "monthly_trends": _frame(months, "monthly_trends"),
        "regional_revenue": _frame(conn.execute(regional_revenue()).all(), "regional_revenue"),
        "top_customers": _frame(
            conn.execute(top_customers(0 if threshold is None else int(threshold))).all(),
            "top_customers",
        ),
        "previous_month_to_date": _frame(
            conn.execute(previous_month_to_date(ctx)).all(), "previous_month_to_date"
        ),
        "window_totals": _frame(conn.execute(window_totals()).all(), "window_totals"),
        "totals": _frame(conn.execute(totals()).all(), "totals"),
    }
    return RawKpis.of(frames)
