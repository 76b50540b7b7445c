"""What akasa writes holds personal data: created for the user alone."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import OFFICIAL_CUSTOMERS, OFFICIAL_ORDERS


def test_files_are_0600_and_folders_0700(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AKASA_", "DB_"))}
    env["AKASA_DATA_DIR"] = str(tmp_path / "data")
    code = "import sys\nfrom akasa.cli import main\nsys.argv[0] = 'akasa'\nmain()"
    for args in (
        ["ingest", "-c", str(OFFICIAL_CUSTOMERS), "-o", str(OFFICIAL_ORDERS), "-q"],
        ["run", "-q"],
    ):
        done = subprocess.run(
            [sys.executable, "-c", code, *args], cwd=tmp_path, env=env, capture_output=True
        )
        assert done.returncode == 0, done.stderr
    found = list((tmp_path / "data").rglob("*"))
    assert any(p.suffix == ".parquet" for p in found) and any(p.suffix == ".log" for p in found)
    for path in found:
        if path.is_symlink():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path}: {oct(mode)}"
