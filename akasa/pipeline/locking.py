"""One writer at a time: a lock file in the data dir guards every ingest."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from akasa.core.config import Settings
from akasa.core.errors import LockedError

LOCK_FILE = ".ingest.lock"


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
