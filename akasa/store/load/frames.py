"""A batch's frames as the SQL tables take them.

The same columns as `akasa.tables.SCHEMAS`, plus one that only the SQL store keeps:
`orders.units`, the sum of `sku_count` over the order's lines. A batch always carries
every line of each order it holds (orders are replaced whole), so the sum is complete.
"""

from __future__ import annotations

import polars as pl

from akasa.store.base import PendingBatch
from akasa.tables import BATCH_TABLES, SCHEMAS, conform

COLUMNS: dict[str, list[str]] = {name: list(SCHEMAS[name]) for name in BATCH_TABLES}
COLUMNS["orders"].append("units")


def table_frames(batch: PendingBatch) -> dict[str, pl.DataFrame]:
    """The batch's non-empty tables, columns as `COLUMNS` says."""
    frames = {
        name: conform(batch.frame(name), name)
        for name in BATCH_TABLES
        if not batch.frame(name).is_empty()
    }
    if "orders" in frames:
        units = (
            batch.frame("order_lines")
            .group_by("order_id")
            .agg(pl.col("sku_count").sum().cast(pl.Int64).alias("units"))
        )
        # An order without lines would get NULL units, which the NOT NULL column refuses.
        frames["orders"] = frames["orders"].join(units, on="order_id", how="left")
    return frames
