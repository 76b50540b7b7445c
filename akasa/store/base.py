"""What every store accepts from an ingest and what it answers back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import polars as pl

from akasa.tables import BATCH_TABLES, SCHEMAS, empty


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

    Frames follow `akasa.tables.SCHEMAS` exactly (batch_id already filled in).
    """

    entry: LedgerEntry
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)

    def frame(self, table: str) -> pl.DataFrame:
        return self.frames.get(table, empty(table))

    def tables(self) -> list[str]:
        return [t for t in BATCH_TABLES if not self.frame(t).is_empty()]


class StoreWriter(Protocol):
    """One ingest's writes: batches are staged as they come and become visible together."""

    def add(self, batch: PendingBatch) -> None:
        """Stages one batch; nothing of it is visible before `commit`."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None:
        """Undoes everything staged; the store is exactly as before `begin`."""
        ...


class Store(Protocol):
    """The ingest side of a store."""

    name: str

    def ingested(self) -> dict[str, int]:
        """Content hash -> batch_id of every file already landed."""
        ...

    def mobile_owners(self) -> pl.DataFrame:
        """Every mobile number ever stored with its customer_id."""
        ...

    def next_batch_id(self) -> int: ...

    def begin(self) -> StoreWriter:
        """Starts an ingest's all-or-nothing write."""
        ...
