"""Settings through the command line: warnings for variables akasa ignores, one safe error
for a database URL it cannot use."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from akasa.cli import app
from tests.conftest import each_table_command

runner = CliRunner()
PASSWORD = "Zq7@Xv9"


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def everything(result, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    """What a person could read after the command: its output and its log files."""
    logs = "".join(p.read_text() for p in (tmp_path / "data" / "logs").glob("*.log"))
    return result.stdout + result.stderr + logs


MISSPELT = {
    "DB_USER": "DB_USERNAME",
    "DB_PASS": "DB_PASSWORD",
    "DB_NAME": "DB_DATABASE",
    "AKASA_DB_URL": "AKASA_DATABASE_URL",
}


def test_misspelt_variables_are_warned_once_each(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in MISSPELT:
        monkeypatch.setenv(name, "x")
    result = invoke("migrate")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"Warning: {name} is not an akasa setting; did you mean {meant}?"
        for name, meant in sorted(MISSPELT.items())
    ]
    assert result.stdout.startswith("Database schema upgraded")


def test_dotenv_variables_are_warned_about_too() -> None:
    Path(".env").write_text("AKASA_TIMEZON=Europe/London\nDB_PASS=x\n")
    result = invoke("migrate")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "Warning: AKASA_TIMEZON (in .env) is not an akasa setting; did you mean AKASA_TIMEZONE?",
        "Warning: DB_PASS (in .env) is not an akasa setting; did you mean DB_PASSWORD?",
    ]


def test_help_and_generate_do_not_warn(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DB_USER", "x")
    assert invoke("run", "--help").stderr == ""
    result = invoke("generate", str(tmp_path / "g"), "--customers", "2", "--orders", "4")
    assert result.exit_code == 0 and result.stderr == ""


MALFORMED = {
    "unencoded-at": (
        f"mysql+mysqldb://akasa:{PASSWORD}@127.0.0.1:3306/akasa",
        "Error: AKASA_DATABASE_URL is not a valid database URL: an '@' in the user name or "
        "password must be written as %40 (percent-encode special characters there)\n",
    ),
    "unencoded-at-postgresql": (
        f"postgresql+psycopg://akasa:{PASSWORD}@127.0.0.1/akasa",
        "Error: AKASA_DATABASE_URL is not a valid database URL: an '@' in the user name or "
        "password must be written as %40 (percent-encode special characters there)\n",
    ),
    "port-not-a-number": (
        "mysql+mysqldb://akasa:Zq7Xv9@127.0.0.1:Zq7/akasa",
        "Error: AKASA_DATABASE_URL is not a valid database URL: the port is not a number\n",
    ),
    "not-a-url": (
        f"akasa:{PASSWORD}@127.0.0.1",
        "Error: AKASA_DATABASE_URL is not a valid database URL (expected "
        "dialect+driver:// followed by user:password@host:port/database)\n",
    ),
}


@pytest.mark.parametrize(("url", "error"), MALFORMED.values(), ids=MALFORMED.keys())
@each_table_command
def test_a_malformed_url_is_one_error_that_shows_no_password(
    url: str, error: str, args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AKASA_DATABASE_URL", url)
    result = invoke(*args)
    assert result.exit_code == 1
    assert result.stderr == error
    seen = everything(result, tmp_path)
    for part in ("Zq7", "Xv9"):
        assert part not in seen
    debug = invoke("--debug", *args)
    assert "Traceback" in debug.stderr
    assert "Zq7" not in debug.stdout + debug.stderr and "Xv9" not in debug.stderr


DRIVERS = {
    "pymysql": ("mysql+pymysql://u:pw@127.0.0.1/db", "pymysql", "pip install pymysql"),
    "mysqlclient": ("mysql://u:pw@127.0.0.1/db", "MySQLdb", "pip install mysqlclient"),
    "psycopg2": (
        "postgresql+psycopg2://u:pw@127.0.0.1/db",
        "psycopg2",
        "pip install psycopg2-binary",
    ),
    "psycopg": (
        "postgresql://u:pw@127.0.0.1/db",
        "psycopg",
        "pip install 'psycopg[binary]'",
    ),
}


@pytest.mark.parametrize(("url", "module", "command"), DRIVERS.values(), ids=DRIVERS.keys())
def test_a_missing_driver_names_the_install_command(
    url: str, module: str, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # importing it now fails, as if absent
    monkeypatch.setenv("AKASA_DATABASE_URL", url)
    result = invoke("run", "--mode", "table")
    assert result.exit_code == 1
    driver = url.split(":", 1)[0]
    assert result.stderr == (
        f"Error: the database driver for {driver} is not installed ({command})\n"
    )
