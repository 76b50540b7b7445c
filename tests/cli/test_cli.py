"""The command line through typer's CliRunner: help, exit codes 0/1/2, exact messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from akasa.cli import app
from tests.conftest import OFFICIAL_CUSTOMERS, OFFICIAL_ORDERS, SAMPLE_DIR

runner = CliRunner()
COMMANDS = ["ingest", "migrate", "run", "report", "sql", "status", "rejects", "generate"]


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_top_level_help_lists_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output


def test_ingest_then_run_prints_kpis_and_summary(tmp_path: Path) -> None:
    ingest = invoke(
        "ingest", "--customers", str(OFFICIAL_CUSTOMERS), "--orders", str(OFFICIAL_ORDERS)
    )
    assert ingest.exit_code == 0, ingest.output
    assert "memory: 2 file(s) ingested, 0 skipped, 0 record(s) rejected." in ingest.stdout
    result = invoke("run")
    assert result.exit_code == 0, result.output
    assert "Aarav Mehta" in result.stdout
    assert result.stdout.rstrip().endswith(
        "- Top customer of the last 30 days: Aarav Mehta (CUST-001), ₹12,749."
    )
    assert "- Revenue ₹21,679 from 3 orders by 2 customers (₹10,840 per customer)." in result.stdout
    assert (tmp_path / "data" / "outputs" / "memory" / "top_customers.csv").exists()


def test_run_json_is_the_kpis_json_document(tmp_path: Path) -> None:
    invoke("ingest", "-c", str(OFFICIAL_CUSTOMERS), "-o", str(OFFICIAL_ORDERS))
    result = invoke("run", "--format", "json", "--top", "3", "--window-days", "7")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["top"] == 3 and document["window_days"] == 7
    saved = json.loads((tmp_path / "data" / "outputs" / "memory" / "kpis.json").read_text())
    assert saved == document


def test_sample_directory_ingest(tmp_path: Path) -> None:
    result = invoke("ingest", "-c", str(SAMPLE_DIR), "-o", str(SAMPLE_DIR), "--quiet")
    assert result.exit_code == 0
    assert "memory: 10 file(s) ingested, 0 skipped" in result.stdout


def usage_error(command: str, message: str) -> str:
    """Click's short usage hint of `akasa COMMAND`, then one `Error:` line."""
    usage = f"akasa {command} [OPTIONS]" if command else "akasa [OPTIONS] COMMAND [ARGS]..."
    path = f"akasa {command}" if command else "akasa"
    return f"Usage: {usage}\nTry '{path} -h' for help.\n\nError: {message}\n"


@pytest.mark.parametrize(
    ("args", "command", "message"),
    [
        (
            ["run", "--as-of", "yesterday"],
            "run",
            "--as-of must be latest, now or a date YYYY-MM-DD, not 'yesterday'",
        ),
        (["ingest"], "ingest", "give --customers and/or --orders"),
        (["nosuchcommand"], "", "No such command 'nosuchcommand'."),
        (["inget"], "", "No such command 'inget'. Did you mean 'ingest'?"),
        (
            ["run", "--as-of", "9999-12-31"],
            "run",
            "--as-of must be a date from 1000-01-01 to 9998-12-31, not '9999-12-31'",
        ),
        (
            ["run", "--as-of", "0001-01-01"],
            "run",
            "--as-of must be a date from 1000-01-01 to 9998-12-31, not '0001-01-01'",
        ),
        (["run", "--bogus"], "run", "No such option: --bogus"),
    ],
)
def test_bad_usage_exits_2_with_the_usage_hint_and_one_error(
    args: list[str], command: str, message: str
) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr == usage_error(command, message)
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "command", "start"),
    [
        (["run", "--mode", "bogus"], "run", "Invalid value for '--mode' / '-m': "),
        (["run", "--top", "0"], "run", "Invalid value for '--top': "),
        (["sql"], "sql", "Missing argument 'QUERY'."),
    ],
)
def test_click_usage_errors_keep_the_short_hint(args: list[str], command: str, start: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    hint, error = result.stderr.split("\n\n")
    assert (
        hint == f"Usage: akasa {command} [OPTIONS]{' {QUERY}' if command == 'sql' else ''}\n"
        f"Try 'akasa {command} -h' for help."
    )
    assert error.startswith(f"Error: {start}") and error.count("\n") == 1


def test_no_arguments_prints_the_help_once_and_exits_2() -> None:
    result = invoke()
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Usage: akasa [OPTIONS] COMMAND [ARGS]...\n")
    assert result.stderr.count("Usage:") == 1 and "Commands:" in result.stderr
    assert "Error" not in result.stderr and "exit 2" not in result.stderr
    assert result.stderr == invoke("--help").stdout


def test_refused_file_exits_1_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<orders><order>")
    result = invoke("ingest", "--orders", str(bad))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {bad}: not well-formed XML (no element found, line 1, column 16)\n"
    )
    assert not (tmp_path / "data" / "store" / "manifest.json").exists()


def test_missing_column_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "c.csv"
    bad.write_text("customer_id,customer_name,region\nC1,A,N\n")
    result = invoke("ingest", "--customers", str(bad))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {bad}: missing required column(s): mobile_number\n"


def test_run_on_empty_store_exits_1() -> None:
    result = invoke("run")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the memory store holds no orders yet; run akasa ingest first\n"
    )


def test_report_without_outputs_exits_1() -> None:
    result = invoke("report")
    assert result.exit_code == 1
    assert result.stderr == "Error: no KPI outputs yet; run akasa run first\n"
    assert invoke("report", "--mode", "table").stderr == result.stderr


def test_ingest_run_report_names_the_files_written(tmp_path: Path) -> None:
    invoke("ingest", "-c", str(OFFICIAL_CUSTOMERS), "-o", str(OFFICIAL_ORDERS))
    invoke("run")
    result = invoke("report", "--quiet")
    assert result.exit_code == 0, result.output
    reports = tmp_path / "data" / "reports" / "memory"
    charts = ", ".join(
        f"{name}.{ext}"
        for name in ("monthly_trends", "regional_revenue", "top_customers", "repeat_customers")
        for ext in ("png", "html")
    )
    # The official orders end 2025-11-01, long before this run: warned, unless --quiet.
    assert result.stdout == (
        f"Wrote {reports / 'report.html'} and 8 chart files in {reports}: {charts}\n"
    )
    assert len(list(reports.iterdir())) == 9
    loud = invoke("report")
    assert loud.stdout.startswith("Warning: The newest order (2025-11-01 14:22) is ")
    assert loud.stdout.splitlines()[-1] == result.stdout.strip()


@pytest.mark.parametrize(
    "args", [["--debug", "run"], ["run", "--debug"], ["run", "--debug", "-m", "memory"]]
)
def test_debug_anywhere_shows_the_traceback(tmp_path: Path, args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith("Traceback (most recent call last)")
    assert "No such option" not in result.stderr
    assert result.stderr.endswith(
        "\nError: the memory store holds no orders yet; run akasa ingest first\n"
    )
    assert [line for line in result.stderr.splitlines() if line.startswith("Error:")] == [
        "Error: the memory store holds no orders yet; run akasa ingest first"
    ]


def test_sql_reads_and_refuses_writes(tmp_path: Path) -> None:
    invoke("ingest", "-c", str(OFFICIAL_CUSTOMERS), "-o", str(OFFICIAL_ORDERS))
    result = invoke("sql", "SELECT count(*) AS n FROM order_lines", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [{"n": 10}]
    refused = invoke("sql", "DELETE FROM customers")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: only read-only SELECT queries are allowed (DELETE statement refused)\n"
    )


def test_sql_masks_mobile_numbers(tmp_path: Path) -> None:
    invoke("ingest", "-c", str(OFFICIAL_CUSTOMERS))
    result = invoke("sql", "SELECT mobile_number FROM customers ORDER BY 1 LIMIT 1")
    assert "91XXXXXX81" in result.stdout and "9123456781" not in result.stdout


def test_generate_command(tmp_path: Path) -> None:
    result = invoke(
        "generate", str(tmp_path / "g"), "--customers", "5", "--orders", "20", "--days", "2"
    )
    assert result.exit_code == 0
    assert result.stdout.startswith("Wrote ")
    assert len(list((tmp_path / "g").iterdir())) == 4


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.startswith("akasa ")


def test_a_huge_window_is_a_usage_error(tmp_path: Path) -> None:
    assert (
        invoke("ingest", "-c", str(OFFICIAL_CUSTOMERS), "-o", str(OFFICIAL_ORDERS)).exit_code == 0
    )
    result = invoke("run", "--window-days", "1000000")
    assert result.exit_code == 2
    assert result.stderr == usage_error("run", "--window-days must be from 1 to 36600, not 1000000")


def test_what_if_runs_leave_the_days_outputs_alone(tmp_path: Path) -> None:
    invoke("ingest", "-c", str(OFFICIAL_CUSTOMERS), "-o", str(OFFICIAL_ORDERS))
    what_if = tmp_path / "what-if"
    result = invoke("run", "--as-of", "2025-10-31", "--output", str(what_if))
    assert result.exit_code == 0, result.output
    assert f"Outputs written to {what_if}" in result.stdout
    assert (what_if / "kpis.json").exists()
    printed = invoke("run", "--no-write", "--format", "json")
    assert printed.exit_code == 0 and json.loads(printed.stdout)["as_of"].startswith("2025-11-01")
    assert not (tmp_path / "data" / "outputs").exists()
    assert "Outputs not written (--no-write)." in invoke("run", "--no-write").stdout
    both = invoke("run", "--no-write", "--output", str(what_if))
    assert both.exit_code == 2
    assert both.stderr == usage_error("run", "give --output or --no-write, not both")


def test_an_as_of_after_the_newest_order_warns_on_stderr(tmp_path: Path) -> None:
    invoke("ingest", "-c", str(OFFICIAL_CUSTOMERS), "-o", str(OFFICIAL_ORDERS))
    result = invoke("run", "--as-of", "2025-12-01", "--no-write", "--format", "json")
    assert result.exit_code == 0
    assert result.stderr == (
        "Warning: --as-of 2025-12-01 is after the newest order (2025-11-01T14:22:10+05:30): "
        "the days after it hold no orders in these KPIs\n"
    )
    assert json.loads(result.stdout)["as_of"] == "2025-12-01T23:59:59+05:30"
    assert invoke("run", "--no-write").stderr == ""
