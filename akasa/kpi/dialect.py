"""The pieces of KPI SQL where databases differ, kept in one place.

Written so that ONE expression serves MySQL/MariaDB, PostgreSQL and SQLite; nothing here
branches on the dialect today. What each piece works around:

- Money: `DECIMAL(14,2)` is exact on MySQL and PostgreSQL, but SQLite stores a REAL, so a
  plain SUM could pick up binary error. `paise` turns each order total into integer paise
  with ROUND first (a no-op on an exact decimal) and sums integers everywhere.
- Months in the business time zone: no database time-zone function is used (MySQL's zone
  tables are often not loaded; SQLite has none). The UTC instants where local months start
  are computed in Python (zoneinfo) and bound as parameters; `month_index` buckets a
  timestamp with a balanced CASE over them (log2(months) comparisons per row).
- Date arithmetic: none in SQL. Every bound (as_of, window start, month starts) is a UTC
  instant computed in Python (`akasa.kpi.context`) and bound as a parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ColumnElement, Integer, case, cast, func, literal

from akasa.kpi.context import KpiContext

PAISE_PER_RUPEE = 100


def paise(amount: ColumnElement[object]) -> ColumnElement[int]:
    """A DECIMAL(14,2) amount as exact integer paise, on every dialect."""
    return cast(func.round(amount * PAISE_PER_RUPEE), BigInteger)


def months(first: datetime, ctx: KpiContext) -> tuple[list[str], list[datetime]]:
    """`YYYY-MM` labels from the local month of `first` to the as_of month, and the UTC
    instant each of those months starts at in the business time zone."""
    zone = ZoneInfo(ctx.timezone)
    local = first.astimezone(zone)
    labels = ctx.months_from(f"{local.year:04d}-{local.month:02d}")
    starts = [
        datetime(int(label[:4]), int(label[5:]), 1, tzinfo=zone).astimezone(UTC) for label in labels
    ]
    return labels, starts


def month_index(moment: ColumnElement[datetime], starts: Sequence[datetime]) -> ColumnElement[int]:
    """Index into `starts` of the month holding `moment` (which is >= starts[0])."""

    def bucket(low: int, high: int) -> ColumnElement[int]:
        if high - low == 1:
            return literal(low, Integer)
        middle = (low + high) // 2
        return case(
            (moment < starts[middle], bucket(low, middle)),
            else_=bucket(middle, high),
        )

    return bucket(0, len(starts))
