"""What cron jobs and operators rely on: several paths after one option (an unquoted shell
glob), --quiet everywhere, ingest --format json, helps with examples, shell completion,
generate's progress."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from akasa.cli import app
from akasa.cli.app import spread_values
from akasa.core.config import Settings
from akasa.generate import generate
from tests.conftest import OFFICIAL_CUSTOMERS, OFFICIAL_ORDERS, SAMPLE_DIR
from tests.test_docs import Command, check, command_names, help_text

runner = CliRunner()
CSVS = sorted(str(p) for p in SAMPLE_DIR.glob("*.csv"))
XMLS = sorted(str(p) for p in SAMPLE_DIR.glob("*.xml"))


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


# ---- several paths after one option ---------------------------------------------------------


def test_spread_values_gives_each_following_word_the_option() -> None:
    many = {"-c", "--customers", "-o", "--orders"}
    assert spread_values(["-c", "a", "b", "-o", "x", "y", "-m", "both", "-q"], many) == [
        "-c", "a", "-c", "b", "-o", "x", "-o", "y", "-m", "both", "-q",
    ]  # fmt: skip
    assert spread_values(["--customers=a", "b", "--orders", "-x.xml", "y"], many) == [
        "--customers=a", "--customers", "b", "--orders", "-x.xml", "--orders", "y",
    ]  # fmt: skip
    assert spread_values(["-ca", "b", "--", "c"], many) == ["-ca", "-c", "b", "--", "c"]
    assert spread_values(["-m", "table", "a"], many) == ["-m", "table", "a"]  # not spread
    assert spread_values(["-c"], many) == ["-c"]


def test_ingest_takes_several_files_after_one_option(settings: Settings) -> None:
    result = invoke("ingest", "-c", *CSVS, "-o", *XMLS, "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("memory: 10 file(s) ingested, 0 skipped, 10 record(s)")
    again = invoke("ingest", "--orders", *XMLS[:2], "--customers", CSVS[0], "-q")
    assert again.stdout.startswith("memory: 0 file(s) ingested, 3 skipped")


def test_an_unquoted_shell_glob_works(tmp_path: Path) -> None:
    """The shell expands the glob into many words: what cron's `sh -c` does."""
    drops = tmp_path / "drops"
    drops.mkdir()
    for path in [*CSVS, *XMLS]:
        (drops / Path(path).name).write_bytes(Path(path).read_bytes())
    akasa = f"{shlex.quote(sys.executable)} -m akasa"
    done = subprocess.run(
        ["sh", "-c", f"{akasa} ingest -c drops/*.csv -o drops/*.xml -m memory -q -f json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "AKASA_DATA_DIR": str(tmp_path / "data")},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (store,) = json.loads(done.stdout)["stores"]
    assert store["ingested"] == 10
    assert [f["file"] for f in store["files"]] == [Path(p).name for p in [*CSVS, *XMLS]]


def test_a_word_after_the_paths_that_is_no_path_is_refused() -> None:
    result = invoke("ingest", "-c", CSVS[0], "-m", "memory", "stray")
    assert result.exit_code == 2
    assert result.stderr.endswith("Error: Got unexpected extra argument(s) (stray)\n")


# ---- --quiet and --format json --------------------------------------------------------------


@pytest.mark.parametrize("command", ["ingest", "run", "report", "migrate", "sql", "generate"])
def test_every_command_has_quiet(command: str) -> None:
    assert re.search(r"-q, --quiet\s+Print only the final result line", help_text(command))


def test_ingest_json_is_the_per_file_accounting(settings: Settings) -> None:
    result = invoke(
        "ingest", "-c", str(OFFICIAL_CUSTOMERS), "-o", str(OFFICIAL_ORDERS), "--format", "json"
    )
    assert result.exit_code == 0, result.output
    (store,) = json.loads(result.stdout)["stores"]
    assert (store["store"], store["ingested"], store["skipped"], store["rejected"]) == (
        "memory", 2, 0, 0,
    )  # fmt: skip
    customers, orders = store["files"]
    assert customers["file"] == "task_DE_new_customers.csv" and customers["batch_id"] == 1
    assert orders == {
        "file": "task_DE_new_orders.xml",
        "kind": "orders",
        "sha256": orders["sha256"],
        "status": "ingested",
        "batch_id": 2,
        "read": 10,
        "accepted": 10,
        "rejected": 0,
        "duplicates": 0,
        "superseded": 0,
        "note": None,
        "quarantine_file": None,
    }
    again = json.loads(invoke("ingest", "-o", str(OFFICIAL_ORDERS), "-f", "json", "-q").stdout)
    (skipped,) = again["stores"][0]["files"]
    assert skipped["status"] == "skipped" and skipped["note"] == "already ingested (batch 2)"
    assert skipped["read"] is None


def test_quiet_prints_only_the_final_lines(settings: Settings, tmp_path: Path) -> None:
    invoke("ingest", "-c", str(OFFICIAL_CUSTOMERS), "-o", str(OFFICIAL_ORDERS))
    run = invoke("run", "--quiet")
    assert run.exit_code == 0 and run.stdout.startswith("Summary as of 2025-11-01 (memory mode):")
    assert "Top customers" not in run.stdout
    sql = invoke("sql", "SELECT count(*) AS n FROM orders", "-q")
    assert sql.stdout.split() == ["n", "─", "3"]
    made = invoke("generate", str(tmp_path / "g"), "--orders", "30", "--days", "2", "-q")
    assert made.stdout == (
        f"Wrote 1,016 customer rows and 30 order lines (13 orders) over 2 day(s) to "
        f"{tmp_path / 'g'}\n"
    )


# ---- help, completion -----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["ingest", "run", "report", "migrate", "sql", "generate"])
def test_every_help_has_examples_that_work(command: str) -> None:
    text = help_text(command)
    examples = text.split("Examples:\n", 1)[1].splitlines()
    commands = [shlex.split(line) for line in examples if line.strip()]
    assert 1 <= len(commands) <= 4
    for words in commands:
        assert words[:2] == ["akasa", command]
        assert check(Command("help", " ".join(words), tuple(words[1:]))) == []


def test_metavars_are_readable() -> None:
    helps = [help_text(), *(help_text(name) for name in command_names())]
    for text in helps:
        options = text.split("Options:\n", 1)[1]
        assert not re.search(r"<[^>]*>", options.replace("<order>", ""))  # no <list[str]>
    assert "-c, --customers PATH..." in help_text("ingest")
    assert "--max-reject-rate RATE" in help_text("ingest")
    assert "Usage: akasa sql [OPTIONS] {QUERY}" in help_text("sql")


def test_shell_completion_is_enabled(tmp_path: Path) -> None:
    assert "--install-completion" in help_text() and "--show-completion" in help_text()
    done = subprocess.run(
        [sys.executable, "-m", "akasa"],
        env={
            **os.environ,
            "_AKASA_COMPLETE": "complete_bash",
            "COMP_WORDS": "akasa in",
            "COMP_CWORD": "1",
        },
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ingest"]


# ---- generate's progress --------------------------------------------------------------------


def test_generate_reports_its_progress(tmp_path: Path) -> None:
    heard: list[tuple[str, int, int]] = []
    generate(
        tmp_path / "g",
        customers=50,
        order_lines=12_000,
        days=2,
        progress=lambda *a: heard.append(a),
    )
    assert heard[0] == ("Writing customers_2025-01-01.csv", 0, 12_000)
    assert heard[-1] == ("Done", 12_000, 12_000)
    assert ("Writing customers_2025-01-02.csv", 6_000, 12_000) in heard
    assert any(what == "Writing orders_2025-01-02.xml" and d > 6_000 for what, d, _ in heard)
    done = [d for _, d, _ in heard]
    assert done == sorted(done) and any(0 < d < 6_000 for d in done)
