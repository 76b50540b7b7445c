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

Each batch is loaded on a thread of its own (`add` returns once the previous batch is in),
so the next file is cleaned while the database takes this one: the driver waits on the
server without holding Python's lock. Batches still go in one after another, on the one
connection, in file order; a failure is raised by the next `add`, `flush` or `commit` (the
ingest flushes every store before it commits any), and `rollback` waits for the batch in
flight before undoing everything. A batch whose rows are spilled to disk (one very large
file) is loaded before `add` returns, since its files are removed after it.

The KPI rollups (`akasa.backends.sql.rollup`) are rebuilt in the same transaction for every
local day the ingest touched: most as later batches land, the rest at the commit.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor

import polars as pl

from akasa.backends.base import PendingBatch
from akasa.backends.sql import rollup
from akasa.backends.sql.engine import Database
from akasa.backends.sql.load import DEFAULT_CHUNK_BYTES, Loader, loader_for
from akasa.core.errors import LockedError
from akasa.core.spilled import Spilled
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
        try:
            with database.errors():
                # Without orders, the days this ingest touches are all the days with orders.
                first_orders = not rollup.any_order(self.conn)
                self.rollups = rollup.DayRebuilds(self.conn, database.timezone, first_orders)
        except BaseException:  # a lost server: nothing is left open
            self.rollback()
            raise
        self.loading: ThreadPoolExecutor | None = ThreadPoolExecutor(
            1, thread_name_prefix="akasa-load"
        )
        self.in_flight: Future[None] | None = None

    def add(self, batch: PendingBatch) -> None:
        """Waits for the previous batch (raising its failure), then loads this one on the
        load thread; a spilled batch is in before this returns."""
        self.flush()
        # Asked before the load thread starts: it replaces each spilled table as it reads it.
        spilled = any(isinstance(frame, Spilled) for frame in batch.frames.values())
        if self.loading is None:
            raise RuntimeError("a batch added after the ingest's transaction ended")
        self.in_flight = self.loading.submit(self._land, batch)
        if spilled:
            self.flush()

    def flush(self) -> None:
        """Waits for the batch in flight; raises what its load raised."""
        in_flight, self.in_flight = self.in_flight, None
        if in_flight is not None:
            in_flight.result()

    def _land(self, batch: PendingBatch) -> None:
        started = time.perf_counter()
        with self.database.errors():
            replaced = self.loader.land(self.conn, batch)
            rebuilt = 0
            if "orders" in batch.tables():  # the days whose rollup this batch changes
                zone = self.database.timezone
                days = rollup.local_days(batch.frame("orders")["ordered_at"], zone)
                days |= rollup.local_days(pl.Series(replaced, dtype=UTC_TS), zone)
                rebuilt = self.rollups.touch(days)
        log.info(
            "batch %d loaded (%s, %d rows; %d earlier day(s) of the KPI rollups rebuilt) in %.2f s",
            batch.entry.batch_id,
            self.loader.method,
            sum(batch.frame(name).height for name in batch.tables()),
            rebuilt,
            time.perf_counter() - started,
        )

    def commit(self) -> None:
        try:
            self.flush()
            started = time.perf_counter()
            with self.database.errors():
                days, months = self.rollups.finish()
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
            self._stop_loading()  # the batch in flight finishes (or fails) first
            with self.database.errors():
                if self.transaction.is_active:
                    self.transaction.rollback()
        finally:
            self._close()

    def _stop_loading(self) -> None:
        """Waits, once, for the load thread to finish its batch (even if a second Ctrl-C
        cuts the wait short, the connection is then closed)."""
        loading: ThreadPoolExecutor | None = getattr(self, "loading", None)
        if loading is not None:
            self.loading = None
            loading.shutdown(wait=True)

    def _close(self) -> None:
        self._stop_loading()
        loader: Loader | None = getattr(self, "loader", None)
        if loader is not None:
            loader.close()
        self.conn.close()
