"""Small writers for input files, so each test states exactly the records it needs."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from akasa.backends.base import PendingBatch
from akasa.cli.options import IngestMode
from akasa.core.columns import ORDER_LINE_COLUMNS
from akasa.core.config import Settings
from akasa.pipeline.ingest import IngestResult, ingest
from akasa.pipeline.run import KpiRun, run

ORDER_FIELDS = ORDER_LINE_COLUMNS


def customers_csv(
    path: Path,
    rows: list[tuple[str, ...]] | list[list[str]],
    header: str = "customer_id,customer_name,mobile_number,region",
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    buffer.write(header + "\n")
    for row in rows:
        writer.writerow(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def line(order_id: str, mobile: str, when: str, sku: str, count: Any, total: Any) -> dict[str, str]:
    return dict(
        zip(ORDER_FIELDS, (order_id, mobile, when, sku, str(count), str(total)), strict=True)
    )


def orders_xml(path: Path, lines: list[dict[str, str]]) -> Path:
    parts = ["<orders>\n"]
    for item in lines:
        parts.append("  <order>\n")
        for key, value in item.items():
            parts.append(f"    <{key}>{value}</{key}>\n")
        parts.append("  </order>\n")
    parts.append("</orders>\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(parts), encoding="utf-8")
    return path


def load(
    settings: Settings,
    customers: list[Path] | None = None,
    orders: list[Path] | None = None,
    mode: str = "memory",
) -> IngestResult:
    """`mode` as `akasa ingest --mode` takes it: memory, table or both."""
    return ingest(settings, customers or [], orders or [], IngestMode(mode).modes())


def every_few_hours(
    settings: Settings, path: Path, start: datetime, hours: int, count: int, mode: str = "memory"
) -> None:
    """Loads `count` orders `hours` apart from `start` (Kolkata time), by four numbers,
    from one orders file at `path`."""
    lines = [
        line(
            f"O{i}",
            f"900000000{i % 4}",
            (start + timedelta(hours=hours * i)).isoformat() + "+05:30",
            "S1",
            1 + i % 3,
            f"{i}.25",
        )
        for i in range(count)
    ]
    load(settings, orders=[orders_xml(path, lines)], mode=mode)


# Three mobile numbers and the two days of orders the rollup tests load for every kind of
# change: lines at the edges of local days and of a month, then an order that moves to
# another month and number and one whose total changes.
ROLLUP_NUMBERS = ("9000000001", "9000000002", "9000000003")


def rollup_days(folder: Path) -> tuple[Path, Path]:
    m1, m2, m3 = ROLLUP_NUMBERS
    first = orders_xml(
        folder / "d1" / "orders.xml",
        [
            line("O1", m1, "2025-01-10T23:45:00+05:30", "S1", 2, "100.50"),
            line("O2", m1, "2025-01-10T00:10:00+05:30", "S1", 1, "10"),
            line("O3", m2, "2025-01-11T00:10:00+05:30", "S1", 1, "7.25"),
            line("O4", m3, "2025-01-31T23:59:59.999999+05:30", "S1", 3, "1"),
        ],
    )
    second = orders_xml(
        folder / "d2" / "orders.xml",
        [
            line("O1", m2, "2025-02-01T00:00:00+05:30", "S1", 1, "5"),
            line("O3", m2, "2025-01-11T00:10:00+05:30", "S1", 1, "8"),
        ],
    )
    return first, second


def kpis(settings: Settings, **options: Any) -> KpiRun:
    return run(settings, **options)


def rows(run_result: KpiRun, name: str) -> list[dict[str, Any]]:
    return run_result.tables[name].to_dicts()


def accounting(result: IngestResult, store: int = 0) -> list[tuple[str, int, int, int, int, int]]:
    out = []
    for f in result.stores[store].files:
        a = f.accounting
        assert a is not None, f"{f.source_file} was skipped"
        out.append((f.source_file, a.read, a.accepted, a.rejected, a.duplicates, a.superseded))
    return out


def land(store: Any, pending: list[PendingBatch]) -> Any:
    """What an ingest does with its batches: add each, commit, roll back on failure."""
    writer = store.begin()
    try:
        for batch in pending:
            writer.add(batch)
        writer.commit()
    except BaseException:
        writer.rollback()
        raise
    return writer


def dirty_drop(folder: Path) -> tuple[Path, Path]:
    """One customers file and one orders file with a reject of every common kind, an order
    whose lines disagree on the total (ORD-9), and good records around them."""
    customers = customers_csv(
        folder / "customers.csv",
        [
            ("C1", "Asha", "9123456781", "North"),
            ("C2", "Bala", "12345", "South"),  # too few digits
            ("C3", "Chitra", "9123456781", "East"),  # C1's number
            ("", "Dev", "9123456784", "West"),  # no id
        ],
    )
    orders = orders_xml(
        folder / "orders.xml",
        [
            line("ORD-1", "9123456781", "2025-11-01T10:00:00", "S1", 1, "100"),
            line("ORD-1", "9123456781", "2025-11-01T10:00:00", "S2", "two", "100"),
            line("ORD-9", "9123456781", "2025-11-02T09:00:00", "S1", 1, "1.00"),
            line("ORD-9", "9123456781", "2025-11-02T09:00:00", "S2", 1, "1599.84"),
            line("ORD-5", "98765", "2025-11-02T09:30:00", "S1", 1, "10"),
            line("ORD-6", "9876543210", "2025-10-15T12:00:00", "S1", 1, "250"),
        ],
    )
    return customers, orders


# What `dirty_drop` rejects: (source file, record number, reason).
DIRTY_REJECTS = [
    (
        "customers.csv",
        2,
        "invalid mobile_number: 12X45 has 5 digits (need 10 digits starting 6-9)",
    ),
    ("customers.csv", 3, "mobile_number already belongs to customer C1"),
    ("customers.csv", 4, "missing customer_id"),
    ("orders.xml", 2, 'invalid sku_count: "two" (need a whole number from 1 to 1000000000)'),
    ("orders.xml", 3, "total_amount differs within order ORD-9: 1.00 vs 1599.84 on lines 3, 4"),
    ("orders.xml", 4, "total_amount differs within order ORD-9: 1.00 vs 1599.84 on lines 3, 4"),
    ("orders.xml", 5, "invalid mobile_number: 98X65 has 5 digits (need 10 digits starting 6-9)"),
]
DIRTY_REASONS = [
    ("invalid mobile_number", 2),
    ("total_amount differs within order", 2),
    ("invalid sku_count", 1),
    ("missing customer_id", 1),
    ("mobile_number already belongs to customer", 1),
]
