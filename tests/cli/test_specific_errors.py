"""Inputs and settings that once ended in `unexpected ...`: each has its own one line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from akasa.cli import app
from akasa.ingest import sources
from tests.conftest import OFFICIAL_CUSTOMERS, OFFICIAL_ORDERS
from tests.db import TestDatabase

runner = CliRunner()
HEADER = "customer_id,customer_name,mobile_number,region\n"


def ingest(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["ingest", *args])


def assert_one_line(result, line: str) -> None:  # type: ignore[no-untyped-def]
    assert (result.exit_code, result.stderr) == (1, f"Error: {line}\n"), result.output


def test_a_file_deleted_after_it_was_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The producer deletes a file between akasa listing the folder and reading it."""
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.xml").write_bytes(OFFICIAL_ORDERS.read_bytes())
    (drop / "b.xml").write_bytes(OFFICIAL_ORDERS.read_bytes().replace(b"ORD", b"ORX"))
    identify = sources._identify

    def deleted_meanwhile(kind, path, staging):  # type: ignore[no-untyped-def]
        (drop / "b.xml").unlink(missing_ok=True)
        return identify(kind, path, staging)

    monkeypatch.setattr(sources, "_identify", deleted_meanwhile)
    result = ingest("--orders", str(drop))
    assert_one_line(result, f"{drop / 'b.xml'}: was removed before it could be read")
    assert not (tmp_path / "data" / "store" / "manifest.json").exists()


def test_a_250_character_name_is_ingested(tmp_path: Path) -> None:
    path = tmp_path / ("c" * 246 + ".csv")
    path.write_text(HEADER + "C1,Asha,9123456781,North\nC2,Bad,12,South\n")
    result = ingest("--customers", str(path))
    assert result.exit_code == 0, result.output
    (quarantined,) = (tmp_path / "data" / "quarantine").iterdir()
    assert len(quarantined.name.encode()) <= 255 and "Bad" in quarantined.read_text()


def test_a_data_dir_that_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a_file = tmp_path / "data-file"
    a_file.write_text("")
    monkeypatch.setenv("AKASA_DATA_DIR", str(a_file))
    result = ingest("--customers", str(OFFICIAL_CUSTOMERS))
    assert_one_line(
        result, f"invalid setting AKASA_DATA_DIR: {a_file} is a file, not a folder (AKASA_DATA_DIR)"
    )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_csv(tmp_path: Path, encoding: str) -> None:
    """With a byte-order mark or without: never `missing required column(s)`."""
    path = tmp_path / "customers.csv"
    path.write_bytes((HEADER + "C1,Asha,9123456781,North\n").encode(encoding))
    assert_one_line(
        ingest("--customers", str(path)), f"{path}: UTF-16 text; save the file as UTF-8"
    )


@pytest.mark.parametrize("url", ["oracle://scott:tiger-pw@db.example/orcl", "mssql+pyodbc://db/x"])
def test_a_database_akasa_does_not_support(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Named with what is supported: no install hint for an extra that does not exist."""
    monkeypatch.setenv("AKASA_DATABASE_URL", url)
    name = url.split(":")[0].split("+")[0]
    result = ingest("--customers", str(OFFICIAL_CUSTOMERS), "--mode", "table")
    assert_one_line(
        result,
        f"AKASA_DATABASE_URL: akasa does not support {name} databases; "
        "use one of sqlite://, mysql://, mariadb://, postgresql://",
    )


def test_a_fifo_in_the_drop_folder_is_skipped_with_a_note_in_every_store(
    tmp_path: Path, migrated: TestDatabase
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    os.mkfifo(drop / "orders_0.xml")
    (drop / "orders_1.xml").write_bytes(OFFICIAL_ORDERS.read_bytes())
    result = ingest("--orders", str(drop), "--mode", "both")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines.count("  skipped orders_0.xml: not a regular file (a FIFO)") == 2
    assert "memory: 1 file(s) ingested, 1 skipped, 0 record(s) rejected." in lines
    assert "table: 1 file(s) ingested, 1 skipped, 0 record(s) rejected." in lines
    assert migrated.counts()["batches"] == 1


def test_a_name_with_glob_characters_is_ingested(tmp_path: Path) -> None:
    path = tmp_path / "customers_[1].csv"
    path.write_bytes(OFFICIAL_CUSTOMERS.read_bytes())
    (tmp_path / "customers_1.csv").write_text(HEADER)  # what the pattern would match
    result = ingest("--customers", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"file": "customers_[1].csv"' in result.stdout
    assert '"file": "customers_1.csv"' not in result.stdout
