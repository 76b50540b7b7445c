"""`akasa run`: resolve the as-of point, compute the KPIs in one mode, write the outputs
(to `data/outputs/<mode>/`, to another folder for a what-if run, or nowhere)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from akasa.backends.base import Backend, Mode
from akasa.backends.open import open_backend
from akasa.core import zones
from akasa.core.config import Settings
from akasa.core.errors import NoDataError
from akasa.core.files import replace_set, writing
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
TOP_REASONS = 5  # per kind of record: customers' and orders' reasons are shown apart


@dataclass(frozen=True)
class KpiRun:
    mode: Mode
    context: KpiContext
    tables: dict[str, pl.DataFrame]
    summary: Summary
    document: KpiHead  # kpis.json without the four tables (those are `tables`)
    json_text: str  # kpis.json as written
    output_dir: Path | None  # None: nothing was written (`--no-write`)
    warnings: list[str] = field(default_factory=list)  # e.g. an as-of beyond the orders


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


def as_of_warnings(
    ctx: KpiContext, newest: datetime | None, oldest: datetime | None, mode: Mode
) -> list[str]:
    """What a reader of these KPIs should know about where as_of falls: after the business
    day of the newest order (the last days of every window hold no data), before the oldest
    order (the KPIs count nothing), or in a store without orders."""
    tz = ctx.timezone
    asked = f"--as-of {ctx.as_of_spec}"
    if ctx.as_of_spec == "now":
        asked += f" ({ctx.as_of_local.date()})"
    if newest is None or oldest is None:
        return [f"the {mode} store holds no orders, so the KPIs for {asked} are empty"]
    if ctx.as_of_local.date() > newest.astimezone(ctx.zone).date():
        return [
            f"{asked} is after the newest order ({_iso(newest, tz)}): "
            "the days after it hold no orders in these KPIs"
        ]
    if ctx.as_of < oldest:
        return [
            f"{asked} is before the oldest order ({_iso(oldest, tz)}): the KPIs count no orders"
        ]
    return []


def run(
    settings: Settings,
    mode: Mode = Mode.memory,
    as_of: AsOf | str = "latest",
    window_days: int = 30,
    top: int = 10,
    now: datetime | None = None,
    output_dir: Path | None = None,
    write: bool = True,
) -> KpiRun:
    """The KPIs of `mode` as of `as_of`, written to `output_dir` (default the mode's folder
    under data/outputs, which `akasa report` reads) unless `write` is false: a what-if run
    leaves the day's outputs alone."""
    as_of = as_of if isinstance(as_of, AsOf) else AsOf.parse(as_of)
    mode = Mode(mode)
    backend = open_backend(settings, mode)
    span = backend.order_span()
    newest = span.newest
    if newest is None and as_of.kind == "latest":  # latest needs an order to be latest
        raise NoDataError(f"the {mode} store holds no orders yet; run akasa ingest first")
    now = now or datetime.now(UTC)
    ctx = resolve(as_of, newest, settings.timezone, window_days, top, now=now)
    warnings = as_of_warnings(ctx, newest, span.oldest, mode)
    raw = backend.compute(ctx)
    tables = spec.finalise(raw, ctx)
    headline = summary.build(raw, tables, ctx)
    tz = settings.timezone
    ingested = backend.last_ingest_at()
    document = KpiHead(
        version=VERSION,
        mode=str(mode),
        database=backend.database_kind,
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
    for warning in warnings:
        log.warning("%s", warning)
    text = kpis_json(document, tables)
    if not write:
        return KpiRun(mode, ctx, tables, headline, document, text, None, warnings)
    out = settings.outputs_dir / mode if output_dir is None else output_dir
    files = {f"{name}.csv": csv_bytes(tables[name], spec.TEXT_COLUMNS) for name in spec.KPIS}
    files["kpis.json"] = text.encode("utf-8")
    # One set: the report never reads this run's CSVs beside another run's kpis.json.
    with outputs_lock(settings), writing(out, "the previous outputs are unchanged"):
        replace_set(out, files)
    log.info("outputs written to %s", out)
    return KpiRun(mode, ctx, tables, headline, document, text, out, warnings)
