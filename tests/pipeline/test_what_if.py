"""What-if runs: `--output DIR` and `--no-write` leave the day's outputs alone; an as-of
beyond the orders is warned about."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from akasa.core.config import Settings
from akasa.kpi.spec import KPIS
from akasa.pipeline.run import run
from tests.builders import line, load, orders_xml
from tests.db import TestDatabase

FILES = {*(f"{name}.csv" for name in KPIS), "kpis.json"}
NOW = datetime(2025, 11, 20, 6, 0, tzinfo=UTC)


def orders(tmp_path: Path) -> Path:
    """Orders from 2025-10-05 to 2025-11-01 (IST)."""
    return orders_xml(
        tmp_path / "o.xml",
        [
            line("O1", "9123456781", "2025-10-05T10:00:00", "S1", 1, "100"),
            line("O2", "9123456781", "2025-11-01T23:30:00", "S1", 2, "250"),
        ],
    )


@pytest.fixture
def stored(settings: Settings, tmp_path: Path) -> Settings:
    load(settings, orders=[orders(tmp_path)])
    return settings


def files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_output_writes_elsewhere_and_leaves_the_days_outputs_alone(
    stored: Settings, tmp_path: Path
) -> None:
    day = run(stored, "memory", now=NOW)
    daily = stored.outputs_dir / "memory"
    before = {name: (daily / name).read_bytes() for name in files(daily)}
    assert set(before) == FILES
    what_if = tmp_path / "what-if"
    result = run(stored, "memory", as_of="2025-10-31", output_dir=what_if, now=NOW)
    assert result.output_dir == what_if and files(what_if) == FILES
    assert '"as_of": "2025-10-31T23:59:59+05:30"' in (what_if / "kpis.json").read_text()
    assert {name: (daily / name).read_bytes() for name in files(daily)} == before
    assert day.output_dir == daily


def test_no_write_writes_nothing(stored: Settings) -> None:
    result = run(stored, "memory", as_of="2025-10-31", write=False, now=NOW)
    assert result.output_dir is None
    assert not stored.outputs_dir.exists()
    assert result.summary.orders == 1 and '"as_of": "2025-10-31T' in result.json_text


@pytest.mark.parametrize(
    ("as_of", "warning"),
    [
        ("latest", None),
        ("2025-11-01", None),  # the newest order's day
        ("2025-10-05", None),  # the oldest order's day
        (
            "2025-11-02",
            "--as-of 2025-11-02 is after the newest order (2025-11-01T23:30:00+05:30): "
            "the days after it hold no orders in these KPIs",
        ),
        (
            "now",
            "--as-of now (2025-11-20) is after the newest order (2025-11-01T23:30:00+05:30): "
            "the days after it hold no orders in these KPIs",
        ),
        (
            "2025-10-04",
            "--as-of 2025-10-04 is before the oldest order (2025-10-05T10:00:00+05:30): "
            "the KPIs count no orders",
        ),
    ],
)
def test_an_as_of_beyond_the_orders_is_warned_about(
    stored: Settings, as_of: str, warning: str | None
) -> None:
    result = run(stored, "memory", as_of=as_of, write=False, now=NOW)
    assert result.warnings == ([] if warning is None else [warning])


def test_a_store_without_orders_is_warned_about(settings: Settings) -> None:
    result = run(settings, "memory", as_of="2025-10-31", write=False, now=NOW)
    assert result.warnings == [
        "the memory store holds no orders, so the KPIs for --as-of 2025-10-31 are empty"
    ]


def test_what_if_in_table_mode(migrated: TestDatabase, tmp_path: Path) -> None:
    settings = migrated.settings()
    load(settings, orders=[orders(tmp_path)], mode="both")
    what_if = tmp_path / "what-if"
    table = run(settings, "table", as_of="2025-11-02", output_dir=what_if, now=NOW)
    memory = run(settings, "memory", as_of="2025-11-02", write=False, now=NOW)
    assert files(what_if) == FILES and not settings.outputs_dir.exists()
    assert table.warnings == memory.warnings and len(table.warnings) == 1
    database = table.document.database
    assert database in ("SQLite", "MySQL", "PostgreSQL") and memory.document.database is None
    as_memory = table.json_text.replace('"table"', '"memory"')
    assert as_memory.replace(f'"database": "{database}"', '"database": null') == memory.json_text
