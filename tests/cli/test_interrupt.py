"""Ctrl-C during a real ingest: the process, its XML workers included, is gone within 2 s,
says so in one line, logs it, exits 130, and the store is as it was."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock
from typer.testing import CliRunner

from akasa.cli import app
from akasa.generate import generate
from tests.conftest import SAMPLE_DIR

ORDER_LINES = 300_000  # ~80 MB of XML: parsed by workers, several seconds to ingest
MESSAGE = "Interrupted: nothing from this ingest was applied\n"
LIMIT = 2.0  # seconds from the signal to the end of the process


@pytest.fixture(scope="session")
def big_drop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One large drop per test session, shared by the xdist workers (under a lock)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    target = root / "interrupt-drop"
    with FileLock(str(root / "interrupt-drop.lock")):
        if not (target / "complete").exists():
            shutil.rmtree(target, ignore_errors=True)
            generate(target, customers=5_000, order_lines=ORDER_LINES, days=1, seed=5)
            (target / "complete").write_text("")
    return target


def workers_of(pid: int) -> list[int]:
    """The XML worker processes of `pid` (children started by multiprocessing's spawn)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split() if (task / "children").exists() else []
        for child in map(int, children):
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline:
                found.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_until(what: Callable[[], bool], seconds: float, message: str) -> None:
    deadline = time.monotonic() + seconds
    while not what():
        if time.monotonic() > deadline:
            pytest.fail(message)
        time.sleep(0.02)


def interrupt_ingest(
    data_dir: Path, drop: Path, mode: str, whole_group: bool
) -> tuple[subprocess.CompletedProcess[str], float, list[int]]:
    """Starts `akasa ingest`, waits until it reads with its workers running, sends SIGINT
    (to the process group, as a terminal's Ctrl-C does, or to the process alone, as
    `kill -INT` does) and returns the outcome, the seconds it took to end, the workers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "akasa", "ingest", "-c", str(drop), "-o", str(drop), "-m", mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "AKASA_DATA_DIR": str(data_dir)},
    )
    try:
        logs = data_dir / "logs"

        def reading() -> bool:
            assert process.poll() is None, process.communicate()
            return any("reading 2 file(s)" in p.read_text() for p in logs.glob("ingest-*.log"))

        wait_until(reading, 120, "the ingest never started reading")
        wait_until(lambda: bool(workers_of(process.pid)), 30, "no XML worker started")
        workers = workers_of(process.pid)
        sent = time.monotonic()
        if whole_group:
            os.killpg(process.pid, signal.SIGINT)
        else:
            os.kill(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    return done, took, workers


def check_stopped(
    done: subprocess.CompletedProcess[str], took: float, workers: list[int], data_dir: Path
) -> None:
    assert done.returncode == 130, done.stderr
    assert took < LIMIT, f"took {took:.2f} s"
    assert done.stderr == MESSAGE and done.stdout == ""
    wait_until(lambda: not any(alive(w) for w in workers), 0.5, "a worker outlived the ingest")
    (log,) = (data_dir / "logs").glob("ingest-*.log")
    assert "exit 130: Interrupted: nothing from this ingest was applied" in log.read_text()


def test_ctrl_c_stops_a_memory_ingest_and_applies_nothing(big_drop: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    sample = str(SAMPLE_DIR)
    assert CliRunner().invoke(app, ["ingest", "-c", sample, "-o", sample, "-q"]).exit_code == 0
    manifest = data_dir / "store" / "manifest.json"
    before = manifest.read_bytes()
    query = ["sql", "SELECT count(*) AS n FROM order_lines", "-f", "json"]
    lines = CliRunner().invoke(app, query).stdout
    done, took, workers = interrupt_ingest(data_dir, big_drop, "memory", whole_group=True)
    check_stopped(done, took, workers, data_dir)
    assert manifest.read_bytes() == before  # the ledger: still the sample's 10 batches
    assert CliRunner().invoke(app, query).stdout == lines


def test_ctrl_c_stops_a_table_ingest_and_applies_nothing(big_drop: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert CliRunner().invoke(app, ["migrate"]).exit_code == 0
    done, took, workers = interrupt_ingest(data_dir, big_drop, "table", whole_group=False)
    check_stopped(done, took, workers, data_dir)
    with sqlite3.connect(data_dir / "akasa.db") as db:
        counts = [
            db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("batches", "orders")
        ]
    assert counts == [0, 0]


# ---- the deadline: a main thread stuck where Python cannot run its handler -------------------

STUCK = textwrap.dedent(
    """
    import signal, sys, threading, time
    from akasa.core import interrupts

    def last_words():
        sys.stderr.write("Interrupted: stuck\\n")
        sys.stderr.flush()

    with interrupts.deadline(0.3, last_words, 130):
        if sys.argv[1] == "commit":
            with interrupts.held_back() as held:
                print("ready", flush=True)
                time.sleep(1.0)  # a commit is never cut short, by the deadline either
            print("committed", held.interrupted, flush=True)
            sys.exit(0)
        # Blocked here, SIGINT goes to another thread: this one sleeps on regardless,
        # as it would inside one long native call (it says so from within it).
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        threading.Timer(0.2, print, ("ready",), {"flush": True}).start()
        time.sleep(30)
    """
)


@pytest.mark.parametrize("case", ["stuck", "commit"])
def test_the_deadline_ends_a_stuck_process_but_never_a_commit(case: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", STUCK, case],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    sent = time.monotonic()
    os.kill(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=10)
    took = time.monotonic() - sent
    if case == "stuck":
        assert (process.returncode, stderr) == (130, "Interrupted: stuck\n")
        assert took < 1.5
    else:
        assert (process.returncode, stdout, stderr) == (0, "committed True\n", "")
        assert took >= 0.9
