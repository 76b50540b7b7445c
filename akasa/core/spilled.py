"""A table too large to hold at once: sorted Parquet files on disk, merged a window at a time.

The partitioned cleaning of a large orders file (`akasa.ingest.spill`) leaves each table as
one file per partition, each sorted by a whole-number key (the record number). Merging them
window by window of that key gives the rows in exactly the order one in-memory frame would
have had, while memory holds one window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

WINDOW = 200_000  # keys per window: a window of order lines is a few tens of MB
ROW_GROUP_ROWS = 32_768  # small row groups: a window reads little besides its own rows


def write_sorted(frame: pl.DataFrame, path: Path) -> None:
    """One partition's rows (sorted by the key) in a file `Spilled` can merge."""
    frame.write_parquet(path, row_group_size=ROW_GROUP_ROWS, statistics=True)


@dataclass(frozen=True)
class Spilled:
    """Rows of `files` in `key` order, keys from 1 to `last_key`; `height` rows in all.
    `steps` run on each window as it is read (`map`)."""

    files: tuple[Path, ...]
    key: str
    last_key: int
    height: int
    steps: tuple[Callable[[pl.DataFrame], pl.DataFrame], ...] = ()

    def map(self, step: Callable[[pl.DataFrame], pl.DataFrame]) -> Spilled:
        return replace(self, steps=(*self.steps, step))

    def parts(self) -> Iterator[pl.DataFrame]:
        """The rows a window of keys at a time, in key order; no part is empty."""
        key = pl.col(self.key)
        for first in range(1, self.last_key + 1, WINDOW):
            pieces = [
                pl.scan_parquet(path).filter(key.is_between(first, first + WINDOW - 1)).collect()
                for path in self.files
            ]
            part = pl.concat(pieces, rechunk=True).sort(self.key)
            if part.height:
                yield self._stepped(part)

    def collect(self) -> pl.DataFrame:
        parts = list(self.parts())
        if parts:
            return pl.concat(parts, rechunk=True)
        return self._stepped(pl.read_parquet(self.files[0]).clear())

    def _stepped(self, part: pl.DataFrame) -> pl.DataFrame:
        for step in self.steps:
            part = step(part)
        return part
