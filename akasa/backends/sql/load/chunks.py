"""Cutting a frame into pieces of about a byte budget.

Rows differ a lot in size (an order line is tens of bytes, a reject's raw text can be
kilobytes), so a byte budget bounds memory and statement size where a fixed row count
would not.
"""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl


def rows_per_chunk(frame: pl.DataFrame, chunk_bytes: int, max_rows: int | None = None) -> int:
    """How many rows of `frame` make about `chunk_bytes` (Polars' estimate of its size)."""
    # In bytes (the default unit) the estimate is an int; the stub says `int | float`.
    per_row = max(1, int(frame.estimated_size()) // max(1, frame.height))
    rows = max(1, chunk_bytes // per_row)
    return rows if max_rows is None else max(1, min(rows, max_rows))


def slices(
    frame: pl.DataFrame, chunk_bytes: int, max_rows: int | None = None
) -> Iterator[pl.DataFrame]:
    """`frame` in consecutive slices of about `chunk_bytes` (and at most `max_rows`) each."""
    step = rows_per_chunk(frame, chunk_bytes, max_rows)
    for start in range(0, frame.height, step):
        yield frame.slice(start, step)
