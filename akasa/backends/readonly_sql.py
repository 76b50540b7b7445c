"""`akasa sql`: one read-only DuckDB SELECT over a backend's current tables.

Both backends hand over their tables as Polars frames and the query runs in an in-memory
DuckDB that cannot read or write files, so the same SQL means the same thing in both modes
and nothing typed here can change a store.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import duckdb
import polars as pl

from akasa.backends.base import DEFAULT_LIMITS, QueryLimits, QueryResult
from akasa.core.errors import SqlRefusedError
from akasa.core.privacy import mask_value


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


def run_query(
    tables: Mapping[str, pl.LazyFrame | pl.DataFrame],
    sql: str,
    limit: int,
    limits: QueryLimits = DEFAULT_LIMITS,
) -> QueryResult:
    """Runs `sql` (checked first) with each frame registered under its table name."""
    check_read_only(sql)
    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = '{int(limits.memory_mb)}MB'")
    con.execute(f"SET threads = {int(limits.threads)}")
    timer = threading.Timer(limits.timeout_seconds, con.interrupt)
    try:
        for name, frame in tables.items():
            data = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
            con.register(name, data.to_arrow())
        # Belt and braces: even a SELECT may not read or write files.
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        timer.start()
        try:
            cursor = con.execute(sql)
            rows = cursor.fetchmany(limit + 1)
        except duckdb.InterruptException:
            raise SqlRefusedError(
                f"query stopped after {limits.timeout_seconds:g} s (--timeout)"
            ) from None
        except duckdb.OutOfMemoryException:
            raise SqlRefusedError(
                f"query needs more than {limits.memory_mb} MB (--memory-limit)"
            ) from None
        except duckdb.Error as exc:
            raise SqlRefusedError(f"query failed: {str(exc).splitlines()[0]}") from None
        columns = [d[0] for d in cursor.description or []]
    finally:
        timer.cancel()
        con.close()
    # Masked by value, not by column name: a mobile number reaches a result under any name
    # and in any form (a raw reject line, a cast to BIGINT, a concatenation).
    shown = [tuple(mask_value(v) for v in row) for row in rows[:limit]]
    return QueryResult(columns=columns, rows=shown, truncated=len(rows) > limit)
