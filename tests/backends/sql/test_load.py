"""The bulk paths: LOAD DATA LOCAL INFILE (MariaDB) and COPY (PostgreSQL) into staging
tables, set-based statements into the real ones; values travel exactly; files are cleaned."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, event, text

from akasa.backends.base import LedgerEntry, Mode, PendingBatch
from akasa.backends.open import open_backend
from akasa.backends.sql.backend import SqlBackend
from akasa.backends.sql.engine import open_database
from akasa.core.tables import SCHEMAS
from akasa.generate import generate
from akasa.pipeline.ingest import ingest
from akasa.pipeline.migrate import migrate
from tests.builders import land
from tests.db import TestDatabase

EXPECTED_METHOD = {"sqlite": "insert", "mariadb": "load-data", "postgresql": "copy"}

# Text that breaks naive CSV or LOAD DATA/COPY escaping, or multi-byte encodings.
TRICKY = [
    "tab\there",
    "new\nline",
    "carriage\rreturn",
    "crlf\r\nend",
    "back\\slash",
    "\\N",
    "\\\\N",
    "NULL",
    "",
    "trailing\\",
    "quote \" and 'single'",
    "comma, semicolon; pipe|",
    "emoji 😀🛒",
    "देवनागरी नाम",
    "  spaces kept  ",
    "\\t not a tab",
]


def _entry(batch_id: int, kind: str) -> LedgerEntry:
    moment = datetime(2025, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)
    return LedgerEntry(
        batch_id, kind, f"file-{batch_id}", f"{batch_id:064x}", 10, 1, 1, 0, 0, 0, moment, moment
    )


def tricky_batches() -> list[PendingBatch]:
    """A customers batch and an orders batch whose every text column holds tricky values."""
    n = len(TRICKY)
    mobiles = [f"91234{i:05d}" for i in range(n)]
    customers = pl.DataFrame(
        {
            "customer_id": [f"C{i} {value}" for i, value in enumerate(TRICKY)],
            "customer_name": TRICKY,
            "mobile_number": mobiles,
            "region": list(reversed(TRICKY)),
            "batch_id": [1] * n,
            "record_number": list(range(1, n + 1)),
        },
        schema=SCHEMAS["customers"],
    )
    customer_mobiles = customers.select("mobile_number", "customer_id", "batch_id")
    rejects = pl.DataFrame(
        {
            "batch_id": [1] * n,
            "source_file": ["file-1"] * n,
            "record_number": list(range(100, 100 + n)),
            "reason": TRICKY,
            "raw": [f'{{"name": {value!r}}}' for value in TRICKY],
        },
        schema=SCHEMAS["rejects"],
    )
    when = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
    orders = pl.DataFrame(
        {
            "order_id": [f"O{i} {value}" for i, value in enumerate(TRICKY)],
            "mobile_number": mobiles,
            "ordered_at": [when.replace(microsecond=i) for i in range(n)],
            "total_amount": [Decimal(f"{i}.0{i % 10}") for i in range(n)],
            "batch_id": [2] * n,
            "units": list(range(1, n + 1)),  # one line each, sku_count i + 1
        },
        schema=SCHEMAS["orders"],
    )
    lines = pl.DataFrame(
        {
            "order_id": orders["order_id"],
            "sku_id": TRICKY,
            "sku_count": list(range(1, n + 1)),
            "batch_id": [2] * n,
            "record_number": list(range(1, n + 1)),
        },
        schema=SCHEMAS["order_lines"],
    )
    return [
        PendingBatch(
            _entry(1, "customers"),
            {"customers": customers, "customer_mobiles": customer_mobiles, "rejects": rejects},
        ),
        PendingBatch(_entry(2, "orders"), {"orders": orders, "order_lines": lines}),
    ]


def stored(database: TestDatabase, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    return sorted(tuple(row[i] for i in range(len(columns))) for row in database.snapshot()[table])


def test_tricky_text_round_trips_exactly(migrated: TestDatabase) -> None:
    store = open_backend(migrated.settings(), Mode.table)
    writer = land(store, tricky_batches())
    assert writer.loader.method == EXPECTED_METHOD[migrated.kind]
    snapshot = migrated.snapshot()
    for batch in tricky_batches():
        for table, frame in batch.frames.items():
            if table == "rejects":  # the stored table starts with its surrogate key
                rows = [row[1:] for row in snapshot[table]]
            else:
                rows = [row[: frame.width] for row in snapshot[table]]
            assert sorted(rows) == sorted(frame.rows()), table
    (ledger,) = [r for r in snapshot["batches"] if r[0] == 1]
    assert ledger[-1] == datetime(2025, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)


# ---- the bulk path is really used ------------------------------------------------------


def _statements(database: TestDatabase, sent: list[str]) -> Any:
    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if conn.engine.url.database == database.url.database:
            sent.append(" ".join(statement.split()))

    return record


def test_the_bulk_path_is_used_on_servers(server_database: TestDatabase, tmp_path: Path) -> None:
    """Rows reach the real tables only in bulk: customers, their numbers and orders through
    set-based statements from staging tables, order lines copied straight in;
    the only INSERT ... VALUES are the ledger rows and the rollup's one zone row.
    (PostgreSQL's COPY goes through psycopg, not SQLAlchemy, so the staging tables and the
    directly copied tables can only have been filled by it.)"""
    settings = server_database.settings()
    migrate(settings)
    generate(tmp_path / "in", customers=300, order_lines=3000, days=2, seed=5)
    sent: list[str] = []
    record = _statements(server_database, sent)
    event.listen(Engine, "before_cursor_execute", record)
    try:
        result = ingest(settings, [tmp_path / "in"], [tmp_path / "in"], [Mode.table])
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert len(result.stores[0].files) == 4
    assert server_database.counts()["order_lines"] > 2500
    inserts = [s for s in sent if s.startswith("INSERT")]
    values = [s for s in inserts if " SELECT " not in s]
    # The ledger rows, and the zone the KPI rollup is kept in (recorded by its first build).
    ledger = [s for s in values if s.startswith("INSERT INTO batches")]
    assert len(ledger) == 4 and len(values) == 5
    assert [s.split()[2] for s in values if s not in ledger] == ["order_days_zone"]
    staged = [s.split()[2] for s in inserts if " FROM akasa_stage_" in s]
    assert sorted(staged) == sorted(["customers", "customer_mobiles", "orders"] * 2)
    loads = [s.split()[7] for s in sent if s.startswith("LOAD DATA LOCAL INFILE")]
    tables = ["customers", "customer_mobiles", "orders"]
    expected = [f"akasa_stage_{name}" for name in tables] + ["order_lines"]
    assert sorted(loads) == (sorted(expected * 2) if server_database.kind == "mariadb" else [])


@pytest.mark.db
def test_mariadb_counts_load_data_statements(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Server-side: the loader's session ran LOAD DATA, INSERT ... VALUES only for the
    ledger and the rollups' zone, and deleted stored orders only when a batch replaced
    them, in `IN` lists, with the foreign-key checks back on after each direct copy."""
    from tests.db import provide

    customers, orders = tricky_batches()
    again = PendingBatch(  # every order of batch 2 again: each replaces its stored version
        _entry(3, "orders"),
        {
            name: frame.with_columns(batch_id=pl.lit(3, pl.Int64))
            for name, frame in orders.frames.items()
        },
    )
    for database in provide("mariadb", tmp_path, monkeypatch):
        settings = database.settings()
        migrate(settings)
        writer = open_backend(settings, Mode.table).begin()

        def status(writer: Any = writer) -> dict[str, int]:
            writer.flush()  # the batch in flight is in
            found = writer.conn.execute(text("SHOW SESSION STATUS LIKE 'Com_%'")).all()
            return {name: int(value) for name, value in found if value.isdigit()}

        try:
            for batch in (customers, orders):
                writer.add(batch)
            first = status()
            writer.add(again)
            second = status()
            checks = writer.conn.execute(text("SELECT @@SESSION.foreign_key_checks")).scalar()
        finally:
            writer.rollback()
        assert first["Com_load"] == 5  # customers, numbers, rejects; orders, lines
        assert first["Com_insert"] == 3  # the two ledger rows, the rollups' zone
        assert first["Com_insert_select"] == 4  # customers, numbers, rejects, orders
        assert first["Com_delete"] == 3  # the rollups emptied for their zone
        assert first["Com_delete_multi"] == 0  # nothing stored was replaced
        assert second["Com_load"] - first["Com_load"] == 2  # orders, lines
        assert second["Com_delete"] - first["Com_delete"] == 2  # lines, then headers
        assert second["Com_delete_multi"] == 0
        assert checks == 1


# ---- MariaDB: refused LOCAL, temporary files ------------------------------------------------


@pytest.fixture
def mariadb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from tests.db import provide

    for database in provide("mariadb", tmp_path, monkeypatch):
        migrate(database.settings())
        yield database


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.mark.db
def test_refused_local_infile_falls_back_to_inserts(mariadb: TestDatabase) -> None:
    """A client that refuses LOCAL (as every connection but the loader's does) makes the
    first LOAD fail; the batch then lands with multi-row INSERTs, and it says so."""
    settings = mariadb.settings()
    store = SqlBackend(replace(open_database(settings), local_infile=False))
    records = _Records()
    logger = logging.getLogger("akasa.backends.sql.load")
    logger.addHandler(records)
    try:
        writer = land(store, tricky_batches())
    finally:
        logger.removeHandler(records)
    assert writer.loader.method == "insert"
    assert any("LOAD DATA LOCAL INFILE is not allowed" in m for m in records.messages)
    counts = mariadb.counts()
    assert (counts["customers"], counts["orders"], counts["rejects"]) == (len(TRICKY),) * 3


@pytest.mark.db
def test_temporary_files_are_private_and_removed(mariadb: TestDatabase, tmp_path: Path) -> None:
    settings = mariadb.settings()
    spool = settings.data_dir / "tmp"
    spool.mkdir(parents=True)
    # A folder left by a load that was killed (its process is gone) ...
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    leftover = spool / f"load-{int(gone.stdout)}-abc"
    leftover.mkdir()
    (leftover / "customers.tsv").write_text("personal data")
    # ... and one of a load that still runs (this process) stays.
    running = spool / f"load-{os.getpid()}-xyz"
    running.mkdir()
    seen: list[str] = []

    def watch(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("LOAD DATA"):
            path = Path(parameters[0])
            assert path.parent.parent == spool
            assert (path.parent.stat().st_mode & 0o777) == 0o700
            seen.append(path.name)

    event.listen(Engine, "before_cursor_execute", watch)
    try:
        writer = open_backend(settings, Mode.table).begin()
        for batch in tricky_batches():
            writer.add(batch)
        writer.commit()
    finally:
        event.remove(Engine, "before_cursor_execute", watch)
    assert seen
    assert sorted(p.name for p in spool.iterdir()) == [running.name]
