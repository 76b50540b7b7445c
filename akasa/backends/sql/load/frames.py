"""A batch's frames as the SQL tables take them: the columns of `akasa.core.tables.SCHEMAS`."""

from __future__ import annotations

import polars as pl

from akasa.backends.base import PendingBatch
from akasa.core.tables import BATCH_TABLES, SCHEMAS, conform

COLUMNS: dict[str, list[str]] = {name: list(SCHEMAS[name]) for name in BATCH_TABLES}


def table_frames(batch: PendingBatch) -> dict[str, pl.DataFrame]:
    """The batch's non-empty tables, columns as `COLUMNS` says."""
    return {
        name: conform(batch.frame(name), name)
        for name in BATCH_TABLES
        if not batch.frame(name).is_empty()
    }
