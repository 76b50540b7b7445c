"""`akasa sql`: ad-hoc, read-only DuckDB SQL over the memory store's current tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from akasa.config import Settings
from akasa.errors import SqlRefusedError
from akasa.store.lake import Lake
from akasa.tables import SCHEMAS


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool


def check_read_only(sql: str) -> None:
    """Exactly one SELECT (WITH ... SELECT included); anything else is refused."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise SqlRefusedError(f"query does not parse: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1:
        raise SqlRefusedError("give exactly one SQL statement")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise SqlRefusedError(
            f"only read-only SELECT queries are allowed ({kind.name} statement refused)"
        )


def query(settings: Settings, sql: str, limit: int = 1000) -> QueryResult:
    check_read_only(sql)
    lake = Lake(settings.store_dir)
    con = duckdb.connect(":memory:")
    try:
        for table in SCHEMAS:
            con.register(table, lake.current(table).collect().to_arrow())
        # Belt and braces: even a SELECT may not read or write files.
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        try:
            cursor = con.execute(sql)
            rows = cursor.fetchmany(limit + 1)
        except duckdb.Error as exc:
            raise SqlRefusedError(f"query failed: {str(exc).splitlines()[0]}") from None
        columns = [d[0] for d in cursor.description or []]
    finally:
        con.close()
    return QueryResult(columns=columns, rows=rows[:limit], truncated=len(rows) > limit)
