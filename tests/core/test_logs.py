"""A log file per run under the data dir, pruned, with secrets and mobiles masked."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from akasa.cli import app
from akasa.core import logs
from tests.conftest import OFFICIAL_CUSTOMERS, OFFICIAL_ORDERS

runner = CliRunner()


def test_each_run_writes_its_own_log(tmp_path: Path) -> None:
    runner.invoke(app, ["ingest", "-c", str(OFFICIAL_CUSTOMERS), "-o", str(OFFICIAL_ORDERS)])
    runner.invoke(app, ["run"])
    files = sorted((tmp_path / "data" / "logs").glob("*.log"))
    assert [f.name.rsplit("-", 1)[-1] for f in files] == ["ingest.log", "run.log"]
    text = files[0].read_text()
    assert "task_DE_new_orders.xml -> batch 2: read 10, accepted 10, rejected 0" in text
    assert "run memory as_of 2025-11-01T23:59:59+05:30: 3 orders, revenue 21679.00" in (
        files[1].read_text()
    )


def test_help_writes_no_log(tmp_path: Path) -> None:
    runner.invoke(app, ["ingest", "--help"])
    assert not (tmp_path / "data" / "logs").exists()


def test_errors_are_logged_with_secrets_and_mobiles_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DB_PASSWORD", "Sup3rS3cret")
    bad = tmp_path / "Sup3rS3cret-9876543210.xml"
    bad.write_text("<orders>")
    result = runner.invoke(app, ["ingest", "--orders", str(bad)])
    assert result.exit_code == 1
    (log_file,) = (tmp_path / "data" / "logs").glob("*.log")
    for text in (log_file.read_text(), result.stderr):
        assert "Sup3rS3cret" not in text and "9876543210" not in text
        assert "***-98XXXXXX10.xml" in text


def test_old_logs_are_pruned(tmp_path: Path) -> None:
    for _ in range(logs.KEEP + 5):
        logs.start(tmp_path / "logs", "run")
        logging.getLogger("akasa.test").info("hello")
    logs.stop()
    assert len(list((tmp_path / "logs").glob("*.log"))) == logs.KEEP


def test_max_reject_rate_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "o.xml"
    path.write_text("<orders><order><order_id>O1</order_id></order></orders>")
    result = runner.invoke(app, ["ingest", "-o", str(path), "--max-reject-rate", "0.5"])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: o.xml rejects 1 of 1 records, more than --max-reject-rate 0.5; nothing was applied"
    )
    assert not (tmp_path / "data" / "store" / "manifest.json").exists()
    assert list((tmp_path / "data" / "quarantine").glob("o.*.rejects.csv"))
