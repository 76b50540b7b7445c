"""Rejected records, set aside with their reason for a person to inspect and fix.

The store keeps the exact raw values (table `rejects`); this writes one CSV per input file
under `<data dir>/quarantine/`, named after the file and its content hash, so re-writing
the same file's quarantine is harmless.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import polars as pl

from akasa.core.files import write_atomically
from akasa.core.output import csv_bytes
from akasa.core.tables import CUSTOMER_COLUMNS, ORDER_LINE_COLUMNS
from akasa.ingest.sources import SourceFile

# File names stop at 255 bytes; the hash and suffix take 26, so the stem keeps the rest.
MAX_STEM_BYTES = 255 - len(".123456789abc.rejects.csv")


def path_for(directory: Path, source: SourceFile) -> Path:
    stem = source.named.stem.encode("utf-8")[:MAX_STEM_BYTES].decode("utf-8", "ignore")
    return directory / f"{stem}.{source.sha256[:12]}.rejects.csv"


# Records rendered at a time: decoding every raw value of a file that is all rejects at
# once would take many times the file's size.
SLICE_ROWS = 50_000
PIECE_BYTES = 1 << 20


def render(source: SourceFile, rejects: pl.DataFrame, staged: Path) -> Path | None:
    """Writes the file's quarantine as CSV to `staged`; None when nothing was rejected.

    Rendered as soon as a file is cleaned, a slice at a time, to a staging file: the
    rejects frame would keep the whole file's buffers alive until the ingest ends, and
    the CSV of a file that is all rejects is larger than the file.
    """
    if rejects.is_empty():
        return None
    # A record too malformed to have fields keeps its text as `line`; the column appears
    # only in a quarantine that has such a record.
    lines = rejects.select(pl.col("raw").str.starts_with('{"line":').any()).item()
    with staged.open("wb") as handle:
        for start in range(0, rejects.height, SLICE_ROWS):
            piece = rejects.slice(start, SLICE_ROWS)
            handle.write(_csv(source, piece, header=start == 0, lines=lines))
    return staged


def _csv(source: SourceFile, rejects: pl.DataFrame, *, header: bool, lines: bool) -> bytes:
    columns = CUSTOMER_COLUMNS if source.kind == "customers" else ORDER_LINE_COLUMNS
    dtype = pl.Struct({c: pl.String for c in (*columns, "line")})
    table = rejects.select(
        pl.lit(source.name).alias("source_file"),
        "record_number",
        "reason",
        pl.col("raw").str.json_decode(dtype).alias("raw"),
    ).unnest("raw")
    if not lines:
        table = table.drop("line")
    return csv_bytes(table, text_columns=["reason", *columns, "line"], header=header)


def write(directory: Path, source: SourceFile, staged: Path | None) -> Path | None:
    """Puts a rendered quarantine in place; returns its path, or None when there is none."""
    if staged is None:
        return None
    path = path_for(directory, source)
    with staged.open("rb") as handle:
        write_atomically(path, iter(partial(handle.read, PIECE_BYTES), b""))
    return path
