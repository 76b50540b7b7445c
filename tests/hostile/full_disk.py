"""Runs akasa commands with the data dir on a real, nearly full file system.

`python -m tests.hostile.full_disk SPEC.json` is started by `tests/hostile/test_disk_full.py`
under `unshare --user --map-root-user --mount`: in a user and mount namespace of its own
even an unprivileged process may mount a tmpfs, and the mount vanishes with the process.
Inside, a tmpfs of a few MB is mounted at the data dir's parent, the setup commands run,
a filler file takes all but `free` bytes, the command under test runs and hits ENOSPC where
it really would, then the filler goes and the data dir is copied out for the test to
inspect (the tmpfs is gone once this process ends).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, select
from sqlalchemy.pool import NullPool

from akasa.backends.sql import schema


def snapshot(url: str | None) -> dict[str, list[list[str]]] | None:
    """Every row of every akasa table of the database at `url`, as text."""
    if url is None:
        return None
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            return {
                t.name: [
                    [str(v) for v in row]
                    for row in conn.execute(select(t).order_by(*t.primary_key.columns))
                ]
                for t in schema.TABLES
                if t.name in present
            }
    finally:
        engine.dispose()


def fill(mount: Path, free: int) -> Path:
    """A file that leaves `free` bytes available on the file system at `mount`."""
    filler = mount / "filler"
    stats = os.statvfs(mount)
    size = stats.f_bavail * stats.f_frsize - free
    with filler.open("wb") as handle:
        block = b"\0" * (1 << 16)
        while size > 0:
            size -= handle.write(block[: min(size, len(block))])
    return filler


def main(spec: dict[str, Any]) -> None:
    mount, out = Path(spec["mount"]), Path(spec["out"])
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={spec['size']}", "tmpfs", str(mount)])
    data = mount / "data"
    for command in spec["setup"]:
        subprocess.run(command, check=True, capture_output=True)
    shutil.copytree(data, out / "before", symlinks=True)
    before = snapshot(spec.get("database"))
    filler = fill(mount, spec["free"])
    done = subprocess.run(spec["run"], capture_output=True, text=True)
    filler.unlink()
    shutil.copytree(data, out / "after", symlinks=True)
    result = {
        "returncode": done.returncode,
        "stdout": done.stdout,
        "stderr": done.stderr,
        "before": before,
        "after": snapshot(spec.get("database")),
    }
    (out / "result.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main(json.loads(Path(sys.argv[1]).read_text()))
