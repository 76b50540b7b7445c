"""`akasa status` as a library call, on stores built by real ingests in both modes, and on
databases that cannot be used."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from akasa.backends.sql.migrate import head
from akasa.core.config import Settings, load_settings
from akasa.pipeline.run import run
from akasa.pipeline.status import Status, status
from tests.builders import dirty_drop, line, load, orders_xml
from tests.db import TestDatabase

NOW = datetime(2025, 11, 3, 4, 30, tzinfo=UTC)
SECRET = "Sup3r-Secret-pw"


def ledger(result: Status) -> list[tuple[object, ...]]:
    return [
        (e.batch_id, e.source_file, e.kind, e.records_read, e.accepted, e.rejected)
        for e in result.ledger
    ]


def test_status_of_both_modes_after_an_ingest_and_a_run(
    migrated: TestDatabase, tmp_path: Path
) -> None:
    settings = migrated.settings()
    customers, orders = dirty_drop(tmp_path / "drop")
    load(settings, [customers], [orders], mode="both")
    run(settings, "memory", now=NOW)
    run(settings, "table", now=NOW)
    memory = status(settings, "memory", now=NOW)
    table = status(settings, "table", now=NOW)
    for result in (memory, table):
        assert result.problem is None and result.store is not None
        assert result.store.problem is None
        assert result.batches == 2
        assert ledger(result) == [
            (1, "customers.csv", "customers", 4, 1, 3),
            (2, "orders.xml", "orders", 6, 2, 4),
        ]
        assert result.newest_order_at == datetime(2025, 11, 1, 4, 30, tzinfo=UTC)  # ORD-1
        assert result.oldest_order_at == datetime(2025, 10, 15, 6, 30, tzinfo=UTC)
        assert result.last_ingest_at == result.ledger[-1].finished_at
        assert result.outputs.as_of == "2025-11-01T23:59:59+05:30"
        assert result.outputs.generated_at == "2025-11-03T10:00:00+05:30"
        assert result.outputs.problem is None and not result.outputs.behind
        assert result.configuration.timezone == "Asia/Kolkata"
        assert result.configuration.data_dir == settings.data_dir.resolve()
    # The same rows in both stores: what queries see, current versions only.
    rows = {t.table: t.rows for t in memory.tables}
    assert rows == {t.table: t.rows for t in table.tables}
    assert rows == {
        "customers": 1,
        "customer_mobiles": 1,
        "orders": 2,
        "order_lines": 2,
        "rejects": 7,
        "batches": 2,
        "order_months": 2,  # the KPI rollup: one row per number and month with orders
    }
    assert memory.store is not None and table.store is not None
    assert (memory.store.version, memory.store.expected) == ("3", "3")
    assert (table.store.version, table.store.expected) == (head(), head())
    assert table.store.location == migrated.settings().database_display()
    # The file store knows its bytes on disk, per table and in all (nothing else is there).
    assert memory.store.bytes_on_disk == sum(t.bytes_on_disk or 0 for t in memory.tables)
    assert all(t.bytes_on_disk for t in memory.tables)
    assert table.store.bytes_on_disk is not None and table.store.bytes_on_disk > 0

    # A later ingest leaves the outputs of both modes behind the store.
    more = orders_xml(tmp_path / "more.xml", [line("O7", "9123456781", "2025-11-03", "S", 1, 5)])
    load(settings, orders=[more], mode="both")
    assert status(settings, "memory").outputs.behind
    after = status(settings, "table", ledger_entries=1)
    assert after.outputs.behind and after.batches == 3
    assert [e.source_file for e in after.ledger] == ["more.xml"]


def test_an_unmigrated_database_is_reported_not_refused(database: TestDatabase) -> None:
    result = status(database.settings(), "table")
    assert result.problem == "database schema is not up to date; run akasa migrate"
    assert result.store is not None
    assert (result.store.version, result.store.expected) == (None, head())
    assert result.tables == [] and result.ledger == []
    assert result.configuration.database == database.settings().database_display()


def test_an_unreachable_database_still_gives_the_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AKASA_DATABASE_URL", f"mysql+mysqldb://akasa:{SECRET}@127.0.0.1:1/a")
    result = status(load_settings(), "table")
    assert result.problem is not None
    assert result.problem.startswith("database error on mysql+mysqldb://akasa:***@127.0.0.1:1/a")
    assert result.store is None
    assert result.configuration.database == "mysql+mysqldb://akasa:***@127.0.0.1:1/a"
    assert result.outputs.problem == "no outputs yet; run akasa run"
    assert SECRET not in repr(result)


def test_a_malformed_url_troubles_table_mode_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AKASA_DATABASE_URL", "mysql+mysqldb://akasa:Zq7@Xv9@127.0.0.1/a")
    settings = load_settings()
    memory, table = status(settings, "memory"), status(settings, "table")
    assert memory.problem is None
    problem = memory.configuration.database_problem
    assert problem is not None and problem.startswith("AKASA_DATABASE_URL is not a valid")
    assert table.problem == problem
    for result in (memory, table):
        assert "Zq7" not in repr(result) and "Xv9" not in repr(result)


def test_outputs_that_cannot_be_read_are_reported(settings: Settings) -> None:
    path = settings.outputs_dir / "memory" / "kpis.json"
    path.parent.mkdir(parents=True)
    path.write_text("{")
    result = status(settings, "memory")
    assert result.problem is None
    assert result.outputs.problem is not None
    assert result.outputs.problem.startswith(f"{path.absolute()} cannot be read")


def test_an_empty_memory_store_is_fine(settings: Settings) -> None:
    result = status(settings, "memory")
    assert result.problem is None and result.store is not None
    assert (result.store.version, result.store.bytes_on_disk) == (None, 0)
    assert result.batches == 0 and result.newest_order_at is None
    assert {t.rows for t in result.tables} == {0}
