"""The one error boundary: one `Error:` line (a usage error also gets Click's short usage
hint), never a second copy of it, whatever fails and wherever --debug is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from akasa.cli import app
from akasa.core.errors import Interrupted
from akasa.core.interrupts import NOTHING_APPLIED
from tests.conftest import OFFICIAL_CUSTOMERS

runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def generate_usage(message: str) -> str:
    return (
        "Usage: akasa generate [OPTIONS] {OUT_DIR}\n"
        "Try 'akasa generate -h' for help.\n\n"
        f"Error: {message}\n"
    )


def test_generate_refuses_a_folder_that_holds_files(tmp_path: Path) -> None:
    out = tmp_path / "drops"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = invoke("generate", str(out), "--orders", "10", "--days", "1")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {out} is not empty; choose a new folder or add --force to write into it\n"
    )
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    forced = invoke("generate", str(out), "--orders", "10", "--days", "1", "--force")
    assert forced.exit_code == 0, forced.output
    assert len(list(out.iterdir())) == 3 and (out / "notes.txt").read_text() == "mine"


def test_generate_into_a_file_or_an_unwritable_place(tmp_path: Path) -> None:
    a_file = tmp_path / "drops"
    a_file.write_text("x")
    result = invoke("generate", str(a_file))
    assert (result.exit_code, result.stderr) == (1, f"Error: {a_file} exists and is not a folder\n")
    nested = a_file / "sub"
    result = invoke("generate", str(nested))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot create {nested}: ")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "yesterday"], "--start must be a date YYYY-MM-DD, not 'yesterday'"),
        (["--start", "9999-12-30", "--days", "5"], "--start 9999-12-30 plus --days 5 goes past"),
        (["--dirty", "2"], "Invalid value for '--dirty': "),
        (["--orders", "0"], "Invalid value for '--orders': "),
        (["--days", "many"], "Invalid value for '--days': "),
    ],
)
def test_generate_usage_errors_have_one_error_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = invoke("generate", str(tmp_path / "new"), *args)
    assert result.exit_code == 2
    hint, error = result.stderr.split("\n\n")
    assert hint + "\n\n" == generate_usage("x")[: -len("Error: x\n")]
    assert error.startswith(f"Error: {message}") and error.count("\n") == 1
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    "args", [["run"], ["ingest", "-c", str(OFFICIAL_CUSTOMERS)], ["sql", "SELECT 1"]]
)
def test_a_bad_timezone_is_one_line(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    monkeypatch.setenv("AKASA_TIMEZONE", "Mars/Olympus")
    result = invoke(*args)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: invalid setting AKASA_TIMEZONE: unknown time zone 'Mars/Olympus'\n"
    )


@pytest.mark.parametrize(
    ("args", "env", "first"),
    [
        (["generate", "{tmp}/g", "--start", "bad"], {}, "Usage: akasa generate "),
        (["run"], {"AKASA_TIMEZONE": "Mars/Olympus"}, "Error: invalid setting AKASA_TIMEZONE"),
        (["inget"], {}, "Usage: akasa [OPTIONS] COMMAND [ARGS]..."),
        (["run", "--debug", "--top", "0"], {}, "Traceback (most recent call last)"),
    ],
)
def test_a_real_process_writes_one_error_line_and_no_echo(
    tmp_path: Path, args: list[str], env: dict[str, str], first: str
) -> None:
    """No "exit 2: ..." from Python's last-resort log handler, in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-m", "akasa", *(a.format(tmp=tmp_path) for a in args)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "AKASA_DATA_DIR": str(tmp_path / "data"), **env},
        check=False,
    )
    assert done.returncode in (1, 2)
    assert done.stderr.startswith(first)
    assert "exit 1" not in done.stderr and "exit 2" not in done.stderr
    assert [line for line in done.stderr.splitlines() if line.startswith("Error:")] == [
        done.stderr.splitlines()[-1]
    ]
    assert "No such option" not in done.stderr


def test_debug_after_the_command_shows_the_usage_error_traceback() -> None:
    result = invoke("run", "--top", "0", "--debug")
    assert result.exit_code == 2
    assert result.stderr.startswith("Traceback (most recent call last)")
    assert result.stderr.endswith(
        "Usage: akasa run [OPTIONS]\nTry 'akasa run -h' for help.\n\n"
        "Error: Invalid value for '--top': Input should be greater than or equal to 1\n"
    )


def test_ctrl_c_in_a_command_is_exit_130_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("akasa.pipeline.run.run", interrupted)
    result = invoke("run")
    assert (result.exit_code, result.stderr, result.stdout) == (130, "Interrupted\n", "")


def test_an_interrupted_ingest_says_nothing_was_applied(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise Interrupted(NOTHING_APPLIED)

    monkeypatch.setattr("akasa.pipeline.ingest.ingest", interrupted)
    result = invoke("ingest", "-c", str(OFFICIAL_CUSTOMERS))
    assert result.exit_code == 130
    assert result.stderr == "Interrupted: nothing from this ingest was applied\n"
    (log,) = (tmp_path / "data" / "logs").glob("ingest-*.log")
    assert "exit 130: Interrupted: nothing from this ingest was applied" in log.read_text()
