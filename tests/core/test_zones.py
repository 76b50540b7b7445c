"""One zone database: every conversion agrees with `zoneinfo` over the pinned tzdata."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akasa.core import zones

ZONES = [
    "Asia/Kolkata",
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "Africa/Casablanca",  # DST suspended for about a month each year
    "Asia/Kathmandu",  # +05:45
    "WET",  # a link to Europe/Lisbon in current tzdata: +01:00 in the winter of 1994
]
INSTANTS = st.datetimes(
    min_value=datetime(1890, 1, 1), max_value=datetime(2100, 12, 31), timezones=st.just(UTC)
)


def series(values: list[datetime]) -> pl.Series:
    return pl.Series("t", values, dtype=pl.Datetime("us", "UTC"))


@pytest.mark.parametrize("name", ZONES)
@settings(max_examples=25)
@given(values=st.lists(INSTANTS, min_size=1, max_size=40))
def test_iso_text_is_what_zoneinfo_says(name: str, values: list[datetime]) -> None:
    z = zones.zone(name)
    expected = [v.astimezone(z).isoformat(timespec="seconds") for v in values]
    assert zones.iso_text(series(values), name).to_list() == expected


@pytest.mark.parametrize("name", ZONES)
@settings(max_examples=25)
@given(values=st.lists(INSTANTS, min_size=1, max_size=40))
def test_month_keys_are_the_local_months(name: str, values: list[datetime]) -> None:
    z = zones.zone(name)
    expected = [v.astimezone(z).year * 100 + v.astimezone(z).month for v in values]
    assert zones.month_keys(series(values), name).to_list() == expected


@pytest.mark.parametrize("name", ZONES)
@settings(max_examples=25)
@given(values=st.lists(INSTANTS, min_size=1, max_size=40))
def test_local_times_go_back_to_their_instant(name: str, values: list[datetime]) -> None:
    """Every wall-clock time the zone shows maps to the earliest instant showing it."""
    z = zones.zone(name)
    local = [v.astimezone(z).replace(tzinfo=None) for v in values]
    got = zones.to_utc(pl.Series("l", local, dtype=pl.Datetime("us")), name).to_list()
    assert got == [lt.replace(tzinfo=z, fold=0).astimezone(UTC) for lt in local]


def test_periods_bisect_each_change_to_the_microsecond() -> None:
    found = zones.periods(
        "Europe/London", datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 12, 31, tzinfo=UTC)
    )
    assert found.offsets == (0, 3600, 0)
    assert found.starts[1:] == (
        datetime(2025, 3, 30, 1, tzinfo=UTC),
        datetime(2025, 10, 26, 1, tzinfo=UTC),
    )
    assert found.offset_at(datetime(2025, 3, 30, 1, tzinfo=UTC) - timedelta(microseconds=1)) == 0


def test_the_zone_data_is_the_pinned_package_not_the_system() -> None:
    """WET became a link to Europe/Lisbon: Portugal kept +01:00 through the winter of
    1994-95. Older system copies say +00:00; every mode now says the same."""
    moment = datetime(1994, 12, 31, 23, 30, tzinfo=UTC)
    assert zones.iso_text(series([moment]), "WET").to_list() == ["1995-01-01T00:30:00+01:00"]
    assert zones.month_keys(series([moment]), "WET").to_list() == [199501]


def test_unknown_zone() -> None:
    with pytest.raises(zones.UnknownZoneError, match="unknown time zone 'Mars/Olympus'"):
        zones.zone("Mars/Olympus")
    with pytest.raises(zones.UnknownZoneError):
        zones.zone("../../etc/passwd")


def test_empty_and_null_values() -> None:
    assert zones.iso_text(series([]), "Asia/Kolkata").to_list() == []
    empty = pl.Series("t", [None], dtype=pl.Datetime("us", "UTC"))
    assert zones.iso_text(empty, "Asia/Kolkata").to_list() == [None]
