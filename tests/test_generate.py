"""`akasa generate`: deterministic bytes, the promised variety, and a clean round trip."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akasa.backends.lake.store import Lake
from akasa.core.config import Settings
from akasa.generate import generate, mobile_for
from akasa.ingest.clean import clean_customers, clean_orders, reason_kind
from akasa.ingest.csv_reader import read_customers
from akasa.ingest.xml_reader import read_orders
from tests.builders import load
from tests.conftest import SAMPLE_DIR

SAMPLE_ARGS = {
    "customers": 80,
    "order_lines": 900,
    "days": 5,
    "seed": 7,
    "dirty": 0.02,
    "start": "2025-09-28",
}


def digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a", customers=50, order_lines=500, days=2, seed=3, dirty=0.1)
    generate(tmp_path / "b", customers=50, order_lines=500, days=2, seed=3, dirty=0.1)
    generate(tmp_path / "c", customers=50, order_lines=500, days=2, seed=4, dirty=0.1)
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    assert digests(tmp_path / "a") != digests(tmp_path / "c")


def test_committed_sample_is_what_generate_writes(tmp_path: Path) -> None:
    """The README's sample data is reproducible: `akasa generate data/sample ...` (see README)."""
    generate(tmp_path / "s", **SAMPLE_ARGS)
    assert digests(tmp_path / "s") == digests(SAMPLE_DIR)


def test_orders_counts_order_elements_over_all_days(tmp_path: Path) -> None:
    result = generate(tmp_path, customers=30, order_lines=1001, days=4, seed=1, dirty=0.2)
    lines = sum(read_orders(p).height for p in sorted(tmp_path.glob("*.xml")))
    assert lines == 1001 == result.order_lines
    assert len(list(tmp_path.glob("customers_*.csv"))) == 4


def test_clean_data_is_all_accepted_and_varied(tmp_path: Path) -> None:
    generate(tmp_path, customers=200, order_lines=3000, days=3, seed=2)
    frames = [read_orders(p) for p in sorted(tmp_path.glob("*.xml"))]
    results = [clean_orders(frame, "Asia/Kolkata") for frame in frames]
    assert sum(r.accounting.rejected for r in results) == 0
    raw = pl.concat(frames)
    texts = raw["order_date_time"]
    assert texts.str.ends_with("Z").any() and texts.str.ends_with("+05:30").any()
    assert texts.str.contains("/").any() and texts.str.contains(r"^\d{2}-").any()
    mobiles = raw["mobile_number"]
    assert mobiles.str.starts_with("+91 ").any() and mobiles.str.starts_with("0").any()
    assert raw["total_amount"].str.starts_with("₹").any()
    assert raw["total_amount"].str.starts_with("Rs.").any()
    per_order = results[0].lines.group_by("order_id").len()["len"]
    assert per_order.max() > 1 and 2.0 < per_order.mean() < 4.0


def test_dirty_data_exercises_every_outcome(settings: Settings, tmp_path: Path) -> None:
    generate(tmp_path, customers=300, order_lines=6000, days=3, seed=5, dirty=0.1)
    result = load(settings, [tmp_path], [tmp_path])
    customers = [f.accounting for f in result.stores[0].files if f.kind == "customers"]
    orders = [f.accounting for f in result.stores[0].files if f.kind == "orders"]
    for group in (customers, orders):
        assert sum(a.rejected for a in group if a) > 0
        assert sum(a.duplicates for a in group if a) > 0
        assert sum(a.superseded for a in group if a) > 0
    rejects = Lake(settings.store_dir).scan("rejects").select(pl.col("reason").str.split("; "))
    kinds = set(rejects.explode("reason").select(reason_kind(pl.col("reason"))).collect()["reason"])
    assert {
        "missing customer_id",
        "invalid mobile_number",
        "invalid order_date_time",
        "invalid sku_count",
        "invalid total_amount",
        "missing order_id",
        "missing sku_id",
        "mobile_number already belongs to customer",
    } <= kinds
    assert any(kind.endswith(" differs within order") for kind in kinds)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10**6),
    customers=st.integers(1, 40),
    lines=st.integers(1, 300),
    days=st.integers(1, 4),
)
def test_generated_files_survive_write_then_read(
    tmp_path_factory,
    seed: int,
    customers: int,
    lines: int,
    days: int,  # type: ignore[no-untyped-def]
) -> None:
    out = tmp_path_factory.mktemp("gen")
    generate(out, customers=customers, order_lines=lines, days=days, seed=seed)
    owners = pl.DataFrame(schema={"mobile_number": pl.String, "customer_id": pl.String})
    for path in sorted(out.glob("customers_*.csv")):
        cleaned = clean_customers(read_customers(path, path.read_bytes()), owners)
        assert cleaned.accounting.rejected == 0
        owners = pl.concat([owners, cleaned.new_mobiles])
    total = 0
    for path in sorted(out.glob("orders_*.xml")):
        cleaned = clean_orders(read_orders(path), "Asia/Kolkata")
        assert cleaned.accounting.rejected == 0 and cleaned.accounting.duplicates == 0
        total += cleaned.accounting.read
    assert total == lines


def test_mobile_numbers_are_distinct_and_valid() -> None:
    numbers = [mobile_for(k) for k in range(20000)]
    assert len(set(numbers)) == len(numbers)
    assert all(len(n) == 10 and n[0] in "6789" for n in numbers)
