"""`akasa run`: resolve the as-of point, compute the KPIs in one mode, write the outputs."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from akasa.backends.base import Backend, Mode
from akasa.backends.open import open_backend
from akasa.core import zones
from akasa.core.config import Settings
from akasa.core.errors import NoDataError
from akasa.core.files import replace_set
from akasa.core.output import csv_bytes
from akasa.kpi import spec, summary
from akasa.kpi.context import AsOf, KpiContext, resolve
from akasa.kpi.document import (
    VERSION,
    DataQuality,
    KpiHead,
    QualityFile,
    RejectReason,
    Summary,
    Watermark,
    kpis_json,
)
from akasa.pipeline.locking import outputs_lock

log = logging.getLogger(__name__)
TOP_REASONS = 10


@dataclass(frozen=True)
class KpiRun:
    mode: Mode
    context: KpiContext
    tables: dict[str, pl.DataFrame]
    summary: Summary
    document: KpiHead  # kpis.json without the four tables (those are `tables`)
    json_text: str  # kpis.json as written
    output_dir: Path


def _iso(moment: datetime, timezone: str) -> str:
    return moment.astimezone(zones.zone(timezone)).replace(microsecond=0).isoformat()


def data_quality(backend: Backend, timezone: str) -> DataQuality:
    """Per-file accounting and the most common reject reasons, for the report."""
    ledger = backend.ledger().with_columns(
        spec.timestamp_text(pl.col("finished_at"), timezone).alias("ingested_at")
    )
    files = ledger.select(spec.QUALITY_FILE_COLUMNS).to_dicts()
    reasons = backend.reject_reasons(TOP_REASONS).to_dicts()
    return DataQuality(
        files=[QualityFile.model_validate(row) for row in files],
        top_reject_reasons=[RejectReason.model_validate(row) for row in reasons],
    )


def run(
    settings: Settings,
    mode: Mode = Mode.memory,
    as_of: AsOf | str = "latest",
    window_days: int = 30,
    top: int = 10,
    now: datetime | None = None,
) -> KpiRun:
    as_of = as_of if isinstance(as_of, AsOf) else AsOf.parse(as_of)
    mode = Mode(mode)
    backend = open_backend(settings, mode)
    newest = backend.newest_order_at()
    if newest is None and as_of.kind == "latest":  # latest needs an order to be latest
        raise NoDataError(f"the {mode} store holds no orders yet; run akasa ingest first")
    now = now or datetime.now(UTC)
    ctx = resolve(as_of, newest, settings.timezone, window_days, top, now=now)
    raw = backend.compute(ctx)
    tables = spec.finalise(raw, ctx)
    headline = summary.build(raw, tables, ctx)
    tz = settings.timezone
    ingested = backend.last_ingest_at()
    document = KpiHead(
        version=VERSION,
        mode=str(mode),
        as_of=_iso(ctx.as_of, tz),
        as_of_requested=ctx.as_of_spec,
        timezone=tz,
        window_days=window_days,
        window_start=_iso(ctx.window_start, tz),
        top=top,
        generated_at=_iso(now, tz),
        watermark=Watermark(
            newest_order_at=None if newest is None else _iso(newest, tz),
            last_ingest_at=None if ingested is None else _iso(ingested, tz),
        ),
        unmatched_orders=headline.unmatched_orders,
        summary=headline,
        data_quality=data_quality(backend, tz),
    )
    log.info(
        "run %s as_of %s: %s orders, revenue %s, %s unmatched",
        mode,
        document.as_of,
        headline.orders,
        headline.total_revenue,
        headline.unmatched_orders,
    )
    out = settings.outputs_dir / mode
    text = kpis_json(document, tables)
    files = {f"{name}.csv": csv_bytes(tables[name], spec.TEXT_COLUMNS) for name in spec.KPIS}
    files["kpis.json"] = text.encode("utf-8")
    # One set: the report never reads this run's CSVs beside another run's kpis.json.
    with outputs_lock(settings):
        replace_set(out, files)
    return KpiRun(mode, ctx, tables, headline, document, text, out)
