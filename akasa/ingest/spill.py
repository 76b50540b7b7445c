"""Cleaning a large orders file in partitions by order id, spilled to disk, so memory stays
flat however large the file is.

Every rule that compares lines (versions of an (order_id, sku_id), header agreement within
an order) compares lines of one order only, so cleaning the lines of each group of order
ids on its own gives the same lines, orders, rejects and accounting as cleaning the whole
file: the partitions are cut by a hash of the trimmed order_id (the key the rules use) and
each is cleaned by `clean_orders` itself. Lines and orders stay on disk, sorted by record
number, and are merged back into file order as the store writes them (`Spilled`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from akasa.core.spilled import Spilled, write_sorted
from akasa.ingest import normalise as n
from akasa.ingest.clean import RECORD, Accounting, CleanOrders, clean_orders
from akasa.ingest.xml_reader import SCHEMA, whole

SPILL_MIN_BYTES = 64 << 20  # smaller files are cleaned in memory, in one piece
PARTITION_BYTES = 24 << 20  # about this much XML per partition
FLUSH_ROWS = 200_000  # lines gathered before they are split into partition files
FIRST = "__first_record"  # an order's first kept line: where the order comes in file order
PART = "__partition"


@dataclass(frozen=True)
class SpilledOrders:
    """`CleanOrders` whose lines and orders may be on disk (`Spilled`)."""

    orders: pl.DataFrame | Spilled
    lines: pl.DataFrame | Spilled
    rejects: pl.DataFrame
    accounting: Accounting


def partitions_for(size_bytes: int) -> int:
    """How many partitions a file of `size_bytes` is cleaned in (1: in one piece)."""
    if size_bytes < SPILL_MIN_BYTES:
        return 1
    return -(-size_bytes // PARTITION_BYTES)


def clean_orders_spilled(
    chunks: Iterable[pl.DataFrame | None],
    source_timezone: str,
    started: datetime,
    folder: Path,
    partitions: int,
) -> CleanOrders | SpilledOrders:
    """`clean_orders` of the file whose consecutive frames are `chunks` (a None: forget the
    chunks so far, the file is being read again), in `partitions` pieces under `folder`."""
    if partitions <= 1:
        return clean_orders(whole(chunks, rechunk=True), source_timezone, started)
    read = _split(chunks, folder, partitions)
    cleaned = _clean_parts(folder, partitions, source_timezone, started)
    if read == 0:
        return clean_orders(pl.DataFrame(schema=SCHEMA), source_timezone, started)
    return cleaned(read)


def _split(chunks: Iterable[pl.DataFrame | None], folder: Path, partitions: int) -> int:
    """Writes each chunk's lines to the files of their partitions; returns lines read."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, mode=0o700)
    part = (n.trimmed(pl.col("order_id")).hash(seed=0) % partitions).alias(PART)
    read = 0
    for number, chunk in enumerate(chunks):
        if chunk is None:  # read again from the start: forget what was written
            shutil.rmtree(folder)
            folder.mkdir(mode=0o700)
            read = 0
            continue
        read += chunk.height
        for (index,), piece in (
            chunk.with_columns(part).partition_by(PART, as_dict=True, include_key=False).items()
        ):
            piece.write_ipc(folder / f"raw-{index}-{number:06d}.arrow", compression="lz4")
    return read


def _clean_parts(
    folder: Path, partitions: int, source_timezone: str, started: datetime
) -> _Collected:
    collected = _Collected(folder)
    for index in range(partitions):
        files = sorted(folder.glob(f"raw-{index}-*.arrow"))
        if not files:
            continue
        raw = pl.concat([pl.read_ipc(f) for f in files], rechunk=True)  # in record order
        for path in files:
            path.unlink()
        collected.add(index, clean_orders(raw, source_timezone, started))
    return collected


class _Collected:
    """Each partition's results, lines and orders written to disk as they come."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lines: list[Path] = []
        self.orders: list[Path] = []
        self.rejects: list[pl.DataFrame] = []
        self.counts = [0, 0, 0, 0]  # accepted, rejected, duplicates, superseded
        self.heights = [0, 0]  # lines, orders
        self.empty: dict[str, pl.DataFrame] = {}

    def add(self, index: int, cleaned: CleanOrders) -> None:
        first = cleaned.lines.group_by("order_id").agg(pl.col(RECORD).min().alias(FIRST))
        orders = cleaned.orders.join(first, on="order_id", how="left").sort(FIRST)
        self.empty = {"lines": cleaned.lines.clear(), "orders": cleaned.orders.clear()}
        for name, paths, frame in (
            ("lines", self.lines, cleaned.lines),
            ("orders", self.orders, orders),
        ):
            if frame.height:
                paths.append(self.folder / f"{name}-{index}.parquet")
                write_sorted(frame, paths[-1])
        self.heights[0] += cleaned.lines.height
        self.heights[1] += orders.height
        self.rejects.append(cleaned.rejects)
        a = cleaned.accounting
        for i, value in enumerate((a.accepted, a.rejected, a.duplicates, a.superseded)):
            self.counts[i] += value

    def __call__(self, read: int) -> SpilledOrders:
        accepted, rejected, duplicates, superseded = self.counts
        return SpilledOrders(
            orders=self._table("orders", FIRST, read, self.heights[1], drop=FIRST),
            lines=self._table("lines", RECORD, read, self.heights[0]),
            rejects=pl.concat(self.rejects).sort(RECORD),
            accounting=Accounting(read, accepted, rejected, duplicates, superseded),
        )

    def _table(
        self, name: str, key: str, last: int, height: int, drop: str | None = None
    ) -> pl.DataFrame | Spilled:
        files = self.lines if name == "lines" else self.orders
        if not files:
            return self.empty[name]
        table = Spilled(tuple(files), key, last, height)
        return table.map(lambda frame: frame.drop(drop)) if drop else table
