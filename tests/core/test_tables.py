"""The one table definition: both stores' shapes come from `akasa.core.tables`."""

from __future__ import annotations

import polars as pl
from sqlalchemy import BigInteger, Integer, Numeric, String

from akasa.backends.sql import schema
from akasa.core.tables import ROLLUP_TABLES, SCHEMAS, TABLE_DEFS, Kind


def test_the_sql_tables_and_the_polars_schemas_agree_column_for_column() -> None:
    """A column added to one store's shape but not the other's fails here. The KPI rollup
    (table mode's cache of the orders, kept by the load) is the only SQL-only table."""
    sql_only = {t.name for t in schema.TABLES} - set(SCHEMAS)
    assert (
        sql_only
        == {t.name for t in ROLLUP_TABLES}
        == {"order_days", "order_months", "order_days_zone"}
    )
    for table in schema.TABLES:
        if table.name in sql_only:
            continue
        sql_columns = [c for c in table.columns if c.name != "reject_id"]
        assert [c.name for c in sql_columns] == list(SCHEMAS[table.name]), table.name
        for column in sql_columns:
            dtype = SCHEMAS[table.name][column.name]
            kind = column.type
            if isinstance(kind, schema.UtcDateTime):
                assert dtype == pl.Datetime("us", "UTC"), column
            elif isinstance(kind, Numeric) and not isinstance(kind, Integer):
                assert dtype == pl.Decimal(kind.precision, kind.scale), column
            elif isinstance(kind, Integer | BigInteger):
                assert dtype == pl.Int64(), column
            else:
                assert isinstance(kind, String) and dtype == pl.String(), column


def test_only_the_surrogate_key_is_sql_only() -> None:
    sql_only = [
        (t.name, c.name) for t in TABLE_DEFS.values() for c in t.columns if c.kind is Kind.SURROGATE
    ]
    assert sql_only == [("rejects", "reject_id")]
