"""Rejected records, set aside with their reason for a person to inspect and fix.

The store keeps the exact raw values (table `rejects`); this writes one CSV per input file
under `<data dir>/quarantine/`, named after the file and its content hash, so re-writing
the same file's quarantine is harmless.
"""

from __future__ import annotations

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


def render(source: SourceFile, rejects: pl.DataFrame) -> bytes | None:
    """The file's quarantine as CSV bytes, or None when nothing was rejected.

    Rendered as soon as a file is cleaned: bytes are compact, while the rejects frame would
    keep the whole file's buffers alive until the ingest ends.
    """
    if rejects.is_empty():
        return None
    columns = CUSTOMER_COLUMNS if source.kind == "customers" else ORDER_LINE_COLUMNS
    # A record too malformed to have fields keeps its text as `line`; the column appears
    # only in a quarantine that has such a record.
    dtype = pl.Struct({c: pl.String for c in (*columns, "line")})
    table = rejects.select(
        pl.lit(source.name).alias("source_file"),
        "record_number",
        "reason",
        pl.col("raw").str.json_decode(dtype).alias("raw"),
    ).unnest("raw")
    if table["line"].null_count() == table.height:
        table = table.drop("line")
    return csv_bytes(table, text_columns=["reason", *columns, "line"])


def write(directory: Path, source: SourceFile, rendered: bytes | None) -> Path | None:
    """Writes a rendered quarantine; returns its path, or None when there is none."""
    if rendered is None:
        return None
    path = path_for(directory, source)
    write_atomically(path, rendered)
    return path
