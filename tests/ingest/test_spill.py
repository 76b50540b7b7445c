"""Cleaning a large orders file in partitions gives exactly what cleaning it whole gives."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from akasa.backends.lake.store import Lake
from akasa.core import spilled
from akasa.core.config import Settings, load_settings
from akasa.core.spilled import Spilled
from akasa.generate import generate
from akasa.ingest import spill
from akasa.ingest.clean import clean_orders
from akasa.ingest.spill import SpilledOrders, clean_orders_spilled
from akasa.ingest.xml_reader import read_orders
from tests.builders import line, load, orders_xml

STARTED = datetime(2025, 2, 1, tzinfo=UTC)
M1, M2 = "9000000001", "9000000002"


def _collected(table: pl.DataFrame | Spilled) -> pl.DataFrame:
    return table.collect() if isinstance(table, Spilled) else table


def _chunks(raw: pl.DataFrame, size: int) -> list[pl.DataFrame | None]:
    return [raw.slice(start, size) for start in range(0, raw.height, size)]


def _assert_same(whole_raw: pl.DataFrame, chunks: list[pl.DataFrame | None], folder: Path) -> None:
    whole = clean_orders(whole_raw, "Asia/Kolkata", STARTED)
    parts = clean_orders_spilled(chunks, "Asia/Kolkata", STARTED, folder, partitions=5)
    assert isinstance(parts, SpilledOrders)
    assert parts.accounting == whole.accounting
    assert_frame_equal(_collected(parts.lines), whole.lines)
    assert_frame_equal(_collected(parts.orders), whole.orders)
    assert_frame_equal(parts.rejects, whole.rejects)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """A day of generated lines with 8% bad records: every rule has work to do."""
    out = tmp_path_factory.mktemp("dirty")
    files = generate(out, customers=300, order_lines=6000, days=1, seed=5, dirty=0.08).files
    return read_orders(next(f for f in files if f.suffix == ".xml"))


def test_partitions_clean_like_the_whole_file(
    dirty: pl.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spilled, "WINDOW", 700)  # several windows per table
    whole = clean_orders(dirty, "Asia/Kolkata", STARTED)
    a = whole.accounting
    assert a.rejected and a.duplicates and a.superseded  # the rules were at work
    _assert_same(dirty, _chunks(dirty, 997), tmp_path / "spill")


def test_versions_and_disagreements_across_chunks(tmp_path: Path) -> None:
    """An order's versions and lines arrive in different chunks; a chunk is read again."""
    lines = [
        line("O1", M1, "2025-01-10T10:00:00", "S1", 1, "100.00"),
        line("O2", M2, "2025-01-10T11:00:00", "S1", 2, "50.00"),
        line(" O1 ", M1, "2025-01-10T10:00:00", "S2", 1, "100.00"),
        line("O3", M1, "2025-01-10T12:00:00", "S1", 1, "10.00"),
        line("O1", M1, "2025-01-10T10:00:00", "S1", 1, "100.00"),  # duplicate
        line("O2", M2, "2025-01-10T11:00:00", "S1", 3, "50.00"),  # supersedes
        line("O3", M2, "2025-01-10T12:00:00", "S2", 1, "10.00"),  # header differs
        line("", M2, "2025-01-10T12:00:00", "S2", 1, "10.00"),  # no order id
    ]
    raw = read_orders(orders_xml(tmp_path / "o.xml", lines))
    chunks = _chunks(raw, 3)
    _assert_same(raw, [chunks[0], None, *chunks], tmp_path / "spill")


def test_a_spilled_ingest_stores_the_same_batch(
    dirty: pl.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The memory store's files of a file cleaned in partitions, written window by window,
    hold the same rows in the same order as those of the file cleaned whole."""
    out = tmp_path / "in"
    files = generate(out, customers=300, order_lines=6000, days=1, seed=5, dirty=0.08).files

    def stored(settings: Settings) -> dict[str, pl.DataFrame]:
        load(
            settings,
            [f for f in files if f.suffix == ".csv"],
            [f for f in files if f.suffix == ".xml"],
        )
        lake = Lake(settings.store_dir)
        return {t: lake.scan(t).collect() for t in ("orders", "order_lines", "rejects")}

    whole = stored(load_settings(data_dir=tmp_path / "whole"))
    monkeypatch.setattr(spill, "SPILL_MIN_BYTES", 1)
    monkeypatch.setattr(spill, "PARTITION_BYTES", 100_000)
    monkeypatch.setattr(spilled, "WINDOW", 1000)
    cleaned: list[int] = []

    def counted(raw: pl.DataFrame, *args: object) -> object:
        cleaned.append(raw.height)
        return clean_orders(raw, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(spill, "clean_orders", counted)
    parts = stored(load_settings(data_dir=tmp_path / "parts"))
    assert len(cleaned) > 5 and sum(cleaned) == 6000  # cleaned in partitions
    for table, frame in whole.items():
        assert_frame_equal(parts[table], frame, check_exact=True)
    assert not list((tmp_path / "parts" / "tmp").rglob("*.arrow"))
