"""The table-mode schema: one SQLAlchemy Core `MetaData`, the only place the SQL tables are
defined. Alembic migrations (`akasa/migrations/`) are checked against it in the tests.

The SQL store keeps only the CURRENT version of each row (a later batch replaces a customer
or a whole order in the load), so KPI queries need no merge-on-read. Columns follow
`akasa.tables.SCHEMAS`; the limits on text length come from there too, and cleaning rejects
longer values, so both stores accept the same records.

Choices that keep the results identical to memory mode (Polars compares text byte by byte):
- MySQL/MariaDB tables use utf8mb4 with the binary collation `utf8mb4_bin`, so keys and
  GROUP BY are case- and accent-sensitive (`C1` and `c1` are two customers). Ids and regions
  are trimmed by cleaning, so PAD SPACE comparison never matters.
- Times are naive UTC in the database (`DATETIME(6)` on MySQL to keep microseconds) and
  aware UTC in Python (`UtcDateTime`); nothing depends on a session time zone.
- Money is `DECIMAL(14,2)`. SQLite has no decimal storage (it keeps a REAL), so queries turn
  amounts into integer paise with ROUND before summing (`akasa.kpi.dialect.paise`).
- No ordering of text happens in SQL: `akasa.kpi.spec.finalise` sorts every output table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

from akasa.tables import MAX_FILE_NAME_CHARS, MAX_ID_CHARS, MAX_NAME_CHARS, MAX_REGION_CHARS

MYSQL = ("mysql", "mariadb")

# InnoDB for transactions (a MyISAM default would make the load non-atomic); binary
# collation for byte-wise text semantics, as Polars has. SQLAlchemy reads `mysql_*` options
# for a mysql:// URL and `mariadb_*` ones for mariadb://, so both are given.
_MYSQL_OPTIONS = {"engine": "InnoDB", "charset": "utf8mb4", "collate": "utf8mb4_bin"}
TABLE_OPTIONS: dict[str, Any] = {
    f"{prefix}_{name}": value for prefix in MYSQL for name, value in _MYSQL_OPTIONS.items()
}

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC `datetime` in Python, naive UTC in the database, microseconds kept."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in MYSQL:
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UtcDateTime needs an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _id() -> String:
    return String(MAX_ID_CHARS)


MOBILE = String(10)  # always exactly 10 digits after cleaning
MONEY = Numeric(14, 2)
FILE_NAME = String(MAX_FILE_NAME_CHARS)
# The raw values of a rejected record can be long: LONGTEXT on MySQL (TEXT stops at 64 KB).
LONG_TEXT = Text().with_variant(mysql.LONGTEXT(), *MYSQL)
# SQLite only auto-numbers an INTEGER PRIMARY KEY.
SURROGATE_KEY = BigInteger().with_variant(Integer(), "sqlite")

customers = Table(
    "customers",
    metadata,
    Column("customer_id", _id(), primary_key=True),
    Column("customer_name", String(MAX_NAME_CHARS), nullable=False),
    Column("mobile_number", MOBILE, nullable=False),  # the number on the latest row
    Column("region", String(MAX_REGION_CHARS), nullable=False),
    Column("batch_id", BigInteger, nullable=False),
    Column("record_number", BigInteger, nullable=False),
    comment="Latest version of each customer (a later batch replaces it).",
    **TABLE_OPTIONS,
)

customer_mobiles = Table(
    "customer_mobiles",
    metadata,
    # The KPI join orders.mobile_number -> owner is a primary-key lookup.
    Column("mobile_number", MOBILE, primary_key=True),
    Column(
        "customer_id", _id(), ForeignKey("customers.customer_id"), nullable=False, index=True
    ),  # index: the foreign key, and "every number of this customer"
    Column("batch_id", BigInteger, nullable=False),
    comment="Every number a customer ever had; a number never changes owner.",
    **TABLE_OPTIONS,
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", _id(), primary_key=True),  # the load replaces orders by order_id
    Column("mobile_number", MOBILE, nullable=False),
    Column("ordered_at", UtcDateTime(), nullable=False),
    Column("total_amount", MONEY, nullable=False),
    Column("batch_id", BigInteger, nullable=False),
    # Sum of sku_count over the order's lines, computed by cleaning (`akasa.tables`; an
    # order is replaced whole, lines included), so the KPIs never join the lines. The
    # default only served the migration that added it.
    Column("units", BigInteger, nullable=False, server_default="0"),
    # The KPIs read `ordered_at <= as_of` once and need only the number, the total and
    # the units: this index covers that scan (InnoDB adds the primary key, order_id, to
    # every secondary index), so the wide rows are not read, and a past --as-of is a range.
    Index("ix_orders_ordered_at", "ordered_at", "mobile_number", "total_amount", "units"),
    comment="One row per order: the header its lines share; total counted once.",
    **TABLE_OPTIONS,
)

order_lines = Table(
    "order_lines",
    metadata,
    # (order_id, sku_id) is the line key; order_id leads, so units per order and the
    # load's "delete the lines of these orders" are primary-key range reads.
    Column("order_id", _id(), ForeignKey("orders.order_id"), primary_key=True),
    Column("sku_id", _id(), primary_key=True),
    Column("sku_count", Integer, nullable=False),
    Column("batch_id", BigInteger, nullable=False),
    Column("record_number", BigInteger, nullable=False),
    comment="Lines of the current version of each order.",
    **TABLE_OPTIONS,
)

batches = Table(
    "batches",
    metadata,
    Column("batch_id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("source_file", FILE_NAME, nullable=False),
    # Unique: a file (by content) lands once; also the "already ingested?" look-up.
    Column("sha256", String(64), nullable=False, unique=True),
    Column("size_bytes", BigInteger, nullable=False),
    Column("records_read", BigInteger, nullable=False),
    Column("accepted", BigInteger, nullable=False),
    Column("rejected", BigInteger, nullable=False),
    Column("duplicates", BigInteger, nullable=False),
    Column("superseded", BigInteger, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=False),
    comment="The batch ledger: one row per landed input file.",
    **TABLE_OPTIONS,
)

rejects = Table(
    "rejects",
    metadata,
    Column("reject_id", SURROGATE_KEY, primary_key=True, autoincrement=True),
    Column("batch_id", BigInteger, ForeignKey("batches.batch_id"), nullable=False),
    Column("source_file", FILE_NAME, nullable=False),
    Column("record_number", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("raw", LONG_TEXT, nullable=False),  # JSON object of the values as read
    # One reject per record of a batch; also the foreign key's index.
    UniqueConstraint("batch_id", "record_number"),
    comment="The quarantine: every rejected record with its reason.",
    **TABLE_OPTIONS,
)

# Load order (parents first); delete in reverse.
TABLES = (batches, rejects, customers, customer_mobiles, orders, order_lines)
