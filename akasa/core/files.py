"""Crash-safe file replacement, used for every file akasa writes."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from akasa.core.errors import DiskFullError

SETS = ".sets"  # beside a set's name: the folders its versions live in
# How a full disk reads in the errors of libraries that do not raise OSError: Polars/Arrow
# (`No space left on device (os error 28)`) and SQLite (`database or disk is full`).
_FULL_TEXTS = ("no space left on device", "os error 28", "disk quota exceeded", "disk is full")


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) is the disk or the quota running out."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if any(text in str(current).lower() for text in _FULL_TEXTS):
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


@contextmanager
def writing(path: Path | str, outcome: str | None = None) -> Iterator[None]:
    """Turns the disk running out while writing under `path` into one `DiskFullError`
    (instead of whatever a library makes of ENOSPC); `outcome` says what that left."""
    try:
        yield
    except DiskFullError as exc:
        if outcome and not exc.outcome:
            raise DiskFullError(exc.path, outcome) from None
        raise
    except Exception as exc:
        if is_disk_full(exc):
            raise DiskFullError(path, outcome) from None
        raise


def write_atomically(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write to a sibling temp file, flush it to disk, then rename over the target.

    `data` may come in pieces, so a large file need never be joined in memory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Short and fixed in length: a target name may already be as long as names can be.
    tmp = path.with_name(f".akasa-tmp-{os.getpid()}")
    try:
        with tmp.open("wb") as handle:
            for piece in (data,) if isinstance(data, bytes) else data:
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # a full disk must not leave the half-written copy
    fsync_dir(path.parent)


def replace_set(link: Path, files: Mapping[str, bytes]) -> Path:
    """Replaces a whole set of files at once: readers of `link` see the old set or the new
    one, never a mix.

    The files go into a new folder under `<parent>/.sets/`, are flushed, and then one
    rename points the symlink `link` at it (a rename over a symlink is atomic; over a
    folder it is not possible). Folders no link points to (older sets, a write that
    failed or was killed) are removed. The caller makes writers take turns (a lock).
    """
    store = link.parent / SETS
    store.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{link.name}.", dir=store))
    try:
        for name, data in files.items():
            with (folder / name).open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        fsync_dir(folder)
        if link.is_dir() and not link.is_symlink():  # a set written before sets had links
            shutil.rmtree(link)
        pointer = link.with_name(f".{link.name}.link-{os.getpid()}")
        pointer.unlink(missing_ok=True)
        pointer.symlink_to(Path(SETS) / folder.name)
        os.replace(pointer, link)
        fsync_dir(link.parent)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _remove_unlinked(store, link)
    return folder


def _remove_unlinked(store: Path, link: Path) -> None:
    current = link.resolve()
    for folder in store.glob(f"{link.name}.*"):
        if folder.resolve() != current:
            shutil.rmtree(folder, ignore_errors=True)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
