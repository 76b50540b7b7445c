"""Memory mode's KPI rollup: the current orders per mobile number and business-zone month,
so that a run reads numbers x months instead of every order (as table mode reads
`order_months`, `akasa.backends.sql.rollup`).

A row holds one number's orders, paise, units, first and last order time, and first and
last local day (`day_key`), in one month of the business zone (AKASA_TIMEZONE). The ingest
builds it whole from the current orders as the store stands after its commit, and the
manifest's switch lands it with the batches (`akasa.backends.lake.store`): whatever was
replaced or loaded twice, it is exactly what a build from scratch gives. A run reads it
only when it was built in the run's zone for the batches the manifest lists, and when the
run's bounds are whole days (`plan`); else the run reads the orders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl

from akasa.core import zones
from akasa.core.tables import UTC_TS
from akasa.kpi.context import KpiContext
from akasa.kpi.spec import PAISE

SCHEMA = pl.Schema(
    {
        "mobile_number": pl.String(),
        "month_key": pl.Int64(),  # 202510
        "orders": pl.UInt32(),
        "paise": PAISE,
        "units": pl.Int64(),
        "first_at": UTC_TS,
        "last_at": UTC_TS,
        "first_day": pl.Int64(),  # 20251001
        "last_day": pl.Int64(),
    }
)


def paise() -> pl.Expr:
    """An order's total in integer paise."""
    return (pl.col("total_amount") * 100).cast(PAISE).alias("paise")


def figures() -> list[pl.Expr]:
    """What a rollup row holds about its orders (number, time, paise, units)."""
    times = pl.col("ordered_at")
    return [
        pl.len().alias("orders"),
        pl.col("paise").sum(),
        pl.col("units").sum(),
        times.min().alias("first_at"),
        times.max().alias("last_at"),
    ]


def _combined() -> list[pl.Expr]:
    """Rollup rows of the same number and month as one: every figure is a sum, a first or
    a last, so rows built from any split of the orders combine to the rows of the whole."""
    earliest = ("first_at", "first_day")
    latest = ("last_at", "last_day")
    return [
        pl.col(c).min() if c in earliest else pl.col(c).max() if c in latest else pl.col(c).sum()
        for c in SCHEMA.names()[2:]
    ]


def build(parts: Iterable[pl.DataFrame], timezone: str) -> pl.DataFrame:
    """The rollup of the current orders (mobile_number, ordered_at, paise, units), given a
    part at a time and folded in as it comes: memory follows one part and the rollup's
    rows, not every order."""
    days = pl.col("day")
    kept = pl.DataFrame(schema=SCHEMA)
    for part in parts:
        rows = (
            part.with_columns(zones.day_keys(part["ordered_at"], timezone).alias("day"))
            .group_by("mobile_number", (days // 100).alias("month_key"))
            .agg(*figures(), days.min().alias("first_day"), days.max().alias("last_day"))
            .select(SCHEMA.names())
            .cast(SCHEMA)
        )
        kept = pl.concat([kept, rows]).group_by("mobile_number", "month_key").agg(*_combined())
    return kept.sort("month_key", "mobile_number")


@dataclass(frozen=True)
class Plan:
    """How a run with whole-day bounds reads the rollup: the day keys of its as_of day and
    first window day, and the months whose rows a bound cuts through (read from the
    orders instead); every other row up to the as_of day is whole on one side of both."""

    as_of_day: int
    first_day: int
    cut_months: tuple[int, ...]

    def lower_bound(self) -> datetime:
        """An instant before any order of the cut months, in any zone (none is two days
        from UTC): the orders read for them start here."""
        month = min(self.cut_months)
        return datetime(month // 100, month % 100, 1, tzinfo=UTC) - timedelta(days=2)


def plan(rollup: pl.DataFrame, ctx: KpiContext) -> Plan | None:
    """The plan, when the run's bounds are whole local days; None: read the orders."""
    bounds = ctx.day_bounds
    if bounds is None:
        return None
    as_of_day, first_day = bounds
    first, last = pl.col("first_day"), pl.col("last_day")
    cut = (first <= as_of_day) & (last > as_of_day) | (first < first_day) & (last >= first_day)
    months = rollup.filter(cut).get_column("month_key").unique().sort()
    return Plan(as_of_day, first_day, tuple(months.to_list()))


def whole_rows(rollup: pl.DataFrame, plan: Plan) -> pl.LazyFrame:
    """The rollup's rows up to the as_of day outside the cut months, as scope rows: each is
    wholly inside the top-customers window or wholly before it."""
    in_window = pl.col("first_day") >= plan.first_day
    return (
        rollup.lazy()
        .filter(
            pl.col("last_day") <= plan.as_of_day,
            pl.col("month_key").is_in(plan.cut_months).not_(),
        )
        .select(
            "mobile_number",
            "month_key",
            "orders",
            "paise",
            "units",
            "first_at",
            "last_at",
            pl.when(in_window)
            .then("orders")
            .otherwise(pl.lit(0, pl.UInt32))
            .alias("window_orders"),
            pl.when(in_window).then("paise").otherwise(pl.lit(0, PAISE)).alias("window_paise"),
        )
    )
