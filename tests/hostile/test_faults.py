"""Kills and races: an ingest lands whole or not at all, and never interleaves with another."""

from __future__ import annotations

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

from akasa.cli import app
from akasa.config import load_settings
from akasa.generate import generate
from akasa.locking import LOCK_FILE
from akasa.store.lake import Lake
from akasa.tables import SCHEMAS

TABLES = [t for t in SCHEMAS if t != "batches"]


def akasa(data_dir: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AKASA_DATA_DIR": str(data_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "akasa", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


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
def test_sigkill_at_random_points_then_ingest_again(
    drop: Path, reference: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    data = tmp_path / "victim"
    killed_mid_way = 0
    for delay in (0.3, 0.8, 1.3, 1.9, 2.6):
        victim = akasa(data, "ingest", "-c", str(drop), "-o", str(drop), "-q")
        time.sleep(delay)
        if victim.poll() is None:
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
        result = CliRunner().invoke(app, ["ingest", "--customers", str(drop)])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: another akasa ingest is running on this data directory; try again when it ends\n"
    )
    assert not (settings.store_dir / "manifest.json").exists()
