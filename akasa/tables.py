"""The stored tables, defined once: names and column types shared by both stores.

`store/schema.py` (SQL) and `store/lake.py` (Parquet) both follow these definitions;
`akasa sql` shows exactly these tables.
"""

from __future__ import annotations

import polars as pl

from akasa.columns import CUSTOMER_COLUMNS, ORDER_LINE_COLUMNS  # noqa: F401 (re-exported)

UTC_TS = pl.Datetime("us", "UTC")
MONEY = pl.Decimal(14, 2)

# Longest text each store keeps. The SQL columns are sized by these (VARCHAR keys keep
# indexes small), and cleaning rejects longer values, so both stores accept the same records.
MAX_ID_CHARS = 100  # customer_id, order_id, sku_id
MAX_NAME_CHARS = 255  # customer_name
MAX_REGION_CHARS = 100  # region
MAX_FILE_NAME_CHARS = 255  # source_file: one file name, as the file system allows

# Longest accepted text per field, in characters; cleaning rejects longer values.
MAX_LENGTH = {
    "customer_id": MAX_ID_CHARS,
    "order_id": MAX_ID_CHARS,
    "sku_id": MAX_ID_CHARS,
    "customer_name": MAX_NAME_CHARS,
    "region": MAX_REGION_CHARS,
}
# Raw values kept with a rejected record are cut to this many characters each.
MAX_RAW_CHARS = 1000

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    # Latest version of each customer (merge-on-read picks the highest batch_id).
    "customers": {
        "customer_id": pl.String(),
        "customer_name": pl.String(),
        "mobile_number": pl.String(),
        "region": pl.String(),
        "batch_id": pl.Int64(),
        "record_number": pl.Int64(),
    },
    # Every number a customer ever had; a number never changes owner.
    "customer_mobiles": {
        "mobile_number": pl.String(),
        "customer_id": pl.String(),
        "batch_id": pl.Int64(),
    },
    # One row per order: the header shared by all its lines.
    "orders": {
        "order_id": pl.String(),
        "mobile_number": pl.String(),
        "ordered_at": UTC_TS,
        "total_amount": MONEY,
        "batch_id": pl.Int64(),
        # Sum of sku_count over the order's lines: kept with the order (orders are replaced
        # whole, lines included) so units per month never need the lines.
        "units": pl.Int64(),
    },
    "order_lines": {
        "order_id": pl.String(),
        "sku_id": pl.String(),
        "sku_count": pl.Int64(),
        "batch_id": pl.Int64(),
        "record_number": pl.Int64(),
    },
    "rejects": {
        "batch_id": pl.Int64(),
        "source_file": pl.String(),
        "record_number": pl.Int64(),
        "reason": pl.String(),
        "raw": pl.String(),  # JSON object of the values as read
    },
    "batches": {
        "batch_id": pl.Int64(),
        "kind": pl.String(),  # "customers" or "orders"
        "source_file": pl.String(),
        "sha256": pl.String(),
        "size_bytes": pl.Int64(),
        "records_read": pl.Int64(),
        "accepted": pl.Int64(),
        "rejected": pl.Int64(),
        "duplicates": pl.Int64(),
        "superseded": pl.Int64(),
        "started_at": UTC_TS,
        "finished_at": UTC_TS,
    },
}

BATCH_TABLES = ("customers", "customer_mobiles", "orders", "order_lines", "rejects")


def empty(table: str) -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMAS[table])


def conform(df: pl.DataFrame, table: str) -> pl.DataFrame:
    """Selects and casts exactly the table's columns, in order."""
    schema = SCHEMAS[table]
    return df.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])
