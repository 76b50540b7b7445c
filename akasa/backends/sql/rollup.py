"""The KPI rollup of table mode: current orders per mobile number and business-zone day.

`order_days` holds, per number and local day, the orders, paise, units and first and last
order time of the orders that are current (a later batch replaces an order whole). The
load keeps it up to date inside the ingest's transaction (`refresh`, called by
`SqlWriter.commit`): every local day an ingest touched (the days of the orders it loaded
and of the versions those replaced) is rebuilt from `orders` with one grouped range read
of the covering time index; so re-ingesting, superseding and an idempotent reload leave
exactly the rollup a build from scratch would give.

A local day is `[local midnight, next local midnight)` in the business zone
(AKASA_TIMEZONE), the same UTC bounds `akasa.kpi.context` gives a run. The rollup is only
right for the zone it was built in, which `order_days_zone` records: a run in another
zone reads the orders instead (`usable`), and the next ingest rebuilds the whole rollup
in its zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import polars as pl
from sqlalchemy import Connection, Integer, delete, func, insert, literal, select

from akasa.backends.sql.dialects import SqlDialect
from akasa.backends.sql.schema import order_days, order_days_zone, orders
from akasa.core import zones
from akasa.kpi.context import ONE_MICROSECOND, KpiContext

COLUMNS = [c.name for c in order_days.columns]


def day_key(day: date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def local_days(times: pl.Series, timezone: str) -> set[date]:
    """The business-zone days of UTC instants."""
    times = times.drop_nulls()
    if times.is_empty():
        return set()
    table = zones.offsets_for(times, timezone)
    local = times.to_frame("t").select(zones.local_naive(pl.col("t"), table).dt.date())
    return set(local.to_series().unique().to_list())


def recorded_zone(conn: Connection) -> str | None:
    zone: str | None = conn.execute(select(order_days_zone.c.timezone)).scalar()
    return zone


def refresh(conn: Connection, touched: Iterable[date], timezone: str) -> None:
    """Brings the rollup up to date after a load, in the load's transaction: the touched
    days, or every day with an order when it was kept in another zone (or never built)."""
    if recorded_zone(conn) != timezone:
        conn.execute(delete(order_days))
        conn.execute(delete(order_days_zone))
        conn.execute(insert(order_days_zone), [{"timezone": timezone}])
        touched = _days_with_orders(conn)
    for day in sorted(set(touched)):
        _rebuild(conn, day, timezone)


def _days_with_orders(conn: Connection) -> set[date]:
    """Every local day that can hold an order, in any zone: the UTC dates of the orders
    and the day either side (no zone is a day or more from UTC). The database returns the
    few distinct dates, not every order's time (the span of the orders may hold centuries
    of empty days, so it is not rebuilt whole); a day without orders rebuilds to nothing.
    `date()` is a function in MySQL/MariaDB, PostgreSQL and SQLite alike."""
    found = conn.execute(select(func.date(orders.c.ordered_at)).distinct()).scalars()
    days: set[date] = set()
    for value in found:
        utc = value if isinstance(value, date) else date.fromisoformat(str(value))
        days.update(utc + timedelta(days=k) for k in (-1, 0, 1))  # years 1000-9998 only
    return days


def _rebuild(conn: Connection, day: date, timezone: str) -> None:
    key = day_key(day)
    start = zones.local_midnight(day, timezone)
    end = zones.local_midnight(day + timedelta(days=1), timezone)
    conn.execute(delete(order_days).where(order_days.c.local_day == key))
    rows = (
        select(
            orders.c.mobile_number,
            literal(key // 100, Integer),
            literal(key, Integer),
            func.count(),
            func.sum(SqlDialect.paise(orders.c.total_amount)),
            func.sum(orders.c.units),
            func.min(orders.c.ordered_at),
            func.max(orders.c.ordered_at),
        )
        .where(orders.c.ordered_at >= start, orders.c.ordered_at < end)
        .group_by(orders.c.mobile_number)
    )
    conn.execute(insert(order_days).from_select(COLUMNS, rows))


def usable(conn: Connection, ctx: KpiContext) -> tuple[int, int] | None:
    """(as_of day, window's first day) as day keys when the run's bounds are whole local
    days of the zone the rollup is kept in; None: the run reads the orders (an `--as-of
    now` run, or a rollup in another zone)."""
    as_of_day = ctx.as_of_local.date()
    after = zones.local_midnight(as_of_day + timedelta(days=1), ctx.timezone)
    first_day = ctx.window_start.astimezone(ctx.zone).date()
    whole_days = ctx.as_of + ONE_MICROSECOND == after and ctx.window_start == (
        zones.local_midnight(first_day, ctx.timezone)
    )
    if not whole_days or recorded_zone(conn) != ctx.timezone:
        return None
    return day_key(as_of_day), day_key(first_day)
