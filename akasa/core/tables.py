"""The stored tables, defined once, for both stores.

`TABLES` below is the one definition of every stored column. The Parquet store's Polars
schemas (`SCHEMAS`) and the SQL database's SQLAlchemy tables (`akasa.backends.sql.schema`)
are both derived from it, and the Alembic revisions are checked against the SQL tables by
the tests, so a new column is one edit here plus one Alembic revision. This module imports
no SQLAlchemy: memory mode never loads it.

The SQL database keeps only the CURRENT version of each row (a later batch replaces a
customer or a whole order in the load), so KPI queries need no merge-on-read; the Parquet
store keeps every version and merges on read. Text limits are the column sizes, and
cleaning rejects longer values, so both stores accept the same records.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TypedDict, Unpack

import polars as pl

from akasa.core.columns import CUSTOMER_COLUMNS as CUSTOMER_COLUMNS  # re-exported
from akasa.core.columns import ORDER_LINE_COLUMNS as ORDER_LINE_COLUMNS  # re-exported

# Longest text each store keeps. The SQL columns are sized by these (VARCHAR keys keep
# indexes small), and cleaning rejects longer values, so both stores accept the same records.
MAX_ID_CHARS = 100  # customer_id, order_id, sku_id
MAX_NAME_CHARS = 255  # customer_name
MAX_REGION_CHARS = 100  # region
MAX_FILE_NAME_CHARS = 255  # source_file: one file name, as the file system allows
MOBILE_DIGITS = 10  # always exactly 10 digits after cleaning

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

MONEY_PRECISION, MONEY_SCALE = 14, 2
UTC_TS = pl.Datetime("us", "UTC")
MONEY = pl.Decimal(MONEY_PRECISION, MONEY_SCALE)


class Kind(Enum):
    """What a column holds; each store picks its own type for it."""

    TEXT = "text"  # VARCHAR(length), or TEXT without a length
    LONG_TEXT = "long_text"  # may exceed 64 KB (LONGTEXT on MySQL)
    INT = "int"  # fits 32 bits
    BIGINT = "bigint"
    MONEY = "money"  # DECIMAL(14,2)
    UTC_TIME = "utc_time"  # an instant, to the microsecond
    SURROGATE = "surrogate"  # an auto-numbered key that only the SQL database has


POLARS_TYPES: dict[Kind, pl.DataType] = {
    Kind.TEXT: pl.String(),
    Kind.LONG_TEXT: pl.String(),
    Kind.INT: pl.Int64(),
    Kind.BIGINT: pl.Int64(),
    Kind.MONEY: MONEY,
    Kind.UTC_TIME: UTC_TS,
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    length: int | None = None  # TEXT only
    primary_key: bool = False
    references: str | None = None  # "table.column": a foreign key
    index: bool = False
    unique: bool = False
    nullable: bool = False
    server_default: str | None = None  # SQL only: what existing rows got when it was added


@dataclass(frozen=True)
class TableDef:
    name: str
    comment: str
    columns: tuple[Column, ...]

    def polars_schema(self) -> dict[str, pl.DataType]:
        return {c.name: POLARS_TYPES[c.kind] for c in self.columns if c.kind is not Kind.SURROGATE}


class _ColumnOptions(TypedDict, total=False):
    """`Column`'s keyword fields after `length`, for the helpers below."""

    primary_key: bool
    references: str | None
    index: bool
    unique: bool
    nullable: bool
    server_default: str | None


def _id(name: str, **options: Unpack[_ColumnOptions]) -> Column:
    return Column(name, Kind.TEXT, MAX_ID_CHARS, **options)


def _mobile(name: str, **options: Unpack[_ColumnOptions]) -> Column:
    return Column(name, Kind.TEXT, MOBILE_DIGITS, **options)


def _count(name: str) -> Column:
    return Column(name, Kind.BIGINT)


BATCH_ID = _count("batch_id")
RECORD_NUMBER = _count("record_number")

# Load order (parents first); delete in reverse.
TABLES: tuple[TableDef, ...] = (
    TableDef(
        "batches",
        "The batch ledger: one row per landed input file.",
        (
            Column("batch_id", Kind.BIGINT, primary_key=True),
            Column("kind", Kind.TEXT, 16),  # "customers" or "orders"
            Column("source_file", Kind.TEXT, MAX_FILE_NAME_CHARS),
            # Unique: a file (by content) lands once; also the "already ingested?" look-up.
            Column("sha256", Kind.TEXT, 64, unique=True),
            _count("size_bytes"),
            _count("records_read"),
            _count("accepted"),
            _count("rejected"),
            _count("duplicates"),
            _count("superseded"),
            Column("started_at", Kind.UTC_TIME),
            Column("finished_at", Kind.UTC_TIME),
        ),
    ),
    TableDef(
        "rejects",
        "The quarantine: every rejected record with its reason.",
        (
            Column("reject_id", Kind.SURROGATE, primary_key=True),
            Column("batch_id", Kind.BIGINT, references="batches.batch_id"),
            Column("source_file", Kind.TEXT, MAX_FILE_NAME_CHARS),
            RECORD_NUMBER,
            Column("reason", Kind.TEXT),
            Column("raw", Kind.LONG_TEXT),  # JSON object of the values as read
        ),
    ),
    TableDef(
        "customers",
        "Latest version of each customer (a later batch replaces it).",
        (
            _id("customer_id", primary_key=True),
            Column("customer_name", Kind.TEXT, MAX_NAME_CHARS),
            _mobile("mobile_number"),  # the number on the latest row
            Column("region", Kind.TEXT, MAX_REGION_CHARS),
            BATCH_ID,
            RECORD_NUMBER,
        ),
    ),
    TableDef(
        "customer_mobiles",
        "Every number a customer ever had; a number never changes owner.",
        (
            # The KPI join orders.mobile_number -> owner is a primary-key lookup.
            _mobile("mobile_number", primary_key=True),
            # Indexed: the foreign key, and "every number of this customer".
            _id("customer_id", references="customers.customer_id", index=True),
            BATCH_ID,
        ),
    ),
    TableDef(
        "orders",
        "One row per order: the header its lines share; total counted once.",
        (
            _id("order_id", primary_key=True),  # the load replaces orders by order_id
            _mobile("mobile_number"),
            Column("ordered_at", Kind.UTC_TIME),
            Column("total_amount", Kind.MONEY),
            BATCH_ID,
            # Sum of sku_count over the order's lines, computed by cleaning (an order is
            # replaced whole, lines included), so the KPIs never join the lines. The
            # default only served the migration that added it.
            Column("units", Kind.BIGINT, server_default="0"),
        ),
    ),
    TableDef(
        "order_lines",
        "Lines of the current version of each order.",
        (
            # (order_id, sku_id) is the line key; order_id leads, so units per order and the
            # load's "delete the lines of these orders" are primary-key range reads.
            _id("order_id", primary_key=True, references="orders.order_id"),
            _id("sku_id", primary_key=True),
            Column("sku_count", Kind.INT),
            BATCH_ID,
            RECORD_NUMBER,
        ),
    ),
)
# Table mode only (no Parquet twin): the KPI rollup the loader keeps, inside the ingest's
# transaction, so a KPI run reads numbers x days instead of every order. See
# `akasa.backends.sql.rollup`.
ROLLUP_TABLES: tuple[TableDef, ...] = (
    TableDef(
        "order_days",
        "Current orders per mobile number and business-zone day (a rollup of orders).",
        (
            # Key (number, month, day): a KPI run groups it by number and month in key
            # order, without a temporary table (revision 0004).
            _mobile("mobile_number", primary_key=True),
            Column("local_month", Kind.INT, primary_key=True),  # 202510
            # 20251012: the local day in the zone of order_days_zone; indexed, because
            # the load rebuilds the rollup a day at a time.
            Column("local_day", Kind.INT, primary_key=True, index=True),
            _count("orders"),
            _count("paise"),  # sum of total_amount in paise
            _count("units"),
            Column("first_at", Kind.UTC_TIME),
            Column("last_at", Kind.UTC_TIME),
        ),
    ),
    TableDef(
        "order_months",
        "Current orders per business-zone month and mobile number (a rollup of order_days).",
        (
            # Key (month, number): a KPI run reads the months up to its as_of month as one
            # range, and the load rebuilds a month as one range (revision 0005).
            Column("local_month", Kind.INT, primary_key=True),  # 202510
            _mobile("mobile_number", primary_key=True),
            _count("orders"),
            _count("paise"),
            _count("units"),
            Column("first_at", Kind.UTC_TIME),
            Column("last_at", Kind.UTC_TIME),
            # The number's first and last local day with an order in the month: whether a
            # run's as_of day or window start cuts through the row.
            Column("first_day", Kind.INT),
            Column("last_day", Kind.INT),
        ),
    ),
    TableDef(
        "order_days_zone",
        "The time zone order_days is kept in (one row; none before the first build).",
        (
            Column("timezone", Kind.TEXT, 64, primary_key=True),
            # The tzdata version the rollups were built under (revision 0006).
            Column("tzdata", Kind.TEXT, 32, nullable=True),
        ),
    ),
)
TABLES = (*TABLES, *ROLLUP_TABLES)

TABLE_DEFS = {t.name: t for t in TABLES}

# The tables as Polars schemas: what the Parquet store writes, what every frame of a batch
# holds, and what `akasa sql` shows.
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    name: TABLE_DEFS[name].polars_schema()
    for name in ("customers", "customer_mobiles", "orders", "order_lines", "rejects", "batches")
}

# The KPI rollup both modes keep, per mobile number and business-zone month (table mode's
# `order_months`, memory mode's rollup file): `akasa status` lists its rows after the tables.
KPI_ROLLUP = "order_months"

BATCH_TABLES = ("customers", "customer_mobiles", "orders", "order_lines", "rejects")


def empty(table: str) -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMAS[table])


def conform(df: pl.DataFrame, table: str) -> pl.DataFrame:
    """Selects and casts exactly the table's columns, in order."""
    schema = SCHEMAS[table]
    return df.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])
