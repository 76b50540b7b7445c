"""How a batch's rows get into the table-mode database, per database.

- MySQL/MariaDB: `LOAD DATA LOCAL INFILE` into staging tables, then set-based statements
  (`mysql.LoadDataLoader`); multi-row INSERTs if LOCAL is not allowed.
- PostgreSQL (psycopg 3): `COPY ... FROM STDIN` into staging tables, then the same
  set-based statements (`postgres.CopyLoader`).
- SQLite, and any other driver: multi-row INSERTs (`rows.RowLoader`).

Which one a database supports is its dialect class's `bulk_fill`.

Every path runs on the ingest's one connection, inside its one transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection

from akasa.backends.base import PendingBatch
from akasa.backends.sql.dialects import BulkFill, dialect_of

log = logging.getLogger(__name__)

# About this much of a frame is turned into text or Python rows at a time: it bounds the
# loader's memory (and a LOAD DATA file) whatever the size of an input file.
DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024


class Loader(Protocol):
    method: str  # "load-data", "copy" or "insert": what the load really uses

    def land(self, conn: Connection, batch: PendingBatch) -> list[datetime]:
        """Writes one batch (ledger row and every table) into the open transaction;
        returns the order times of the stored versions its orders replaced."""
        ...

    def close(self) -> None:
        """Removes anything the loader left outside the database (temporary files)."""
        ...


def loader_for(conn: Connection, temp_dir: Path, chunk_bytes: int) -> Loader:
    """The fastest loader this connection's database and driver support. `temp_dir`: where
    LOAD DATA's private files go."""
    fill = dialect_of(conn).bulk_fill(conn.dialect.driver)
    loader: Loader
    if fill is BulkFill.load_data:
        from akasa.backends.sql.load.mysql import LoadDataLoader

        loader = LoadDataLoader(temp_dir, chunk_bytes)
    elif fill is BulkFill.copy:
        from akasa.backends.sql.load.postgres import CopyLoader

        loader = CopyLoader(chunk_bytes)
    else:
        from akasa.backends.sql.load.rows import RowLoader

        loader = RowLoader(chunk_bytes)
    log.info("table load via %s: %s", conn.dialect.driver, loader.method)
    return loader
