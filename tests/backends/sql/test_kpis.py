"""Table-mode KPIs: boundaries to the microsecond, the ledger and reject reasons, and every
value bound as a parameter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Dialect, Engine, event, text
from sqlalchemy.dialects import mysql, postgresql, sqlite

from akasa.backends.base import Mode
from akasa.backends.lake.backend import LakeBackend
from akasa.backends.open import open_backend
from akasa.backends.sql import kpis as table
from akasa.backends.sql.dialects import dialect_of
from akasa.core import zones
from akasa.core.errors import NoDataError
from akasa.generate import generate
from akasa.kpi.context import AsOf, resolve
from akasa.pipeline.migrate import migrate
from akasa.pipeline.run import run
from tests.builders import customers_csv, line, load, orders_xml, rows
from tests.db import TestDatabase, provide
from tests.parity.helpers import assert_same_outputs

MOBILE = "9000000001"


def one_customer(settings: object, tmp_path: Path, *spec: tuple[str, str, object]) -> None:
    """spec: (order_id, time, total), all by customer C1."""
    load(
        settings,  # type: ignore[arg-type]
        [customers_csv(tmp_path / "c.csv", [("C1", "One", MOBILE, "West")])],
        [orders_xml(tmp_path / "o.xml", [line(o, MOBILE, t, "S", 1, a) for o, t, a in spec])],
        mode="both",
    )


def test_an_empty_store_has_no_data(migrated: TestDatabase) -> None:
    with pytest.raises(NoDataError, match="the table store holds no orders yet"):
        run(migrated.settings(), mode="table")


def test_as_of_and_window_start_are_inclusive_to_the_microsecond(
    migrated: TestDatabase, tmp_path: Path
) -> None:
    settings = migrated.settings()
    one_customer(
        settings,
        tmp_path,
        ("IN-START", "2025-01-04T18:30:00Z", 1),  # 5 Jan 00:00 IST: first instant of window
        ("BEFORE", "2025-01-04T18:29:59.999999Z", 2),  # 4 Jan: outside a 7-day window
        ("IN-END", "2025-01-11T18:29:59.999999Z", 4),  # 11 Jan 23:59:59.999999 IST
        ("AFTER", "2025-01-11T18:30:00Z", 8),  # 12 Jan: after as_of
    )
    options = {"as_of": "2025-01-11", "window_days": 7}
    result = run(settings, mode="table", **options)
    assert rows(result, "top_customers")[0]["revenue"] == "5.00"  # IN-START + IN-END
    assert result.summary.total_revenue == "7.00"  # everything but AFTER
    assert_same_outputs(settings, **options)


def test_many_months_with_gaps(migrated: TestDatabase, tmp_path: Path) -> None:
    """The month CASE is a balanced tree: check it over 4 years, empty months included."""
    settings = migrated.settings()
    spec = [(f"O{i}", f"{2021 + i // 9}-{1 + (i * 5) % 12:02d}-01T00:00:00", i) for i in range(36)]
    one_customer(settings, tmp_path, *spec)
    _, table_run = assert_same_outputs(settings)
    monthly = table_run.tables["monthly_trends"]
    first, last = min(t[:7] for _, t, _ in spec), max(t[:7] for _, t, _ in spec)
    span = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1
    assert (monthly["month"][0], monthly["month"][-1], monthly.height) == (first, last, span)
    assert monthly["orders"].sum() == 36
    assert monthly.filter(pl.col("orders") == 0).height == span - len({t[:7] for _, t, _ in spec})


def test_ledger_and_reject_reasons_match_memory(migrated: TestDatabase, tmp_path: Path) -> None:
    settings = migrated.settings()
    files = generate(tmp_path / "in", customers=80, order_lines=900, days=3, seed=4, dirty=0.1)
    load(settings, files.files[0::2], files.files[1::2], mode="both")
    memory = LakeBackend(settings.store_dir, settings.timezone)
    db = open_backend(settings, Mode.table)
    times = ["started_at", "finished_at"]  # each store records its own
    assert db.ledger().drop(times).equals(memory.ledger().drop(times))
    assert db.ledger().schema == memory.ledger().schema
    reasons = db.reject_reasons(3)
    assert reasons.height > 3
    kinds = reasons["kind"].to_list()  # the top 3 of each kind, customers first
    assert kinds == sorted(kinds) and set(kinds) == {"customers", "orders"}
    assert max(kinds.count(k) for k in kinds) == 3
    assert reasons.equals(memory.reject_reasons(3).cast({"records": pl.Int64}))
    assert db.order_span() == memory.order_span()


DIALECTS = [mysql.dialect(), postgresql.dialect(), sqlite.dialect()]


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_every_value_is_a_bound_parameter(dialect: Dialect) -> None:
    ctx = resolve(AsOf.parse("2025-06-30"), datetime(2025, 6, 1, tzinfo=UTC), "Asia/Kolkata", 30, 7)
    # A zone with offset changes inside the span, so the offset CASE is in the statement.
    periods = zones.periods("Europe/London", datetime(2025, 1, 1, tzinfo=UTC), ctx.as_of)
    scope = table.scope_rows(ctx, periods, dialect_of(dialect))
    queries = [
        scope,
        table.owner_rows(),
        table.repeat_customers(),
        table.monthly(),
        table.regional_revenue(),
        table.top_customers(ctx),
        table.totals(),
    ]
    for query in queries:
        compiled = query.compile(dialect=dialect)  # type: ignore[arg-type]
        sql = str(compiled)
        for value in ("Unknown", "2025", "'", " 7", " 2 ", "100"):
            assert value not in sql, f"{value!r} written into the SQL:\n{sql}"
    bound = scope.compile(dialect=DIALECTS[0]).params
    assert ctx.as_of in bound.values() and ctx.window_start in bound.values()
    assert "Unknown" in table.owner_rows().compile(dialect=DIALECTS[0]).params.values()


@pytest.fixture
def mariadb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestDatabase]:
    for database in provide("mariadb", tmp_path, monkeypatch):
        migrate(database.settings())
        yield database


@pytest.mark.db
def test_an_older_order_landing_mid_run_is_bucketed_from_its_own_month(
    mariadb: TestDatabase, tmp_path: Path
) -> None:
    """MariaDB reads the scope under READ COMMITTED: an order older than the first one found
    can commit between finding the first month and filling the scope. The scope is then
    filled again from the older month, so the monthly table still starts there."""
    settings = mariadb.settings()
    one_customer(settings, tmp_path, ("O1", "2025-03-10T10:00:00Z", 5))
    # The race is one of the runs that read the orders: without a usable rollup (the
    # rollup itself changes only inside a load's transaction).
    forget = mariadb.engine()
    with forget.begin() as conn:
        conn.execute(text("DELETE FROM order_days_zone"))
    forget.dispose()
    landed: list[bool] = []

    def land_older(conn: object, cursor: object, statement: str, *_: object) -> None:
        if landed or not statement.startswith("INSERT INTO akasa_kpi_scope"):
            return
        landed.append(True)
        other = mariadb.engine()
        try:
            with other.begin() as writer:
                writer.execute(
                    text(
                        "INSERT INTO orders (order_id, mobile_number, ordered_at, "
                        "total_amount, batch_id, units) VALUES "
                        "('OLD', :mobile, '2024-12-20 10:00:00', 2, 1, 1)"
                    ),
                    {"mobile": MOBILE},
                )
        finally:
            other.dispose()

    event.listen(Engine, "before_cursor_execute", land_older)
    try:
        result = run(settings, mode="table", as_of="2025-03-31")
    finally:
        event.remove(Engine, "before_cursor_execute", land_older)
    assert landed
    monthly = rows(result, "monthly_trends")
    assert [m["month"] for m in monthly] == ["2024-12", "2025-01", "2025-02", "2025-03"]
    assert [m["orders"] for m in monthly] == [1, 0, 0, 1]
    assert result.summary.total_revenue == "7.00"
