"""The KPI rollups of table mode: current orders per mobile number and business-zone day
(`order_days`) and month (`order_months`).

`order_days` holds, per number and local day, the orders, paise, units and first and last
order time of the orders that are current (a later batch replaces an order whole);
`order_months` the same per number and local month, with the number's first and last day
in it. The load keeps both up to date inside the ingest's transaction (`DayRebuilds`, driven
by `SqlWriter`): every local day an ingest touched (the days of the orders it loaded and of
the versions those replaced) is rebuilt from `orders` with one grouped range read of the
covering time index, most of them while later files are still being read, then every month
of those days from `order_days` at the commit; so re-ingesting, superseding and an
idempotent reload leave exactly the rollups a build from scratch would give.

A local day is `[local midnight, next local midnight)` in the business zone
(AKASA_TIMEZONE), the same UTC bounds `akasa.kpi.context` gives a run. The rollups are only
right for the zone they were built in and its rules, which `order_days_zone` records (the
zone, and the tzdata version): a run in another zone, or under other rules, reads the
orders instead (`plan`), and the next ingest rebuilds them whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Integer,
    delete,
    func,
    insert,
    literal,
    select,
)

from akasa.backends.sql.dialects import SqlDialect
from akasa.backends.sql.schema import order_days, order_days_zone, order_months, orders
from akasa.core import zones
from akasa.kpi.context import KpiContext, day_key

COLUMNS = [c.name for c in order_days.columns]
MONTH_COLUMNS = [c.name for c in order_months.columns]


# What every rollup row holds about its orders, and how several rows make one.
FIGURES = ("orders", "paise", "units", "first_at", "last_at")


def combine(figure: Column[Any]) -> ColumnElement[Any]:
    """A figure over several rows: the first order's time, the last's, else the sum."""
    if figure.name == "first_at":
        return func.min(figure)
    return func.max(figure) if figure.name == "last_at" else func.sum(figure)


def month_days(month: int) -> tuple[int, int]:
    """The first and last day key a month key can hold (202502 -> 20250201, 20250231)."""
    return month * 100 + 1, month * 100 + 31


def local_days(times: pl.Series, timezone: str) -> set[date]:
    """The business-zone days of UTC instants."""
    times = times.drop_nulls()
    if times.is_empty():
        return set()
    table = zones.offsets_for(times, timezone)
    local = times.to_frame("t").select(zones.local_naive(pl.col("t"), table).dt.date())
    return set(local.to_series().unique().to_list())


def recorded_zone(conn: Connection) -> str | None:
    """The zone the rollups were built in, if under this akasa's zone rules (tzdata)."""
    found = conn.execute(select(order_days_zone.c.timezone, order_days_zone.c.tzdata)).first()
    if found is None or found.tzdata != zones.rules_version():
        return None
    zone: str = found.timezone
    return zone


def any_order(conn: Connection) -> bool:
    """Whether an order is stored: before an ingest's first batch, whether the days it
    touches will be all the days there are (`DayRebuilds`' `first_orders`)."""
    return conn.execute(select(orders.c.order_id).limit(1)).first() is not None


def _record_zone(conn: Connection, timezone: str) -> None:
    """Empties both rollups and records the zone and rules they are now kept in."""
    conn.execute(delete(order_days))
    conn.execute(delete(order_months))
    conn.execute(delete(order_days_zone))
    rules = zones.rules_version()
    conn.execute(insert(order_days_zone), [{"timezone": timezone, "tzdata": rules}])


class DayRebuilds:
    """The rollups of one ingest's transaction, kept up to date as its batches land.

    A day is rebuilt once a later batch has not touched it: after each batch, the days the
    earlier batches touched and this one did not (a daily drop touches its own day and
    corrects a few orders of the day before, so most days are rebuilt while later files
    are still being read instead of all at the commit); `finish` rebuilds the rest and the
    months.
    A day touched again later is rebuilt again, from the orders as they are then, so the
    result is a rebuild of every touched day at the commit. When the rollups were kept in
    another zone (or never built) and orders are already stored, every day with an order
    is rebuilt at `finish` instead.
    """

    def __init__(self, conn: Connection, timezone: str, first_orders: bool) -> None:
        self.conn = conn
        self.timezone = timezone
        kept = recorded_zone(conn) == timezone
        # A zone not kept yet is recorded with the first batch (a write, so not before the
        # ingest has written its ledger). Without orders there is nothing to rebuild but
        # what lands, so days are rebuilt early then too.
        self.unrecorded = not kept
        self.early = kept or first_orders
        self.pending: set[date] = set()
        self.rebuilt: set[date] = set()

    def _record(self) -> None:
        if self.unrecorded:
            _record_zone(self.conn, self.timezone)
            self.unrecorded = False

    def touch(self, days: set[date]) -> int:
        """A batch touched these days: rebuilds the days only earlier batches touched."""
        self._record()
        settled = self.pending - days if self.early else set()
        for day in sorted(settled):
            _rebuild(self.conn, day, self.timezone)
        self.rebuilt |= settled
        self.pending = (self.pending - settled) | days
        return len(settled)

    def finish(self) -> tuple[int, int]:
        """The days not rebuilt yet and every month of a touched day (or every day with an
        order, for rollups kept in another zone). Returns how many days and months."""
        self._record()
        days = self.pending if self.early else _days_with_orders(self.conn)
        for day in sorted(days):
            _rebuild(self.conn, day, self.timezone)
        every = days | self.rebuilt
        months = sorted({day_key(day) // 100 for day in every})
        for month in months:
            _rebuild_month(self.conn, month)
        return len(every), len(months)


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


def _rebuild_month(conn: Connection, month: int) -> None:
    """A month of `order_months` from its days in `order_days` (one range of its day index)."""
    first, last = month_days(month)
    days = order_days.c
    conn.execute(delete(order_months).where(order_months.c.local_month == month))
    rows = (
        select(
            literal(month, Integer),
            days.mobile_number,
            *(combine(days[name]) for name in FIGURES),
            func.min(days.local_day),
            func.max(days.local_day),
        )
        .where(days.local_day >= first, days.local_day <= last)
        .group_by(days.mobile_number)
    )
    conn.execute(insert(order_months).from_select(MONTH_COLUMNS, rows))


@dataclass(frozen=True)
class RollupPlan:
    """How a run with whole-day bounds reads the rollups: day keys of its as_of day and
    first window day, and the months (at most those two days' months) whose rows either
    day cuts through, which are read from `order_days`; every other month up to the
    as_of month is read whole from `order_months`."""

    as_of_day: int
    first_day: int
    day_months: tuple[int, ...]

    @property
    def as_of_month(self) -> int:
        return self.as_of_day // 100


def plan(conn: Connection, ctx: KpiContext) -> RollupPlan | None:
    """The plan when the run's bounds are whole local days of the zone the rollups are kept
    in; None: the run reads the orders (an `--as-of now` run, or rollups in another zone).

    The as_of day cuts its month when the month has a later day with orders, the window
    start when its month has days with orders on both sides of it: two look-ups in the
    day index each (per month, not per number: a month read from days is still right)."""
    bounds = ctx.day_bounds
    if bounds is None or recorded_zone(conn) != ctx.timezone:
        return None
    as_of_key, first_key = bounds
    cut = []
    if _any_day(conn, as_of_key + 1, month_days(as_of_key // 100)[1]):
        cut.append(as_of_key // 100)
    month_start, month_end = month_days(first_key // 100)
    if (
        first_key // 100 not in cut
        and _any_day(conn, month_start, first_key - 1)
        and _any_day(conn, first_key, month_end)
    ):
        cut.append(first_key // 100)
    return RollupPlan(as_of_key, first_key, tuple(sorted(cut)))


def _any_day(conn: Connection, first: int, last: int) -> bool:
    """Whether `order_days` has a row from day key `first` to `last` (the day index)."""
    days = order_days.c.local_day
    found = conn.execute(select(days).where(days >= first, days <= last).limit(1)).first()
    return found is not None
