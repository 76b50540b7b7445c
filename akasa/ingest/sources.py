"""Finding the input files: a file, a directory, or a glob; always in name order.

With a staging folder, each file is copied there while it is hashed, and everything after
reads the copy: the content hash in the ledger is then the hash of exactly the bytes that
were parsed, even if a producer replaces the file in the middle of the ingest.
"""

from __future__ import annotations

import glob
import hashlib
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from akasa.core.errors import DiskFullError, InputFileError
from akasa.core.files import is_disk_full

Kind = Literal["customers", "orders"]
SUFFIX: dict[Kind, str] = {"customers": ".csv", "orders": ".xml"}
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class SourceFile:
    """One input file, identified by its content. `path` is what is read (the staged copy,
    when there is one); `origin` is the file as the user named it."""

    kind: Kind
    path: Path
    sha256: str
    size_bytes: int
    origin: Path | None = None

    @property
    def named(self) -> Path:
        return self.origin or self.path

    @property
    def name(self) -> str:
        return self.named.name


@dataclass(frozen=True)
class Skipped:
    """Something a folder or pattern named that is not a regular file (a FIFO, a socket, a
    folder named like a drop): skipped, and said so in the ingest's result."""

    kind: Kind
    path: Path
    note: str


@dataclass(frozen=True)
class Found:
    files: list[SourceFile]
    skipped: list[Skipped]


def resolve(kind: Kind, spec: str | Path, staging: Path | None = None) -> Found:
    """A PATH option -> the files it names, in name order, each hashed (and copied into
    `staging`, if given, in the same pass), and what it names that is not a file."""
    text = str(spec)
    path = Path(text)
    if path.is_dir():
        named = sorted(p for p in path.iterdir() if p.suffix.lower() == SUFFIX[kind])
        if not named:
            raise InputFileError(path, f"no {SUFFIX[kind]} files in this directory")
    elif glob.has_magic(text) and not path.is_file():  # customers_[1].csv is a name
        named = sorted(Path(p) for p in glob.glob(text) if not Path(p).is_dir())
        if not named:
            raise InputFileError(text, "no files match this pattern")
    elif path.exists() and not path.is_file():  # named on its own: an error, not a skip
        raise InputFileError(path, f"not a regular file ({_what(path)})")
    elif not path.exists():
        raise InputFileError(path, "no such file")
    else:
        named = [path]
    found = [p for p in named if p.is_file()]
    skipped = [
        Skipped(kind, p, f"not a regular file ({_what(p)})") for p in named if not p.is_file()
    ]
    files = sorted((_identify(kind, p, staging) for p in found), key=lambda f: f.name)
    return Found(files, skipped)


def _what(path: Path) -> str:
    """What a path that is not a regular file is, in words."""
    mode = path.lstat().st_mode if path.exists() or path.is_symlink() else 0
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
    ):
        if test(mode):
            return name
    return "a broken link" if path.is_symlink() else "not a file"


def _identify(kind: Kind, path: Path, staging: Path | None) -> SourceFile:
    digest = hashlib.sha256()
    size = 0
    copy = None
    if staging is not None:  # a short name of its own: the original may be 255 characters
        copy = staging / f"{len(list(staging.iterdir())):06d}{path.suffix[:16]}"
    try:
        with path.open("rb") as handle, _open_copy(copy) as out:
            while chunk := handle.read(_HASH_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if out is not None:
                    out.write(chunk)
    except FileNotFoundError:  # listed a moment ago: deleted or moved since
        raise InputFileError(path, "was removed before it could be read") from None
    except OSError as exc:
        if is_disk_full(exc):  # the copy, not the input, ran out of room
            raise DiskFullError(staging or path) from None
        raise InputFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    if copy is None:
        return SourceFile(kind=kind, path=path, sha256=digest.hexdigest(), size_bytes=size)
    return SourceFile(kind, copy, digest.hexdigest(), size, origin=path)


@contextmanager
def _open_copy(copy: Path | None) -> Iterator[IO[bytes] | None]:
    if copy is None:
        yield None
        return
    with copy.open("xb") as out:
        os.chmod(copy, 0o600)  # personal data: for this user only
        yield out
