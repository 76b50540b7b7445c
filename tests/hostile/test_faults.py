"""Kills and races: an ingest lands whole or not at all, and never interleaves with another."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from filelock import FileLock
from typer.testing import CliRunner

from akasa.backends.base import Mode
from akasa.backends.lake.store import Lake
from akasa.backends.open import open_backend
from akasa.backends.sql import schema
from akasa.backends.sql.engine import open_database
from akasa.backends.sql.migrate import downgrade
from akasa.cli import app
from akasa.core.config import load_settings
from akasa.core.errors import LockedError
from akasa.core.tables import SCHEMAS
from akasa.generate import generate
from akasa.pipeline.locking import LOCK_FILE
from akasa.pipeline.migrate import migrate
from tests.builders import load
from tests.conftest import OFFICIAL_CUSTOMERS
from tests.db import TestDatabase

TABLES = [t for t in SCHEMAS if t != "batches"]


def akasa(data_dir: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AKASA_DATA_DIR": str(data_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "akasa", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def table_ingest(data_dir: Path, drop: Path) -> subprocess.Popen[bytes]:
    return akasa(data_dir, "ingest", "-m", "table", "-c", str(drop), "-o", str(drop), "-q")


def wait_for_log(data_dir: Path, victim: subprocess.Popen[bytes], line: str) -> None:
    """Returns once the victim's lines in the ingest log (`<data dir>/logs/ingest-<day>.log`,
    each line naming its process) hold `line`: the ingest has reached that point and is
    still running (or just past it)."""
    deadline = time.monotonic() + 120
    mine = f" [{victim.pid}] "
    while True:
        ended = victim.poll() is not None
        logs = (data_dir / "logs").glob("ingest-*.log")
        texts = [log.read_text(encoding="utf-8") for log in logs]
        if any(mine in row and line in row for text in texts for row in text.splitlines()):
            return
        if ended:
            pytest.fail(f"the ingest ended (exit {victim.returncode}) before logging {line!r}")
        if time.monotonic() > deadline:
            pytest.fail(f"the ingest did not log {line!r} within 120 s")
        time.sleep(0.01)


def children(pid: int) -> set[int]:
    """The live child processes of `pid` (its XML worker pool)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found |= {int(child) for child in task.read_text().split()}
    return found


def store_state(data_dir: Path) -> dict[str, pl.DataFrame]:
    """Every current table, sorted; the ledger without its wall-clock times."""
    lake = Lake(data_dir / "store")
    state = {t: lake.current(t).collect() for t in TABLES}
    state = {t: f.sort(f.columns) for t, f in state.items()}
    state["batches"] = lake.ledger().drop("started_at", "finished_at")
    return state


def assert_same_state(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for table in a:
        assert a[table].equals(b[table]), table


@pytest.fixture(scope="module")
def drop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("drop")
    generate(folder, customers=3000, order_lines=120_000, days=3, seed=11, dirty=0.02)
    return folder


@pytest.fixture(scope="module")
def reference(drop: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    data = tmp_path_factory.mktemp("reference")
    done = akasa(data, "ingest", "-c", str(drop), "-o", str(drop), "-q")
    assert done.wait(120) == 0, done.stderr.read() if done.stderr else ""
    return store_state(data)


@pytest.mark.slow
def test_sigkill_at_each_stage_then_ingest_again(
    drop: Path, reference: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    data = tmp_path / "victim"
    killed_mid_way = 0
    orphans: set[int] = set()
    # Kill points, in the order an ingest reaches them (3 customers files are batches 1-3, 3
    # orders files 4-6): started, nothing staged; one batch folder written; every customers
    # batch written, the XML workers starting; one and two orders batches written, the
    # workers parsing the next file.
    for line in (
        "akasa.cli: akasa ",
        "-> batch 1:",
        "-> batch 3:",
        "-> batch 4:",
        "-> batch 5:",
    ):
        victim = akasa(data, "ingest", "-c", str(drop), "-o", str(drop), "-q")
        wait_for_log(data, victim, line)
        if victim.poll() is None:
            orphans |= children(victim.pid)
            victim.send_signal(signal.SIGKILL)
            killed_mid_way += 1
        victim.wait(60)
        # Readers see all of the ingest or none of it, never a part.
        state = store_state(data)
        if state["batches"].height:
            assert_same_state(state, reference)
        else:
            assert all(frame.is_empty() for frame in state.values())
    assert killed_mid_way >= 1
    assert orphans, "no kill landed while the worker pool was up"
    # Worker processes die with the ingest that started them.
    deadline = time.monotonic() + 5
    while orphans and time.monotonic() < deadline:
        orphans = {pid for pid in orphans if Path(f"/proc/{pid}").exists()}
        time.sleep(0.1)
    assert not orphans
    again = akasa(data, "ingest", "-c", str(drop), "-o", str(drop), "-q")
    assert again.wait(120) == 0
    assert_same_state(store_state(data), reference)
    # Leftovers of the killed runs are gone after the clean ingest.
    landed = {f"{b:06d}" for b in reference["batches"]["batch_id"]}
    assert {p.name for p in (data / "store" / "batches").iterdir()} == landed


@pytest.mark.slow
def test_two_ingests_at_once_never_interleave(
    drop: Path, reference: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    data = tmp_path / "race"
    first = akasa(data, "ingest", "-c", str(drop), "-o", str(drop), "-q")
    second = akasa(data, "ingest", "-c", str(drop), "-o", str(drop), "-q")
    codes = (first.wait(120), second.wait(120))
    errors = [p.stderr.read().decode() for p in (first, second) if p.stderr]
    assert sorted(codes) in ([0, 0], [0, 1])
    if 1 in codes:
        assert (
            "Error: another akasa ingest is running on this data directory; try again when it "
            "ends\n"
        ) in errors
    assert_same_state(store_state(data), reference)


def test_a_held_lock_refuses_the_ingest(tmp_path: Path) -> None:
    settings = load_settings()
    settings.data_dir.mkdir(parents=True)
    drop = tmp_path / "c.csv"
    drop.write_text("customer_id,customer_name,mobile_number,region\nC1,A,9123456781,W\n")
    with FileLock(settings.data_dir / LOCK_FILE):
        result = CliRunner().invoke(app, ["ingest", "--customers", str(drop), "--wait", "0"])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: another akasa ingest is running on this data directory; try again when it ends\n"
    )
    assert not (settings.store_dir / "manifest.json").exists()


# ---- table mode ---------------------------------------------------------------------------

VOLATILE = {"batches": {"started_at", "finished_at"}, "rejects": {"reject_id"}}


def table_state(database: TestDatabase) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, without wall-clock times and surrogate ids (a rolled-back
    insert may still use up auto-increment numbers)."""
    state = {}
    for table in schema.TABLES:
        keep = [
            i for i, c in enumerate(table.columns) if c.name not in VOLATILE.get(table.name, set())
        ]
        rows = database.snapshot().get(table.name, [])
        state[table.name] = sorted(tuple(row[i] for i in keep) for row in rows)
    return state


@pytest.fixture(scope="module")
def small_drop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small-drop")
    generate(folder, customers=2000, order_lines=40_000, days=3, seed=12, dirty=0.02)
    return folder


@pytest.mark.slow
def test_sigkill_during_a_table_ingest_then_ingest_again(
    server_database: TestDatabase, small_drop: Path, tmp_path: Path
) -> None:
    settings = server_database.settings()
    migrate(settings)
    env_dir = tmp_path / "victim"
    killed = 0
    # Kill points inside the one transaction: the loader ready (the ingest lock held), the
    # first batch loaded, the first orders batch, the second (batches 4-6 are the orders).
    for line in ("table load via ", "batch 1 loaded", "batch 4 loaded", "batch 5 loaded"):
        victim = table_ingest(env_dir, small_drop)
        wait_for_log(env_dir, victim, line)
        if victim.poll() is None:
            victim.send_signal(signal.SIGKILL)
            killed += 1
        victim.wait(60)
        counts = server_database.counts()
        # The transaction either committed whole or left nothing behind.
        assert counts["batches"] in (0, 6), counts
        if counts["batches"] == 0:
            assert sum(counts.values()) == 0, counts
    assert killed >= 1
    again = table_ingest(env_dir, small_drop)
    assert again.wait(120) == 0, again.stderr.read() if again.stderr else ""
    after_kills = table_state(server_database)
    # The reference: the same files into an empty schema, in one clean run.
    downgrade(open_database(settings), "base")
    migrate(settings)
    clean = table_ingest(tmp_path / "clean", small_drop)
    assert clean.wait(120) == 0
    assert table_state(server_database) == after_kills


@pytest.mark.slow
def test_two_table_ingests_from_different_data_dirs_never_interleave(
    server_database: TestDatabase, small_drop: Path, tmp_path: Path
) -> None:
    """Data-dir locks cannot see each other here: the database lock keeps them apart."""
    settings = server_database.settings()
    migrate(settings)
    runs = [table_ingest(tmp_path / f"dir{i}", small_drop) for i in range(2)]
    codes = [run.wait(120) for run in runs]
    errors = [run.stderr.read().decode() for run in runs if run.stderr]
    assert sorted(codes) in ([0, 0], [0, 1])
    if 1 in codes:
        assert (
            "Error: another akasa ingest is writing to this database; try again when it ends\n"
        ) in errors
    assert server_database.counts()["batches"] == 6  # each file landed exactly once


def test_a_held_database_lock_refuses_the_ingest(server_database: TestDatabase) -> None:
    """(SQLite locks its file itself; the data-dir lock covers it.)"""
    settings = server_database.settings()
    migrate(settings)
    holder = open_backend(settings, Mode.table).begin()
    try:
        with pytest.raises(LockedError) as caught:
            load(settings, [OFFICIAL_CUSTOMERS], mode="table")
    finally:
        holder.rollback()
    assert str(caught.value) == (
        "another akasa ingest is writing to this database; try again when it ends"
    )
    load(settings, [OFFICIAL_CUSTOMERS], mode="table")  # free again
    assert server_database.counts()["customers"] == 5
