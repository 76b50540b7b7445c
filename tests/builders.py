"""Small writers for input files, so each test states exactly the records it needs."""

from __future__ import annotations

import csv
import io
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
