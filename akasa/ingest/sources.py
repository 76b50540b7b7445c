"""Finding the input files: a file, a directory, or a glob; always in name order.

With a staging folder, each file is copied there while it is hashed, and everything after
reads the copy: the content hash in the ledger is then the hash of exactly the bytes that
were parsed, even if a producer replaces the file in the middle of the ingest.
"""

from __future__ import annotations

import glob
import hashlib
import os
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


def resolve(kind: Kind, spec: str | Path, staging: Path | None = None) -> list[SourceFile]:
    """A PATH option -> the files it names, in name order, each hashed (and copied into
    `staging`, if given, in the same pass)."""
    text = str(spec)
    path = Path(text)
    if path.is_dir():
        named = sorted(p for p in path.iterdir() if p.suffix.lower() == SUFFIX[kind])
        for entry in named:  # a FIFO or socket named like a drop is not skipped silently
            if not entry.is_file():
                raise InputFileError(entry, "not a regular file")
        found = named
        if not found:
            raise InputFileError(path, f"no {SUFFIX[kind]} files in this directory")
    elif glob.has_magic(text) and not path.is_file():  # customers_[1].csv is a name
        found = sorted(Path(p) for p in glob.glob(text) if Path(p).is_file())
        if not found:
            raise InputFileError(text, "no files match this pattern")
    elif path.exists() and not path.is_file():
        raise InputFileError(path, "not a regular file")
    elif not path.exists():
        raise InputFileError(path, "no such file")
    else:
        found = [path]
    return sorted((_identify(kind, p, staging) for p in found), key=lambda f: f.name)


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
