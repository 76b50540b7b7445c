"""The contract's limits in every backend: exact money at any total, the largest amounts,
far --as-of dates, one zone database, and the input rules at their edges.

Each test runs memory mode and table mode on SQLite, MariaDB and PostgreSQL (the `migrated`
fixture) and checks that both write the same files and that the numbers are the exact ones.
"""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akasa.core.errors import NoDataError
from akasa.pipeline.run import run
from tests.builders import accounting, customers_csv, line, load, orders_xml, rows
from tests.db import TestDatabase
from tests.parity.helpers import assert_same_outputs
from tests.parity.test_parity_property import _empty

MAX = "999999999999.99"  # the largest amount DECIMAL(14,2) holds
MOBILE = "9000000001"


def _customers(folder: Path) -> Path:
    return customers_csv(folder / "c.csv", [("C1", "Asha", MOBILE, "West")])


def test_the_largest_amounts_give_exact_growth_and_share(
    migrated: TestDatabase, tmp_path: Path
) -> None:
    """Ten orders of the largest amount after a month of ₹1: growth is exact (it wrapped
    in 64-bit integers before), the share is 100%, and the summary says the same."""
    settings_ = migrated.settings()
    lines = [line("O0", MOBILE, "2025-01-15T10:00:00", "S", 1, "1.00")]
    lines += [line(f"O{i}", MOBILE, "2025-02-15T10:00:00", "S", 1, MAX) for i in range(1, 11)]
    load(settings_, [_customers(tmp_path)], [orders_xml(tmp_path / "o.xml", lines)], "both")
    memory, _ = assert_same_outputs(settings_)
    february = rows(memory, "monthly_trends")[1]
    assert february["revenue"] == "9999999999999.90"
    assert february["revenue_growth_pct"] == "999999999999890.00"
    assert rows(memory, "regional_revenue")[0]["revenue_share_pct"] == "100.00"
    assert memory.summary.total_revenue == "10000000000000.90"


def test_121_months_of_the_largest_amounts(migrated: TestDatabase, tmp_path: Path) -> None:
    settings_ = migrated.settings()
    lines = []
    for month in range(121):
        year, index = 2015 + month // 12, month % 12 + 1
        when = f"{year}-{index:02d}-10T10:00:00"
        lines += [line(f"O{month}-{i}", MOBILE, when, "S", 1, MAX) for i in range(10)]
    load(settings_, [_customers(tmp_path)], [orders_xml(tmp_path / "o.xml", lines)], "both")
    memory, _ = assert_same_outputs(settings_)
    total = Decimal(MAX) * 1210
    assert memory.summary.total_revenue == f"{total:.2f}"
    assert rows(memory, "regional_revenue")[0]["revenue"] == f"{total:.2f}"
    assert {m["revenue_growth_pct"] for m in rows(memory, "monthly_trends")[1:]} == {"0.00"}


def test_input_edges_land_the_same_in_every_store(migrated: TestDatabase, tmp_path: Path) -> None:
    """-0.00 is 0.00; .995 that rounds to 10^12 is one rejected record; a fraction of any
    length is cut to the microsecond; two malformed CSV lines are two rejected records."""
    settings_ = migrated.settings()
    csv = tmp_path / "c.csv"
    csv.write_bytes(
        b"customer_id,customer_name,mobile_number,region\n"
        b'"C2" ,Bala,9000000002,North\n'
        b"C1,Asha,9000000001,West\n"
        b'C3,O"Brien,9000000003,North\n'
    )
    orders = orders_xml(
        tmp_path / "o.xml",
        [
            line("O1", MOBILE, "2025-03-01T10:00:00.1234569", "S", 1, "-0.00"),
            line("O2", MOBILE, "2025-03-02T10:00:00", "S", 1, "999999999999.995"),
            line("O3", MOBILE, "2025-03-03T10:00:00", "S", 1, "999999999999.994"),
        ],
    )
    result = load(settings_, [csv], [orders], "both")
    assert accounting(result, 0) == accounting(result, 1)
    assert accounting(result, 0) == [("c.csv", 3, 1, 2, 0, 0), ("o.xml", 3, 2, 1, 0, 0)]
    memory, _ = assert_same_outputs(settings_)
    assert memory.summary.total_revenue == "999999999999.99"
    assert rows(memory, "repeat_customers")[0]["first_order_at"] == "2025-03-01T10:00:00+05:30"


def test_far_as_of_dates_in_every_database(migrated: TestDatabase, tmp_path: Path) -> None:
    """The month buckets do not grow the statement with the range (PostgreSQL's 65,535
    parameters, SQLite's parser stack)."""
    settings_ = migrated.settings()
    lines = [
        line("O1", MOBILE, "2025-01-15T10:00:00", "S", 1, "10"),
        line("O2", MOBILE, "2025-02-15T10:00:00", "S", 1, "20"),
    ]
    load(settings_, [_customers(tmp_path)], [orders_xml(tmp_path / "o.xml", lines)], "both")
    for as_of in ("4900-01-01", "7600-01-01"):
        memory, _ = assert_same_outputs(settings_, as_of=as_of)
        months = rows(memory, "monthly_trends")
        assert months[-1]["month"] == as_of[:7]
        assert sum(int(m["orders"]) for m in months) == 2


def test_one_zone_database_for_both_modes(migrated: TestDatabase, tmp_path: Path) -> None:
    """WET is a link to Europe/Lisbon in current tzdata (+01:00 in the winter of 1994):
    the month and the printed time agree in every mode."""
    settings_ = migrated.settings(timezone="WET")
    lines = [
        line("O1", MOBILE, "1994-12-31T23:30:00Z", "S", 1, "10"),
        line("O2", MOBILE, "1995-01-10T10:00:00Z", "S", 1, "20"),
    ]
    load(settings_, [_customers(tmp_path)], [orders_xml(tmp_path / "o.xml", lines)], "both")
    memory, _ = assert_same_outputs(settings_)
    assert [m["month"] for m in rows(memory, "monthly_trends")] == ["1995-01"]
    assert rows(memory, "repeat_customers")[0]["first_order_at"] == "1995-01-01T00:30:00+01:00"


AMOUNTS = st.integers(min_value=0, max_value=10**14 - 1)  # paise, up to the limit


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(amounts=st.lists(st.tuples(AMOUNTS, st.integers(1, 40)), min_size=1, max_size=4))
def test_random_large_totals_are_the_exact_decimal_sum(
    migrated: TestDatabase, amounts: list[tuple[int, int]]
) -> None:
    """Random amounts up to the limit, each repeated a random number of times: memory =
    table = the exact Decimal sum."""
    _empty(migrated)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        run_settings = migrated.settings(data_dir=root / "data")
        lines = [
            line(f"O{i}-{k}", MOBILE, f"2025-0{1 + i % 3}-10T10:00:00", "S", 1, _money(p))
            for i, (p, count) in enumerate(amounts)
            for k in range(count)
        ]
        load(run_settings, [_customers(root)], [orders_xml(root / "o.xml", lines)], "both")
        memory, _ = assert_same_outputs(run_settings)
        exact = sum(Decimal(p) * count for p, count in amounts) / 100
        assert memory.summary.total_revenue == f"{exact:.2f}"


def _money(paise: int) -> str:
    return f"{paise // 100}.{paise % 100:02d}"


def test_no_orders_and_an_explicit_date_writes_empty_outputs(
    migrated: TestDatabase, tmp_path: Path
) -> None:
    """SPEC §4: customers but no orders; an explicit date writes the four files with
    headers only (exit 0 at the CLI), `latest` keeps its clear error."""
    settings_ = migrated.settings()
    load(settings_, [_customers(tmp_path)], [], "both")
    memory, table = assert_same_outputs(settings_, as_of="2025-11-30")
    for name in ("repeat_customers", "monthly_trends", "regional_revenue", "top_customers"):
        text = (memory.output_dir / f"{name}.csv").read_text()
        assert text.count("\n") == 1, f"{name}.csv has rows: {text}"
    assert memory.document.watermark.newest_order_at is None
    assert memory.summary.total_revenue == table.summary.total_revenue == "0.00"
    for mode in ("memory", "table"):
        with pytest.raises(NoDataError, match="holds no orders yet; run akasa ingest first"):
            run(settings_, mode=mode)
