"""Progress reporting from the library, and a fast `akasa --help`."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from akasa.cli.render import TerminalProgress
from akasa.core.config import Settings
from akasa.pipeline.ingest import ingest
from tests.conftest import SAMPLE_DIR


class Recorder:
    """A Progress that remembers what it was told."""

    def __init__(self) -> None:
        self.total = 0
        self.labels: list[str] = []
        self.advanced = 0
        self.finished = 0

    def start(self, total: int, label: str) -> None:
        self.total += total
        self.labels.append(label)

    def advance(self, amount: int) -> None:
        self.advanced += amount

    def finish(self) -> None:
        self.finished += 1


def test_ingest_reports_every_byte_read(settings: Settings) -> None:
    recorder = Recorder()
    ingest(settings, [SAMPLE_DIR], [SAMPLE_DIR], progress=recorder)
    size = sum(p.stat().st_size for p in SAMPLE_DIR.iterdir())
    assert recorder.labels == ["reading"] and recorder.total == size
    assert recorder.advanced == size and recorder.finished == 1


def test_no_progress_bar_when_quiet_or_not_a_terminal() -> None:
    assert TerminalProgress.maybe(quiet=True) is None
    assert TerminalProgress.maybe(quiet=False) is None  # pytest's stdout is not a terminal


def test_help_imports_no_heavy_library(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from akasa.cli import app\n"
        "from typer.testing import CliRunner\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0\n"
        "assert CliRunner().invoke(app, ['ingest', '--help']).exit_code == 0\n"
        "assert CliRunner().invoke(app, []).exit_code == 2\n"  # the help, on stderr
        "heavy = {'polars', 'duckdb', 'altair', 'sqlalchemy', 'pyarrow', 'vl_convert'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert out.stdout.strip() == "[]"


NOT_NEEDED = {
    # The daily run in memory mode: what each command must leave unimported (DuckDB is for
    # `akasa sql`, SQLAlchemy for table mode, the chart libraries for `akasa report`).
    "ingest": {"duckdb", "sqlalchemy", "alembic", "altair", "vl_convert", "jinja2", "pyarrow"},
    "run": {"duckdb", "sqlalchemy", "alembic", "altair", "vl_convert", "jinja2", "xmltodict"},
    "report": {"duckdb", "sqlalchemy", "alembic", "xmltodict"},
}


def test_each_daily_command_imports_only_what_it_needs(tmp_path: Path) -> None:
    commands = {
        "ingest": ["ingest", "-c", str(SAMPLE_DIR), "-o", str(SAMPLE_DIR), "-q"],
        "run": ["run", "-q"],
        "report": ["report", "-q"],
    }
    env = {**os.environ, "AKASA_DATA_DIR": str(tmp_path / "data")}
    for name, args in commands.items():
        assert _modules_after(args, tmp_path, env) & NOT_NEEDED[name] == set(), name


def _modules_after(args: list[str], cwd: Path, env: dict[str, str]) -> set[str]:
    """The top-level packages loaded once `akasa <args>` has run in a fresh interpreter."""
    code = (
        "import sys\n"
        "from akasa.cli import app\n"
        "from typer.testing import CliRunner\n"
        f"result = CliRunner().invoke(app, {args!r})\n"
        "assert result.exit_code == 0, result.output\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=cwd, env=env
    )
    return set(ast.literal_eval(out.stdout.strip().splitlines()[-1]))


def test_a_table_mode_run_does_not_import_alembic(tmp_path: Path) -> None:
    """The schema check compares the database's revision with `HEAD`: Alembic is for
    `akasa migrate` only."""
    env = {**os.environ, "AKASA_DATA_DIR": str(tmp_path / "data")}
    env.pop("AKASA_DATABASE_URL", None)  # the default SQLite database in the data dir
    steps = [["migrate"], ["ingest", "-m", "table", "-c", str(SAMPLE_DIR), "-o", str(SAMPLE_DIR)]]
    prepare = (
        "from akasa.cli import app\n"
        "from typer.testing import CliRunner\n"
        f"for args in {steps!r}:\n"
        "    result = CliRunner().invoke(app, args)\n"
        "    assert result.exit_code == 0, result.output\n"
    )
    subprocess.run([sys.executable, "-c", prepare], check=True, cwd=tmp_path, env=env)
    loaded = _modules_after(["run", "-m", "table", "-q"], tmp_path, env)
    assert "sqlalchemy" in loaded and "alembic" not in loaded
