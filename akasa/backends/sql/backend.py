"""Table mode's backend: the SQL database, loaded in bulk, with the KPIs computed in SQL."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Select, func, select

from akasa.backends.base import (
    DEFAULT_LIMITS,
    REJECT_ROW_SCHEMA,
    Mode,
    OrderSpan,
    QueryLimits,
    QueryResult,
    StoreState,
    TableSize,
    top_reasons_per_kind,
)
from akasa.backends.sql import kpis
from akasa.backends.sql.engine import Database
from akasa.backends.sql.load import DEFAULT_CHUNK_BYTES
from akasa.backends.sql.migrate import current, ensure_at_head, head
from akasa.backends.sql.schema import TABLES, batches, customer_mobiles, orders, rejects
from akasa.backends.sql.store import SqlWriter
from akasa.core.errors import DatabaseError
from akasa.core.tables import KPI_ROLLUP, SCHEMAS
from akasa.core.waiting import NO_WAIT, LockWait
from akasa.kpi.context import KpiContext
from akasa.kpi.spec import RawKpis


class SqlBackend:
    """The `Backend` of table mode. Each call uses its own connection; `open` checks first
    that the schema is at the newest migration.

    `chunk_bytes`: about how much of a frame the loader turns into text or rows at a time.
    """

    mode = Mode.table

    def __init__(self, database: Database, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> None:
        self.database = database
        self.chunk_bytes = chunk_bytes

    @property
    def database_kind(self) -> str:
        return self.database.dialect.label

    @property
    def local_dir(self) -> Path:
        return self.database.temp_dir.parent

    @classmethod
    def open(cls, database: Database) -> SqlBackend:
        with database.errors(), database.engine().connect() as conn:
            ensure_at_head(conn)
        return cls(database)

    def _rows(self, query: Select[Any]) -> list[Any]:
        with self.database.errors(), self.database.engine().connect() as conn:
            return list(conn.execute(query).all())

    def _scalar(self, query: Select[Any]) -> Any:
        with self.database.errors(), self.database.engine().connect() as conn:
            return conn.execute(query).scalar()

    # ---- the ingest side -------------------------------------------------------------------

    def ingested(self) -> dict[str, int]:
        rows = self._rows(select(batches.c.sha256, batches.c.batch_id))
        return {sha: batch_id for sha, batch_id in rows}

    def mobile_owners(self) -> pl.DataFrame:
        rows = self._rows(select(customer_mobiles.c.mobile_number, customer_mobiles.c.customer_id))
        return pl.DataFrame(
            rows, schema={"mobile_number": pl.String, "customer_id": pl.String}, orient="row"
        )

    def next_batch_id(self) -> int:
        return int(self._scalar(select(func.max(batches.c.batch_id))) or 0) + 1

    def begin(self, wait: LockWait = NO_WAIT) -> SqlWriter:
        """One transaction for the whole ingest; each batch is loaded as it comes."""
        return SqlWriter(self.database, self.chunk_bytes, wait)

    # ---- the query side --------------------------------------------------------------------

    def order_span(self) -> OrderSpan:
        """Two ends of the time index, in one statement."""
        times = orders.c.ordered_at
        oldest, newest = self._rows(select(func.min(times), func.max(times)))[0]
        return OrderSpan(oldest, newest)

    def last_ingest_at(self) -> datetime | None:
        last: datetime | None = self._scalar(select(func.max(batches.c.finished_at)))
        return last

    def compute(self, ctx: KpiContext) -> RawKpis:
        with self.database.errors(), self.database.engine().connect() as conn:
            self.database.dialect.prepare_kpi_session(conn)
            result = kpis.compute(conn, ctx)
            # Only the session's temporary tables were written: committing keeps them
            # until the connection drops them, where a rollback would first undo every
            # row written to them (0.4 s at a million order lines on MariaDB).
            conn.commit()
            return result

    def ledger(self) -> pl.DataFrame:
        query = select(*(batches.c[name] for name in SCHEMAS["batches"])).order_by(
            batches.c.batch_id
        )
        return pl.DataFrame(self._rows(query), schema=SCHEMAS["batches"], orient="row")

    def reject_reasons(self, limit: int) -> pl.DataFrame:
        """Counted per kind and reason text in SQL, then split into single problems and
        counted per kind of problem as memory mode does."""
        query = (
            select(batches.c.kind, rejects.c.reason, func.count())
            .join_from(rejects, batches, rejects.c.batch_id == batches.c.batch_id)
            .group_by(batches.c.kind, rejects.c.reason)
        )
        counted = pl.DataFrame(
            [(kind, reason, int(n)) for kind, reason, n in self._rows(query)],
            schema={"kind": pl.String, "reason": pl.String, "records": pl.Int64},
            orient="row",
        )
        return top_reasons_per_kind(counted.lazy(), limit)

    def reject_rows(self) -> pl.DataFrame:
        query = select(*(rejects.c[name] for name in REJECT_ROW_SCHEMA)).order_by(
            rejects.c.batch_id, rejects.c.record_number
        )
        return pl.DataFrame(self._rows(query), schema=REJECT_ROW_SCHEMA, orient="row")

    def query(self, sql: str, limit: int, limits: QueryLimits = DEFAULT_LIMITS) -> QueryResult:
        """The current tables are read into frames and queried with DuckDB, as in memory
        mode: the database itself never runs user SQL."""
        from akasa.backends.readonly_sql import check_read_only, run_query  # DuckDB: `akasa sql`

        check_read_only(sql)  # before reading any table
        frames = {}
        by_name = {table.name: table for table in TABLES}
        for name, schema in SCHEMAS.items():  # the tables both modes have
            rows = self._rows(select(*(by_name[name].c[column] for column in schema)))
            frames[name] = pl.DataFrame(rows, schema=schema, orient="row")
        return run_query(frames, sql, limit, limits)

    # ---- what the store is -----------------------------------------------------------------

    def state(self) -> StoreState:
        """The schema revision against the newest one; a database that cannot be reached
        raises `DatabaseError`."""
        with self.database.errors(), self.database.engine().connect() as conn:
            revision = current(conn)
            try:
                ensure_at_head(conn)
                problem = None
            except DatabaseError as exc:
                problem = str(exc)
            size = self.database.dialect.database_bytes(conn)
        return StoreState(
            location=self.database.display,
            version=revision,
            expected=head(),
            problem=problem,
            bytes_on_disk=size,
        )

    def table_sizes(self) -> list[TableSize]:
        by_name = {table.name: table for table in TABLES}
        names = [*SCHEMAS, KPI_ROLLUP]
        query = select(
            *(select(func.count()).select_from(by_name[name]).scalar_subquery() for name in names)
        )
        counts = self._rows(query)[0]
        return [TableSize(name, int(n), None) for name, n in zip(names, counts, strict=True)]
