"""Table mode through the command line: migrate, ingest, run, and the one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from akasa.backends.sql.migrate import head
from akasa.cli import app
from akasa.kpi.spec import KPIS
from tests.conftest import OFFICIAL_CUSTOMERS, OFFICIAL_ORDERS, each_table_command
from tests.db import TestDatabase

runner = CliRunner()
SECRET = "Sup3r-Secret-pw"
OUTDATED = "Error: database schema is not up to date; run akasa migrate\n"


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def test_migrate_then_ingest_and_run_in_both_modes(database: TestDatabase) -> None:
    first = invoke("migrate")
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith(f"Database schema upgraded from empty to {head()}: ")
    again = invoke("migrate")
    assert again.stdout.startswith(f"Database schema already at {head()} (newest): ")
    ingest = invoke(
        "ingest", "-c", str(OFFICIAL_CUSTOMERS), "-o", str(OFFICIAL_ORDERS), "--mode", "both"
    )
    assert ingest.exit_code == 0, ingest.output
    assert "table: 2 file(s) ingested, 0 skipped, 0 record(s) rejected." in ingest.stdout
    memory, table = invoke("run"), invoke("run", "--mode", "table")
    assert memory.exit_code == 0 and table.exit_code == 0, table.output
    assert "Summary as of 2025-11-01 (table mode):" in table.stdout
    outputs = database.data_dir / "outputs"
    for name in KPIS:
        left = (outputs / "memory" / f"{name}.csv").read_bytes()
        assert left == (outputs / "table" / f"{name}.csv").read_bytes(), name


@pytest.mark.parametrize(
    "args",
    [
        ("run", "--mode", "table"),
        ("ingest", "-o", str(OFFICIAL_ORDERS), "--mode", "table"),
        ("ingest", "-o", str(OFFICIAL_ORDERS), "--mode", "both"),
    ],
    ids=["run", "ingest-table", "ingest-both"],
)
def test_an_unmigrated_database_says_run_migrate(
    database: TestDatabase, args: tuple[str, ...]
) -> None:
    result = invoke(*args)
    assert result.exit_code == 1
    assert result.stderr == OUTDATED
    # With --mode both, the memory store was not touched either.
    assert not (database.data_dir / "store" / "manifest.json").exists()


BAD_TARGETS = {
    "mysql-unreachable": {"AKASA_DATABASE_URL": f"mysql+mysqldb://akasa:{SECRET}@127.0.0.1:1/a"},
    "postgresql-unreachable": {
        "AKASA_DATABASE_URL": f"postgresql+psycopg://akasa:{SECRET}@127.0.0.1:1/a"
    },
    "db-parts-unreachable": {
        "DB_HOST": "127.0.0.1",
        "DB_PORT": "1",
        "DB_USERNAME": "akasa",
        "DB_PASSWORD": SECRET,
        "DB_DATABASE": "akasa",
    },
    "sqlite-missing-folder": {"AKASA_DATABASE_URL": "sqlite:////nonexistent-akasa-dir/x/a.db"},
}
SERVER_TARGETS = {
    # MariaDB's root has no password here, so any password is a wrong one.
    "mariadb-wrong-password": {
        "AKASA_DATABASE_URL": f"mysql+mysqldb://root:{SECRET}@127.0.0.1:3306/"
    },
    # PostgreSQL trusts local connections here: an unknown role is refused instead.
    "postgresql-unknown-role": {
        "AKASA_DATABASE_URL": f"postgresql+psycopg://nobody_akasa:{SECRET}@127.0.0.1:5432/x"
    },
}
CASES = [pytest.param(env, id=name) for name, env in BAD_TARGETS.items()] + [
    pytest.param(env, id=name, marks=pytest.mark.db) for name, env in SERVER_TARGETS.items()
]


@pytest.mark.parametrize("env", CASES)
@each_table_command
def test_unusable_database_is_one_line_without_the_password(
    env: dict[str, str], args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = invoke(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: database error on ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    logs = list((tmp_path / "data" / "logs").glob("*.log"))
    assert logs and all(SECRET not in log.read_text() for log in logs)
    debug = invoke("--debug", *args)
    assert "Traceback" in debug.stderr and SECRET not in debug.stdout + debug.stderr


def test_help_lists_migrate() -> None:
    assert "migrate" in invoke("--help").stdout
    assert "alembic upgrade head" in " ".join(invoke("migrate", "--help").stdout.split())


def test_help_and_memory_mode_never_import_sqlalchemy(tmp_path: Path) -> None:
    """Table mode costs nothing when it is not used."""
    code = f"""
import sys
from typer.testing import CliRunner
from akasa.cli import app
invoke = lambda *a: CliRunner().invoke(app, list(a))
assert invoke("--help").exit_code == 0
customers, orders = {str(OFFICIAL_CUSTOMERS)!r}, {str(OFFICIAL_ORDERS)!r}
assert invoke("ingest", "-c", customers, "-o", orders).exit_code == 0
assert invoke("run").exit_code == 0
print(sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic")))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
