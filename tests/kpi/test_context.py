"""The as-of point and the window, computed once as UTC bounds."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from akasa.core.errors import UsageError
from akasa.kpi.context import AsOf, resolve

NEWEST = datetime(2025, 11, 1, 8, 52, 10, tzinfo=UTC)  # 14:22:10 IST


def test_parse() -> None:
    assert AsOf.parse("latest") == AsOf("latest")
    assert AsOf.parse(" NOW ") == AsOf("now")
    assert AsOf.parse("2025-02-28") == AsOf("date", date(2025, 2, 28))
    for bad in ["2025-02-30", "01-02-2025", "", "tomorrow"]:
        with pytest.raises(UsageError):
            AsOf.parse(bad)


def test_latest_and_date_windows() -> None:
    ctx = resolve(AsOf("latest"), NEWEST, "Asia/Kolkata", 30, 10)
    assert ctx.as_of == datetime(2025, 11, 1, 18, 29, 59, 999999, tzinfo=UTC)
    assert ctx.window_start == datetime(2025, 10, 2, 18, 30, tzinfo=UTC)
    ctx = resolve(AsOf("date", date(2025, 3, 1)), NEWEST, "Asia/Kolkata", 1, 10)
    assert ctx.window_start == datetime(2025, 2, 28, 18, 30, tzinfo=UTC)


def test_dst_zone_days_are_calendar_days() -> None:
    # 2025-03-30 is 23 hours long in Europe/London.
    ctx = resolve(AsOf("date", date(2025, 3, 30)), NEWEST, "Europe/London", 1, 10)
    assert ctx.window_start == datetime(2025, 3, 30, 0, 0, tzinfo=UTC)
    assert ctx.as_of == datetime(2025, 3, 30, 22, 59, 59, 999999, tzinfo=UTC)


def test_months_from() -> None:
    ctx = resolve(AsOf("date", date(2026, 2, 3)), NEWEST, "Asia/Kolkata", 30, 10)
    assert ctx.months_from("2025-11") == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_bad_window_and_top() -> None:
    with pytest.raises(UsageError):
        resolve(AsOf("latest"), NEWEST, "Asia/Kolkata", 0, 10)
    with pytest.raises(UsageError):
        resolve(AsOf("latest"), NEWEST, "Asia/Kolkata", 30, 0)


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01", "0999-12-31", "9999-01-01"])
def test_as_of_outside_the_years_a_store_holds_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="--as-of must be a date from 1000-01-01 to 9998-12-31"):
        AsOf.parse(text)


def test_the_edges_of_the_as_of_range_resolve() -> None:
    for text in ("1000-01-01", "9998-12-31"):
        ctx = resolve(AsOf.parse(text), NEWEST, "Asia/Kolkata", 30, 10)
        assert ctx.as_of.year in (999, 1000, 9998)


def test_window_days_has_an_upper_bound() -> None:
    with pytest.raises(UsageError, match="--window-days must be from 1 to 36600"):
        resolve(AsOf("latest"), NEWEST, "Asia/Kolkata", 1_000_000, 10)
