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
units, first and last order, the same within the top-customers window) with the number's
owner (its customer, else the number itself), name and region. It is filled from the
rollups `order_months` and `order_days` (numbers x months, and numbers x days of the at
most two months a bound cuts; kept by the load, `akasa.backends.sql.rollup`) whenever
the run's bounds are whole days, else from the orders. A second temporary table holds the
scope per owner (`fill_owners`). Every KPI is then a small aggregate over one of them,
whose sizes follow customers x months, not orders. As one statement, the scope is one
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
    Executable,
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
    union_all,
)
from sqlalchemy.schema import CreateTable

from akasa.backends.sql import rollup
from akasa.backends.sql.dialects import SqlDialect, dialect_of
from akasa.backends.sql.schema import (
    MOBILE,
    TABLE_OPTIONS,
    UtcDateTime,
    customer_mobiles,
    customers,
    order_days,
    order_months,
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


def _owner() -> list[Column[Any]]:
    """Who a scope row belongs to: `matched` 1 and the customer's id in `owner`, or 0 and
    the mobile number (each unmatched number counts as one customer). Both in the key:
    a customer id may look like a number."""
    return [
        Column("matched", Integer, primary_key=True, autoincrement=False),
        Column("owner", String(MAX_ID_CHARS), primary_key=True),
    ]


def _figures(*names: str) -> list[Column[Any]]:
    """Counts and sums in integer paise, and the first and last order (UTC)."""
    times = ("first_at", "last_at")
    return [Column(n, UtcDateTime() if n in times else BigInteger, nullable=False) for n in names]


FIGURES = (*rollup.FIGURES, "window_orders", "window_paise")
# One row per owner, month and number, in key order of its owner: the per-owner table
# below then groups it in key order, without an index built after the fill. Names and
# regions are looked up there, once per owner (narrower rows here: 0.2 s less to fill
# at a million order lines).
SCOPE = _temporary(
    "akasa_kpi_scope",
    *_owner(),
    Column("month_key", Integer, primary_key=True, autoincrement=False),  # 202510
    Column("mobile_number", MOBILE, primary_key=True),
    *_figures(*FIGURES),
)
# The scope per owner: the customers and, apart, each unmatched number. Repeat and top
# customers are a filter and a short ranking of its rows; regions and totals count its
# rows instead of distinct ids of the scope.
OWNERS = _temporary(
    "akasa_kpi_owners",
    *_owner(),
    Column("customer_name", String(MAX_NAME_CHARS)),
    Column("region", String(MAX_REGION_CHARS), nullable=False),
    *_figures(*FIGURES),
)


def scope_rows(ctx: KpiContext, periods: OffsetPeriods, dialect: SqlDialect) -> Select[Any]:
    """The scope's rows: orders at or before as_of per number and month, with the number's
    owner."""
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


def rollup_scope_rows(plan: rollup.RollupPlan) -> Select[Any]:
    """The same rows from the rollups (`akasa.backends.sql.rollup`): whole months from
    `order_months` up to the as_of month, and the months the plan names grouped from
    their days in `order_days` up to the as_of day; the window is whole days from the
    plan's first day."""
    months = order_months.c
    zero = literal(0, BigInteger)
    in_window = months.first_day >= plan.first_day  # a month read whole is on one side
    whole = select(
        months.mobile_number,
        months.local_month.label("month_key"),
        months.orders,
        months.paise,
        months.units,
        months.first_at,
        months.last_at,
        case((in_window, months.orders), else_=zero).label("window_orders"),
        case((in_window, months.paise), else_=zero).label("window_paise"),
    ).where(months.local_month <= plan.as_of_month)
    if plan.day_months:
        whole = whole.where(months.local_month.not_in(plan.day_months))
    parts: list[Select[Any]] = [whole]
    days = order_days.c
    for month in plan.day_months:
        first, last = rollup.month_days(month)
        in_window_day = days.local_day >= plan.first_day
        parts.append(
            select(
                days.mobile_number,
                days.local_month,
                *(rollup.combine(days[name]) for name in rollup.FIGURES),
                func.sum(case((in_window_day, days.orders), else_=zero)),
                func.sum(case((in_window_day, days.paise), else_=zero)),
            )
            .where(days.local_day >= first, days.local_day <= min(last, plan.as_of_day))
            .group_by(days.mobile_number, days.local_month)
        )
    per_number = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("per_number")
    return _with_owner(per_number)


def _with_owner(per_number: Subquery) -> Select[Any]:
    """Per-number rows with their owner (the number's customer, else the number), in the
    scope's column order."""
    link = customer_mobiles
    return select(
        case((link.c.customer_id.is_not(None), 1), else_=0),
        func.coalesce(link.c.customer_id, per_number.c.mobile_number),
        per_number.c.month_key,
        per_number.c.mobile_number,
        *(per_number.c[name] for name in FIGURES),
    ).select_from(per_number.outerjoin(link, link.c.mobile_number == per_number.c.mobile_number))


def fill_scope(conn: Connection, ctx: KpiContext) -> None:
    """Creates and fills the scope: from the rollup when the run's bounds are whole local
    days of the zone it is kept in (every `--as-of` but `now`), else from the orders.

    The zone's offsets are looked up for the span of the orders in scope. Where reads are
    not one snapshot (READ COMMITTED on MySQL), an order outside that span may land between
    finding the span and filling the scope: then the scope is filled again over the wider
    span.
    """
    conn.execute(CreateTable(SCOPE))
    whole_days = rollup.plan(conn, ctx)
    if whole_days is not None:
        rows = rollup_scope_rows(whole_days)
        conn.execute(insert(SCOPE).from_select(list(SCOPE.c.keys()), rows))
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
            return
        conn.execute(delete(SCOPE))
        first, last = min(first, earliest), max(last, latest)


def month_label(key: int) -> str:
    """202510 -> `2025-10`."""
    return f"{key // 100:04d}-{key % 100:02d}"


def distinct_owners() -> ColumnElement[int]:
    """Customers with an order in the scope's rows; each unmatched number is one customer.
    Counted apart, so a customer id is never taken for a number."""
    return func.count(distinct(case((SCOPE.c.matched == 1, SCOPE.c.owner)))) + func.count(
        distinct(case((SCOPE.c.matched == 0, SCOPE.c.owner)))
    )


def owner_rows() -> Select[Any]:
    """The scope per owner, in its key order, with each customer's name and region (an
    unmatched number has neither: region `Unknown`)."""
    joined = SCOPE.outerjoin(
        customers, (SCOPE.c.matched == 1) & (customers.c.customer_id == SCOPE.c.owner)
    )
    return (
        select(
            SCOPE.c.matched,
            SCOPE.c.owner,
            func.max(customers.c.customer_name),
            func.coalesce(func.max(customers.c.region), literal(UNKNOWN_REGION, String)),
            *(rollup.combine(SCOPE.c[name]) for name in FIGURES),
        )
        .select_from(joined)
        .group_by(SCOPE.c.matched, SCOPE.c.owner)
    )


def fill_owners(conn: Connection) -> None:
    conn.execute(CreateTable(OWNERS))
    conn.execute(insert(OWNERS).from_select(list(OWNERS.c.keys()), owner_rows()))


CUSTOMER = OWNERS.c.matched == 1


def repeat_customers() -> Select[Any]:
    return select(
        OWNERS.c.owner.label("customer_id"),
        OWNERS.c.customer_name,
        OWNERS.c.region,
        OWNERS.c.orders,
        OWNERS.c.paise.label("revenue_paise"),
        _as_text(OWNERS.c.first_at).label("first_order_at"),
        _as_text(OWNERS.c.last_at).label("last_order_at"),
    ).where(CUSTOMER, OWNERS.c.orders >= 2)


def top_threshold(ctx: KpiContext) -> Select[Any]:
    """The `top`-th largest window revenue (none when fewer customers bought in the
    window): a customer ranks within `top` exactly when its revenue is at least that."""
    return (
        select(OWNERS.c.window_paise)
        .where(CUSTOMER, OWNERS.c.window_orders > 0)
        .order_by(OWNERS.c.window_paise.desc())
        .limit(1)
        .offset(ctx.top - 1)
    )


def top_customers(threshold: int) -> Select[Any]:
    """Competition rank (1, 2, 2, 4) by window revenue over the customers at or above
    `threshold`: every customer that outranks one of them is among them, so their ranks
    are their ranks among all customers, each <= top."""
    ranked = (
        select(
            OWNERS.c.owner.label("customer_id"),
            OWNERS.c.customer_name,
            OWNERS.c.region,
            OWNERS.c.window_orders.label("orders"),
            OWNERS.c.window_paise.label("revenue_paise"),
        )
        .where(CUSTOMER, OWNERS.c.window_orders > 0, OWNERS.c.window_paise >= threshold)
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
    """Orders, customers, units and revenue per month (the one count of distinct owners:
    an owner has a row per month and number)."""
    return select(
        SCOPE.c.month_key,
        func.sum(SCOPE.c.orders).label("orders"),
        distinct_owners().label("customers"),
        func.sum(SCOPE.c.units).label("units"),
        func.sum(SCOPE.c.paise).label("revenue_paise"),
    ).group_by(SCOPE.c.month_key)


def regional_revenue() -> Select[Any]:
    """An owner has one region, so its customers are its rows."""
    return select(
        OWNERS.c.region,
        func.sum(OWNERS.c.paise).label("revenue_paise"),
        func.sum(OWNERS.c.orders).label("orders"),
        func.count().label("customers"),
    ).group_by(OWNERS.c.region)


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
    """Every order of the top-customers window, with a customer record or not."""
    zero = literal(0, BigInteger)
    return select(
        func.coalesce(func.sum(OWNERS.c.window_orders), zero).label("orders"),
        func.coalesce(func.sum(OWNERS.c.window_paise), zero).label("revenue_paise"),
    )


def totals() -> Select[Any]:
    zero = literal(0, BigInteger)
    unmatched = case((OWNERS.c.matched == 0, OWNERS.c.orders), else_=zero)
    return select(
        func.coalesce(func.sum(OWNERS.c.orders), zero).label("orders"),
        func.count().label("customers"),
        func.coalesce(func.sum(OWNERS.c.paise), zero).label("revenue_paise"),
        func.coalesce(func.sum(unmatched), zero).label("unmatched_orders"),
    )


def _frame(rows: Sequence[tuple[Any, ...]], name: str) -> pl.DataFrame:
    """Rows in RAW_SCHEMAS column order -> a frame, converted a column at a time: sums
    come back as Decimal on some dialects, and times naive or as text (see `_as_text`)."""
    schema = RAW_SCHEMAS[name]
    frame = pl.DataFrame(rows, schema=list(schema), orient="row", infer_schema_length=None)
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


def _rows(conn: Connection, query: Executable) -> list[tuple[Any, ...]]:
    """The query's rows as the driver returns them, without SQLAlchemy's row objects (a
    tenth of a second per hundred thousand repeat customers). Safe because every KPI query
    returns numbers and text only (times through `_as_text`): types no dialect here
    converts after fetching. `_frame` conforms them."""
    result = conn.execute(query)
    try:
        return [tuple(row) for row in result.cursor.fetchall()]
    finally:
        result.close()


def compute(conn: Connection, ctx: KpiContext) -> RawKpis:
    fill_scope(conn, ctx)
    fill_owners(conn)
    threshold = conn.execute(top_threshold(ctx)).scalar()
    months = [
        (month_label(key), orders_, customers_, units, revenue)
        for key, orders_, customers_, units, revenue in _rows(conn, monthly())
    ]
    top = top_customers(0 if threshold is None else int(threshold))
    frames = {
        "repeat_customers": _frame(_rows(conn, repeat_customers()), "repeat_customers"),
        "monthly_trends": _frame(months, "monthly_trends"),
        "regional_revenue": _frame(_rows(conn, regional_revenue()), "regional_revenue"),
        "top_customers": _frame(_rows(conn, top), "top_customers"),
        "previous_month_to_date": _frame(
            _rows(conn, previous_month_to_date(ctx)), "previous_month_to_date"
        ),
        "window_totals": _frame(_rows(conn, window_totals()), "window_totals"),
        "totals": _frame(_rows(conn, totals()), "totals"),
    }
    return RawKpis.of(frames)
