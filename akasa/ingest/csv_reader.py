"""Customers CSV -> a Polars frame of raw text values with 1-based record numbers."""

from __future__ import annotations

import polars as pl

from akasa.core.errors import InputFileError
from akasa.core.tables import CUSTOMER_COLUMNS

RECORD = "record_number"


def read_customers(path: object, data: bytes) -> pl.DataFrame:
    """Header names trimmed and case-insensitive, column order free, extra columns ignored.

    Every value stays text (leading zeros and '+' survive); a row whose fields are all
    empty is a blank line, not a record.
    """
    if not data.strip():
        raise InputFileError(path, "file is empty (no header row)")
    try:
        frame = pl.read_csv(
            data,
            infer_schema=False,
            truncate_ragged_lines=True,
            encoding="utf8",
            row_index_name=RECORD,
            row_index_offset=1,
        )
    except pl.exceptions.NoDataError:
        raise InputFileError(path, "file is empty (no header row)") from None
    except pl.exceptions.ComputeError as exc:
        message = str(exc).splitlines()[0]
        if "utf-8" in message.lower():
            raise InputFileError(path, "not valid UTF-8 text") from None
        raise InputFileError(path, f"not a readable CSV file ({message})") from None

    by_name: dict[str, str] = {}
    for column in frame.columns[1:]:
        key = column.strip().lstrip("\ufeff").strip().lower()
        if key in CUSTOMER_COLUMNS and key in by_name:
            raise InputFileError(path, f"column {key} appears more than once")
        by_name.setdefault(key, column)
    missing = [c for c in CUSTOMER_COLUMNS if c not in by_name]
    if missing:
        raise InputFileError(path, f"missing required column(s): {', '.join(missing)}")

    frame = frame.select(
        pl.col(RECORD).cast(pl.Int64),
        *(pl.col(by_name[c]).alias(c) for c in CUSTOMER_COLUMNS),
    )
    blank = pl.all_horizontal(
        pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in CUSTOMER_COLUMNS
    )
    return frame.filter(~blank)
