"""The file store behind memory mode: Parquet files per batch plus a manifest that is the
commit point.

Layout under `<data dir>/store/`:

    manifest.json                 the ledger: every landed batch, in order
    batches/000001/orders.parquet one file per table the batch touched
    rollups/000001.parquet        the KPI rollup as of that batch (`akasa.backends.lake.rollup`)

An ingest writes its batch folders and the new rollup first, then replaces `manifest.json`
atomically. Readers only look at batches and the rollup the manifest names, so a refused
or crashed ingest is invisible and its leftover files are removed by the next ingest.
Reads merge on the fly: the latest batch wins per customer_id and per order_id. A rollup
the manifest no longer names is removed by the ingest after the one that replaced it, so
a run that read the previous manifest can still read its rollup.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from polars.io.plugins import register_io_source

from akasa.backends.base import LedgerEntry, PendingBatch
from akasa.backends.lake import rollup
from akasa.core import zones
from akasa.core.errors import StoreError
from akasa.core.files import fsync_dir, write_atomically
from akasa.core.tables import KPI_ROLLUP, SCHEMAS, conform

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = 3  # 2: batches record the order versions they replace; 3: orders carry units
# Lake-internal: per batch, the (order_id, batch_id) versions its orders replaced.
REPLACED = "replaced_orders"
REPLACED_SCHEMA = pl.Schema({"order_id": pl.String(), "batch_id": pl.Int64()})
ROLLUP_SLICE_ROWS = 100_000  # orders read at a time to build the KPI rollup


class Lake:
    """Parquet store. Cheap to open; reads the manifest once per instance."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.batches_dir = root / "batches"
        self.rollups_dir = root / "rollups"
        self._manifest: dict[str, Any] | None = None
        self._rollup: pl.DataFrame | None = None

    # ---- the manifest (ledger) -------------------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        if self._manifest is None:
            path = self.root / MANIFEST
            if not path.exists():
                self._manifest = {"format": FORMAT, "batches": []}
            else:
                try:
                    self._manifest = json.loads(path.read_text("utf-8"))
                except (OSError, ValueError) as exc:
                    raise StoreError(
                        f"memory store manifest is unreadable: {path} ({exc})"
                    ) from None
                if self._manifest.get("format") != FORMAT:
                    raise StoreError(
                        f"memory store format {self._manifest.get('format')} is not "
                        f"supported by this version of akasa"
                    )
        return self._manifest

    def format_on_disk(self) -> int | None:
        """The manifest's format as written (None: no manifest yet), whether or not this
        akasa reads it."""
        path = self.root / MANIFEST
        if not path.exists():
            return None
        try:
            found = json.loads(path.read_text("utf-8")).get("format")
        except (OSError, ValueError, AttributeError) as exc:
            raise StoreError(f"memory store manifest is unreadable: {path} ({exc})") from None
        return found if isinstance(found, int) else -1

    def sizes(self) -> dict[str, int]:
        """Bytes on disk per table over the landed batches (every stored version), plus the
        manifest as `batches` and every rollup file (the one a run reads, the one before
        until the next ingest, any a crashed ingest left) as KPI_ROLLUP."""
        sizes = {table: sum(_size(path) for path in self._files(table)) for table in SCHEMAS}
        sizes["batches"] = _size(self.root / MANIFEST)
        rollups = self.rollups_dir.iterdir() if self.rollups_dir.exists() else iter(())
        sizes[KPI_ROLLUP] = sum(_size(path) for path in rollups)
        return sizes

    def bytes_on_disk(self) -> int:
        """Everything under the store folder, leftovers of a crashed ingest included."""
        if not self.root.exists():
            return 0
        return sum(_size(path) for path in self.root.rglob("*") if path.is_file())

    def entries(self) -> list[LedgerEntry]:
        return [_entry_from_json(b) for b in self.manifest()["batches"]]

    def ingested(self) -> dict[str, int]:
        return {b["sha256"]: b["batch_id"] for b in self.manifest()["batches"]}

    def next_batch_id(self) -> int:
        return max((b["batch_id"] for b in self.manifest()["batches"]), default=0) + 1

    # ---- reading ---------------------------------------------------------------------------

    def _files(self, table: str) -> list[Path]:
        return [
            self.batches_dir / f"{b['batch_id']:06d}" / f"{table}.parquet"
            for b in self.manifest()["batches"]
            if table in b["tables"]
        ]

    def scan(self, table: str) -> pl.LazyFrame:
        """Every stored version of every row of `table`, in batch order."""
        if table == "batches":
            return self.ledger().lazy()
        files = self._files(table)
        if not files:
            return pl.LazyFrame(schema=SCHEMAS[table])
        return pl.scan_parquet(files, schema=SCHEMAS[table])

    def current(self, table: str) -> pl.LazyFrame:
        """The table as it stands now: later batches replace earlier versions."""
        if table == "customers":
            frame = self.scan(table)
            return frame.filter(pl.col("batch_id") == pl.col("batch_id").max().over("customer_id"))
        if table in ("orders", "order_lines"):
            # Every batch records which order versions it replaced: dropping those is an
            # anti-join with a small table instead of a window over every order.
            return self.scan(table).join(
                self._scan_replaced(), on=["order_id", "batch_id"], how="anti"
            )
        return self.scan(table)

    def _scan_replaced(self) -> pl.LazyFrame:
        files = self._files(REPLACED)
        if not files:
            return pl.LazyFrame(schema=REPLACED_SCHEMA)
        return pl.scan_parquet(files, schema=REPLACED_SCHEMA)

    def rollup(self, timezone: str | None = None) -> pl.DataFrame | None:
        """The KPI rollup of the landed batches, if it was built in `timezone` (None: in
        any zone); else None."""
        entry = self.manifest().get("rollup")
        batches = self.manifest()["batches"]
        if not entry or not batches or entry["through_batch"] != batches[-1]["batch_id"]:
            return None
        if entry.get("tzdata") != zones.rules_version():  # built under other zone rules
            return None
        if timezone is not None and entry["timezone"] != timezone:
            return None
        if self._rollup is None:
            path = self.root / entry["file"]
            try:
                self._rollup = pl.read_parquet(path, schema=rollup.SCHEMA)
            except (OSError, pl.exceptions.PolarsError) as exc:
                # Derived data, removed or damaged by hand: the orders still hold it all.
                log.warning("KPI rollup %s unreadable (%s): reading the orders instead", path, exc)
                return None
        return self._rollup

    def _current_order_parts(self) -> Iterator[pl.DataFrame]:
        """The current orders (number, time, paise, units) a slice of a batch's file at a
        time: a batch of a file of millions of lines is never read whole."""
        replaced = self._scan_replaced().collect().lazy()
        for path in self._files("orders"):
            scan = pl.scan_parquet(path, schema=SCHEMAS["orders"])
            rows = scan.select(pl.len()).collect().item()
            for offset in range(0, rows, ROLLUP_SLICE_ROWS):
                part = scan.slice(offset, ROLLUP_SLICE_ROWS)
                current = part.join(replaced, on=["order_id", "batch_id"], how="anti")
                yield current.select(
                    "mobile_number", "ordered_at", rollup.paise(), "units"
                ).collect()

    def latest_order_batches(self) -> pl.DataFrame:
        """order_id -> the batch holding its current version."""
        return self.scan("orders").group_by("order_id").agg(pl.col("batch_id").max()).collect()

    def ledger(self) -> pl.DataFrame:
        rows = [e.as_row() for e in self.entries()]
        return (
            pl.DataFrame(rows, schema=SCHEMAS["batches"], orient="row")
            if rows
            else (pl.DataFrame(schema=SCHEMAS["batches"]))
        )

    def mobile_owners(self) -> pl.DataFrame:
        return self.scan("customer_mobiles").select("mobile_number", "customer_id").collect()

    # ---- writing ---------------------------------------------------------------------------

    def remove_orphans(self) -> None:
        """Folders of batches that never reached the manifest (a crashed ingest), and
        rollups it does not name (replaced, or never landed)."""
        if self.batches_dir.exists():
            landed = {f"{b['batch_id']:06d}" for b in self.manifest()["batches"]}
            for child in self.batches_dir.iterdir():
                if child.name not in landed:
                    shutil.rmtree(child, ignore_errors=True)
        if self.rollups_dir.exists():
            named = (self.manifest().get("rollup") or {}).get("file")
            for child in self.rollups_dir.iterdir():
                if child.relative_to(self.root).as_posix() != named:
                    child.unlink(missing_ok=True)

    def begin(self, timezone: str) -> LakeWriter:
        """An ingest's writer; the rollup it lands is built in `timezone`."""
        self.remove_orphans()
        return LakeWriter(self, timezone)

    def _switch(self, added: list[dict[str, Any]], timezone: str) -> None:
        """The commit point: one atomic rename of the manifest, which names the batches and
        the rollup built for them."""
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "batches": [*self.manifest()["batches"], *added],
        }
        kept = self._rollup_for(manifest, any("orders" in b["tables"] for b in added), timezone)
        if kept is not None:
            manifest["rollup"] = kept
        write_atomically(self.root / MANIFEST, json.dumps(manifest, indent=1).encode("utf-8"))
        self._manifest = manifest
        self._rollup = None

    def _rollup_for(
        self, manifest: dict[str, Any], new_orders: bool, timezone: str
    ) -> dict[str, Any] | None:
        """The manifest's rollup entry after adding batches: the one before, when it was
        built in `timezone` and no orders came; else a new one from the current orders
        (none when there are no orders)."""
        through = manifest["batches"][-1]["batch_id"]
        if not new_orders and self.rollup(timezone) is not None:
            return {**self.manifest()["rollup"], "through_batch": through}
        started = time.perf_counter()
        after = Lake(self.root)
        after._manifest = manifest
        path = self.rollups_dir / f"{through:06d}.parquet"
        try:
            frame = rollup.build(after._current_order_parts(), timezone)
            if frame.is_empty():
                return None
            self.rollups_dir.mkdir(exist_ok=True)
            _write(path, iter([frame]), rollup.SCHEMA)
            fsync_dir(self.rollups_dir)
        except (OSError, pl.exceptions.PolarsError) as exc:
            # A full disk, say: the batches land without it, and runs read the orders.
            log.warning("KPI rollup not rebuilt (%s): runs read the orders until it is", exc)
            path.unlink(missing_ok=True)
            return None
        log.info(
            "KPI rollup: %d number-month row(s) rebuilt in %.2f s",
            frame.height,
            time.perf_counter() - started,
        )
        return {
            "file": path.relative_to(self.root).as_posix(),
            "timezone": timezone,
            "tzdata": zones.rules_version(),
            "through_batch": through,
        }


class LakeWriter:
    """Writes each batch's folder as it comes (invisible: not in the manifest yet), then
    switches the manifest once."""

    def __init__(self, lake: Lake, timezone: str) -> None:
        self.lake = lake
        self.timezone = timezone
        self.added: list[dict[str, Any]] = []
        self._stored: pl.DataFrame | None = None  # order_id -> batch, before this ingest
        self._written: list[Path] = []  # orders files of this ingest's batches so far

    def _replaced(self, orders_file: Path) -> pl.DataFrame:
        """The current versions (order_id, batch_id) the orders in `orders_file` replace:
        the latest version of each of its ids among the stored batches and this ingest's
        earlier ones. Those earlier batches are read back from their files, not kept: a
        backfill of many files would otherwise hold every order id it loaded (about 15 MB
        a file of 500,000 lines). The ids are read only when there is a version to replace:
        the first ingest of one large file never holds all its order ids."""
        if self._stored is None:
            self._stored = self.lake.latest_order_batches()
        if self._stored.is_empty() and not self._written:
            return self._stored
        earlier = [pl.scan_parquet(path).select("order_id", "batch_id") for path in self._written]
        ids = pl.scan_parquet(orders_file).select("order_id")
        return (
            pl.concat([self._stored.lazy(), *earlier])
            .join(ids, on="order_id", how="semi")
            .group_by("order_id")
            .agg(pl.col("batch_id").max())  # batch ids grow: the latest version
            .collect()
        )

    def add(self, batch: PendingBatch) -> None:
        batches_dir = self.lake.batches_dir
        batches_dir.mkdir(parents=True, exist_ok=True)
        folder = batches_dir / f"{batch.entry.batch_id:06d}"
        staging = batches_dir / f".staging-{batch.entry.batch_id:06d}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        tables = batch.tables()
        try:
            for table in tables:
                parts = (conform(p, table) for p in batch.parts(table))
                _write(staging / f"{table}.parquet", parts, pl.Schema(SCHEMAS[table]))
            if "orders" in tables:
                replaced = self._replaced(staging / "orders.parquet")
                if not replaced.is_empty():
                    frame = replaced.select(REPLACED_SCHEMA.keys()).cast(REPLACED_SCHEMA)
                    _write(staging / f"{REPLACED}.parquet", iter([frame]), REPLACED_SCHEMA)
                    tables.append(REPLACED)
            fsync_dir(staging)
            os.replace(staging, folder)
            if "orders" in tables:
                self._written.append(folder / "orders.parquet")
        except BaseException:  # a full disk, say: no half-written folder stays behind
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self.added.append({**_entry_to_json(batch.entry), "tables": tables})

    def flush(self) -> None:
        """Nothing to wait for: `add` writes the batch's files before it returns."""

    def commit(self) -> None:
        # Forgotten first: once the manifest may have switched, a rollback must not remove
        # these folders (a failed switch leaves orphans, which the next ingest removes).
        added, self.added = self.added, []
        if added:
            self.lake._switch(added, self.timezone)

    def rollback(self) -> None:
        for entry in self.added:
            shutil.rmtree(self.lake.batches_dir / f"{entry['batch_id']:06d}", ignore_errors=True)
        self.added = []


def _write(path: Path, parts: Iterator[pl.DataFrame], schema: pl.Schema) -> None:
    """One table's Parquet file, on disk before it is named. A table in several parts (a
    large file's lines) is streamed through Polars' sink a part at a time."""
    first = next(parts)
    second = next(parts, None)
    if second is None:  # the usual case: the whole table is one frame
        first.write_parquet(path, statistics=True)
    else:
        every = itertools.chain([first, second], parts)

        def source(*_: object) -> Iterator[pl.DataFrame]:
            return every

        register_io_source(source, schema=schema).sink_parquet(path, statistics=True)
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _entry_to_json(entry: LedgerEntry) -> dict[str, Any]:
    row = entry.as_row()
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def _entry_from_json(data: dict[str, Any]) -> LedgerEntry:
    values = {k: data[k] for k in SCHEMAS["batches"]}
    values["started_at"] = datetime.fromisoformat(values["started_at"])
    values["finished_at"] = datetime.fromisoformat(values["finished_at"])
    return LedgerEntry(**values)
