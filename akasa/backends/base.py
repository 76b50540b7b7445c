"""The one protocol both modes implement: what a backend takes from an ingest and what it
answers to a KPI run, and the small types they exchange."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from akasa.backends.mode import Mode as Mode  # re-exported: the backends' callers use it
from akasa.core.spilled import Spilled
from akasa.core.tables import BATCH_TABLES, SCHEMAS, empty
from akasa.core.waiting import NO_WAIT, LockWait
from akasa.ingest.clean import reason_counts
from akasa.kpi.context import KpiContext
from akasa.kpi.spec import RawKpis

REJECT_KINDS = ("customers", "orders")  # the kinds of record a batch holds, in report order


def top_reasons_per_kind(counted: pl.LazyFrame, limit: int) -> pl.DataFrame:
    """`kind`, `reason` (a record's whole reason), `records` -> the `limit` most common kinds
    of problem per kind of record, customers first, each most frequent first; a record with
    several problems counts once for each. Shared by both stores, so they agree exactly."""
    parts = [
        reason_counts(counted.filter(pl.col("kind") == kind).drop("kind"))
        .head(limit)
        .select(pl.lit(kind).alias("kind"), "reason", pl.col("records").cast(pl.Int64))
        for kind in REJECT_KINDS
    ]
    return pl.concat(pl.collect_all(parts))


@dataclass(frozen=True)
class LedgerEntry:
    """One row of the batch ledger: one input file, its content hash and its accounting."""

    batch_id: int
    kind: str
    source_file: str
    sha256: str
    size_bytes: int
    records_read: int
    accepted: int
    rejected: int
    duplicates: int
    superseded: int
    started_at: datetime
    finished_at: datetime

    def as_row(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in SCHEMAS["batches"]}


@dataclass
class PendingBatch:
    """One cleaned file, ready to land: the ledger entry plus rows for each table.

    Frames follow `akasa.core.tables.SCHEMAS` (batch_id already filled in; `conform` drops
    any helper column). The lines and orders of a large file may be `Spilled` to disk: a
    store that can write a table a part at a time takes `parts`, any other `frame`.
    """

    entry: LedgerEntry
    frames: dict[str, pl.DataFrame | Spilled] = field(default_factory=dict)

    def frame(self, table: str) -> pl.DataFrame:
        found = self.frames.get(table)
        if found is None:
            return empty(table)
        if isinstance(found, Spilled):
            found = self.frames[table] = found.collect()
        return found

    def parts(self, table: str) -> Iterator[pl.DataFrame]:
        """The table's rows in order, in one or more frames."""
        found = self.frames.get(table)
        if isinstance(found, Spilled):
            yield from found.parts()
        else:
            yield self.frame(table)

    def tables(self) -> list[str]:
        return [t for t in BATCH_TABLES if self.height(t)]

    def height(self, table: str) -> int:
        found = self.frames.get(table)
        return 0 if found is None else found.height


class Writer(Protocol):
    """One ingest's writes: batches are staged as they come and become visible together."""

    def add(self, batch: PendingBatch) -> None:
        """Stages one batch; nothing of it is visible before `commit`. A store may still
        be staging it when this returns (table mode loads it on a thread)."""
        ...

    def flush(self) -> None:
        """Waits until every batch added is staged; raises what staging one raised."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None:
        """Undoes everything staged; the store is exactly as before `begin`."""
        ...


@dataclass(frozen=True)
class StoreState:
    """Where a store is, which version of its layout it holds, and whether this akasa can use
    it as it is (`akasa status`)."""

    location: str  # memory: the store folder; table: the database URL without password
    version: str | None  # the layout on disk (None: nothing stored yet)
    expected: str  # the layout this akasa reads and writes
    problem: str | None  # why this akasa cannot use the store as it is (None: it can)
    bytes_on_disk: int | None  # None where the store cannot tell


@dataclass(frozen=True)
class TableSize:
    """One stored table: its current rows (what queries see) and, where the store can tell,
    the bytes its files take (every stored version)."""

    table: str
    rows: int
    bytes_on_disk: int | None


REJECT_ROW_SCHEMA = {
    "batch_id": pl.Int64(),
    "source_file": pl.String(),
    "record_number": pl.Int64(),
    "reason": pl.String(),
}


@dataclass(frozen=True)
class QueryResult:
    """Rows of a read-only query (`akasa sql`)."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool


@dataclass(frozen=True)
class QueryLimits:
    """What one ad-hoc query may take: a `string_agg` over everything must not eat the
    machine, nor a `count(*) FROM range(1e12)` run forever."""

    memory_mb: int = 1024
    threads: int = 2
    timeout_seconds: float = 60.0


DEFAULT_LIMITS = QueryLimits()


@dataclass(frozen=True)
class OrderSpan:
    """The oldest and newest current order time (UTC); both None in a store without orders."""

    oldest: datetime | None
    newest: datetime | None


class Backend(Protocol):
    """One mode's store. The ingest side lands cleaned batches all or nothing; the query side
    answers the KPI run with raw frames (`akasa.kpi.spec.RAW_SCHEMAS`) that `kpi.spec`
    finishes the same way for every backend."""

    mode: Mode

    @property
    def database_kind(self) -> str | None:
        """Table mode's kind of database for people (`SQLite`, `MySQL`, `PostgreSQL`); None
        in memory mode. Recorded in kpis.json: the report says where its numbers come from."""
        ...

    # ---- the ingest side -------------------------------------------------------------------

    @property
    def local_dir(self) -> Path:
        """The local folder this store writes in: a full disk's message names it."""
        ...

    def ingested(self) -> dict[str, int]:
        """Content hash -> batch_id of every file already landed."""
        ...

    def mobile_owners(self) -> pl.DataFrame:
        """Every mobile number ever stored with its customer_id."""
        ...

    def next_batch_id(self) -> int: ...

    def begin(self, wait: LockWait = NO_WAIT) -> Writer:
        """Starts an ingest's all-or-nothing write, waiting `wait` for another ingest's
        lock on the store."""
        ...

    # ---- the query side --------------------------------------------------------------------

    def order_span(self) -> OrderSpan:
        """The oldest and newest current order, read together (one pass over the orders
        in memory mode)."""
        ...

    def last_ingest_at(self) -> datetime | None: ...

    def compute(self, ctx: KpiContext) -> RawKpis:
        """The four KPIs and the totals as raw frames, for `ctx`'s as-of and window."""
        ...

    def ledger(self) -> pl.DataFrame:
        """The batch ledger (`SCHEMAS["batches"]`), in batch order."""
        ...

    def reject_reasons(self, limit: int) -> pl.DataFrame:
        """Columns `kind`, `reason`, `records`: the `limit` most common reasons of each kind
        of record (`top_reasons_per_kind`)."""
        ...

    def reject_rows(self) -> pl.DataFrame:
        """Every rejected record (`REJECT_ROW_SCHEMA`), in batch and record order."""
        ...

    def query(self, sql: str, limit: int, limits: QueryLimits = DEFAULT_LIMITS) -> QueryResult:
        """One read-only SELECT over the current tables (`akasa sql`)."""
        ...

    # ---- what the store is (`akasa status`) -------------------------------------------------

    def state(self) -> StoreState:
        """Answers even for a store this akasa cannot use as it is (an older schema, another
        format); raises only when the store cannot be reached or read at all."""
        ...

    def table_sizes(self) -> list[TableSize]:
        """Every stored table, in `akasa.core.tables.SCHEMAS` order."""
        ...
