"""Data never drives the terminal: names, file names and values holding Rich markup or
escape sequences, ingested for real, are shown as text by every command that shows data
(and written so to the logs), in both modes; JSON keeps them exactly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from akasa.cli import app
from tests.builders import customers_csv, line, orders_xml
from tests.db import TestDatabase

runner = CliRunner()

OSC8_LINK = "\x1b]8;;http://x\x07a\x1b]8;;\x07"
# Each hostile customer name, and how a person sees it.
NAMES = {
    "[/]": "[/]",
    "[link=https://x]y[/link]": "[link=https://x]y[/link]",
    "[bold]B[/bold] :smile:": "[bold]B[/bold] :smile:",
    "a\x1b[2Jb": "a?[2Jb",
    OSC8_LINK: "?]8;;http://x?a?]8;;?",
    "e\x9b31mf": "e?31mf",
}
# What a terminal obeys: ESC, BEL, CR and the C1 controls (0x9b: a one-byte CSI).
OBEYED = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
CUSTOMERS_FILE = "customers\x1b[2J.csv"  # a file name is data too


def hostile_drop(folder: Path) -> tuple[Path, Path]:
    """Customers with hostile names (one with a bare CR, one rejected with a hostile
    region), and orders whose rejected values carry markup and a C1 CSI."""
    names = [*NAMES, "c\rd"]
    rows = [(f"C{i}", name, f"91234567{i:02d}", "North") for i, name in enumerate(names, 1)]
    rows.append(("C99", "Bad", "123", "[red]R[/red]\x1b[31m"))
    customers = customers_csv(folder / CUSTOMERS_FILE, rows)
    lines = [
        line(f"ORD-{i}", f"91234567{i:02d}", "2025-11-01T10:00:00", "S1", 1, "100")
        for i in range(1, len(names) + 1)
    ]
    lines.append(line("ORD-[/]", "9123456701", "2025-11-01T10:00:00", "S1", "x\x9b31m[/]", "1"))
    return customers, orders_xml(folder / "orders.xml", lines)


def invoke(*args: str):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    for stream in (result.stdout, result.stderr):
        assert not OBEYED.search(stream), (args, stream)
    return result


def check_every_command(tmp_path: Path, mode: str) -> None:
    customers, orders = hostile_drop(tmp_path / "drop")
    landed = invoke("ingest", "-c", str(customers), "-o", str(orders), "-m", mode)
    assert landed.exit_code == 0, landed.output
    assert "customers?[2J.csv" in landed.stdout

    stored = invoke("sql", "SELECT customer_name FROM customers", "-m", mode, "-f", "json")
    assert stored.exit_code == 0, stored.output
    names = {row["customer_name"] for row in json.loads(stored.stdout)}
    assert set(NAMES) <= names  # JSON: exactly what was ingested, escaped (\u001b)
    assert "\\u001b[2J" in stored.stdout and "\\u009b" in stored.stdout

    shown = invoke("sql", 'SELECT customer_name AS "n\x1b[1m[/]" FROM customers', "-m", mode)
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines()[0].rstrip() == "n?[1m[/]"
    lines = {row.rstrip() for row in shown.stdout.splitlines()}
    assert set(NAMES.values()) <= lines

    kpis = invoke("run", "-m", mode)
    assert kpis.exit_code == 0, kpis.output
    for visible in NAMES.values():
        assert re.search(rf"^\d+\s+C\d\s+{re.escape(visible)}\s+North\s", kpis.stdout, re.M)
    assert "Top customer of the last 30 days: [/] (C1), ₹100." in kpis.stdout
    assert "c d" in kpis.stdout or "c?d" in kpis.stdout

    rejects = invoke("rejects", "-m", mode)
    assert rejects.exit_code == 0, rejects.output
    text = re.sub(r"\s+", " ", rejects.stdout)
    assert 'invalid sku_count: "x?31m[/]" (need a whole number' in text
    assert "customers?[2J.csv" in text
    for fmt in ("json", "csv"):
        assert invoke("rejects", "-m", mode, "-f", fmt).exit_code == 0
    document = json.loads(invoke("rejects", "-m", mode, "-f", "json").stdout)
    assert {row["source_file"] for row in document["rows"]} == {CUSTOMERS_FILE, "orders.xml"}

    status = invoke("status", "-m", mode)
    assert status.exit_code == 0, status.output
    assert re.search(r"^\s+1\s+customers\?\[2J\.csv\s", status.stdout, re.M)
    assert invoke("status", "-m", mode, "-f", "json").exit_code == 0

    missing = invoke("ingest", "-c", str(tmp_path / f"gone{OSC8_LINK}.csv"), "-m", mode)
    assert missing.exit_code == 1
    assert missing.stderr == (f"Error: {tmp_path}/gone?]8;;http:/x?a?]8;;?.csv: no such file\n")

    for log in (tmp_path / "data" / "logs").glob("*.log"):
        assert not OBEYED.search(log.read_text(encoding="utf-8")), log.name
    logged = (tmp_path / "data" / "logs").glob("ingest-*.log")
    assert any("gone?]8;;http:/x?a?]8;;?.csv" in log.read_text() for log in logged)


def test_memory_mode_shows_data_as_text(tmp_path: Path) -> None:
    check_every_command(tmp_path, "memory")


def test_table_mode_shows_data_as_text(migrated: TestDatabase, tmp_path: Path) -> None:
    check_every_command(tmp_path, "table")


HOSTILE_VALUE = "x\x1b[2J\x9b[/]"
# An error quotes a value as Python writes it: escape sequences spelled out.
QUOTED = "'x\\x1b[2J\\x9b[/]'"


@pytest.mark.parametrize(
    ("args", "env", "stderr"),
    [
        (
            ["run"],
            {"AKASA_TIMEZONE": HOSTILE_VALUE},
            f"Error: invalid setting AKASA_TIMEZONE: unknown time zone {QUOTED}\n",
        ),
        (
            ["run", "--as-of", HOSTILE_VALUE],
            {},
            "Usage: akasa run [OPTIONS]\nTry 'akasa run -h' for help.\n\n"
            f"Error: --as-of must be latest, now or a date YYYY-MM-DD, not {QUOTED}\n",
        ),
        (
            ["ingest", "-c", f"{HOSTILE_VALUE}.csv"],
            {},
            "Error: x?[2J?[/].csv: no files match this pattern\n",
        ),
    ],
    ids=["setting", "usage", "file"],
)
def test_an_error_quoting_a_value_shows_it_as_text(
    monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str], stderr: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = invoke(*args)
    assert result.exit_code in (1, 2)
    assert result.stderr == stderr
