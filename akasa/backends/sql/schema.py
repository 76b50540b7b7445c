"""The SQL tables: SQLAlchemy Core `MetaData` derived from `akasa.core.tables`, plus what
only a database has (table indexes, composite unique keys, per-database types).

The schema changes only through the Alembic revisions in `alembic/versions/`; the tests
check them against this `metadata`.

Choices that keep the results identical to memory mode (Polars compares text byte by byte):
- MySQL/MariaDB tables use utf8mb4 with the binary collation `utf8mb4_bin`, so keys and
  GROUP BY are case- and accent-sensitive (`C1` and `c1` are two customers). Ids and regions
  are trimmed by cleaning, so PAD SPACE comparison never matters.
- Times are naive UTC in the database (`DATETIME(6)` on MySQL to keep microseconds) and
  aware UTC in Python (`UtcDateTime`); nothing depends on a session time zone.
- Money is `DECIMAL(14,2)`. SQLite has no decimal storage (it keeps a REAL), so queries turn
  amounts into integer paise with ROUND before summing (`SqlDialect.paise`).
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
from sqlalchemy.schema import SchemaItem
from sqlalchemy.types import TypeEngine

from akasa.core import tables as defs
from akasa.core.tables import MOBILE_DIGITS, MONEY_PRECISION, MONEY_SCALE, Kind

# InnoDB for transactions (a MyISAM default would make the load non-atomic); binary
# collation for byte-wise text semantics, as Polars has. SQLAlchemy reads `mysql_*` options
# for a mysql:// URL and `mariadb_*` ones for mariadb://, so both are given.
_MYSQL_OPTIONS = {"engine": "InnoDB", "charset": "utf8mb4", "collate": "utf8mb4_bin"}
TABLE_OPTIONS: dict[str, Any] = {
    f"{prefix}_{name}": value
    for prefix in ("mysql", "mariadb")
    for name, value in _MYSQL_OPTIONS.items()
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
    """Aware UTC `datetime` in Python, naive UTC in the database, microseconds kept
    (`DATETIME(6)` on MySQL/MariaDB, whose plain DATETIME drops them)."""

    impl = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UtcDateTime needs an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


MOBILE = String(MOBILE_DIGITS)


def sql_type(column: defs.Column) -> TypeEngine[Any]:
    match column.kind:
        case Kind.TEXT:
            return String(column.length) if column.length else Text()
        case Kind.LONG_TEXT:  # TEXT stops at 64 KB on MySQL
            return Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
        case Kind.INT:
            return Integer()
        case Kind.BIGINT:
            return BigInteger()
        case Kind.MONEY:
            return Numeric(MONEY_PRECISION, MONEY_SCALE)
        case Kind.UTC_TIME:
            return UtcDateTime()
        case Kind.SURROGATE:  # SQLite only auto-numbers an INTEGER PRIMARY KEY
            return BigInteger().with_variant(Integer(), "sqlite")
    raise TypeError(f"no SQL type for {column.kind}")


def sql_column(column: defs.Column) -> Column[Any]:
    items: list[SchemaItem] = [ForeignKey(column.references)] if column.references else []
    return Column(
        column.name,
        sql_type(column),
        *items,
        primary_key=column.primary_key,
        nullable=column.nullable,
        index=column.index or None,
        unique=column.unique or None,
        server_default=column.server_default,
        # Only a surrogate key is numbered by the database.
        autoincrement=column.kind is Kind.SURROGATE,
    )


# What only the database has, beyond the columns.
EXTRAS: dict[str, list[SchemaItem]] = {
    # One reject per record of a batch; also the foreign key's index.
    "rejects": [UniqueConstraint("batch_id", "record_number")],
    # The KPIs read `ordered_at <= as_of` once and need only the number, the total and
    # the units: this index covers that scan (InnoDB adds the primary key, order_id, to
    # every secondary index), so the wide rows are not read, and a past --as-of is a range.
    "orders": [
        Index("ix_orders_ordered_at", "ordered_at", "mobile_number", "total_amount", "units")
    ],
}


def _table(definition: defs.TableDef) -> Table:
    return Table(
        definition.name,
        metadata,
        *(sql_column(c) for c in definition.columns),
        *EXTRAS.get(definition.name, []),
        comment=definition.comment,
        **TABLE_OPTIONS,
    )


# Load order (parents first); delete in reverse.
TABLES: tuple[Table, ...] = tuple(_table(t) for t in defs.TABLES)
(
    batches,
    rejects,
    customers,
    customer_mobiles,
    orders,
    order_lines,
    order_days,
    order_months,
    order_days_zone,
) = TABLES
