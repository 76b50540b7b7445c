"""SPEC §4 details, each on a small data set built for it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from akasa.core.config import Settings
from akasa.core.errors import NoDataError
from tests.builders import customers_csv, kpis, line, load, orders_xml, rows

MOBILES = [f"91234567{i:02d}" for i in range(20)]


@pytest.fixture
def customers(settings: Settings, tmp_path: Path) -> None:
    load(
        settings,
        customers=[
            customers_csv(
                tmp_path / "c.csv",
                [
                    (f"C{i}", f"Name {i}", MOBILES[i], ["West", "North", "", "South"][i % 4])
                    for i in range(10)
                ],
            )
        ],
    )


def orders(settings: Settings, tmp_path: Path, *spec: tuple[str, int, str, object]) -> None:
    """spec: (order_id, customer index, IST time, total)."""
    lines = [line(oid, MOBILES[who], when, "S1", 1, total) for oid, who, when, total in spec]
    load(settings, orders=[orders_xml(tmp_path / f"o{len(spec)}.xml", lines)])


def test_empty_months_are_zero_rows_and_growth_blank_after_zero(
    settings: Settings, tmp_path: Path, customers: None
) -> None:
    orders(
        settings,
        tmp_path,
        ("A", 0, "2025-01-15T10:00:00", 100),
        ("B", 1, "2025-04-15T10:00:00", 300),
        ("C", 1, "2025-05-15T10:00:00", 150),
    )
    monthly = rows(kpis(settings), "monthly_trends")
    assert [
        (m["month"], m["orders"], m["revenue"], m["avg_order_value"], m["revenue_growth_pct"])
        for m in monthly
    ] == [
        ("2025-01", 1, "100.00", "100.00", None),  # first month: no growth
        ("2025-02", 0, "0.00", "0.00", "-100.00"),
        ("2025-03", 0, "0.00", "0.00", None),  # previous month had no revenue
        ("2025-04", 1, "300.00", "300.00", None),
        ("2025-05", 1, "150.00", "150.00", "-50.00"),
    ]


def test_months_run_to_the_as_of_month(settings: Settings, tmp_path: Path, customers: None) -> None:
    orders(settings, tmp_path, ("A", 0, "2025-01-15T10:00:00", 100))
    monthly = rows(kpis(settings, as_of="2025-03-01"), "monthly_trends")
    assert [m["month"] for m in monthly] == ["2025-01", "2025-02", "2025-03"]


def test_customers_in_a_month_are_distinct_and_units_sum_counts(
    settings: Settings, tmp_path: Path, customers: None
) -> None:
    load(
        settings,
        orders=[
            orders_xml(
                tmp_path / "o.xml",
                [
                    line("A", MOBILES[0], "2025-01-02", "S1", 2, 10),
                    line("A", MOBILES[0], "2025-01-02", "S2", 3, 10),
                    line("B", MOBILES[0], "2025-01-03", "S1", 1, 20),
                    line("C", "9999999999", "2025-01-03", "S1", 1, 5),  # unmatched: one customer
                ],
            )
        ],
    )
    month = rows(kpis(settings), "monthly_trends")[0]
    assert (month["orders"], month["customers"], month["units"], month["revenue"]) == (
        3,
        2,
        7,
        "35.00",
    )
    assert month["avg_order_value"] == "11.67"  # 35 / 3, half away from zero


def test_average_order_value_rounds_half_away_from_zero(
    settings: Settings, tmp_path: Path, customers: None
) -> None:
    orders(settings, tmp_path, ("A", 0, "2025-01-02", "0.01"), ("B", 1, "2025-01-02", "0.02"))
    assert rows(kpis(settings), "monthly_trends")[0]["avg_order_value"] == "0.02"  # 0.015


def test_month_boundary_is_in_business_time(
    settings: Settings, tmp_path: Path, customers: None
) -> None:
    # 2025-01-31T20:00:00Z is 1 Feb 01:30 IST.
    orders(settings, tmp_path, ("A", 0, "2025-01-31T20:00:00Z", 100))
    assert rows(kpis(settings), "monthly_trends")[0]["month"] == "2025-02"


def test_unmatched_orders_go_to_unknown_and_no_customer_kpi(
    settings: Settings, tmp_path: Path, customers: None
) -> None:
    orders(
        settings,
        tmp_path,
        ("A", 2, "2025-01-02", 100),  # customer with empty region
        ("B", 15, "2025-01-02", 50),
        ("C", 15, "2025-01-03", 50),  # unmatched, twice
        ("D", 16, "2025-01-03", 10),
    )
    result = kpis(settings)
    assert rows(result, "regional_revenue") == [
        {
            "region": "Unknown",
            "revenue": "210.00",
            "orders": 4,
            "customers": 3,
            "revenue_share_pct": "100.00",
        }
    ]
    assert rows(result, "repeat_customers") == []
    assert [r["customer_id"] for r in rows(result, "top_customers")] == ["C2"]
    assert result.summary.unmatched_orders == 3
    assert result.summary.ordering_customers == 3


def test_repeat_customers_sorted_by_orders_revenue_id(
    settings: Settings, tmp_path: Path, customers: None
) -> None:
    orders(
        settings,
        tmp_path,
        ("A1", 1, "2025-01-02", 10),
        ("A2", 1, "2025-01-03", 10),
        ("B1", 2, "2025-01-02", 10),
        ("B2", 2, "2025-01-03", 10),
        ("C1", 3, "2025-01-02", 50),
        ("C2", 3, "2025-01-03", 50),
        ("D1", 4, "2025-01-02", 1),
        ("D2", 4, "2025-01-03", 1),
        ("D3", 4, "2025-01-04", 1),
        ("E1", 5, "2025-01-02", 999),
    )
    got = [
        (r["customer_id"], r["orders"], r["revenue"])
        for r in rows(kpis(settings), "repeat_customers")
    ]
    assert got == [("C4", 3, "3.00"), ("C3", 2, "100.00"), ("C1", 2, "20.00"), ("C2", 2, "20.00")]


def test_rank_ties_at_the_top_boundary_are_all_kept(
    settings: Settings, tmp_path: Path, customers: None
) -> None:
    orders(
        settings,
        tmp_path,
        ("A", 0, "2025-01-10", 300),
        ("B", 1, "2025-01-10", 200),
        ("C", 2, "2025-01-10", 200),
        ("D", 3, "2025-01-10", 100),
        ("E", 4, "2025-01-10", 200),
    )
    result = kpis(settings, top=2)
    assert [(r["rank"], r["customer_id"]) for r in rows(result, "top_customers")] == [
        (1, "C0"),
        (2, "C1"),
        (2, "C2"),
        (2, "C4"),
    ]
    result = kpis(settings, top=4)
    assert [r["rank"] for r in rows(result, "top_customers")] == [1, 2, 2, 2]  # rank 5 is out


def test_rank_five_is_cut_when_top_is_four(
    settings: Settings, tmp_path: Path, customers: None
) -> None:
    orders(
        settings,
        tmp_path,
        ("A", 0, "2025-01-10", 300),
        ("B", 1, "2025-01-10", 200),
        ("C", 2, "2025-01-10", 200),
        ("D", 3, "2025-01-10", 100),
        ("E", 4, "2025-01-10", 50),
    )
    ranks = [(r["rank"], r["customer_id"]) for r in rows(kpis(settings, top=4), "top_customers")]
    assert ranks == [(1, "C0"), (2, "C1"), (2, "C2"), (4, "C3")]


def test_window_edges_are_midnight_ist(settings: Settings, tmp_path: Path, customers: None) -> None:
    # as_of 2025-01-31, 30 days: [2025-01-02 00:00 IST, 2025-02-01 00:00 IST)
    orders(
        settings,
        tmp_path,
        ("IN1", 0, "2025-01-02T00:00:00", 1),  # first instant of the window
        ("OUT1", 1, "2025-01-01T23:59:59", 1),  # one second before
        ("IN2", 2, "2025-01-31T23:59:59", 1),  # last second of as_of day
        ("OUT2", 3, "2025-01-31T18:30:00Z", 1),  # = 1 Feb 00:00 IST: after as_of
        ("OUT3", 4, "2025-01-01T18:29:59Z", 1),
    )  # = 1 Jan 23:59:59 IST
    result = kpis(settings, as_of="2025-01-31")
    assert sorted(r["customer_id"] for r in rows(result, "top_customers")) == ["C0", "C2"]
    assert result.document.window_start == "2025-01-02T00:00:00+05:30"
    assert result.document.as_of == "2025-01-31T23:59:59+05:30"
    # OUT2 is after as_of, so it is in no KPI at all.
    assert result.summary.orders == 4
    assert (result.summary.window_orders, result.summary.window_revenue) == (2, "2.00")


def test_window_revenue_counts_orders_without_a_customer(
    settings: Settings, tmp_path: Path, customers: None
) -> None:
    orders(
        settings,
        tmp_path,
        ("A", 1, "2025-01-05T10:00:00", "100.00"),  # before the window
        ("B", 1, "2025-01-20T10:00:00", "50.25"),
        ("C", 15, "2025-01-25T10:00:00", "25.50"),  # no customer has this number
    )
    result = kpis(settings, as_of="2025-01-31", window_days=15)
    assert (result.summary.window_orders, result.summary.window_revenue) == (2, "75.75")
    assert [r["revenue"] for r in rows(result, "top_customers")] == ["50.25"]


def test_window_days_one_is_the_as_of_day(
    settings: Settings, tmp_path: Path, customers: None
) -> None:
    orders(settings, tmp_path, ("A", 0, "2025-01-31T00:00:00", 1), ("B", 1, "2025-01-30", 1))
    result = kpis(settings, window_days=1)
    assert [r["customer_id"] for r in rows(result, "top_customers")] == ["C0"]


def test_latest_is_the_end_of_the_newest_orders_business_day(
    settings: Settings, tmp_path: Path, customers: None
) -> None:
    orders(settings, tmp_path, ("A", 0, "2025-03-05T20:00:00Z", 1))  # 6 Mar 01:30 IST
    assert kpis(settings).document.as_of == "2025-03-06T23:59:59+05:30"


def test_as_of_now_uses_the_last_n_times_24_hours(
    settings: Settings, tmp_path: Path, customers: None
) -> None:
    orders(
        settings,
        tmp_path,
        ("A", 0, "2025-03-01T12:00:00Z", 5),
        ("B", 1, "2025-03-31T11:00:00Z", 7),
        ("C", 2, "2025-03-31T13:00:00Z", 9),
    )
    now = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)
    result = kpis(settings, as_of="now", now=now)
    assert [r["customer_id"] for r in rows(result, "top_customers")] == ["C1", "C0"]
    assert result.summary.orders == 2  # C is in the future of `now`
    assert result.document.window_start == "2025-03-01T17:30:00+05:30"


def test_as_of_before_any_order_gives_empty_kpis(
    settings: Settings, tmp_path: Path, customers: None
) -> None:
    orders(settings, tmp_path, ("A", 0, "2025-03-01", 5))
    result = kpis(settings, as_of="2025-01-01")
    assert all(result.tables[n].is_empty() for n in result.tables)
    assert result.summary.total_revenue == "0.00"


def test_empty_store_is_an_error(settings: Settings) -> None:
    with pytest.raises(NoDataError) as caught:
        kpis(settings)
    assert str(caught.value) == "the memory store holds no orders yet; run akasa ingest first"


def test_business_timezone_setting_moves_days(
    settings: Settings, tmp_path: Path, customers: None
) -> None:
    orders(settings, tmp_path, ("A", 0, "2025-01-31T20:00:00Z", 1))
    utc_settings = settings.model_copy(update={"timezone": "UTC"})
    result = kpis(utc_settings)
    assert rows(result, "monthly_trends")[0]["month"] == "2025-01"
    assert rows(result, "repeat_customers") == []
    assert result.document.as_of == "2025-01-31T23:59:59+00:00"


def test_summary_numbers(settings: Settings, tmp_path: Path, customers: None) -> None:
    orders(
        settings,
        tmp_path,
        ("A", 0, "2025-01-10", 100),
        ("B", 0, "2025-02-10", 150),
        ("C", 1, "2025-03-10", 300),
        ("D", 15, "2025-03-11", 50),
    )
    whole = {
        "total_revenue": "600.00",
        "orders": 4,
        "ordering_customers": 3,
        "repeat_customers": 1,
        "repeat_rate_pct": "33.33",
        "peak_month": "2025-03",
        "peak_month_revenue": "350.00",
        "avg_monthly_revenue_growth_pct": "91.67",  # (+50% + +133.33%) / 2
        "month_to_date": None,
        "window_orders": 2,  # C and D: 2 to 31 March
        "window_revenue": "350.00",
        "leading_region": "North",
        "leading_region_share_pct": "50.00",
        "top_customer": {"customer_id": "C1", "customer_name": "Name 1", "revenue": "300.00"},
        "avg_revenue_per_customer": "200.00",
        "unmatched_orders": 1,
    }
    assert kpis(settings, as_of="2025-03-31").summary.model_dump() == whole
    # As of 11 March (latest), March is in progress: growth and the peak speak of January
    # and February only, and March so far is compared with 1-11 February.
    assert kpis(settings).summary.model_dump() == {
        **whole,
        "peak_month": "2025-02",
        "peak_month_revenue": "150.00",
        "avg_monthly_revenue_growth_pct": "50.00",
        "month_to_date": {
            "month": "2025-03",
            "revenue": "350.00",
            "days": 11,
            "previous_month": "2025-02",
            "previous_days": 11,
            "previous_revenue": "150.00",
            "growth_pct": "133.33",
        },
        "window_orders": 3,  # B (10 February, the window's first day), C and D
        "window_revenue": "500.00",
    }


def test_data_quality_in_kpis_json(settings: Settings, tmp_path: Path, customers: None) -> None:
    load(
        settings,
        orders=[
            orders_xml(
                tmp_path / "q.xml",
                [
                    line("A", MOBILES[0], "2025-01-02", "S1", 1, 10),
                    line("B", "1", "2025-01-02", "S1", 0, 10),
                    line("C", "2", "2025-01-02", "S1", 1, 10),
                ],
            )
        ],
    )
    quality = kpis(settings).document.data_quality
    assert [(f.source_file, f.records_read, f.rejected) for f in quality.files] == [
        ("c.csv", 10, 0),
        ("q.xml", 3, 2),
    ]
    assert [r.model_dump() for r in quality.top_reject_reasons] == [
        {"kind": "orders", "reason": "invalid mobile_number", "records": 2},  # counted by kind
        {"kind": "orders", "reason": "invalid sku_count", "records": 1},
    ]


def test_an_unmatched_number_is_never_taken_for_a_customer_id(
    settings: Settings, tmp_path: Path
) -> None:
    # A customer whose id looks like a number key and an unmatched order from that number.
    load(
        settings, [customers_csv(tmp_path / "c.csv", [("mobile:9999999999", "X", MOBILES[0], "")])]
    )
    load(
        settings,
        orders=[
            orders_xml(
                tmp_path / "o.xml",
                [
                    line("A", MOBILES[0], "2025-01-02", "S1", 1, 10),
                    line("B", "9999999999", "2025-01-02", "S1", 1, 5),
                ],
            )
        ],
    )
    result = kpis(settings)
    assert rows(result, "monthly_trends")[0]["customers"] == 2
    assert rows(result, "regional_revenue")[0]["customers"] == 2  # both under Unknown
    assert result.summary.ordering_customers == 2
