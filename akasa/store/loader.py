"""The table-mode store: loads cleaned batches into the SQL database.

One ingest is one transaction (`DatabaseStore.begin`), into which each file's batch is
loaded as soon as it is clean: the ledger rows, the rejects, customers (upserted by
customer_id), new customer numbers, and orders (replaced whole by order_id: their lines and
header are deleted, then the new version inserted). Any failure rolls all of it back.

Rows go in multi-row INSERT statements, never one statement per row. Each statement is
compiled once per table and executed with a list of rows ("executemany"); the rows then
travel as multi-row `VALUES (...), (...)` statements: mysqlclient rewrites an executemany
into multi-row INSERTs itself, and for PostgreSQL and SQLite SQLAlchemy's "insertmanyvalues"
batching is switched on (`make_engine`). The one exception is the customer upsert on
PostgreSQL/SQLite (SQLAlchemy does not batch ON CONFLICT), which is written out as explicit
multi-row VALUES. Rows are handed over `chunk_rows` at a time, so memory stays bounded.

Re-ingesting the same file is skipped by its content hash (the ledger); landing the same
records again from another file writes the same current rows, so the tables and the
KPIs do not change.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, Table, delete, func, insert, select
from sqlalchemy.dialects import mysql, postgresql, sqlite

from akasa.config import Settings
from akasa.errors import LockedError
from akasa.store.base import PendingBatch
from akasa.store.database import database_errors, make_engine
from akasa.store.migrations import ensure_at_head
from akasa.store.schema import (
    MYSQL,
    batches,
    customer_mobiles,
    customers,
    order_lines,
    orders,
    rejects,
)
from akasa.tables import conform

# Most bound parameters one statement may carry: PostgreSQL allows 65535, SQLite 32766
# (999 before 3.32). MySQL drivers inline the values, so no limit applies there.
PARAMETER_LIMITS = {
    "postgresql": 65_535,
    "sqlite": 32_766 if sqlite3.sqlite_version_info >= (3, 32) else 999,
}
DEFAULT_CHUNK_ROWS = 5_000


class DatabaseStore:
    """The `Store` of table mode. Cheap to create; each call uses its own connection."""

    name = "table"

    def __init__(
        self, settings: Settings, engine: Engine, chunk_rows: int = DEFAULT_CHUNK_ROWS
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.chunk_rows = chunk_rows

    # ---- what the ingest asks first ------------------------------------------------------

    def ingested(self) -> dict[str, int]:
        with database_errors(self.settings), self.engine.connect() as conn:
            rows = conn.execute(select(batches.c.sha256, batches.c.batch_id)).all()
        return {sha: batch_id for sha, batch_id in rows}

    def mobile_owners(self) -> pl.DataFrame:
        query = select(customer_mobiles.c.mobile_number, customer_mobiles.c.customer_id)
        with database_errors(self.settings), self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return pl.DataFrame(
            rows, schema={"mobile_number": pl.String, "customer_id": pl.String}, orient="row"
        )

    def next_batch_id(self) -> int:
        with database_errors(self.settings), self.engine.connect() as conn:
            last = conn.execute(select(func.max(batches.c.batch_id))).scalar()
        return int(last or 0) + 1

    # ---- the load ------------------------------------------------------------------------

    def begin(self) -> DatabaseWriter:
        """One transaction for the whole ingest; each batch is loaded as it comes."""
        return DatabaseWriter(self)

    def _land(self, conn: Connection, batch: PendingBatch) -> None:
        conn.execute(insert(batches), [batch.entry.as_row()])
        self._insert(conn, rejects, batch.frame("rejects"))
        frame = batch.frame("customers")
        if not frame.is_empty():
            for rows in self._chunks(conn, conform(frame, "customers")):
                _upsert(conn, customers, rows, ["customer_id"])
        # Numbers a customer already had are not in the batch (cleaning leaves them out),
        # so a plain insert; a clash would be a bug and fails the whole load.
        self._insert(conn, customer_mobiles, batch.frame("customer_mobiles"))
        frame = batch.frame("orders")
        if not frame.is_empty():
            self._delete_orders(conn, frame["order_id"].to_list())
            self._insert(conn, orders, frame)
        self._insert(conn, order_lines, batch.frame("order_lines"))

    def _delete_orders(self, conn: Connection, order_ids: Sequence[str]) -> None:
        """The previous version of each order in the batch, lines first (foreign key)."""
        step = self._rows_per_statement(conn, 1)
        for start in range(0, len(order_ids), step):
            ids = order_ids[start : start + step]
            conn.execute(delete(order_lines).where(order_lines.c.order_id.in_(ids)))
            conn.execute(delete(orders).where(orders.c.order_id.in_(ids)))

    def _insert(self, conn: Connection, table: Table, frame: pl.DataFrame) -> None:
        if frame.is_empty():
            return
        statement = insert(table)
        for rows in self._chunks(conn, conform(frame, table.name)):
            conn.execute(statement, rows)

    # ---- chunking ------------------------------------------------------------------------

    def _rows_per_statement(self, conn: Connection, columns: int) -> int:
        limit = PARAMETER_LIMITS.get(conn.dialect.name)
        rows = self.chunk_rows if limit is None else min(self.chunk_rows, limit // columns)
        return max(1, rows)

    def _chunks(self, conn: Connection, frame: pl.DataFrame) -> Iterator[list[dict[str, Any]]]:
        """Row dicts, `chunk_rows` at a time (fewer if the parameter limit says so)."""
        step = self._rows_per_statement(conn, frame.width)
        for start in range(0, frame.height, step):
            yield frame.slice(start, step).to_dicts()


class DatabaseWriter:
    """An ingest's open transaction: batches are loaded into it as the files are cleaned,
    and become visible together at `commit`."""

    def __init__(self, store: DatabaseStore) -> None:
        self.store = store
        with database_errors(store.settings):
            self.conn = store.engine.connect()
            self.transaction = self.conn.begin()
            locked = _lock_ingest(self.conn)
        if not locked:
            self.rollback()
            raise LockedError(
                "another akasa ingest is writing to this database; try again when it ends"
            )

    def add(self, batch: PendingBatch) -> None:
        with database_errors(self.store.settings):
            self.store._land(self.conn, batch)

    def commit(self) -> None:
        try:
            with database_errors(self.store.settings):
                self.transaction.commit()
        finally:
            self.conn.close()

    def rollback(self) -> None:
        try:
            with database_errors(self.store.settings):
                if self.transaction.is_active:
                    self.transaction.rollback()
        finally:
            self.conn.close()


INGEST_LOCK = "akasa_ingest"
INGEST_LOCK_KEY = 0x616B617361  # "akasa": the PostgreSQL advisory lock key


def _lock_ingest(conn: Connection) -> bool:
    """One ingest per database, whichever data directory it runs from.

    MySQL/MariaDB: a named lock held by this connection until it closes. PostgreSQL: an
    advisory lock (scoped to the database) that ends with the transaction. SQLite locks
    the whole file on the first write, so the second writer waits, then fails on its busy
    timeout.
    """
    name = conn.dialect.name
    if name in MYSQL:  # lock names are server-wide: name the database
        lock = func.concat(INGEST_LOCK, ".", func.database())
        return bool(conn.execute(select(func.get_lock(lock, 0))).scalar())
    if name == "postgresql":
        return bool(conn.execute(select(func.pg_try_advisory_xact_lock(INGEST_LOCK_KEY))).scalar())
    return True


def _upsert(conn: Connection, table: Table, rows: list[dict[str, Any]], keys: list[str]) -> None:
    """Multi-row INSERT that replaces the non-key columns of rows whose key exists."""
    columns = [c.name for c in table.columns if c.name not in keys]
    if conn.dialect.name in MYSQL:
        statement = mysql.insert(table)
        update = {c: statement.inserted[c] for c in columns}
        conn.execute(statement.on_duplicate_key_update(update), rows)  # batched by the driver
        return
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(table).values(rows)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=keys, set_={c: statement.excluded[c] for c in columns}
        )
    )


def open_database_store(settings: Settings) -> DatabaseStore:
    """The table-mode store, after checking the schema is at the newest migration."""
    engine = make_engine(settings)
    with database_errors(settings), engine.connect() as conn:
        ensure_at_head(conn)
    return DatabaseStore(settings, engine)
