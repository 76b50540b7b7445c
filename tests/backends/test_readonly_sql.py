"""`akasa sql`: one read-only statement over the current tables."""

from __future__ import annotations

import re
import time

import pytest

from akasa.backends.base import Mode, QueryLimits
from akasa.core.config import Settings
from akasa.core.errors import SqlRefusedError
from akasa.pipeline.query import query
from tests.builders import load
from tests.conftest import OFFICIAL_CUSTOMERS, OFFICIAL_ORDERS


@pytest.fixture
def loaded(settings: Settings) -> Settings:
    load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS])
    return settings


def test_all_tables_are_queryable(loaded: Settings) -> None:
    counts = {
        table: query(loaded, Mode.memory, f"SELECT count(*) FROM {table}").rows[0][0]
        for table in (
            "customers",
            "customer_mobiles",
            "orders",
            "order_lines",
            "rejects",
            "batches",
        )
    }
    assert counts == {
        "customers": 5,
        "customer_mobiles": 5,
        "orders": 3,
        "order_lines": 10,
        "rejects": 0,
        "batches": 2,
    }


def test_money_is_exact_decimal(loaded: Settings) -> None:
    result = query(
        loaded,
        Mode.memory,
        "SELECT sum(total_amount) AS revenue, typeof(sum(total_amount)) t FROM orders",
    )
    assert str(result.rows[0][0]) == "21679.00" and result.rows[0][1].startswith("DECIMAL")


def test_limit_truncates(loaded: Settings) -> None:
    result = query(loaded, Mode.memory, "SELECT * FROM order_lines", limit=4)
    assert len(result.rows) == 4 and result.truncated


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "DROP TABLE customers",
            "only read-only SELECT queries are allowed (DROP statement refused)",
        ),
        (
            "INSERT INTO customers VALUES (1)",
            "only read-only SELECT queries are allowed (INSERT statement refused)",
        ),
        (
            "COPY orders TO 'x.csv'",
            "only read-only SELECT queries are allowed (COPY statement refused)",
        ),
        ("ATTACH 'x.db'", "only read-only SELECT queries are allowed (ATTACH statement refused)"),
        ("SELECT 1; SELECT 2", "give exactly one SQL statement"),
        ("SELEC 1", "query does not parse: "),
    ],
)
def test_anything_but_one_select_is_refused(loaded: Settings, sql: str, message: str) -> None:
    with pytest.raises(SqlRefusedError) as caught:
        query(loaded, Mode.memory, sql)
    assert str(caught.value).startswith(message)


def test_select_cannot_touch_files(loaded: Settings) -> None:
    with pytest.raises(SqlRefusedError) as caught:
        query(loaded, Mode.memory, "SELECT * FROM read_csv('/etc/hostname')")
    assert "file system operations are disabled" in str(caught.value)


def test_results_are_masked_by_value_whatever_the_column(loaded: Settings) -> None:
    """`akasa sql` cannot be used to read full mobile numbers back: not from the raw
    values of a reject, not through a cast, not under another name."""
    sql = (
        "SELECT mobile_number AS m, CAST(mobile_number AS BIGINT) AS n, "
        "'+91 ' || mobile_number AS formatted FROM customers ORDER BY 1 LIMIT 1"
    )
    (row,) = query(loaded, Mode.memory, sql).rows
    assert all(re.fullmatch(r"[6-9]\dXXXXXX\d\d", str(v)) for v in row), row
    raw = query(loaded, Mode.memory, "SELECT string_agg(raw, ' ') FROM rejects").rows
    assert not re.search(r"[6-9]\d{9}", str(raw))


def test_a_query_that_runs_forever_is_stopped(loaded: Settings) -> None:
    limits = QueryLimits(timeout_seconds=1.0)
    started = time.monotonic()
    with pytest.raises(SqlRefusedError, match=r"query stopped after 1 s \(--timeout\)"):
        query(loaded, Mode.memory, "SELECT count(*) FROM range(1000000000000)", 10, limits)
    assert time.monotonic() - started < 10


def test_a_query_that_needs_too_much_memory_is_refused(loaded: Settings) -> None:
    limits = QueryLimits(memory_mb=100)
    sql = "SELECT length(string_agg(repeat('x', 1000), '')) FROM range(10000000)"
    with pytest.raises(SqlRefusedError, match=r"query needs more than 100 MB \(--memory-limit\)"):
        query(loaded, Mode.memory, sql, 10, limits)
