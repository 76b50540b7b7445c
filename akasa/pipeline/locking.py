"""One writer at a time: lock files in the data dir guard every ingest, and every write of a
run's outputs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from akasa.core.config import Settings
from akasa.core.errors import LockedError
from akasa.core.waiting import NO_WAIT, LockWait

LOCK_FILE = ".ingest.lock"
OUTPUTS_LOCK_FILE = ".outputs.lock"
OUTPUTS_WAIT_SECONDS = 120  # a run's write takes well under a second


@contextmanager
def store_lock(settings: Settings, wait: LockWait = NO_WAIT) -> Iterator[None]:
    """One ingest per data directory; `wait` says how long to wait for another to end."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(settings.data_dir / LOCK_FILE)

    def take() -> bool:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return False
        return True

    if not wait.until(take, "another akasa ingest on this data directory"):
        raise LockedError(wait.refusal("another akasa ingest is running on this data directory"))
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
