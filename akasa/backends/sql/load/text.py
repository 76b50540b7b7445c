"""Frames as the one text format that both bulk paths read.

MySQL's `LOAD DATA` with its default FIELDS/LINES options and PostgreSQL's
`COPY ... (FORMAT text)` read the same thing: one row per line, fields separated by a tab,
`\\N` for NULL, and a backslash escaping a backslash, tab, newline or carriage return. So a
value is escaped once, here, and means the same to both. Nothing is quoted: after escaping,
a field cannot contain the separator or a line end, whatever a name holds (quotes, `\\N` as
text, emoji, Devanagari).

Times are written as naive UTC with microseconds (how `UtcDateTime` stores them), money as
the decimal text Polars writes for `Decimal(14, 2)`, integers as digits.
"""

from __future__ import annotations

from typing import IO

import polars as pl

NULL = "\\N"
# Single characters, so replacing them in one left-to-right pass is unambiguous.
ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S%.6f"


def _field(name: str, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if dtype == pl.String:
        return column.str.replace_many(list(ESCAPES), list(ESCAPES.values()))
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            column = column.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return column.dt.strftime(TIME_FORMAT)
    return column


def write_text(frame: pl.DataFrame, target: str | IO[bytes]) -> None:
    """Writes `frame`'s rows (no header) to a path or a binary file, UTF-8."""
    fields = frame.select(_field(name, dtype) for name, dtype in frame.schema.items())
    fields.write_csv(
        target,
        include_header=False,
        separator="\t",
        line_terminator="\n",
        quote_style="never",
        null_value=NULL,
    )
