"""Run both modes on the same store and compare what they wrote, byte for byte."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from akasa.core.config import Settings
from akasa.kpi.spec import KPIS
from akasa.pipeline.run import KpiRun, run

NOW = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)  # the same `generated_at` for both modes


def run_both(settings: Settings, **options: Any) -> tuple[KpiRun, KpiRun]:
    options.setdefault("now", NOW)
    return run(settings, mode="memory", **options), run(settings, mode="table", **options)


def _comparable(document: dict[str, Any]) -> dict[str, Any]:
    """kpis.json without what differs by design: the mode's name, table mode's kind of
    database and when each store landed its files (each store records its own ingest
    times)."""
    document = json.loads(json.dumps(document))
    del document["mode"]
    del document["database"]
    del document["watermark"]["last_ingest_at"]
    for entry in document["data_quality"]["files"]:
        del entry["ingested_at"]
    return document


def assert_same_outputs(settings: Settings, **options: Any) -> tuple[KpiRun, KpiRun]:
    """Both modes' CSVs are identical files; kpis.json agrees on everything but the mode."""
    memory, table = run_both(settings, **options)
    for name in KPIS:
        left = (memory.output_dir / f"{name}.csv").read_bytes()
        right = (table.output_dir / f"{name}.csv").read_bytes()
        assert left == right, f"{name}.csv differs:\n{left.decode()}\n---\n{right.decode()}"
    left_doc = json.loads((memory.output_dir / "kpis.json").read_text("utf-8"))
    right_doc = json.loads((table.output_dir / "kpis.json").read_text("utf-8"))
    assert _comparable(left_doc) == _comparable(right_doc)
    assert left_doc["database"] is None  # memory mode: the file store
    assert right_doc["database"] in ("SQLite", "MySQL", "PostgreSQL")
    return memory, table
