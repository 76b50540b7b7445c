"""Rejected records, set aside with their reason for a person to inspect and fix.

The store keeps the exact raw values (table `rejects`); this writes one CSV per input file
under `<data dir>/quarantine/`, named after the file and its content hash, so re-writing
the same file's quarantine is harmless.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from akasa.files import write_atomically
from akasa.ingest.sources import SourceFile
from akasa.output import csv_bytes
from akasa.tables import CUSTOMER_COLUMNS, ORDER_LINE_COLUMNS


def path_for(directory: Path, source: SourceFile) -> Path:
    return directory / f"{source.path.stem}.{source.sha256[:12]}.rejects.csv"


def write(directory: Path, source: SourceFile, rejects: pl.DataFrame) -> Path | None:
    """Writes the file's quarantine; returns its path, or None when nothing was rejected."""
    if rejects.is_empty():
        return None
    columns = CUSTOMER_COLUMNS if source.kind == "customers" else ORDER_LINE_COLUMNS
    dtype = pl.Struct({c: pl.String for c in columns})
    table = rejects.select(
        pl.lit(source.name).alias("source_file"),
        "record_number",
        "reason",
        pl.col("raw").str.json_decode(dtype).alias("raw"),
    ).unnest("raw")
    path = path_for(directory, source)
    write_atomically(path, csv_bytes(table, text_columns=["reason", *columns]))
    return path
