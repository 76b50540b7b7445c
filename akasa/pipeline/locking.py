"""One writer at a time: lock files in the data dir guard every ingest, and every write of a
run's outputs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from akasa.core.config import Settings
from akasa.core.errors import LockedError

LOCK_FILE = ".ingest.lock"
OUTPUTS_LOCK_FILE = ".outputs.lock"
OUTPUTS_WAIT_SECONDS = 120  # a run's write takes well under a second


@contextmanager
def store_lock(settings: Settings, wait_seconds: float = 0) -> Iterator[None]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(settings.data_dir / LOCK_FILE)
    try:
        lock.acquire(timeout=wait_seconds)
    except Timeout:
        raise LockedError(
            "another akasa ingest is running on this data directory; try again when it ends"
        ) from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def outputs_lock(settings: Settings) -> Iterator[None]:
    """Two runs at once take turns writing their outputs (each set stays whole)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(settings.data_dir / OUTPUTS_LOCK_FILE)
    try:
        lock.acquire(timeout=OUTPUTS_WAIT_SECONDS)
    except Timeout:
        raise LockedError(
            f"another akasa run kept the outputs locked for {OUTPUTS_WAIT_SECONDS} s"
        ) from None
    try:
        yield
    finally:
        lock.release()
