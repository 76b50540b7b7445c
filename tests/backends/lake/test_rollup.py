"""Memory mode's KPI rollup is what a build from the current orders gives after every kind
of load, lands with its batches, and gives the same KPIs as reading the orders."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from akasa.backends.lake import rollup, store
from akasa.backends.lake.store import MANIFEST, Lake
from akasa.core import zones
from akasa.core.config import Settings, load_settings
from akasa.kpi.context import AsOf, resolve
from akasa.kpi.spec import KPIS
from akasa.pipeline.ingest import IngestResult
from tests.builders import (
    ROLLUP_NUMBERS,
    customers_csv,
    every_few_hours,
    kpis,
    line,
    load,
    orders_xml,
    rollup_days,
)

M1, M2, M3 = ROLLUP_NUMBERS
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _manifest(settings: Settings) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((settings.store_dir / MANIFEST).read_text("utf-8"))
    return manifest


def _expected(settings: Settings, zone: str) -> list[tuple[object, ...]]:
    """The rollup built in plain Python from the current orders."""
    orders = Lake(settings.store_dir).current("orders").collect()
    groups: dict[tuple[str, int], list[tuple[datetime, int, int, int]]] = {}
    for number, at, total, units in orders.select(
        "mobile_number", "ordered_at", "total_amount", "units"
    ).iter_rows():
        local = at.astimezone(ZoneInfo(zone))
        day = local.year * 10_000 + local.month * 100 + local.day
        groups.setdefault((number, day // 100), []).append((at, int(total * 100), units, day))
    return sorted(
        (
            number,
            month,
            len(rows),
            sum(r[1] for r in rows),
            sum(r[2] for r in rows),
            min(r[0] for r in rows),
            max(r[0] for r in rows),
            min(r[3] for r in rows),
            max(r[3] for r in rows),
        )
        for (number, month), rows in groups.items()
    )


def _kept(settings: Settings, zone: str | None = None) -> list[tuple[object, ...]]:
    found = Lake(settings.store_dir).rollup(zone)
    assert found is not None, "no rollup for the landed batches"
    return sorted(found.rows())


def _outputs(settings: Settings, **options: Any) -> dict[str, bytes]:
    options.setdefault("now", NOW)
    out = kpis(settings, **options).output_dir
    assert out is not None
    return {name: (out / name).read_bytes() for name in [*(f"{k}.csv" for k in KPIS), "kpis.json"]}


def _from_orders(settings: Settings, **options: Any) -> dict[str, bytes]:
    """The same run on a copy of the store whose manifest names no rollup (as an earlier
    akasa wrote it): the KPIs come from the orders."""
    copy = load_settings(
        data_dir=settings.data_dir.parent / "without-rollup", timezone=settings.timezone
    )
    shutil.rmtree(copy.data_dir, ignore_errors=True)
    shutil.copytree(settings.store_dir, copy.store_dir)
    manifest = _manifest(copy)
    del manifest["rollup"]
    (copy.store_dir / MANIFEST).write_text(json.dumps(manifest), "utf-8")
    return _outputs(copy, **options)


def test_the_rollup_follows_every_load(settings: Settings, tmp_path: Path) -> None:
    people = customers_csv(tmp_path / "c.csv", [("C1", "A", M1, "east"), ("C2", "B", M2, "")])
    day1, day2 = rollup_days(tmp_path)
    load(settings, [people], [day1])
    assert _kept(settings, "Asia/Kolkata") == _expected(settings, "Asia/Kolkata")
    # O1 moves to another month and number, O3 changes its total.
    load(settings, orders=[day2])
    assert _kept(settings) == _expected(settings, "Asia/Kolkata")
    assert (M1, 202501, 1, 1000, 1, *_times("2025-01-10T00:10:00+05:30"), 20250110, 20250110) in (
        _kept(settings)
    )
    # The same lines again from another file: nothing changes.
    before = _kept(settings)
    again = orders_xml(
        tmp_path / "d3" / "orders.xml", [line("O3", M2, "2025-01-11T00:10:00+05:30", "S1", 1, "8")]
    )
    load(settings, orders=[again])
    assert _kept(settings) == before
    for as_of, window_days in [("latest", 30), ("2025-01-31", 1), ("2025-01-10", 3)]:
        options = {"as_of": as_of, "window_days": window_days}
        assert _outputs(settings, **options) == _from_orders(settings, **options)


def test_a_batch_read_in_slices_gives_the_same_rollup(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large batch's orders are folded into the rollup a slice at a time: every figure
    combines across slices (the same number and month in several of them)."""
    monkeypatch.setattr(store, "ROLLUP_SLICE_ROWS", 3)
    _every_few_hours(settings, tmp_path, hours=5, count=40)
    assert _kept(settings) == _expected(settings, "Asia/Kolkata")


def _one_order(settings: Settings, tmp_path: Path) -> IngestResult:
    """One order of 100.00 by M1 on 2025-01-10, 10:00 Kolkata time."""
    lines = [line("O1", M1, "2025-01-10T10:00:00+05:30", "S1", 1, "100")]
    return load(settings, orders=[orders_xml(tmp_path / "o1.xml", lines)])


def _times(text: str) -> tuple[datetime, datetime]:
    moment = datetime.fromisoformat(text).astimezone(UTC)
    return moment, moment


def test_a_customers_only_ingest_keeps_the_rollup_file(settings: Settings, tmp_path: Path) -> None:
    day1 = orders_xml(tmp_path / "o.xml", [line("O1", M1, "2025-01-10T10:00:00", "S1", 1, "9")])
    load(settings, orders=[day1])
    first = _manifest(settings)["rollup"]
    load(settings, customers=[customers_csv(tmp_path / "c.csv", [("C1", "A", M1, "east")])])
    second = _manifest(settings)["rollup"]
    assert second == {**first, "through_batch": 2}
    assert _kept(settings) == _expected(settings, "Asia/Kolkata")


def test_a_store_without_orders_has_no_rollup(settings: Settings, tmp_path: Path) -> None:
    load(settings, customers=[customers_csv(tmp_path / "c.csv", [("C1", "A", M1, "east")])])
    assert "rollup" not in _manifest(settings)
    assert Lake(settings.store_dir).rollup() is None


def test_another_zone_reads_the_orders_until_the_next_ingest_rebuilds(
    settings: Settings, tmp_path: Path
) -> None:
    day1 = orders_xml(
        tmp_path / "d1" / "orders.xml",
        [
            line("O1", M1, "2025-01-10T23:45:00+05:30", "S1", 2, "100.50"),
            line("O2", M2, "2025-01-11T04:00:00+05:30", "S1", 1, "10"),
        ],
    )
    load(settings, orders=[day1])
    utc = load_settings(data_dir=settings.data_dir, timezone="UTC")
    assert Lake(utc.store_dir).rollup("UTC") is None
    options = {"as_of": "2025-01-10", "window_days": 1}
    assert _outputs(utc, **options) == _from_orders(utc, **options)
    day2 = orders_xml(
        tmp_path / "d2" / "orders.xml", [line("O9", M3, "2025-01-12T01:00:00Z", "S1", 1, "3")]
    )
    load(utc, orders=[day2])
    assert _kept(utc, "UTC") == _expected(utc, "UTC")
    assert _outputs(utc, **options) == _from_orders(utc, **options)


def _every_few_hours(settings: Settings, tmp_path: Path, hours: int, count: int) -> None:
    """Orders `hours` apart from mid-December, by four numbers."""
    every_few_hours(settings, tmp_path / "o.xml", datetime(2024, 12, 14, 18, 45), hours, count)


CUTS = [
    ("2025-01-31", 31, ()),  # cuts no month: every month whole
    ("2025-01-31", 10, (202501,)),  # the window starts inside January
    ("2025-01-20", 1, (202501,)),  # January has later days
    ("2025-01-20", 35, (202412, 202501)),  # ... and the window starts inside December
    ("2025-02-28", 90, ()),  # the window starts before any order
    ("2024-12-31", 3, (202412,)),
]


@pytest.mark.parametrize(("as_of", "window_days", "cut_months"), CUTS)
def test_months_a_bound_cuts_are_read_from_the_orders(
    settings: Settings, tmp_path: Path, as_of: str, window_days: int, cut_months: tuple[int]
) -> None:
    _every_few_hours(settings, tmp_path, hours=11, count=140)
    kept = Lake(settings.store_dir).rollup(settings.timezone)
    assert kept is not None
    ctx = resolve(AsOf.parse(as_of), None, settings.timezone, window_days, 10)
    found = rollup.plan(kept, ctx)
    assert found is not None and found.cut_months == cut_months
    options = {"as_of": as_of, "window_days": window_days}
    assert _outputs(settings, **options) == _from_orders(settings, **options)


def test_a_whole_day_run_reads_the_rollup_and_a_now_run_the_orders(
    settings: Settings, tmp_path: Path
) -> None:
    """Tampering with the rollup shows which runs read it."""
    _one_order(settings, tmp_path)
    path = settings.store_dir / _manifest(settings)["rollup"]["file"]
    tampered = pl.read_parquet(path).with_columns(pl.col("paise") + 1)
    tampered.write_parquet(path)

    def revenue(as_of: str) -> object:
        result = kpis(settings, as_of=as_of, write=False)
        return result.tables["regional_revenue"]["revenue"].to_list()

    assert revenue("2025-01-10") == ["100.01"]
    assert revenue("now") == ["100.00"]


def test_a_replaced_rollup_is_removed_one_ingest_later(settings: Settings, tmp_path: Path) -> None:
    """A run that read the manifest before an ingest switched it can still read the rollup
    it named; the ingest after that removes it."""
    for day in (1, 2, 3):
        lines = [line(f"O{day}", M1, f"2025-01-0{day}T10:00:00", "S1", 1, "5")]
        load(settings, orders=[orders_xml(tmp_path / f"o{day}.xml", lines)])
    files = sorted(p.name for p in (settings.store_dir / "rollups").iterdir())
    assert files == ["000002.parquet", "000003.parquet"]
    assert _manifest(settings)["rollup"]["file"] == "rollups/000003.parquet"


def test_a_rollup_of_batches_the_manifest_does_not_list_is_not_read(
    settings: Settings, tmp_path: Path
) -> None:
    """A manifest switched by an akasa that keeps no rollup (or edited by hand) lists more
    batches than the rollup was built for: runs read the orders."""
    _one_order(settings, tmp_path)
    manifest = _manifest(settings)
    manifest["rollup"]["through_batch"] = 0
    (settings.store_dir / MANIFEST).write_text(json.dumps(manifest), "utf-8")
    assert Lake(settings.store_dir).rollup() is None
    assert _outputs(settings) == _from_orders(settings)


@pytest.mark.parametrize("broken", ["missing", "damaged"])
def test_an_unreadable_rollup_file_is_read_from_the_orders_and_rebuilt(
    settings: Settings, tmp_path: Path, broken: str
) -> None:
    """The rollup is derived data: a file removed or damaged by hand costs speed, not KPIs."""
    _one_order(settings, tmp_path)
    expected = _outputs(settings)
    path = settings.store_dir / _manifest(settings)["rollup"]["file"]
    if broken == "missing":
        path.unlink()
    else:
        path.write_bytes(b"not parquet")
    assert Lake(settings.store_dir).rollup() is None
    assert _outputs(settings) == expected
    load(settings, customers=[customers_csv(tmp_path / "c.csv", [("C1", "A", M1, "east")])])
    assert _kept(settings) == _expected(settings, "Asia/Kolkata")


def test_a_rollup_built_under_other_zone_rules_is_not_read(
    settings: Settings, tmp_path: Path
) -> None:
    _one_order(settings, tmp_path)
    manifest = _manifest(settings)
    assert manifest["rollup"]["tzdata"] == zones.rules_version()
    manifest["rollup"]["tzdata"] = "2000a"
    (settings.store_dir / MANIFEST).write_text(json.dumps(manifest), "utf-8")
    assert Lake(settings.store_dir).rollup() is None


def test_an_ingest_lands_without_a_rollup_it_could_not_build(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rollup is derived: failing to build it (a full disk, say) fails no ingest."""

    def fail(*_: object) -> pl.DataFrame:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(rollup, "build", fail)
    result = _one_order(settings, tmp_path)
    assert result.stores[0].files[0].accounting is not None
    assert "rollup" not in _manifest(settings)
    assert not list((settings.store_dir / "rollups").glob("*"))
    revenue = kpis(settings, write=False).tables["regional_revenue"]["revenue"].to_list()
    assert revenue == ["100.00"]
