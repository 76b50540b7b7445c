"""One time-zone database for every mode: the pinned `tzdata` package, read by `zoneinfo`.

Polars carries its own copy of the zone rules and the operating system another; where the
two copies differ (an old system tzdata, a zone renamed or merged), a month boundary or a
printed offset would depend on the mode. So nothing in akasa asks Polars or the database
for a zone: offsets come from `zone()` below, and Polars only adds them.

Zone offsets change rarely, so time is cut into `OffsetPeriods` (each with one UTC offset),
found by asking the zone once per day (each day the data touches, or each day of a span)
and bisecting each change to the microsecond. Every conversion is then vectorised: look up
the period (binary search), add or subtract its offset. Assumed: no zone changes its
offset twice within one day (no such pair exists in the tz database: its changes are days
apart).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

import polars as pl

SAMPLE_STEP = timedelta(days=1)
ONE_MICROSECOND = timedelta(microseconds=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class UnknownZoneError(ValueError):
    """Not a zone of the tz database."""


@cache
def _zone_names() -> frozenset[str]:
    listing = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in listing.splitlines() if line.strip())


@cache
def rules_version() -> str:
    """The pinned tzdata's version: a day or month computed under other rules may differ."""
    from importlib.metadata import version

    return version("tzdata")


@cache
def zone(name: str) -> ZoneInfo:
    """The zone `name` (`Asia/Kolkata`, `UTC`, ...) from the pinned tzdata package, never
    from the operating system's copy."""
    if name not in _zone_names():
        raise UnknownZoneError(f"unknown time zone {name!r}")
    folder = resources.files("tzdata").joinpath("zoneinfo")
    with folder.joinpath(*name.split("/")).open("rb") as data:
        return ZoneInfo.from_file(data, key=name)


@dataclass(frozen=True)
class OffsetPeriods:
    """`starts[i]` (UTC, ascending) is where `offsets[i]` (seconds east of UTC) begins; the
    first period also covers everything before its start."""

    starts: tuple[datetime, ...]
    offsets: tuple[int, ...]

    def offset_at(self, moment: datetime) -> int:
        index = 0
        for i, start in enumerate(self.starts):
            if start <= moment:
                index = i
        return self.offsets[index]

    def _micros(self) -> pl.Series:
        return pl.Series([_micros(s) for s in self.starts], dtype=pl.Int64)

    def offsets_of(self, utc: pl.Expr) -> pl.Expr:
        """The offset (seconds) in force at each UTC instant of `utc`."""
        if len(self.offsets) == 1:
            return pl.lit(self.offsets[0], dtype=pl.Int64)
        micros = utc.dt.replace_time_zone("UTC").dt.epoch("us")
        found = pl.lit(self._micros()).search_sorted(micros, side="right") - 1
        index = found.clip(0, len(self.starts) - 1)
        return pl.lit(pl.Series(self.offsets, dtype=pl.Int64)).gather(index)


def periods(name: str, start: datetime, end: datetime) -> OffsetPeriods:
    """The offsets of zone `name` from `start` to `end` (aware datetimes)."""
    z = zone(name)
    low, high = min(start, end), max(start, end)
    current = _offset(low, z)
    starts, offsets = [low], [current]
    moment = low
    while moment < high:
        step = min(moment + SAMPLE_STEP, high)
        following = _offset(step, z)
        if following != current:
            changed = _first_change(moment, step, current, z)
            starts.append(changed)
            offsets.append(following)
            current = following
        moment = step
    return OffsetPeriods(tuple(starts), tuple(offsets))


def _offset(moment: datetime, z: ZoneInfo) -> int:
    delta = moment.astimezone(z).utcoffset()
    assert delta is not None
    return int(delta.total_seconds())


def _first_change(low: datetime, high: datetime, before: int, z: ZoneInfo) -> datetime:
    """The first instant in (low, high] whose offset is not `before`."""
    while high - low > ONE_MICROSECOND:
        middle = low + (high - low) / 2
        if _offset(middle, z) == before:
            low = middle
        else:
            high = middle
    return high


# The days a table can describe: datetime's range, less a day at each end for arithmetic.
FIRST_DAY = datetime(1, 1, 2, tzinfo=UTC)
LAST_DAY = datetime(9999, 12, 30, tzinfo=UTC)


def periods_on_days(name: str, days: pl.Series) -> OffsetPeriods:
    """Periods exact on each of `days` (UTC midnights, any order): cost follows the number
    of distinct days the data touches, not the span between them."""
    z = zone(name)
    starts: list[datetime] = []
    offsets: list[int] = []
    for value in days.drop_nulls().unique().sort():
        day = min(max(_aware(value), FIRST_DAY), LAST_DAY)
        following_day = day + SAMPLE_STEP
        before, after = _offset(day, z), _offset(following_day, z)
        starts.append(day)
        offsets.append(before)
        if before != after:
            starts.append(_first_change(day, following_day, before, z))
            offsets.append(after)
    if not starts:
        return OffsetPeriods((EPOCH,), (0,))
    return OffsetPeriods(tuple(starts), tuple(offsets))


def _days(utc: pl.Series, *shifts: int) -> pl.Series:
    """The UTC days of `utc`, and of `utc` shifted by each of `shifts` days."""
    frame = utc.to_frame("t").select(pl.col("t").dt.replace_time_zone("UTC"))
    parts = [
        frame.select(
            (pl.col("t") + pl.duration(days=shift)).dt.truncate("1d").alias("d")
        ).to_series()
        for shift in (0, *shifts)
    ]
    return pl.concat(parts)


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // ONE_MICROSECOND


def _span(values: pl.Series) -> tuple[datetime, datetime] | None:
    valid = values.drop_nulls()
    if valid.is_empty():
        return None
    low, high = valid.min(), valid.max()
    assert isinstance(low, datetime) and isinstance(high, datetime)
    return _aware(low), _aware(high)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# Up to this span, sampling every day of it costs less than finding the distinct days of a
# million instants (a few ms against 0.1 s); a longer span samples only the days it holds.
SAMPLED_SPAN = timedelta(days=3660)


def offsets_for(utc: pl.Series, name: str) -> OffsetPeriods:
    """Periods exact at every instant of `utc` (a UTC datetime series)."""
    span = _span(utc)
    if span is not None:
        low, high = span
        if low >= FIRST_DAY and high <= LAST_DAY and high - low <= SAMPLED_SPAN:
            return periods(name, low, high)
    return periods_on_days(name, _days(utc))


def local_naive(utc: pl.Expr, table: OffsetPeriods) -> pl.Expr:
    """UTC instants -> the wall-clock time in the zone (naive)."""
    naive = utc.dt.replace_time_zone("UTC").dt.replace_time_zone(None)
    return naive + pl.duration(seconds=table.offsets_of(utc))


def offset_text(seconds: pl.Expr) -> pl.Expr:
    """Seconds east of UTC -> `+05:30` (`+05:53:28` when there are seconds), as Python's
    `isoformat` writes it."""
    magnitude = seconds.abs()
    hours = (magnitude // 3600).cast(pl.String).str.zfill(2)
    minutes = (magnitude % 3600 // 60).cast(pl.String).str.zfill(2)
    rest = magnitude % 60
    sign = pl.when(seconds < 0).then(pl.lit("-")).otherwise(pl.lit("+"))
    base = pl.concat_str([sign, hours, pl.lit(":"), minutes])
    return (
        pl.when(rest > 0)
        .then(pl.concat_str([base, pl.lit(":"), rest.cast(pl.String).str.zfill(2)]))
        .otherwise(base)
    )


def iso_text(utc: pl.Series, name: str) -> pl.Series:
    """UTC instants -> `2025-10-12T09:15:32+05:30` in zone `name`, to the second."""
    table = offsets_for(utc, name)
    frame = utc.to_frame("t")
    offset = table.offsets_of(pl.col("t"))
    return frame.select(
        pl.concat_str(
            [local_naive(pl.col("t"), table).dt.strftime("%Y-%m-%dT%H:%M:%S"), offset_text(offset)]
        ).alias(utc.name)
    ).to_series()


def month_keys(utc: pl.Series, name: str) -> pl.Series:
    """UTC instants -> their month in zone `name` as `year * 100 + month` (202510)."""
    return day_keys(utc, name) // 100


def day_keys(utc: pl.Series, name: str) -> pl.Series:
    """UTC instants -> their day in zone `name` as `year * 10000 + month * 100 + day`
    (20251012; divided by 100, the month key)."""
    local = local_naive(pl.col("t"), offsets_for(utc, name))
    key = (
        local.dt.year().cast(pl.Int64) * 10_000
        + local.dt.month().cast(pl.Int64) * 100
        + local.dt.day().cast(pl.Int64)
    )
    return utc.to_frame("t").select(key.alias(utc.name)).to_series()


def to_utc(local: pl.Series, name: str) -> pl.Series:
    """Naive wall-clock times in zone `name` -> UTC. A time the zone skips (a gap when the
    clocks go forward) is null; a time it repeats (clocks go back) is the earlier instant."""
    # A guess (local time less an offset) lies within a day of the local time.
    within = local.to_frame("l").filter(pl.col("l").dt.year().is_between(2, 9998))["l"]
    table = periods_on_days(name, _days(within, -1, 1))
    frame = local.to_frame("l").with_columns(pl.col("l").dt.replace_time_zone("UTC"))
    candidates = []
    for offset in sorted(set(table.offsets), reverse=True):  # earliest instant first
        guess = pl.col("l") - pl.duration(seconds=offset)
        candidates.append(pl.when(table.offsets_of(guess) == offset).then(guess))
    return frame.select(pl.coalesce(candidates).alias(local.name)).to_series()


def month_start_utc(year: int, month: int, name: str) -> datetime:
    """The instant local month `year-month` starts in zone `name`."""
    return local_to_utc(datetime(year, month, 1), name)


def local_to_utc(naive: datetime, name: str) -> datetime:
    """A wall-clock time -> UTC, by the same rule as `to_utc`: the earlier instant of a
    repeated time; a skipped time moves forward by the gap (the clocks' own reading)."""
    return naive.replace(tzinfo=zone(name), fold=0).astimezone(UTC)


def local_midnight(day: date, name: str) -> datetime:
    return local_to_utc(datetime(day.year, day.month, day.day), name)
