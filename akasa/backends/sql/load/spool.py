"""A private folder for the files `LOAD DATA LOCAL INFILE` reads.

The files hold personal data (names, numbers), so they live in a folder only this user can
open (mode 0700), inside the data directory rather than a shared /tmp, and are deleted
as soon as the server has read them; the folder goes when the load ends. A process killed
mid-load cannot clean up, so the folder is named after its process id and the next load
removes the folders of processes that no longer run.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

PREFIX = "load-"
_NAME = re.compile(rf"{PREFIX}(\d+)-")


class Spool:
    """Created on first use, removed by `close`."""

    def __init__(self, parent: Path) -> None:
        self.parent = parent
        self.folder: Path | None = None

    def path(self, name: str) -> Path:
        """A file path in the private folder (the file itself is not created)."""
        if self.folder is None:
            self.parent.mkdir(parents=True, exist_ok=True)
            _remove_leftovers(self.parent)
            self.folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=self.parent))
        return self.folder / name

    def close(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def _remove_leftovers(parent: Path) -> None:
    """Folders of earlier loads whose process is gone (killed before it could clean up)."""
    for entry in parent.iterdir():
        match = _NAME.match(entry.name)
        if match and entry.is_dir() and not _running(int(match.group(1))):
            log.info("removing %s, left by a load that did not finish", entry)
            shutil.rmtree(entry, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
