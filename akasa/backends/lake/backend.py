"""Memory mode's backend: the Parquet file store with lazy Polars KPIs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from akasa.backends.base import (
    DEFAULT_LIMITS,
    REJECT_ROW_SCHEMA,
    Mode,
    OrderSpan,
    QueryLimits,
    QueryResult,
    StoreState,
    TableSize,
)
from akasa.backends.lake import kpis
from akasa.backends.lake.store import FORMAT, Lake, LakeWriter
from akasa.core.tables import KPI_ROLLUP, SCHEMAS
from akasa.core.waiting import NO_WAIT, LockWait
from akasa.kpi.context import KpiContext
from akasa.kpi.spec import RawKpis


class LakeBackend:
    """The `Backend` of memory mode. Cheap to open: nothing is read before it is asked."""

    mode = Mode.memory
    database_kind = None

    def __init__(self, root: Path, timezone: str) -> None:
        self.lake = Lake(root)
        self.timezone = timezone  # the business zone an ingest builds the KPI rollup in

    @property
    def local_dir(self) -> Path:
        return self.lake.root

    # ---- the ingest side -------------------------------------------------------------------

    def ingested(self) -> dict[str, int]:
        return self.lake.ingested()

    def mobile_owners(self) -> pl.DataFrame:
        return self.lake.mobile_owners()

    def next_batch_id(self) -> int:
        return self.lake.next_batch_id()

    def begin(self, wait: LockWait = NO_WAIT) -> LakeWriter:
        """(The data directory's lock, taken before, is the memory store's ingest lock.)"""
        return self.lake.begin(self.timezone)

    # ---- the query side --------------------------------------------------------------------

    def order_span(self) -> OrderSpan:
        return kpis.order_span(self.lake)

    def last_ingest_at(self) -> datetime | None:
        return max((e.finished_at for e in self.lake.entries()), default=None)

    def compute(self, ctx: KpiContext) -> RawKpis:
        return kpis.compute(self.lake, ctx)

    def ledger(self) -> pl.DataFrame:
        return self.lake.ledger()

    def reject_reasons(self, limit: int) -> pl.DataFrame:
        return kpis.reject_reasons(self.lake.scan("rejects"), self.lake.ledger().lazy(), limit)

    def reject_rows(self) -> pl.DataFrame:
        rows = self.lake.scan("rejects").select(list(REJECT_ROW_SCHEMA))
        return rows.sort("batch_id", "record_number").collect()

    def query(self, sql: str, limit: int, limits: QueryLimits = DEFAULT_LIMITS) -> QueryResult:
        from akasa.backends.readonly_sql import run_query  # DuckDB: only `akasa sql` needs it

        return run_query({t: self.lake.current(t) for t in SCHEMAS}, sql, limit, limits)

    # ---- what the store is -----------------------------------------------------------------

    def state(self) -> StoreState:
        found = self.lake.format_on_disk()
        problem = None
        if found is not None and found != FORMAT:
            problem = f"memory store format {found} is not supported by this version of akasa"
        return StoreState(
            location=str(self.lake.root),
            version=None if found is None else str(found),
            expected=str(FORMAT),
            problem=problem,
            bytes_on_disk=self.lake.bytes_on_disk(),
        )

    def table_sizes(self) -> list[TableSize]:
        counts = pl.collect_all([self.lake.current(t).select(pl.len()) for t in SCHEMAS])
        on_disk = self.lake.sizes()
        kept = self.lake.rollup()
        return [
            *(
                TableSize(table, int(count.item()), on_disk[table])
                for table, count in zip(SCHEMAS, counts, strict=True)
            ),
            TableSize(KPI_ROLLUP, 0 if kept is None else kept.height, on_disk[KPI_ROLLUP]),
        ]
