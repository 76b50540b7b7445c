"""`akasa status` and `akasa rejects` through the command line: formats, exit codes, and
what must never be printed."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from akasa.cli import app
from tests.builders import DIRTY_REASONS, DIRTY_REJECTS, customers_csv, dirty_drop
from tests.db import TestDatabase

runner = CliRunner()
SECRET = "Sup3r-Secret-pw"


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read whole lines; the layout at 80 columns is tested in test_layout."""
    monkeypatch.setenv("COLUMNS", "200")


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def ingest_dirty(tmp_path: Path, mode: str = "memory") -> None:
    customers, orders = dirty_drop(tmp_path / "drop")
    result = invoke("ingest", "-c", str(customers), "-o", str(orders), "-m", mode, "-q")
    assert result.exit_code == 0, result.output


def test_status_of_an_empty_store(tmp_path: Path) -> None:
    result = invoke("status")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Status of the memory store at ")
    for section in ("Configuration", "Store", "Freshness", "Tables", "Outputs"):
        assert f"\n{section}\n" in out
    assert "Ledger: no files ingested yet" in out
    assert str(tmp_path / "data") in out and "no outputs yet; run akasa run" in out
    assert result.stderr == ""


def test_status_json_after_an_ingest_and_a_run(tmp_path: Path) -> None:
    ingest_dirty(tmp_path)
    assert invoke("run").exit_code == 0
    result = invoke("status", "--format", "json", "--last", "1")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["ok"] is True and document["problem"] is None
    assert document["configuration"]["timezone"] == "Asia/Kolkata"
    assert document["store"]["version"] == document["store"]["expected_version"] == "3"
    assert document["ledger"]["batches"] == 2
    assert [e["source_file"] for e in document["ledger"]["newest"]] == ["orders.xml"]
    assert document["freshness"]["newest_order_at"] == "2025-11-01 10:00:00+05:30"
    assert {t["table"]: t["rows"] for t in document["tables"]}["rejects"] == 7
    assert document["outputs"]["as_of"] == "2025-11-01T23:59:59+05:30"
    assert document["outputs"]["behind_the_store"] is False


def test_status_of_an_unreachable_database_shows_the_rest_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AKASA_DATABASE_URL", f"mysql+mysqldb://akasa:{SECRET}@127.0.0.1:1/a")
    result = invoke("status", "--mode", "table")
    assert result.exit_code == 1
    assert "mysql+mysqldb://akasa:***@127.0.0.1:1/a" in result.stdout
    assert "cannot be used: database error on " in result.stdout
    assert result.stderr.startswith("Error: database error on mysql+mysqldb://akasa:***@")
    assert result.stderr.count("\n") == 1
    as_json = invoke("status", "--mode", "table", "--format", "json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["ok"] is False
    for output in (result, as_json):
        assert SECRET not in output.stdout + output.stderr


def test_status_with_a_malformed_url_shows_no_part_of_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AKASA_DATABASE_URL", "postgresql+psycopg://akasa:Zq7@Xv9@127.0.0.1/a")
    memory = invoke("status")
    assert memory.exit_code == 0  # memory mode does not need the database
    assert "unusable: AKASA_DATABASE_URL is not a valid database URL" in memory.stdout
    table = invoke("status", "-m", "table")
    assert table.exit_code == 1
    assert table.stderr == (
        "Error: AKASA_DATABASE_URL is not a valid database URL: an '@' in the user name or "
        "password must be written as %40 (percent-encode special characters there)\n"
    )
    for result in (memory, table):
        assert "Zq7" not in result.stdout + result.stderr
        assert "Xv9" not in result.stdout + result.stderr


def test_status_warns_about_a_misspelt_variable_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_PASS", "x")
    result = invoke("status", "-f", "json")
    assert result.exit_code == 0
    assert result.stderr == "Warning: DB_PASS is not an akasa setting; did you mean DB_PASSWORD?\n"
    assert json.loads(result.stdout)["warnings"] == [
        "DB_PASS is not an akasa setting; did you mean DB_PASSWORD?"
    ]


def test_status_and_rejects_of_a_table_store(migrated: TestDatabase, tmp_path: Path) -> None:
    ingest_dirty(tmp_path, "both")
    result = invoke("status", "-m", "table", "-f", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["ok"] is True and document["ledger"]["batches"] == 2
    memory, table = invoke("rejects", "-f", "json"), invoke("rejects", "-m", "table", "-f", "json")
    assert memory.exit_code == table.exit_code == 0
    assert json.loads(memory.stdout) == {**json.loads(table.stdout), "mode": "memory"}


def test_rejects_table_lists_reasons_then_records(tmp_path: Path) -> None:
    ingest_dirty(tmp_path)
    result = invoke("rejects")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("7 rejected record(s) in the memory store.\n")
    assert out.index("Reasons") < out.index("Records")
    for reason, count in DIRTY_REASONS:
        assert re.search(rf"^{re.escape(reason)} +{count}$", out, re.M), reason
    assert "total_amount differs within order ORD-9: 1.00 vs 1599.84 on lines 3, 4" in out


def test_rejects_json_and_csv_carry_every_record(tmp_path: Path) -> None:
    ingest_dirty(tmp_path)
    document = json.loads(invoke("rejects", "--format", "json").stdout)
    assert document["records"] == 7 and document["truncated"] is False
    assert [(r["reason"], r["records"]) for r in document["reasons"]] == DIRTY_REASONS
    rows = [(r["source_file"], r["record_number"], r["reason"]) for r in document["rows"]]
    assert rows == DIRTY_REJECTS
    text = invoke("rejects", "--format", "csv", "--file", "orders.xml").stdout
    table = list(csv.DictReader(io.StringIO(text)))
    assert list(table[0]) == ["source_file", "batch_id", "record_number", "reason"]
    assert [(r["record_number"], r["reason"]) for r in table] == [
        (str(number), reason) for file, number, reason in DIRTY_REJECTS if file == "orders.xml"
    ]


def test_rejects_never_print_a_whole_mobile_number(tmp_path: Path) -> None:
    """A customer id that is a mobile number makes a reason that holds one."""
    path = customers_csv(
        tmp_path / "c.csv",
        [("9123456781", "A", "9876543210", "N"), ("C2", "B", "9876543210", "N")],
    )
    assert invoke("ingest", "-c", str(path)).exit_code == 0
    for fmt in ("table", "json", "csv"):
        result = invoke("rejects", "-f", fmt)
        assert "already belongs to customer 91XXXXXX81" in result.stdout, fmt
        assert "9123456781" not in result.stdout and "9876543210" not in result.stdout


def test_rejects_limit_warns_about_the_rest(tmp_path: Path) -> None:
    ingest_dirty(tmp_path)
    result = invoke("rejects", "--limit", "2", "--reason", "mobile")
    assert result.exit_code == 0
    assert result.stderr == ("Warning: 1 more record(s) not listed; raise --limit to see them\n")


def test_rejects_of_a_file_never_ingested_is_one_error(tmp_path: Path) -> None:
    ingest_dirty(tmp_path)
    result = invoke("rejects", "--file", "orders_2024-01-01.xml")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: no file ingested into the memory store matches 'orders_2024-01-01.xml'\n"
    )


def test_rejects_of_an_unmigrated_database_says_run_migrate(database: TestDatabase) -> None:
    result = invoke("rejects", "-m", "table")
    assert result.exit_code == 1
    assert result.stderr == "Error: database schema is not up to date; run akasa migrate\n"
