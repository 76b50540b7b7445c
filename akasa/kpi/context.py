"""The point in time a run describes and the window it looks back over.

Every boundary is computed here once, in Python, as UTC instants; both KPI modes only
compare stored UTC times against these values, so they cannot disagree about a day.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from akasa.core import zones
from akasa.core.errors import UsageError

ONE_MICROSECOND = timedelta(microseconds=1)
# --as-of dates and windows stay where every store and every date computation can follow:
# order times are kept for UTC years 1000-9998 (cleaning rejects the rest).
FIRST_AS_OF, LAST_AS_OF = date(1000, 1, 1), date(9998, 12, 31)
MAX_WINDOW_DAYS = 36_600  # a century


def day_key(day: date) -> int:
    """2025-01-10 -> 20250110: how both modes' KPI rollups name a local day (and, divided
    by 100, a local month)."""
    return day.year * 10_000 + day.month * 100 + day.day


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
                day = date.fromisoformat(value)
            except ValueError:
                pass
            else:
                if not FIRST_AS_OF <= day <= LAST_AS_OF:
                    raise UsageError(
                        f"--as-of must be a date from {FIRST_AS_OF} to {LAST_AS_OF}, not {text!r}"
                    )
                return cls("date", day)
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
        return zones.zone(self.timezone)

    @property
    def as_of_local(self) -> datetime:
        return self.as_of.astimezone(self.zone)

    @property
    def as_of_month(self) -> str:
        return self.as_of_local.strftime("%Y-%m")

    @property
    def month_start(self) -> datetime:
        """The UTC instant the as_of month starts."""
        local = self.as_of_local
        return zones.local_to_utc(datetime(local.year, local.month, 1), self.timezone)

    @property
    def month_complete(self) -> bool:
        """Whether the as_of month has ended at as_of (as_of is its last microsecond);
        every earlier month is complete."""
        local = self.as_of_local
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        following = zones.local_to_utc(datetime(year, month, 1), self.timezone)
        return self.as_of + ONE_MICROSECOND >= following

    @property
    def previous_month_to_date(self) -> tuple[datetime, datetime]:
        """The like-for-like base of the as_of month (SPEC §4.2), inclusive UTC bounds: the
        previous month from its start over the same elapsed local time, capped at its end.
        With a date (or latest) as of day D: days 1..D; with `now`: up to the same day and
        time."""
        local = self.as_of_local
        year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
        start = zones.local_to_utc(datetime(year, month, 1), self.timezone)
        days = monthrange(year, month)[1]
        if self.as_of_spec == "now" and local.day <= days:
            same = datetime(year, month, local.day, local.hour, local.minute, local.second)
            end = zones.local_to_utc(same.replace(microsecond=local.microsecond), self.timezone)
        else:
            next_day = date(year, month, min(local.day, days)) + timedelta(days=1)
            end = zones.local_midnight(next_day, self.timezone) - ONE_MICROSECOND
        return start, min(end, self.month_start - ONE_MICROSECOND)

    @property
    def day_bounds(self) -> tuple[int, int] | None:
        """The day keys of the as_of day and of the window's first day when both bounds
        are whole local days (every `--as-of` but `now`), which is when a run can be
        answered from the KPI rollups; else None."""
        as_of_day = self.as_of_local.date()
        first_day = self.window_start.astimezone(self.zone).date()
        after = zones.local_midnight(as_of_day + timedelta(days=1), self.timezone)
        starts = zones.local_midnight(first_day, self.timezone)
        if self.as_of + ONE_MICROSECOND != after or self.window_start != starts:
            return None
        return day_key(as_of_day), day_key(first_day)

    def months_from(self, first_month: str) -> list[str]:
        """`YYYY-MM` labels from `first_month` to the as_of month, both included."""
        year, month = (int(p) for p in first_month.split("-"))
        end = self.as_of_month
        labels = []
        while (label := f"{year:04d}-{month:02d}") <= end:
            labels.append(label)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return labels


def resolve(
    as_of: AsOf,
    newest_order_at: datetime | None,
    timezone: str,
    window_days: int,
    top: int,
    now: datetime | None = None,
) -> KpiContext:
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise UsageError(f"--window-days must be from 1 to {MAX_WINDOW_DAYS}, not {window_days}")
    if top < 1:
        raise UsageError("--top must be at least 1")
    zone = zones.zone(timezone)
    if as_of.kind == "now":
        end = (now or datetime.now(UTC)).astimezone(UTC)
        start = end - timedelta(days=window_days)
    else:
        if as_of.day is not None:
            day = as_of.day
        elif newest_order_at is not None:
            day = newest_order_at.astimezone(zone).date()
        else:
            raise UsageError("--as-of latest needs at least one stored order")
        end = zones.local_midnight(day + timedelta(days=1), timezone) - ONE_MICROSECOND
        start = zones.local_midnight(day - timedelta(days=window_days - 1), timezone)
    return KpiContext(
        as_of=end,
        window_start=start,
        window_days=window_days,
        top=top,
        timezone=timezone,
        as_of_spec=str(as_of),
    )
