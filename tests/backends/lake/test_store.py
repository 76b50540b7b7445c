"""The Parquet store: batches, the manifest as commit point, and replaced order versions."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from akasa.backends.lake.store import MANIFEST, REPLACED, Lake
from akasa.core.config import Settings
from akasa.core.errors import StoreError
from tests.builders import line, load, orders_xml

M = "9123456781"


@pytest.mark.parametrize("ingests", [[1, 2], [3]], ids=["stored-then-two", "all-in-one"])
def test_replaced_order_versions_are_recorded_and_hidden(
    settings: Settings, tmp_path: Path, ingests: list[int]
) -> None:
    """Each replaced version is recorded with its batch, whether it was stored before the
    ingest or landed earlier in the same one (read back from that batch's file)."""
    day1 = orders_xml(
        tmp_path / "a.xml",
        [
            line("O1", M, "2025-01-01", "S1", 1, 10),
            line("O1", M, "2025-01-01", "S2", 1, 10),
            line("O2", M, "2025-01-01", "S1", 1, 20),
        ],
    )
    day2 = orders_xml(tmp_path / "b.xml", [line("O1", M, "2025-01-02", "S9", 3, 99)])
    day3 = orders_xml(tmp_path / "c.xml", [line("O1", M, "2025-01-03", "S8", 2, 50)])
    files = [day1, day2, day3]
    for count in ingests:  # then two replacements of O1 in one ingest, or all three
        load(settings, orders=files[:count])
        files = files[count:]
    lake = Lake(settings.store_dir)
    replaced = pl.scan_parquet(sorted(settings.store_dir.glob(f"batches/*/{REPLACED}.parquet")))
    assert sorted(replaced.collect().rows()) == [("O1", 1), ("O1", 2)]
    orders = lake.current("orders").collect().sort("order_id")
    assert orders.select("order_id", "batch_id").rows() == [("O1", 3), ("O2", 1)]
    lines = lake.current("order_lines").collect().sort("order_id")
    assert lines.select("order_id", "sku_id", "sku_count").rows() == [
        ("O1", "S8", 2),
        ("O2", "S1", 1),
    ]


def test_a_store_of_another_format_is_refused(settings: Settings) -> None:
    settings.store_dir.mkdir(parents=True)
    (settings.store_dir / MANIFEST).write_text(json.dumps({"format": 1, "batches": []}))
    with pytest.raises(StoreError, match="memory store format 1 is not supported"):
        Lake(settings.store_dir).ingested()
