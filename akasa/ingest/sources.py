"""Finding the input files: a file, a directory, or a glob; always in name order."""

from __future__ import annotations

import glob
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from akasa.core.errors import InputFileError

Kind = Literal["customers", "orders"]
SUFFIX: dict[Kind, str] = {"customers": ".csv", "orders": ".xml"}
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class SourceFile:
    """One input file, identified by its content."""

    kind: Kind
    path: Path
    sha256: str
    size_bytes: int

    @property
    def name(self) -> str:
        return self.path.name


def resolve(kind: Kind, spec: str | Path) -> list[SourceFile]:
    """A PATH option -> the files it names, in name order, each hashed."""
    text = str(spec)
    path = Path(text)
    if path.is_dir():
        found = sorted(
            p for p in path.iterdir() if p.is_file() and p.suffix.lower() == SUFFIX[kind]
        )
        if not found:
            raise InputFileError(path, f"no {SUFFIX[kind]} files in this directory")
    elif glob.has_magic(text):
        found = sorted(Path(p) for p in glob.glob(text) if Path(p).is_file())
        if not found:
            raise InputFileError(text, "no files match this pattern")
    elif path.exists() and not path.is_file():
        raise InputFileError(path, "not a regular file")
    elif not path.exists():
        raise InputFileError(path, "no such file")
    else:
        found = [path]
    return sorted((_identify(kind, p) for p in found), key=lambda f: f.name)


def _identify(kind: Kind, path: Path) -> SourceFile:
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_HASH_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    return SourceFile(kind=kind, path=path, sha256=digest.hexdigest(), size_bytes=size)
