"""A full disk: one line, nothing applied, nothing left behind.

The disk is really full: `tests.hostile.full_disk` runs the commands with the data dir on
a tmpfs of a few MB, mounted in a user and mount namespace of their own (`unshare
--user --map-root-user --mount`, which needs no root and disappears with the process), and
filled by a file that leaves only so many bytes free. Every write then gets the kernel's
own ENOSPC, in Polars' Parquet writer, SQLite, the log and the staged copies alike (unlike
RLIMIT_FSIZE, which gives EFBIG, or /dev/full, which fills one file only).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from akasa.generate import generate
from tests import db

ROOT = Path(__file__).resolve().parents[2]
PAGE = 4096


def namespaces_work() -> bool:
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    probe = [unshare, "--user", "--map-root-user", "--mount", "true"]
    return subprocess.run(probe, capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def can_mount() -> None:
    if not namespaces_work():
        message = "unshare --user --mount is not available to mount a small file system"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; under CI=true this is a failure, not a skip")
        pytest.skip(message)


def akasa(*args: str) -> list[str]:
    return [sys.executable, "-m", "akasa", *args]


def on_full_disk(
    tmp_path: Path,
    setup: list[list[str]],
    run: list[str],
    free: int,
    env: dict[str, str],
    database: str | None = None,
) -> dict[str, Any]:
    """Runs `setup`, then `run` with `free` bytes left; returns the outcome."""
    mount, out = tmp_path / "fs", tmp_path / "out"
    mount.mkdir()
    out.mkdir()
    spec = {
        "mount": str(mount),
        "size": "16m",
        "setup": setup,
        "run": run,
        "free": free,
        "out": str(out),
        "database": database,
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-m",
         "tests.hostile.full_disk", str(tmp_path / "spec.json")],
        check=True,
        cwd=ROOT,
        env={**os.environ, **env, "AKASA_DATA_DIR": str(mount / "data")},
        timeout=300,
    )  # fmt: skip
    return dict(json.loads((out / "result.json").read_text()), mount=mount, out=out)


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def leftovers(folder: Path) -> list[str]:
    """Half-written files and folders a failed write must not leave."""
    staged = folder / "tmp" / "staging"
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.name.startswith((".staging-", ".akasa-tmp-")) or p.parent == staged
    )


def days(tmp_path: Path) -> tuple[list[Path], list[Path]]:
    made = generate(tmp_path / "drop", customers=400, order_lines=4000, days=2, seed=5,
                    dirty=0.05).files  # fmt: skip
    return made[:2], made[2:]


def ingest_args(files: list[Path], mode: str) -> list[str]:
    return akasa("ingest", "-c", str(files[0]), "-o", str(files[1]), "-m", mode, "-q")


def pages(files: list[Path]) -> int:
    return sum(-(-p.stat().st_size // PAGE) * PAGE for p in files)


def assert_one_line_and_nothing_applied(outcome: dict[str, Any], written: Path) -> None:
    assert outcome["returncode"] == 1, outcome
    expected = f"Error: no space left on device writing {written}; nothing was applied\n"
    assert outcome["stderr"] == expected
    assert "Logging error" not in outcome["stdout"] + outcome["stderr"]
    assert "Traceback" not in outcome["stdout"] + outcome["stderr"]
    before, after = outcome["out"] / "before", outcome["out"] / "after"
    assert leftovers(after) == []
    assert files_of(after / "store") == files_of(before / "store")
    assert outcome["after"] == outcome["before"]  # the database's rows, if there is one


def test_no_room_for_the_staged_copies(tmp_path: Path, can_mount: None) -> None:
    """Not a byte free, and today's log not started yet: its first line fails too, and must
    neither print Python's `--- Logging error ---` nor fail at close."""
    day1, day2 = days(tmp_path)
    logs = tmp_path / "fs" / "data" / "logs"
    setup = [ingest_args(day1, "memory"), ["rm", "-r", str(logs)]]
    outcome = on_full_disk(tmp_path, setup, ingest_args(day2, "memory"), 0, {})
    assert_one_line_and_nothing_applied(outcome, outcome["mount"] / "data" / "tmp" / "staging")


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_no_room_for_the_store(tmp_path: Path, can_mount: None, kind: str) -> None:
    """Room for the staged copies and a few pages more: the store's own write fails (the
    Parquet files, or SQLite's)."""
    day1, day2 = days(tmp_path)
    written = tmp_path / "fs" / "data" / ("akasa.db" if kind == "sqlite" else "store")
    setup = [akasa("migrate")] if kind == "sqlite" else []
    database = f"sqlite:///{written}" if kind == "sqlite" else None
    mode = "table" if kind == "sqlite" else "memory"
    setup.append(ingest_args(day1, mode))
    outcome = on_full_disk(tmp_path, setup, ingest_args(day2, mode), pages(day2) + 3 * PAGE,
                           {}, database)  # fmt: skip
    assert_one_line_and_nothing_applied(outcome, written)


def test_no_room_beside_a_database_server(
    tmp_path: Path, server_database: db.TestDatabase, can_mount: None
) -> None:
    """Both stores: the memory store's write fails, and the server's transaction (already
    holding day 2) is rolled back with it."""
    day1, day2 = days(tmp_path)
    url = server_database.url_text
    subprocess.run(akasa("migrate"), check=True, capture_output=True,
                   env={**os.environ, "AKASA_DATA_DIR": str(tmp_path / "migrate")})  # fmt: skip
    outcome = on_full_disk(tmp_path, [ingest_args(day1, "both")], ingest_args(day2, "both"),
                           pages(day2) + 3 * PAGE, {"AKASA_DATABASE_URL": url}, url)  # fmt: skip
    assert_one_line_and_nothing_applied(outcome, tmp_path / "fs" / "data" / "store")


def test_run_outputs_on_a_full_disk(tmp_path: Path, can_mount: None) -> None:
    """`akasa run` writes its set into a new folder: on a full disk that folder goes and the
    previous set stays whole."""
    day1, _ = days(tmp_path)
    data = tmp_path / "fs" / "data"
    setup = [ingest_args(day1, "memory"), akasa("run", "-q"), ["rm", "-r", str(data / "logs")]]
    outcome = on_full_disk(tmp_path, setup, akasa("run", "-q"), 0, {})
    assert outcome["returncode"] == 1
    assert outcome["stderr"] == (
        f"Error: no space left on device writing {data / 'outputs' / 'memory'}; "
        "the previous outputs are unchanged\n"
    )
    before, after = outcome["out"] / "before", outcome["out"] / "after"
    # Every set folder (`outputs/.sets/`) as it was: the new one is gone.
    assert files_of(after / "outputs") == files_of(before / "outputs") != {}
