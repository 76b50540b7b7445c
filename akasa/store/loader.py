"""The table-mode store: loads cleaned batches into the SQL database.

One ingest is one transaction (`DatabaseStore.begin`), into which each file's batch is
loaded as soon as it is clean: the ledger row, the rejects, customers (upserted by
customer_id), new customer numbers, and orders (replaced whole by order_id: their lines and
header are deleted, then the new version inserted). Any failure rolls all of it back.

How the rows travel depends on the database (`akasa.store.load`): bulk copies into staging
tables and set-based statements on MySQL/MariaDB (`LOAD DATA LOCAL INFILE`) and PostgreSQL
(`COPY`), multi-row INSERTs on SQLite.

Re-ingesting the same file is skipped by its content hash (the ledger); landing the same
records again from another file writes the same current rows, so the tables and the
KPIs do not change.
"""

from __future__ import annotations

import logging
import time

import polars as pl
from sqlalchemy import Connection, Engine, func, select

from akasa.config import Settings
from akasa.errors import LockedError
from akasa.store.base import PendingBatch
from akasa.store.database import database_errors, make_engine
from akasa.store.load import DEFAULT_CHUNK_BYTES, Loader, loader_for
from akasa.store.migrations import ensure_at_head
from akasa.store.schema import MYSQL, batches, customer_mobiles

log = logging.getLogger(__name__)


class DatabaseStore:
    """The `Store` of table mode. Cheap to create; each call uses its own connection.

    `chunk_bytes`: about how much of a frame the loader turns into text or rows at a time.
    """

    name = "table"

    def __init__(
        self, settings: Settings, engine: Engine, chunk_bytes: int = DEFAULT_CHUNK_BYTES
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.chunk_bytes = chunk_bytes

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
        self.loader: Loader = loader_for(self.conn, store.settings, store.chunk_bytes)

    def add(self, batch: PendingBatch) -> None:
        started = time.perf_counter()
        with database_errors(self.store.settings):
            self.loader.land(self.conn, batch)
        log.info(
            "batch %d loaded (%s, %d rows) in %.2f s",
            batch.entry.batch_id,
            self.loader.method,
            sum(batch.frame(name).height for name in batch.tables()),
            time.perf_counter() - started,
        )

    def commit(self) -> None:
        started = time.perf_counter()
        try:
            with database_errors(self.store.settings):
                self.transaction.commit()
            log.info("load committed in %.2f s", time.perf_counter() - started)
        finally:
            self._close()

    def rollback(self) -> None:
        try:
            with database_errors(self.store.settings):
                if self.transaction.is_active:
                    self.transaction.rollback()
        finally:
            self._close()

    def _close(self) -> None:
        loader: Loader | None = getattr(self, "loader", None)
        if loader is not None:
            loader.close()
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


def open_database_store(settings: Settings) -> DatabaseStore:
    """The table-mode store, after checking the schema is at the newest migration. Its
    connections may use LOAD DATA LOCAL (MySQL), which nothing else needs."""
    engine = make_engine(settings, local_infile=True)
    with database_errors(settings), engine.connect() as conn:
        ensure_at_head(conn)
    return DatabaseStore(settings, engine)
