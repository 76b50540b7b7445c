"""Crash-safe file replacement, used for every file akasa writes."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a sibling temp file, flush it to disk, then rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Short and fixed in length: a target name may already be as long as names can be.
    tmp = path.with_name(f".akasa-tmp-{os.getpid()}")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
