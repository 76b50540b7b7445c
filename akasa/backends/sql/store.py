"""The table-mode load: cleaned batches into the SQL database, one transaction per ingest.

One ingest is one transaction (`SqlWriter`), into which each file's batch is loaded as soon
as it is clean: the ledger row, the rejects, customers (upserted by customer_id), new
customer numbers, and orders (replaced whole by order_id: their lines and header are
deleted, then the new version inserted). Any failure rolls all of it back.

How the rows travel depends on the database (`akasa.backends.sql.load`): bulk copies into
staging tables and set-based statements on MySQL/MariaDB (`LOAD DATA LOCAL INFILE`) and
PostgreSQL (`COPY`), multi-row INSERTs on SQLite.

Re-ingesting the same file is skipped by its content hash (the ledger); landing the same
records again from another file writes the same current rows, so the tables and the
KPIs do not change.

The KPI rollup (`akasa.backends.sql.rollup`) is brought up to date for every local day the
ingest touched just before the commit, in the same transaction.
"""

from __future__ import annotations

import logging
import time
from datetime import date

import polars as pl

from akasa.backends.base import PendingBatch
from akasa.backends.sql import rollup
from akasa.backends.sql.engine import Database
from akasa.backends.sql.load import DEFAULT_CHUNK_BYTES, Loader, loader_for
from akasa.core.errors import LockedError
from akasa.core.tables import UTC_TS
from akasa.core.waiting import NO_WAIT, LockWait

log = logging.getLogger(__name__)


class SqlWriter:
    """An ingest's open transaction: batches are loaded into it as the files are cleaned,
    and become visible together at `commit`.

    `chunk_bytes`: about how much of a frame the loader turns into text or rows at a time.
    """

    def __init__(
        self,
        database: Database,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        wait: LockWait = NO_WAIT,
    ) -> None:
        self.database = database
        with database.errors():
            # Its connections may use LOAD DATA LOCAL (MySQL), which nothing else needs.
            self.conn = database.engine(local_infile=database.local_infile).connect()
            self.transaction = self.conn.begin()
            locked = wait.until(
                lambda: database.dialect.try_ingest_lock(self.conn),
                "another akasa ingest on this database",
            )
        if not locked:
            self.rollback()
            raise LockedError(wait.refusal("another akasa ingest is writing to this database"))
        self.loader: Loader = loader_for(self.conn, database.temp_dir, chunk_bytes)
        self.touched: set[date] = set()
        try:
            with database.errors():
                # Then the days this ingest touches are all the days with orders.
                self.first_orders = not rollup.any_order(self.conn)
        except BaseException:  # a lost server: nothing is left open
            self.rollback()
            raise

    def add(self, batch: PendingBatch) -> None:
        started = time.perf_counter()
        with self.database.errors():
            replaced = self.loader.land(self.conn, batch)
        if "orders" in batch.tables():  # the days whose rollup this ingest changes
            zone = self.database.timezone
            self.touched |= rollup.local_days(batch.frame("orders")["ordered_at"], zone)
            self.touched |= rollup.local_days(pl.Series(replaced, dtype=UTC_TS), zone)
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
            with self.database.errors():
                days, months = rollup.refresh(
                    self.conn, self.touched, self.database.timezone, every_day=self.first_orders
                )
                refreshed = time.perf_counter()
                log.info(
                    "KPI rollups: %d day(s) and %d month(s) rebuilt in %.2f s",
                    days,
                    months,
                    refreshed - started,
                )
                self.transaction.commit()
            log.info("load committed in %.2f s", time.perf_counter() - started)
        finally:
            self._close()

    def rollback(self) -> None:
        try:
            with self.database.errors():
                if self.transaction.is_active:
                    self.transaction.rollback()
        finally:
            self._close()

    def _close(self) -> None:
        loader: Loader | None = getattr(self, "loader", None)
        if loader is not None:
            loader.close()
        self.conn.close()
