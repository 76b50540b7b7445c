"""Another ingest's lock: waited for (`--wait`) with a message, or refused in akasa's own
words, in every store; and a database user without a privilege is told which."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from filelock import FileLock
from typer.testing import CliRunner

from akasa.backends.base import Mode
from akasa.backends.open import open_backend
from akasa.cli import app
from akasa.cli.options import IngestMode
from akasa.core.config import Settings, load_settings
from akasa.core.errors import LockedError
from akasa.core.waiting import LockWait
from akasa.pipeline.ingest import ingest
from akasa.pipeline.locking import LOCK_FILE
from akasa.pipeline.migrate import migrate
from tests.conftest import OFFICIAL_CUSTOMERS
from tests.db import TestDatabase

runner = CliRunner()


@contextmanager
def released_after(seconds: float, release: Callable[[], None]) -> Iterator[None]:
    """Something holding a lock lets go after `seconds`, as a killed ingest's rollback
    ends on the server."""
    timer = threading.Timer(seconds, release)
    timer.start()
    try:
        yield
    finally:
        timer.join()


def test_ingest_waits_for_the_data_directory_lock() -> None:
    settings = load_settings()
    settings.data_dir.mkdir(parents=True)
    lock = FileLock(settings.data_dir / LOCK_FILE, thread_local=False)
    lock.acquire()
    with released_after(1.5, lock.release):
        result = runner.invoke(app, ["ingest", "-c", str(OFFICIAL_CUSTOMERS), "--wait", "30"])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Warning: waiting up to 30 s for another akasa ingest on this data directory to "
        "finish (--wait)\n"
    )
    assert "1 file(s) ingested" in result.stdout


def test_a_wait_that_runs_out_says_how_long_it_waited() -> None:
    settings = load_settings()
    settings.data_dir.mkdir(parents=True)
    with FileLock(settings.data_dir / LOCK_FILE):
        result = runner.invoke(app, ["ingest", "-c", str(OFFICIAL_CUSTOMERS), "--wait", "1"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: another akasa ingest is running on this data directory (waited 1 s); "
        "try again when it ends"
    )


def test_the_wait_default_is_documented() -> None:
    help_text = runner.invoke(app, ["ingest", "-h"], env={"COLUMNS": "200"}).stdout
    assert "--wait SECONDS" in help_text and "[default: 60]" in help_text
    negative = runner.invoke(app, ["ingest", "-c", str(OFFICIAL_CUSTOMERS), "--wait", "-1"])
    assert negative.exit_code == 2
    assert negative.stderr.endswith("Error: --wait takes 0 or more seconds\n")
    assert "--wait SECONDS" in (Path(__file__).parents[2] / "docs" / "operations.md").read_text()


def table_ingest(settings: Settings, wait: LockWait) -> None:
    ingest(settings, [OFFICIAL_CUSTOMERS], [], IngestMode.table.modes(), wait=wait)


def test_ingest_waits_for_the_database_lock(database: TestDatabase) -> None:
    """Another data directory's ingest holds the database's ingest lock (MariaDB's named
    lock, PostgreSQL's advisory lock, SQLite's write lock on the file); after a SIGKILL a
    server holds it until its rollback ends. Waited for, with a note, then the ingest
    lands."""
    settings = database.settings()
    migrate(settings)
    holder = open_backend(settings, Mode.table).begin()
    notes: list[str] = []
    with released_after(1.5, holder.rollback):
        table_ingest(settings, LockWait(30, notes.append, step=0.2))
    assert notes == [
        "waiting up to 30 s for another akasa ingest on this database to finish (--wait)"
    ]
    assert database.counts()["customers"] == 5


def test_a_database_lock_wait_that_runs_out(database: TestDatabase) -> None:
    """SQLite too says it in akasa's words, never `database is locked`."""
    settings = database.settings()
    migrate(settings)
    holder = open_backend(settings, Mode.table).begin()
    try:
        with pytest.raises(LockedError) as caught:
            table_ingest(settings, LockWait(1, step=0.2))
    finally:
        holder.rollback()
    assert str(caught.value) == (
        "another akasa ingest is writing to this database (waited 1 s); try again when it ends"
    )
