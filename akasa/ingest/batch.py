"""One ingest: find the files, skip what already landed, clean, and hand every batch to the
stores in one all-or-nothing commit per store."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import polars as pl

from akasa.config import Settings
from akasa.errors import RejectRateExceededError
from akasa.exprs import fixed_2
from akasa.ingest import quarantine
from akasa.ingest.clean import (
    Accounting,
    CleanCustomers,
    CleanOrders,
    clean_customers,
    clean_orders,
)
from akasa.ingest.csv_reader import read_customers
from akasa.ingest.sources import SourceFile, resolve
from akasa.ingest.xml_reader import read_orders_many
from akasa.locking import store_lock
from akasa.progress import Progress
from akasa.store.base import LedgerEntry, PendingBatch, Store
from akasa.store.open import open_store

log = logging.getLogger(__name__)

Mode = Literal["memory", "table", "both"]


@dataclass(frozen=True)
class FileReport:
    """What happened to one input file in one store."""

    kind: str
    source_file: str
    sha256: str
    status: Literal["ingested", "skipped"]
    batch_id: int | None = None
    accounting: Accounting | None = None
    note: str | None = None
    quarantine_file: Path | None = None


@dataclass(frozen=True)
class StoreReport:
    store: str
    files: list[FileReport] = field(default_factory=list)


@dataclass(frozen=True)
class IngestResult:
    stores: list[StoreReport]


def ingest(
    settings: Settings,
    customers: Sequence[str | Path] = (),
    orders: Sequence[str | Path] = (),
    mode: Mode = "memory",
    max_reject_rate: float | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Lands the given files in the store(s) of `mode`; refused input changes nothing."""
    by_name = lambda f: f.name  # noqa: E731 - files of a kind are taken in name order
    sources = sorted((f for spec in customers for f in resolve("customers", spec)), key=by_name)
    sources += sorted((f for spec in orders for f in resolve("orders", spec)), key=by_name)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    modes = ["memory", "table"] if mode == "both" else [mode]
    with store_lock(settings):
        stores = [open_store(settings, m) for m in modes]
        parsed = _Parsed(settings, progress)
        plans = [_plan(store, sources) for store in stores]
        # Read every file any store still needs before anything is written anywhere, so a
        # refused file leaves all stores untouched.
        needed = {s.sha256: s for plan in plans for s, _ in plan if s is not None}
        if progress:
            progress.start(sum(s.size_bytes for s in needed.values()), "reading")
        try:
            parsed.read(list(needed.values()))
        finally:
            if progress:
                progress.finish()
        reports = []
        for store, store_plan in zip(stores, plans, strict=True):
            reports.append(_land(store, store_plan, parsed, max_reject_rate, settings))
    return IngestResult(stores=reports)


def _plan(store: Store, sources: list[SourceFile]) -> list[tuple[SourceFile | None, FileReport]]:
    """Which files this store still needs; the rest are reported as skipped."""
    landed = store.ingested()
    seen: dict[str, str] = {}
    plan: list[tuple[SourceFile | None, FileReport]] = []
    for source in sources:
        if source.sha256 in landed:
            note = f"already ingested (batch {landed[source.sha256]})"
        elif source.sha256 in seen:
            note = f"same content as {seen[source.sha256]}"
        else:
            seen[source.sha256] = source.name
            plan.append((source, FileReport(source.kind, source.name, source.sha256, "ingested")))
            continue
        plan.append(
            (None, FileReport(source.kind, source.name, source.sha256, "skipped", note=note))
        )
    return plan


class _Parsed:
    """Each file is read and its orders cleaned once, whichever stores need it."""

    def __init__(self, settings: Settings, progress: Progress | None) -> None:
        self.settings = settings
        self.progress = progress
        self._raw: dict[str, pl.DataFrame] = {}
        self._orders: dict[str, CleanOrders] = {}

    def read(self, sources: list[SourceFile]) -> None:
        for source in sources:
            if source.kind == "customers":
                data = source.path.read_bytes()
                self._raw[source.sha256] = read_customers(source.path, data)
                if self.progress:
                    self.progress.advance(len(data))
        orders = [s for s in sources if s.kind == "orders"]
        advance = self.progress.advance if self.progress else None
        frames = read_orders_many([s.path for s in orders], advance)
        for source in orders:
            self._raw[source.sha256] = frames[source.path]

    def raw(self, source: SourceFile) -> pl.DataFrame:
        return self._raw[source.sha256]

    def orders(self, source: SourceFile) -> CleanOrders:
        if source.sha256 not in self._orders:
            self._orders[source.sha256] = clean_orders(
                self.raw(source), self.settings.source_timezone
            )
        return self._orders[source.sha256]


def _land(
    store: Store,
    plan: list[tuple[SourceFile | None, FileReport]],
    parsed: _Parsed,
    max_reject_rate: float | None,
    settings: Settings,
) -> StoreReport:
    owners = store.mobile_owners()
    batch_id = store.next_batch_id()
    pending: list[PendingBatch] = []
    reports: list[FileReport] = []
    too_many: list[str] = []
    for source, report in plan:
        if source is None:
            reports.append(report)
            continue
        started = datetime.now(UTC)
        if source.kind == "customers":
            cleaned: CleanCustomers | CleanOrders = clean_customers(parsed.raw(source), owners)
            owners = pl.concat([owners, cleaned.new_mobiles])
        else:
            cleaned = parsed.orders(source)
        batch = _pending(source, batch_id, cleaned, started)
        written = quarantine.write(settings.quarantine_dir, source, cleaned.rejects)
        accounting = cleaned.accounting
        if (
            max_reject_rate is not None
            and accounting.read
            and (accounting.rejected / accounting.read > max_reject_rate)
        ):
            too_many.append(
                f"{source.name} rejects {accounting.rejected} of {accounting.read} records"
            )
        pending.append(batch)
        reports.append(
            FileReport(
                source.kind,
                source.name,
                source.sha256,
                "ingested",
                batch_id=batch_id,
                accounting=accounting,
                quarantine_file=written,
            )
        )
        batch_id += 1
    for report in reports:
        if report.accounting:
            a = report.accounting
            log.info(
                "%s %s -> batch %s: read %d, accepted %d, rejected %d, duplicates %d, "
                "superseded %d",
                store.name,
                report.source_file,
                report.batch_id,
                a.read,
                a.accepted,
                a.rejected,
                a.duplicates,
                a.superseded,
            )
        else:
            log.info("%s %s skipped: %s", store.name, report.source_file, report.note)
    if too_many:
        log.warning("%s: nothing applied, reject rate exceeded: %s", store.name, too_many)
        raise RejectRateExceededError(
            f"{'; '.join(too_many)}, more than --max-reject-rate {max_reject_rate:g}; "
            f"nothing was applied (see {settings.quarantine_dir})"
        )
    store.commit(pending)
    return StoreReport(store=store.name, files=reports)


def _pending(
    source: SourceFile, batch_id: int, cleaned: CleanCustomers | CleanOrders, started: datetime
) -> PendingBatch:
    batch = pl.lit(batch_id, dtype=pl.Int64).alias("batch_id")
    frames: dict[str, pl.DataFrame] = {
        "rejects": cleaned.rejects.with_columns(batch, pl.lit(source.name).alias("source_file"))
    }
    if isinstance(cleaned, CleanCustomers):
        frames["customers"] = cleaned.customers.with_columns(batch)
        frames["customer_mobiles"] = cleaned.new_mobiles.with_columns(batch)
    else:
        frames["orders"] = cleaned.orders.with_columns(
            batch, fixed_2(pl.col("total_paise")).alias("total_amount")
        )
        frames["order_lines"] = cleaned.lines.with_columns(batch)
    acc = cleaned.accounting
    entry = LedgerEntry(
        batch_id=batch_id,
        kind=source.kind,
        source_file=source.name,
        sha256=source.sha256,
        size_bytes=source.size_bytes,
        records_read=acc.read,
        accepted=acc.accepted,
        rejected=acc.rejected,
        duplicates=acc.duplicates,
        superseded=acc.superseded,
        started_at=started,
        finished_at=datetime.now(UTC),
    )
    return PendingBatch(entry=entry, frames=frames)
