"""Writing result files: CSV with spreadsheet-formula escaping, JSON, always atomically."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any

import polars as pl

# A spreadsheet also runs a formula after a leading tab or carriage return.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(expr: pl.Expr) -> pl.Expr:
    """A text cell a spreadsheet would run as a formula gets a leading `'`."""
    risky = pl.any_horizontal(expr.str.starts_with(c) for c in FORMULA_STARTS)
    return pl.when(risky).then(pl.lit("'") + expr).otherwise(expr)


def csv_bytes(frame: pl.DataFrame, text_columns: Iterable[str], *, header: bool = True) -> bytes:
    """Header row first (unless this is a later piece), LF line ends, quoting only where
    needed, empty for missing."""
    text = [c for c in text_columns if c in frame.columns]
    safe = frame.with_columns(escape_formula(pl.col(c)).alias(c) for c in text)
    buffer = io.BytesIO()
    safe.write_csv(buffer, include_header=header, line_terminator="\n", quote_style="necessary")
    return buffer.getvalue()


def json_with_tables(document: dict[str, Any], tables: dict[str, pl.DataFrame]) -> str:
    """`document` plus each table as a list of row objects, one row per line.

    The rows are encoded by Polars: the standard library's indented encoder takes seconds
    for the hundred thousand rows a large store's repeat customers can have. A row's JSON
    holds no raw line break (JSON escapes it in a string), so its lines are its rows.
    """
    head = json.dumps(document, indent=2, ensure_ascii=False)
    parts = []
    for name, frame in tables.items():
        rows = frame.write_ndjson().rstrip("\n").replace("\n", ",\n    ")
        parts.append(f"  {json.dumps(name)}: [\n    {rows}\n  ]" if rows else f'  "{name}": []')
    if not parts:
        return head + "\n"
    return head[:-2] + ",\n" + ",\n".join(parts) + "\n}\n"
