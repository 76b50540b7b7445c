"""The database fixture itself: an unreachable server skips locally and fails under CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
A_DB_TEST = "tests/backends/sql/test_migrate.py::test_upgrade_from_empty_creates_every_table"


@pytest.mark.parametrize(("ci", "outcome"), [("true", "1 error"), ("", "1 skipped")])
def test_unreachable_server_fails_under_ci_and_skips_otherwise(ci: str, outcome: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AKASA_", "DB_"))}
    env.update(CI=ci, AKASA_TEST_MARIADB_URL="mysql+mysqldb://root@127.0.0.1:1/")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-n",
            "0",
            "-p",
            "no:cacheprovider",
            f"{A_DB_TEST}[mariadb]",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert outcome in done.stdout, done.stdout
    assert (done.returncode != 0) == (ci == "true")
    assert "mariadb server not reachable" in done.stdout
