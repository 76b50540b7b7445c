"""Values that look like SQL or break quoting travel unchanged through store and outputs."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from akasa.backends.base import Mode
from akasa.core.config import Settings
from akasa.pipeline.query import query
from tests.builders import customers_csv, kpis, line, load, orders_xml
from tests.db import TestDatabase

NASTY = [
    "'; DROP TABLE customers; --",
    'Robert"); DELETE FROM orders; --',
    "back\\slash \\n not a newline",
    'O\'Brien "Bob"',
    "emoji 😀🛒",
    "देवनागरी नाम",
    "tab\tinside",
]


@pytest.mark.parametrize("name", NASTY)
def test_nasty_names_round_trip(settings: Settings, tmp_path: Path, name: str) -> None:
    customer_id = "ID " + name  # ids are trimmed but otherwise kept as given
    load(
        settings,
        [customers_csv(tmp_path / "c.csv", [(customer_id, name, "9123456781", "West")])],
        [
            orders_xml(
                tmp_path / "o.xml",
                [
                    line("O1", "9123456781", "2025-01-01", "S1", 1, 5),
                    line("O2", "9123456781", "2025-01-02", "S1", 1, 5),
                ],
            )
        ],
    )
    kpis(settings)
    stored = query(settings, Mode.memory, "SELECT customer_id, customer_name FROM customers").rows
    expected_name = " ".join(name.split())  # names collapse inner whitespace
    assert stored == [(customer_id, expected_name)]
    with (settings.outputs_dir / "memory" / "repeat_customers.csv").open(encoding="utf-8") as f:
        (row,) = list(csv.DictReader(f))
    assert row["customer_name"] == expected_name
    assert row["customer_id"] == customer_id


@pytest.mark.parametrize("name", NASTY)
def test_nasty_names_round_trip_through_the_database(
    migrated: TestDatabase, tmp_path: Path, name: str
) -> None:
    settings = migrated.settings()
    customer_id = "ID " + name
    load(
        settings,
        [customers_csv(tmp_path / "c.csv", [(customer_id, name, "9123456781", "West")])],
        [
            orders_xml(
                tmp_path / "o.xml",
                [
                    line("O1", "9123456781", "2025-01-01", "S1", 1, 5),
                    line("O2", "9123456781", "2025-01-02", "S1", 1, 5),
                ],
            )
        ],
        mode="both",
    )
    expected_name = " ".join(name.split())
    assert [row[:2] for row in migrated.snapshot()["customers"]] == [(customer_id, expected_name)]
    memory, table = kpis(settings, mode="memory"), kpis(settings, mode="table")
    for result in (memory, table):
        with (result.output_dir / "repeat_customers.csv").open(encoding="utf-8") as f:
            (row,) = list(csv.DictReader(f))
        assert (row["customer_id"], row["customer_name"]) == (customer_id, expected_name)
