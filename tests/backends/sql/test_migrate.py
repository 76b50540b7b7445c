"""Alembic on every dialect: upgrade from empty, downgrade to base, upgrade again, and the
models (akasa.backends.sql.schema) agree with the migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from akasa.backends.base import Mode
from akasa.backends.open import open_backend
from akasa.backends.sql import migrate as migrations
from akasa.backends.sql import schema
from akasa.backends.sql.engine import open_database
from akasa.core.errors import DatabaseError, SchemaOutdatedError
from akasa.pipeline.migrate import migrate
from tests.db import TestDatabase

PROJECT_ROOT = Path(__file__).resolve().parents[3]
AKASA_TABLES = {t.name for t in schema.TABLES}


def tables(database: TestDatabase) -> set[str]:
    engine = database.engine()
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_empty_creates_every_table(database: TestDatabase) -> None:
    result = migrate(database.settings())
    assert (result.before, result.after) == (None, migrations.head())
    assert tables(database) == AKASA_TABLES | {"alembic_version"}
    again = migrate(database.settings())
    assert not again.changed


def test_downgrade_to_base_then_upgrade_again(database: TestDatabase) -> None:
    settings = database.settings()
    migrate(settings)
    down = migrations.downgrade(open_database(settings), "base")
    assert down.after is None
    assert tables(database) == {"alembic_version"}
    up = migrate(settings)
    assert (up.before, up.after) == (None, migrations.head())
    assert tables(database) == AKASA_TABLES | {"alembic_version"}


def test_models_and_migrations_agree(migrated: TestDatabase) -> None:
    engine = migrated.engine()
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, schema.metadata) == []
    finally:
        engine.dispose()


@pytest.mark.db
def test_mysql_tables_are_innodb_with_binary_collation(mariadb: TestDatabase) -> None:
    migrate(mariadb.settings())
    engine = mariadb.engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT table_name, engine, table_collation FROM information_schema.tables "
                    "WHERE table_schema = DATABASE() AND table_name <> 'alembic_version'"
                )
            ).all()
    finally:
        engine.dispose()
    assert {name: (eng, coll) for name, eng, coll in rows} == {
        name: ("InnoDB", "utf8mb4_bin") for name in AKASA_TABLES
    }


def test_an_empty_or_outdated_schema_is_refused(database: TestDatabase) -> None:
    settings = database.settings()
    with pytest.raises(SchemaOutdatedError, match=r"^database schema is not up to date; run akasa"):
        open_backend(settings, Mode.table)
    migrate(settings)
    open_backend(settings, Mode.table)  # at head: fine
    migrations.downgrade(open_database(settings), "base")
    with pytest.raises(SchemaOutdatedError):
        open_backend(settings, Mode.table)


def test_the_head_every_command_checks_is_the_scripts_head() -> None:
    """`HEAD` spares each table-mode command importing Alembic; it must name the newest
    script."""
    assert migrations.scripts().get_current_head() == migrations.HEAD


def test_a_revision_from_a_newer_akasa_is_refused(migrated: TestDatabase) -> None:
    engine = migrated.engine()
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    finally:
        engine.dispose()
    with pytest.raises(DatabaseError, match="revision ffff is unknown to this version of akasa"):
        open_backend(migrated.settings(), Mode.table)


def test_alembic_command_line_uses_the_same_dotenv_as_the_cli(
    database: TestDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`alembic upgrade head` / `downgrade base` with alembic.ini from the project root and
    the database given only in `.env`, as the CLI reads it."""
    monkeypatch.delenv("AKASA_DATABASE_URL")
    work = Path.cwd()
    (work / ".env").write_text(f"AKASA_DATABASE_URL={database.url_text}\n", encoding="utf-8")
    alembic = [sys.executable, "-m", "alembic", "-c", str(PROJECT_ROOT / "alembic.ini")]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*alembic, *args], cwd=work, env=dict(os.environ), capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done

    run("upgrade", "head")
    assert tables(database) == AKASA_TABLES | {"alembic_version"}
    assert f"{migrations.head()} (head)" in run("current").stdout
    open_backend(database.settings(), Mode.table)  # the CLI's own check agrees
    run("downgrade", "base")
    assert tables(database) == {"alembic_version"}


def test_upgrading_an_existing_store_fills_order_units(database: TestDatabase) -> None:
    """Revision 0002 adds orders.units to a store that already holds orders: each order gets
    the sum of its lines' sku_count; downgrading removes the column again."""
    settings = database.settings()
    migrate(settings, "0001")
    engine = database.engine()
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO orders (order_id, mobile_number, ordered_at, total_amount, "
                    "batch_id) VALUES ('O1', '9123456781', '2025-01-01 10:00:00', 5, 1), "
                    "('O2', '9123456781', '2025-01-02 10:00:00', 7, 1)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO order_lines (order_id, sku_id, sku_count, batch_id, "
                    "record_number) VALUES ('O1', 'S1', 2, 1, 1), ('O1', 'S2', 5, 1, 2), "
                    "('O2', 'S1', 1, 1, 3)"
                )
            )
        migrate(settings)
        with engine.connect() as conn:
            units = conn.execute(text("SELECT order_id, units FROM orders ORDER BY 1")).all()
        assert [tuple(row) for row in units] == [("O1", 7), ("O2", 1)]
        migrations.downgrade(open_database(settings), "0001")
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("orders")}
        assert "units" not in columns
    finally:
        engine.dispose()


# Runs `akasa migrate` and SIGKILLs its own process right after the Nth DDL statement
# reached the server (counted by an engine event), or runs it whole when N is 0 and prints
# how many DDL statements it sent.
KILL_AT_DDL = """
import os, signal, sys
from sqlalchemy import Engine, event
from akasa.core.config import load_settings
from akasa.pipeline.migrate import migrate

kill_at, sent = int(sys.argv[1]), 0

@event.listens_for(Engine, "after_cursor_execute")
def count(conn, cursor, statement, *args):
    global sent
    if statement.lstrip().split(" ", 1)[0].upper() in ("CREATE", "ALTER", "DROP"):
        sent += 1
        if sent == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

migrate(load_settings())
print(sent)
"""


def _migrate_killed_at(ddl: int, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", KILL_AT_DDL, str(ddl)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ},
    )


def _schema_problems(database: TestDatabase) -> list[object]:
    engine = database.engine()
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, schema.metadata))
    finally:
        engine.dispose()


@pytest.mark.db
def test_migrate_killed_at_every_ddl_statement_finishes_when_run_again(
    mariadb: TestDatabase, tmp_path: Path
) -> None:
    """MariaDB commits each DDL statement on its own, so a SIGKILL between two of them
    leaves part of a revision behind; `akasa migrate` again must finish it, whichever
    statement the kill followed."""
    whole = _migrate_killed_at(0, tmp_path)
    assert whole.returncode == 0, whole.stderr
    statements = int(whole.stdout.strip())
    assert statements >= 8
    for ddl in range(1, statements + 1):
        _drop_everything(mariadb)
        killed = _migrate_killed_at(ddl, tmp_path)
        assert killed.returncode == -9, f"the kill at DDL {ddl} did not land: {killed.stderr}"
        result = migrate(mariadb.settings())
        assert result.after == migrations.head(), f"killed at DDL statement {ddl}"
        assert _schema_problems(mariadb) == [], f"killed at DDL statement {ddl}"


def _drop_everything(database: TestDatabase) -> None:
    engine = database.engine()
    try:
        with engine.begin() as conn:
            conn.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
            for table in [*AKASA_TABLES, "alembic_version"]:
                conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
    finally:
        engine.dispose()
