"""Memory and table mode write byte-identical KPI files, on SQLite, MariaDB and PostgreSQL,
and (official data, generated dirty days, day 1 -> day 1 again -> day 2) on a MariaDB
Spider cluster whose fact tables are sharded over two data nodes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from akasa.generate import generate
from tests.builders import accounting, customers_csv, line, load, orders_xml
from tests.conftest import OFFICIAL_CUSTOMERS, OFFICIAL_ORDERS
from tests.db import TestDatabase
from tests.parity.helpers import assert_same_outputs


def test_official_files(parity_migrated: TestDatabase) -> None:
    settings = parity_migrated.settings()
    result = load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS], mode="both")
    assert accounting(result, 0) == accounting(result, 1)
    _, table = assert_same_outputs(settings)
    assert table.tables["regional_revenue"]["revenue"].to_list() == ["12749.00", "8930.00"]


@pytest.fixture(scope="module")
def dirty_days(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Six days of generated drops with 5% bad records: every cleaning rule at work."""
    out = tmp_path_factory.mktemp("dirty")
    return generate(out, customers=250, order_lines=4000, days=6, seed=21, dirty=0.05).files


# Run options checked against the same store (one ingest per database).
AS_OF_CASES: dict[str, dict[str, object]] = {
    "latest": {},
    "mid-data": {"as_of": "2025-01-03", "window_days": 2, "top": 3},
    "later-month": {"as_of": "2025-03-31", "window_days": 90, "top": 25},
    "now": {"as_of": "now"},  # NOW: 10 January 2025, noon UTC
    "before-data": {"as_of": "2024-12-01"},  # before every order: nothing in scope
}


def test_multi_day_generated_dirty_data(
    parity_migrated: TestDatabase, dirty_days: list[Path]
) -> None:
    settings = parity_migrated.settings()
    customers = [f for f in dirty_days if f.suffix == ".csv"]
    orders = [f for f in dirty_days if f.suffix == ".xml"]
    result = load(settings, customers, orders, mode="both")
    assert accounting(result, 0) == accounting(result, 1)
    assert sum(f.accounting.rejected for f in result.stores[1].files if f.accounting) > 0
    for case, options in AS_OF_CASES.items():
        try:
            memory, _ = assert_same_outputs(settings, **options)
        except AssertionError as exc:
            raise AssertionError(f"{case}: {exc}") from None
        nothing_in_scope = options.get("as_of") == "2024-12-01"
        assert (memory.tables["monthly_trends"].height == 0) == nothing_in_scope, case


def test_day_one_then_day_one_again_then_day_two(
    parity_migrated: TestDatabase, tmp_path: Path
) -> None:
    settings = parity_migrated.settings()
    files = generate(tmp_path / "in", customers=120, order_lines=1500, days=2, seed=8).files
    day1, day2 = files[:2], files[2:]
    first = load(settings, [day1[0]], [day1[1]], mode="both")
    assert accounting(first, 0) == accounting(first, 1)
    assert_same_outputs(settings)
    again = load(settings, [day1[0]], [day1[1]], mode="both")
    for store in again.stores:
        assert [f.status for f in store.files] == ["skipped", "skipped"]
    assert_same_outputs(settings)
    second = load(settings, [day2[0]], [day2[1]], mode="both")
    assert accounting(second, 0) == accounting(second, 1)
    assert_same_outputs(settings)


def test_edge_cases(migrated: TestDatabase, tmp_path: Path) -> None:
    """Text that only a byte-wise comparison keeps apart, rounding, ties, time boundaries,
    replaced orders, changed numbers and unmatched orders, across three drops."""
    settings = migrated.settings()
    day1_customers = customers_csv(
        tmp_path / "d1" / "customers.csv",
        [
            ("C1", "Zoë  Ünal", "9000000001", "east"),
            ("c1", "lower-case twin", "9000000002", "EAST"),  # another customer
            ("C2", "=HYPERLINK()", "9000000003", "éast"),  # another region than East
            ("C3", "名前 😀", "9000000004", ""),
            ("mobile:9999999999", "Looks Like A Number", "9000000005", "West"),
            ("C4", "Tied One", "9000000006", "West "),
            ("C5", "Tied Two", "9000000007", "west"),
            ("C6", "Takes A Number", "9000000001", "North"),  # number of C1: rejected
            ("C8", "", "9000000008", "south"),  # empty name
        ],
    )
    day1_orders = orders_xml(
        tmp_path / "d1" / "orders.xml",
        [
            # Last microsecond of January IST and first instant of February IST.
            line("A1", "9000000001", "2025-01-31T18:29:59.999999Z", "S1", 2, "₹1,000.005"),
            line("A2", "9000000001", "2025-01-31T18:30:00Z", "S1", 1, "Rs. 0.005"),
            line("A3", "9000000002", "01/02/2025 10:00", "S1", 3, "INR 333.33"),
            line("A3", "9000000002", "01/02/2025 10:00", "S2", 1, "INR 333.33"),
            line("A4", "9000000003", "2025-02-02", "S1", 1, "0"),
            line("A5", "9000000004", "2025-02-03T12:00:00+05:30", "S1", 5, "99.99"),
            line("A6", "9999999999", "2025-02-03T12:00:00", "S1", 1, "10"),  # unmatched
            line("A7", "9000000005", "2025-02-04T12:00:00", "S1", 1, "10"),
            line("A8", "9000000006", "2025-02-05T12:00:00", "S1", 1, "500"),
            line("A9", "9000000007", "2025-02-05T13:00:00", "S1", 1, "500"),
            line("A10", "9000000002", "2025-02-06T09:00:00", "S9", 1, "100"),
            line("A11", "8888888888", "2025-02-06T09:00:00", "S1", 2, "7"),  # unmatched
            # x * 100 is not a whole number in binary floating point (SQLite stores REAL).
            line("A13", "9000000004", "2025-02-07T09:00:00", "S1", 1, "0.29"),
            line("A14", "9000000004", "2025-02-07T10:00:00", "S1", 1, "4.35"),
            line("A15", "9000000004", "2025-02-07T11:00:00", "S1", 1, "1.15"),
            line("A16", "9000000008", "2025-02-07T11:00:00", "S1", 1, "12"),
            line("A17", "9000000008", "2025-02-07T12:00:00", "S1", 1, "13"),
        ],
    )
    load(settings, [day1_customers], [day1_orders], mode="both")
    assert_same_outputs(settings)
    assert_same_outputs(settings, as_of="2025-01-31", top=1)
    assert_same_outputs(settings, window_days=3, top=1)  # C4 and C5 tie at rank 1

    # Day 2: C1 changes number and region; order A1 is replaced (fewer lines, new total);
    # the customer of 8888888888 arrives, so its older order now joins.
    day2_customers = customers_csv(
        tmp_path / "d2" / "customers.csv",
        [("C1", "Zoë Ünal", "9000000011", "north east"), ("C7", "Late", "8888888888", "South")],
    )
    day2_orders = orders_xml(
        tmp_path / "d2" / "orders.xml",
        [
            line("A1", "9000000011", "2025-03-01T00:00:00", "S7", 1, "2500.50"),
            line("A12", "9000000001", "2025-03-02T00:00:00", "S1", 1, "1.10"),  # old number
        ],
    )
    load(settings, [day2_customers], [day2_orders], mode="both")
    memory, _ = assert_same_outputs(settings)
    regions = memory.tables["regional_revenue"]["region"].to_list()
    assert {"East", "Éast", "Unknown", "West", "North East", "South"} <= set(regions)
    repeat = memory.tables["repeat_customers"]["customer_id"].to_list()
    assert "C1" in repeat and "c1" in repeat
    assert_same_outputs(settings, as_of="2025-02-28", window_days=31, top=10)


def test_a_dst_time_zone(migrated: TestDatabase, tmp_path: Path) -> None:
    """Month starts have different UTC offsets in a zone with daylight saving time."""
    settings = migrated.settings(timezone="America/New_York")
    load(
        settings,
        [customers_csv(tmp_path / "c.csv", [("C1", "A", "9000000001", "N")])],
        [
            orders_xml(
                tmp_path / "o.xml",
                [
                    line("O1", "9000000001", "2025-04-01T03:59:59.999999Z", "S", 1, 1),  # 31 Mar
                    line("O2", "9000000001", "2025-04-01T04:00:00Z", "S", 1, 2),  # 1 Apr EDT
                    line("O3", "9000000001", "2025-12-01T04:59:59Z", "S", 1, 3),  # 30 Nov EST
                    line("O4", "9000000001", "2025-12-01T05:00:00Z", "S", 1, 4),  # 1 Dec EST
                ],
            )
        ],
        mode="both",
    )
    memory, _ = assert_same_outputs(settings)
    monthly = memory.tables["monthly_trends"]
    counts = dict(zip(monthly["month"], monthly["orders"], strict=True))
    assert (counts["2025-03"], counts["2025-04"], counts["2025-11"], counts["2025-12"]) == (
        1,
        1,
        1,
        1,
    )
    assert_same_outputs(settings, as_of="now", now=datetime(2025, 12, 1, 5, tzinfo=UTC))


def test_top_customers_cut_through_ties(migrated: TestDatabase, tmp_path: Path) -> None:
    """Table mode ranks only the customers at or above the `top`-th window revenue: ties
    across the cut all stay, fewer customers than `top` all show, a zero revenue counts."""
    settings = migrated.settings()
    people = [(f"C{i}", f"Person {i}", f"900000000{i}", "East") for i in range(1, 7)]
    revenues = {"C1": "30", "C2": "20", "C3": "20", "C4": "20", "C5": "5", "C6": "0"}
    lines = [
        line(f"O{i}", f"900000000{i}", "2025-03-10T10:00:00Z", "S1", 1, revenues[f"C{i}"])
        for i in range(1, 7)
    ]
    load(
        settings,
        [customers_csv(tmp_path / "c.csv", people)],
        [orders_xml(tmp_path / "o.xml", lines)],
        mode="both",
    )
    for top in (1, 2, 4, 5, 6, 10):
        _, table = assert_same_outputs(settings, top=top)
        ranked = table.tables["top_customers"]
        expected = {1: 1, 2: 4, 4: 4, 5: 5, 6: 6, 10: 6}[top]
        assert ranked.height == expected, (top, ranked)
    assert ranked["rank"].to_list() == [1, 2, 2, 2, 5, 6]
