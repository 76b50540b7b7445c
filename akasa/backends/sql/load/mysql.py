"""MySQL/MariaDB bulk path: `LOAD DATA LOCAL INFILE` into staging tables (and the tables
`staged.DIRECT` names).

Each frame is written by Polars as text (`akasa.backends.sql.load.text`) to a private
temporary file and read by the server through the client (`LOCAL`), about `chunk_bytes` per
file. With LOCAL the server turns every data error into a warning and goes on (it cannot
stop the client's transfer), so each LOAD is checked: the row count must match and there
must be no warning, else the load fails, and with it the whole ingest. A staged table's
constraints are checked later anyway, by the INSERT ... SELECT into the real table (see
`staged`); a real table's, by that check.

If the server or client does not allow LOCAL (MySQL 8 ships with `local_infile=OFF`), the
first LOAD fails before anything reached a real table; the loader logs why and loads the
rest of the ingest with multi-row INSERTs (`RowLoader`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, Table
from sqlalchemy.exc import DBAPIError

from akasa.backends.base import PendingBatch
from akasa.backends.sql.load.chunks import slices
from akasa.backends.sql.load.rows import RowLoader
from akasa.backends.sql.load.spool import Spool
from akasa.backends.sql.load.staged import CopyRefused, LoadRejected, StagedLoader
from akasa.backends.sql.load.text import write_text

log = logging.getLogger(__name__)

# Error codes that mean "LOAD DATA LOCAL is not allowed here", by the server or the client:
# ER_NOT_ALLOWED_COMMAND, CR_LOAD_DATA_LOCAL_INFILE_REJECTED, ER_CLIENT_LOCAL_FILES_DISABLED
# (MySQL 8), ER_LOAD_INFILE_CAPABILITY_DISABLED (MariaDB).
REFUSED = {1148, 2068, 3948, 4166}


class LoadDataLoader(StagedLoader):
    method = "load-data"

    def __init__(self, temp_parent: Path, chunk_bytes: int) -> None:
        super().__init__(chunk_bytes)
        self.spool = Spool(temp_parent)
        self.fallback: RowLoader | None = None

    def land(self, conn: Connection, batch: PendingBatch) -> list[datetime]:
        if self.fallback is None:
            try:
                return super().land(conn, batch)
            except CopyRefused as refused:
                log.warning(
                    "LOAD DATA LOCAL INFILE is not allowed (%s); loading with multi-row "
                    "INSERTs instead (slower: allow local_infile on the server)",
                    refused,
                )
                self.fallback = RowLoader(self.chunk_bytes)
                self.method = self.fallback.method
        return self.fallback.land(conn, batch)

    def fill(self, conn: Connection, table: Table, frame: pl.DataFrame) -> None:
        quote = conn.dialect.identifier_preparer.quote
        columns = ", ".join(quote(name) for name in frame.columns)
        # The default FIELDS/LINES options are exactly the format `write_text` writes.
        statement = (
            f"LOAD DATA LOCAL INFILE %s INTO TABLE {quote(table.name)} "
            f"CHARACTER SET utf8mb4 ({columns})"
        )
        path = self.spool.path(f"{table.name}.tsv")
        for piece in slices(frame, self.chunk_bytes):
            write_text(piece, str(path))
            try:
                loaded = conn.exec_driver_sql(statement, (str(path),)).rowcount
            except DBAPIError as exc:  # which class depends on the code and the driver
                orig = exc.orig
                if orig is not None and orig.args and orig.args[0] in REFUSED:
                    raise CopyRefused(str(orig.args[-1])) from None
                raise
            finally:
                path.unlink(missing_ok=True)
            _check(conn, table, loaded, piece.height)

    def close(self) -> None:
        self.spool.close()


def _check(conn: Connection, table: Table, loaded: int, expected: int) -> None:
    """With LOCAL, a row the table refuses (a duplicate key, a missing parent where the
    foreign key is checked) is skipped with a warning: any warning, or a row missing,
    fails the load."""
    warning = conn.exec_driver_sql("SHOW WARNINGS LIMIT 1").first()
    if warning is not None:
        raise LoadRejected(f"loading {table.name}: {warning[2]}")
    if loaded != expected:
        raise LoadRejected(f"loading {table.name}: {loaded} rows read, {expected} written")
