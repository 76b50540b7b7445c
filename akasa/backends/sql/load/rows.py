"""The portable path: INSERT statements from Python rows, many rows a call.

Used for SQLite, and on MySQL/MariaDB when the server or client refuses `LOAD DATA LOCAL`.
Each INSERT is compiled once per table and handed to the driver's executemany with plain
tuples: SQLite runs the prepared statement row after row in C, and mysqlclient rewrites an
executemany into multi-row `VALUES (...), (...)` statements itself. The customer upsert
(`SqlDialect.upsert_rows`) is written out as explicit multi-row VALUES on PostgreSQL/SQLite,
where SQLAlchemy does not batch ON CONFLICT. Rows are handed over
about `chunk_bytes` at a time, so memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Table, delete, insert, select

from akasa.backends.base import PendingBatch
from akasa.backends.sql.dialects import dialect_of
from akasa.backends.sql.load.chunks import slices
from akasa.backends.sql.load.frames import table_frames
from akasa.backends.sql.schema import (
    batches,
    customer_mobiles,
    customers,
    order_lines,
    orders,
    rejects,
)

# Python row dicts take ten times or more the memory of the same rows in a frame, so this
# path turns at most this much of a frame into rows at a time.
MAX_CHUNK_BYTES = 1024 * 1024


class RowLoader:
    """Loads a batch with multi-row INSERTs, one table after another, parents first."""

    method = "insert"

    def __init__(self, chunk_bytes: int) -> None:
        self.chunk_bytes = min(chunk_bytes, MAX_CHUNK_BYTES)

    def land(self, conn: Connection, batch: PendingBatch) -> list[datetime]:
        frames = table_frames(batch)
        conn.execute(insert(batches), [batch.entry.as_row()])
        self._insert(conn, rejects, frames.get("rejects"))
        if "customers" in frames:
            for rows in self._rows(conn, frames["customers"]):
                dialect_of(conn).upsert_rows(conn, customers, rows, ["customer_id"])
        # Numbers a customer already had are not in the batch (cleaning leaves them out),
        # so a plain insert; a clash would be a bug and fails the whole load.
        self._insert(conn, customer_mobiles, frames.get("customer_mobiles"))
        replaced: list[datetime] = []
        if "orders" in frames:
            replaced = self._delete_orders(conn, frames["orders"].select("order_id"))
            self._insert(conn, orders, frames["orders"])
        self._insert(conn, order_lines, frames.get("order_lines"))
        return replaced

    def close(self) -> None:
        """Nothing to clean up."""

    def _delete_orders(self, conn: Connection, ids: pl.DataFrame) -> list[datetime]:
        """The previous version of each order in the batch, lines first (foreign key);
        returns their order times."""
        replaced: list[datetime] = []
        for piece in slices(ids, self.chunk_bytes, _parameter_limit(conn, 1)):
            values: Sequence[str] = piece["order_id"].to_list()
            previous = select(orders.c.ordered_at).where(orders.c.order_id.in_(values))
            replaced += conn.execute(previous).scalars()
            conn.execute(delete(order_lines).where(order_lines.c.order_id.in_(values)))
            conn.execute(delete(orders).where(orders.c.order_id.in_(values)))
        return replaced

    def _insert(self, conn: Connection, table: Table, frame: pl.DataFrame | None) -> None:
        """Plain tuples straight to the driver's executemany: SQLAlchemy's per-row
        parameter handling costs about ten microseconds a row (a file of a million rejects,
        ten seconds). The columns' bind processors (SQLite's datetime text, say) still
        apply, a column at a time."""
        if frame is None:
            return
        columns = [table.c[name] for name in frame.columns]
        statement = insert(table).compile(
            dialect=conn.dialect, column_keys=[c.name for c in columns]
        )
        sql = str(statement)
        processors = [
            c.type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for c in columns
        ]
        # One statement a row for SQLite, packets mysqlclient sizes itself: no parameter
        # limit applies to a piece, only the memory bound.
        for piece in slices(frame, self.chunk_bytes):
            values = [
                [convert(v) for v in piece[c.name].to_list()]
                if convert
                else piece[c.name].to_list()
                for c, convert in zip(columns, processors, strict=True)
            ]
            conn.exec_driver_sql(sql, list(zip(*values, strict=True)))

    def _rows(self, conn: Connection, frame: pl.DataFrame) -> Iterator[list[dict[str, Any]]]:
        """Row dicts, about `chunk_bytes` of the frame at a time (fewer rows if the
        database's parameter limit says so)."""
        for piece in slices(frame, self.chunk_bytes, _parameter_limit(conn, frame.width)):
            yield piece.to_dicts()


def _parameter_limit(conn: Connection, columns: int) -> int | None:
    """Rows per statement within the database's limit on bound parameters (PostgreSQL
    65535, SQLite 32766; MySQL drivers inline the values, so no limit applies there)."""
    limit = dialect_of(conn).parameter_limit
    return None if limit is None else max(1, limit // columns)
