"""The table-mode loader on real databases: current versions, idempotency, atomicity."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.pool import NullPool

from akasa.backends.base import LedgerEntry, Mode, PendingBatch
from akasa.backends.open import open_backend
from akasa.core.errors import DatabaseError
from akasa.core.tables import conform
from akasa.generate import generate
from akasa.pipeline.migrate import migrate
from tests.builders import customers_csv, kpis, land, line, load, orders_xml
from tests.conftest import OFFICIAL_CUSTOMERS, OFFICIAL_ORDERS
from tests.db import SERVERS, TestDatabase, provide

DATA_TABLES = ("customers", "customer_mobiles", "orders", "order_lines")


def outputs(settings: Any) -> dict[str, bytes]:
    folder = settings.outputs_dir / "table"
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}


# ---- current versions ------------------------------------------------------------------


def test_later_batches_replace_customers_and_whole_orders(
    migrated: TestDatabase, tmp_path: Path
) -> None:
    settings = migrated.settings()
    load(
        settings,
        [customers_csv(tmp_path / "c1.csv", [("C1", "Old Name", "9123456781", "west")])],
        [
            orders_xml(
                tmp_path / "o1.xml",
                [line("O1", "9123456781", "2025-01-02", f"S{i}", i, "300") for i in (1, 2, 3)],
            )
        ],
        mode="table",
    )
    load(
        settings,
        [customers_csv(tmp_path / "c2.csv", [("C1", "New Name", "9123456782", "north")])],
        [orders_xml(tmp_path / "o2.xml", [line("O1", "9123456782", "2025-01-03", "S9", 7, "50")])],
        mode="table",
    )
    rows = migrated.snapshot()
    assert [r[:4] for r in rows["customers"]] == [("C1", "New Name", "9123456782", "North")]
    # Both numbers keep pointing to the customer.
    assert [r[:2] for r in rows["customer_mobiles"]] == [
        ("9123456781", "C1"),
        ("9123456782", "C1"),
    ]
    assert [(r[0], r[1], r[3]) for r in rows["orders"]] == [("O1", "9123456782", Decimal("50.00"))]
    assert [r[:3] for r in rows["order_lines"]] == [("O1", "S9", 7)]  # old lines are gone


def test_times_keep_microseconds_and_come_back_as_utc(
    migrated: TestDatabase, tmp_path: Path
) -> None:
    settings = migrated.settings()
    when = "2025-03-04T05:06:07.123456Z"
    load(
        settings,
        orders=[orders_xml(tmp_path / "o.xml", [line("O1", "9123456781", when, "S", 1, 1)])],
        mode="table",
    )
    engine = migrated.engine()
    try:
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT ordered_at FROM orders")).scalar()
    finally:
        engine.dispose()
    # Naive UTC in the database (SQLite keeps text), to the microsecond.
    assert str(stored) == "2025-03-04 05:06:07.123456"
    expected = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
    assert migrated.snapshot()["orders"][0][2] == expected
    assert open_backend(settings, Mode.table).order_span().newest == expected


# ---- idempotency -------------------------------------------------------------------------


def test_the_same_file_twice_changes_nothing(migrated: TestDatabase) -> None:
    settings = migrated.settings()
    load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS], mode="table")
    kpis(settings, mode="table")
    before, first_outputs = migrated.snapshot(), outputs(settings)
    again = load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS], mode="table")
    assert [f.status for f in again.stores[0].files] == ["skipped", "skipped"]
    kpis(settings, mode="table")
    assert migrated.snapshot() == before
    assert outputs(settings) == first_outputs


def test_the_same_records_in_another_file_change_only_the_ledger(
    migrated: TestDatabase, tmp_path: Path
) -> None:
    """Other bytes (so not skipped), same records: current rows and KPIs stay the same."""
    settings = migrated.settings()
    load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS], mode="table")
    kpis(settings, mode="table")
    before, first_outputs = migrated.snapshot(), outputs(settings)
    copy_c = tmp_path / "copy" / "customers.csv"
    copy_o = tmp_path / "copy" / "orders.xml"
    copy_c.parent.mkdir()
    copy_c.write_bytes(OFFICIAL_CUSTOMERS.read_bytes() + b"\r\n")
    copy_o.write_bytes(OFFICIAL_ORDERS.read_bytes() + b"\n")
    result = load(settings, [copy_c], [copy_o], mode="table")
    assert [f.status for f in result.stores[0].files] == ["ingested", "ingested"]
    kpis(settings, mode="table")
    after = migrated.snapshot()
    assert len(after["batches"]) == len(before["batches"]) + 2
    for table in DATA_TABLES:
        assert len(after[table]) == len(before[table]), table
    drop_batch_columns = {  # (batch_id, record_number) say where a row came from
        "customers": lambda r: r[:4],
        "customer_mobiles": lambda r: r[:2],
        "orders": lambda r: r[:4],
        "order_lines": lambda r: r[:3],
    }
    for table, keep in drop_batch_columns.items():
        assert [keep(r) for r in after[table]] == [keep(r) for r in before[table]], table
    assert outputs(settings) == first_outputs


# ---- atomicity ---------------------------------------------------------------------------


def _order_batch(batch_id: int, count: int, bad_last_line: bool = False) -> PendingBatch:
    """`count` one-line orders; optionally the very last line breaks NOT NULL."""
    ids = [f"N{batch_id}-{i:03d}" for i in range(count)]
    when = datetime(2025, 11, 1, 6, tzinfo=UTC)
    orders = pl.DataFrame(
        {
            "order_id": ["ORD-2025-0001", *ids],  # replaces an existing order too
            "mobile_number": ["9123456781"] * (count + 1),
            "ordered_at": [when + timedelta(minutes=i) for i in range(count + 1)],
            "total_amount": [Decimal("10.50")] * (count + 1),
            "batch_id": [batch_id] * (count + 1),
            "units": [1] * (count + 1),
        }
    )
    counts: list[int | None] = [1] * (count + 1)
    if bad_last_line:
        counts[-1] = None
    lines = pl.DataFrame(
        {
            "order_id": ["ORD-2025-0001", *ids],
            "sku_id": ["SKU-X"] * (count + 1),
            "sku_count": counts,
            "batch_id": [batch_id] * (count + 1),
            "record_number": list(range(1, count + 2)),
        },
        schema_overrides={"sku_count": pl.Int64},
    )
    moment = datetime.now(UTC)
    entry = LedgerEntry(
        batch_id, "orders", f"made-{batch_id}.xml", f"{batch_id:064d}", 1, count + 1,
        count + 1, 0, 0, 0, moment, moment,
    )  # fmt: skip
    frames = {"orders": conform(orders, "orders"), "order_lines": conform(lines, "order_lines")}
    return PendingBatch(entry=entry, frames=frames)


def test_a_bad_row_in_the_last_chunk_leaves_every_table_as_before(
    migrated: TestDatabase,
) -> None:
    settings = migrated.settings()
    load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS], mode="table")
    before = migrated.snapshot()
    store = open_backend(settings, Mode.table)
    # About six lines a chunk: the bad line is in the last INSERT (SQLite) or the last
    # staging file or COPY piece (servers) of the last batch, and on the servers the
    # INSERT ... SELECT into order_lines refuses it. The good batch before it landed in
    # the same transaction, after its staging tables were created: CREATE TEMPORARY
    # TABLE must not have committed it.
    store.chunk_bytes = 400
    first = store.next_batch_id()
    good, bad = _order_batch(first, 35), _order_batch(first + 1, 35, bad_last_line=True)
    with pytest.raises(DatabaseError) as caught:
        land(store, [good, bad])
    message = str(caught.value)
    assert "\n" not in message and "9123456781" not in message  # one line, no row values
    assert migrated.snapshot() == before
    land(store, [good])  # the store is still usable; the good batch lands alone
    assert len(migrated.snapshot()["orders"]) == len(before["orders"]) + 35


class _Killer:
    """Kills the loader's own connection from a second connection, just before its Nth
    statement that starts with `verb` (INSERT: the set-based INSERT ... SELECT into a real
    table; LOAD: a LOAD DATA into a staging table)."""

    def __init__(self, database: TestDatabase, verb: str, nth: int) -> None:
        self.database = database
        self.verb = verb
        self.nth = nth
        self.seen = 0
        self.fired = False

    def __call__(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if self.fired or conn.engine.url.database != self.database.url.database:
            return
        if not statement.lstrip().upper().startswith(self.verb):
            return
        self.seen += 1
        if self.seen < self.nth:
            return
        self.fired = True
        driver_connection = conn.connection.dbapi_connection
        admin: Engine = create_engine(
            SERVERS[self.database.kind], poolclass=NullPool, isolation_level="AUTOCOMMIT"
        )
        try:
            with admin.connect() as killer:
                if self.database.kind == "mariadb":
                    killer.execute(text(f"KILL {int(driver_connection.thread_id())}"))
                else:
                    pid = driver_connection.info.backend_pid
                    killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            admin.dispose()


def _two_days(settings: Any, tmp_path: Path) -> tuple[list[Path], list[Path]]:
    """Migrates; two days of generated files, each [customers, orders]."""
    migrate(settings)
    days = generate(tmp_path / "in", customers=40, order_lines=400, days=2, seed=3)
    day1 = [f for f in days.files if "2025-01-01" in f.name]
    day2 = [f for f in days.files if "2025-01-02" in f.name]
    return day1, day2


def _drop_connection_mid_load(
    database: TestDatabase, tmp_path: Path, killer: Any, on: str = "before_cursor_execute"
) -> None:
    """Loads day 1, then kills the connection while day 2 loads (the killer listens on
    `on`): nothing of day 2 stays, the error is one line, and day 2 then lands in full."""
    settings = database.settings()
    day1, day2 = _two_days(settings, tmp_path)
    load(settings, [day1[0]], [day1[1]], mode="table")
    before = database.snapshot()
    event.listen(Engine, on, killer)
    try:
        with pytest.raises(DatabaseError) as caught:
            load(settings, [day2[0]], [day2[1]], mode="table")
    finally:
        event.remove(Engine, on, killer)
    assert killer.fired
    assert "\n" not in str(caught.value)
    assert database.snapshot() == before
    # Nothing half-landed blocks the next try: the same files now land in full.
    load(settings, [day2[0]], [day2[1]], mode="table")
    assert len(database.snapshot()["batches"]) == len(before["batches"]) + 2


def test_a_dropped_connection_mid_load_leaves_every_table_as_before(
    server_database: TestDatabase, tmp_path: Path
) -> None:
    """Killed before the 5th INSERT: the customers file is merged, the orders file's
    INSERT ... SELECT into orders never runs."""
    _drop_connection_mid_load(server_database, tmp_path, _Killer(server_database, "INSERT", 5))


def test_with_both_stores_a_failed_last_load_applies_nothing_to_either(
    server_database: TestDatabase, tmp_path: Path
) -> None:
    """`--mode both`: the orders file, the last, fails on the load thread after the
    memory store has staged it; that failure comes out before either store commits, so
    the memory store's ledger is as before too."""
    settings = server_database.settings()
    day1, day2 = _two_days(settings, tmp_path)
    load(settings, [day1[0]], [day1[1]], mode="both")
    before = server_database.snapshot(), open_backend(settings, Mode.memory).ledger().rows()
    killer = _Killer(server_database, "INSERT", 5)  # the orders' INSERT ... SELECT
    event.listen(Engine, "before_cursor_execute", killer)
    try:
        with pytest.raises(DatabaseError):
            load(settings, [day2[0]], [day2[1]], mode="both")
    finally:
        event.remove(Engine, "before_cursor_execute", killer)
    assert killer.fired
    after = open_backend(settings, Mode.memory).ledger().rows()  # the manifest read anew
    assert (server_database.snapshot(), after) == before


@pytest.mark.db
def test_a_connection_dropped_during_load_data_leaves_every_table_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MariaDB, killed at the 3rd LOAD DATA: the customers file is merged, the orders file
    is being staged. (PostgreSQL's COPY goes through psycopg, which SQLAlchemy events do
    not see; the INSERT case above covers it.)"""
    for database in provide("mariadb", tmp_path, monkeypatch):
        _drop_connection_mid_load(database, tmp_path, _Killer(database, "LOAD", 3))


def test_copying_the_sample_twice_is_still_one_load(migrated: TestDatabase, tmp_path: Path) -> None:
    """Two files with the same content in one ingest land once (the second is skipped)."""
    settings = migrated.settings()
    folder = tmp_path / "twice"
    folder.mkdir()
    shutil.copy(OFFICIAL_ORDERS, folder / "a.xml")
    shutil.copy(OFFICIAL_ORDERS, folder / "b.xml")
    result = load(settings, orders=[folder], mode="table")
    assert [f.status for f in result.stores[0].files] == ["ingested", "skipped"]
    assert migrated.counts()["orders"] == 3


# ---- multi-row statements (the SQLite path) ---------------------------------------------


@pytest.fixture
def sqlite_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestDatabase]:
    for database in provide("sqlite", tmp_path, monkeypatch):
        migrate(database.settings())
        yield database


def test_rows_reach_the_driver_many_at_a_time(
    sqlite_migrated: TestDatabase, tmp_path: Path
) -> None:
    """Without a bulk path, thousands of rows still reach the driver in a handful of calls
    (executemany, or multi-row VALUES for the customer upsert), not one call a row."""
    database = sqlite_migrated
    settings = database.settings()
    days = generate(tmp_path / "in", customers=300, order_lines=3000, days=1, seed=5)
    sent: list[int] = []  # rows per call

    def count(conn: Any, cursor: Any, statement: str, parameters: Any, _: Any, many: bool) -> None:
        if conn.engine.url.database == database.url.database and statement.startswith("INSERT"):
            sent.append(len(parameters) if many else max(1, statement.count("), (") + 1))

    event.listen(Engine, "before_cursor_execute", count)
    try:
        load(settings, [days.files[0]], [days.files[1]], mode="table")
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    rows = sum(database.counts().values())
    assert rows > 3000
    assert max(sent) > 500  # really many rows a call
    assert 0 < len(sent) <= 30, f"{len(sent)} INSERT calls for {rows} rows"


class _KillAfter(_Killer):
    """Kills the connection right after its Nth statement starting with `verb` ran, so the
    next step, whatever it is, meets a dead connection."""


@pytest.mark.db
@pytest.mark.parametrize(
    "after",
    ["CREATE TEMPORARY TABLE AKASA_STAGE_ORDERS", "INSERT INTO ORDERS "],
    ids=["into-staging", "into-order-lines"],
)
def test_a_connection_dropped_before_copy_leaves_every_table_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after: str
) -> None:
    """PostgreSQL: the backend is terminated just after the orders file's staging table is
    created, or just after its orders are merged, so psycopg's COPY (which SQLAlchemy does
    not see) into the staging table, or straight into `order_lines`, is what fails."""
    for database in provide("postgresql", tmp_path, monkeypatch):
        killer = _KillAfter(database, after, 1)
        _drop_connection_mid_load(database, tmp_path, killer, on="after_cursor_execute")


def _orphan_batch(batch_id: int) -> PendingBatch:
    """Two orders whose lines come twice: again under an order no batch holds."""
    good = _order_batch(batch_id, 1)
    lines = good.frames["order_lines"]
    assert isinstance(lines, pl.DataFrame)
    orphan = lines.with_columns(
        order_id=pl.lit("NOT-IN-THIS-BATCH"), record_number=pl.lit(9, pl.Int64)
    )
    good.frames["order_lines"] = pl.concat([lines, orphan])
    return good


@pytest.mark.parametrize("kind", ["mariadb", "postgresql"])
def test_lines_without_their_order_are_refused_before_the_copy(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Order lines are copied straight into order_lines (on MariaDB without the server's
    per-row foreign-key look-up): the loader checks first that every line's order is in
    the batch. The failure comes from the next `add` (each batch loads while the next
    file is cleaned) and leaves every table as it was."""
    for database in provide(kind, tmp_path, monkeypatch):
        settings = database.settings()
        migrate(settings)
        load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS], mode="table")
        before = database.snapshot()
        store = open_backend(settings, Mode.table)
        first = store.next_batch_id()
        writer = store.begin()
        try:
            writer.add(_orphan_batch(first))  # returns: the batch loads meanwhile
            with pytest.raises(
                DatabaseError,
                match=r"order_lines: 2 row\(s\) without their orders row in the batch",
            ):
                writer.add(_order_batch(first + 1, 3))
        finally:
            writer.rollback()
        assert database.snapshot() == before


def test_a_spilled_batch_is_in_before_add_returns(migrated: TestDatabase, tmp_path: Path) -> None:
    """The files of a batch spilled to disk are removed once `add` returns (the ingest
    cleans the next file), so that batch is loaded before it returns, not behind."""
    from akasa.core.spilled import Spilled, write_sorted

    settings = migrated.settings()
    store = open_backend(settings, Mode.table)
    batch = _order_batch(store.next_batch_id(), 40)
    folder = tmp_path / "spill"
    folder.mkdir()
    for name in ("orders", "order_lines"):
        frame = batch.frames[name]
        assert isinstance(frame, pl.DataFrame)
        numbered = frame.with_row_index("n", offset=1).with_columns(pl.col("n").cast(pl.Int64))
        write_sorted(numbered, folder / f"{name}.parquet")
        spilled = Spilled((folder / f"{name}.parquet",), "n", numbered.height, numbered.height)
        batch.frames[name] = spilled.map(lambda part: part.drop("n"))
    writer = store.begin()
    try:
        writer.add(batch)
        shutil.rmtree(folder)
        writer.commit()
    except BaseException:
        writer.rollback()
        raise
    assert len(migrated.snapshot()["order_lines"]) == 41
