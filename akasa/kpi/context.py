"""The point in time a run describes and the window it looks back over.

Every boundary is computed here once, in Python, as UTC instants; both KPI modes only
compare stored UTC times against these values, so they cannot disagree about a day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from akasa.core.errors import UsageError

ONE_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class AsOf:
    """`--as-of`: `latest` (end of the newest order's business day), `now`, or a date."""

    kind: str
    day: date | None = None

    @classmethod
    def parse(cls, text: str) -> AsOf:
        value = text.strip().lower()
        if value in ("latest", "now"):
            return cls(value)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                return cls("date", date.fromisoformat(value))
            except ValueError:
                pass
        raise UsageError(f"--as-of must be latest, now or a date YYYY-MM-DD, not {text!r}")

    def __str__(self) -> str:
        return self.day.isoformat() if self.day else self.kind


@dataclass(frozen=True)
class KpiContext:
    """Resolved run parameters. `as_of` and `window_start` are inclusive UTC bounds."""

    as_of: datetime
    window_start: datetime
    window_days: int
    top: int
    timezone: str
    as_of_spec: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def as_of_local(self) -> datetime:
        return self.as_of.astimezone(self.zone)

    @property
    def as_of_month(self) -> str:
        return self.as_of_local.strftime("%Y-%m")

    def months_from(self, first_month: str) -> list[str]:
        """`YYYY-MM` labels from `first_month` to the as_of month, both included."""
        year, month = (int(p) for p in first_month.split("-"))
        end = self.as_of_month
        labels = []
        while (label := f"{year:04d}-{month:02d}") <= end:
            labels.append(label)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return labels


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def resolve(
    as_of: AsOf,
    newest_order_at: datetime,
    timezone: str,
    window_days: int,
    top: int,
    now: datetime | None = None,
) -> KpiContext:
    if window_days < 1:
        raise UsageError("--window-days must be at least 1")
    if top < 1:
        raise UsageError("--top must be at least 1")
    zone = ZoneInfo(timezone)
    if as_of.kind == "now":
        end = (now or datetime.now(UTC)).astimezone(UTC)
        start = end - timedelta(days=window_days)
    else:
        day = as_of.day if as_of.day else newest_order_at.astimezone(zone).date()
        end = _local_midnight(day + timedelta(days=1), zone) - ONE_MICROSECOND
        start = _local_midnight(day - timedelta(days=window_days - 1), zone)
    return KpiContext(
        as_of=end,
        window_start=start,
        window_days=window_days,
        top=top,
        timezone=timezone,
        as_of_spec=str(as_of),
    )
