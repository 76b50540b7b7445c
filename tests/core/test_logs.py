"""A log file per run under the data dir, pruned, with secrets and mobiles masked."""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from akasa.cli import app
from akasa.core import logs
from tests.conftest import OFFICIAL_CUSTOMERS, OFFICIAL_ORDERS

runner = CliRunner()


ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2} ")


def test_each_command_logs_to_its_own_file_of_the_day(tmp_path: Path) -> None:
    runner.invoke(app, ["ingest", "-c", str(OFFICIAL_CUSTOMERS), "-o", str(OFFICIAL_ORDERS)])
    runner.invoke(app, ["run"])
    runner.invoke(app, ["run"])
    today = datetime.now(ZoneInfo("Asia/Kolkata")).date().isoformat()
    files = sorted((tmp_path / "data" / "logs").glob("*.log"))
    assert [f.name for f in files] == [f"ingest-{today}.log", f"run-{today}.log"]
    text = files[0].read_text()
    assert "task_DE_new_orders.xml -> batch 2: read 10, accepted 10, rejected 0" in text
    runs = files[1].read_text()
    assert runs.count("run memory as_of 2025-11-01T23:59:59+05:30: 3 orders, revenue 21679.00") == 2
    for line in (text + runs).splitlines():
        assert ISO_WITH_OFFSET.match(line), line  # every line's time carries its zone
        assert "+05:30 " in line[:30]
        assert f"[{os.getpid()}]" in line  # which run wrote it


def test_log_times_are_in_the_business_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AKASA_TIMEZONE", "America/New_York")
    runner.invoke(app, ["run"])
    (log_file,) = (tmp_path / "data" / "logs").glob("run-*.log")
    offset = log_file.read_text()[23:29]
    assert offset in ("-05:00", "-04:00")


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


def test_logs_older_than_the_retention_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs_dir = tmp_path / "data" / "logs"
    logs_dir.mkdir(parents=True)
    day = 86_400
    ages = {"run-old.log": 91, "run-recent.log": 89, "20250101T000000.000000Z-1-ingest.log": 400}
    for name, age in ages.items():
        path = logs_dir / name
        path.write_text("x\n")
        then = time.time() - age * day
        os.utime(path, (then, then))
    runner.invoke(app, ["run"])  # the default: 90 days
    left = {p.name for p in logs_dir.glob("*.log")}
    assert "run-recent.log" in left and "run-old.log" not in left
    assert "20250101T000000.000000Z-1-ingest.log" not in left  # old style names too
    monkeypatch.setenv("AKASA_LOG_DAYS", "30")
    runner.invoke(app, ["run"])
    assert not (logs_dir / "run-recent.log").exists()


def test_prune_keeps_what_is_recent(tmp_path: Path) -> None:
    path = logs.start(tmp_path / "logs", "run", days=1)
    logging.getLogger("akasa.test").info("hello")
    logs.stop()
    assert logs.prune(tmp_path / "logs", 1) == []
    assert "hello" in path.read_text()


def test_log_days_must_be_a_positive_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AKASA_LOG_DAYS", "0")
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: invalid setting AKASA_LOG_DAYS: ")
    assert result.stderr.count("\n") == 1


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


def test_a_value_cannot_forge_a_log_line_or_drive_a_terminal() -> None:
    formatter = logs.RedactingFormatter([], ZoneInfo("Asia/Kolkata"))
    record = logging.LogRecord(
        "akasa.x", logging.INFO, __file__, 1, "read %s", ("a.csv\n2025 ERROR forged\x1b[2J",), None
    )
    line = formatter.format(record)
    assert line.endswith(" akasa.x: read a.csv?2025 ERROR forged?[2J") and "\n" not in line
    try:
        raise ValueError("bad\x9bvalue")
    except ValueError:
        record.exc_info = sys.exc_info()
    lines = formatter.format(record).splitlines()
    assert len(lines) > 2 and lines[-1] == "ValueError: bad?value"
