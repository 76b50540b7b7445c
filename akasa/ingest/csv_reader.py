"""Customers CSV -> a Polars frame of raw text values with 1-based record numbers.

A file without any double quote is read by Polars, a block of lines at a time
(`_read_plain`). One with quotes is read record by record with Python's `csv` module, so
that a record whose quoting breaks RFC 4180 (`"C2" ,Bala`, `C1,O"Brien,...`) becomes one
rejected record (`malformed CSV line`, see `MALFORMED`) instead of refusing the file or
being read some other way; Polars accepts some of those lines silently and refuses the
whole file for others. Only a header that cannot be read refuses the file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import polars as pl

from akasa.core.errors import InputFileError
from akasa.core.tables import CUSTOMER_COLUMNS

RECORD = "record_number"
MALFORMED = "malformed CSV line"
MAX_COLUMNS = 1000
# Longer than any value the rules accept by far (a too-long value is a rejected record);
# past it, a quote is taken as never closed and the file is refused.
MAX_FIELD_CHARS = 1 << 20
# What broke the quoting, from Python's csv module (strict) or the RFC 4180 pattern.
_CSV_PROBLEMS = {
    "',' expected after '\"'": "text after a closing quote",
    "unexpected end of data": "a quote is never closed",
}
_QUOTE_INSIDE = "a quote inside an unquoted field"
# The columns a malformed record carries instead of values: its reason and its text.
MALFORMED_COLUMN, LINE_COLUMN = "__akasa_malformed", "__akasa_line"
# One RFC 4180 field: quoted (a doubled quote inside stands for one) or plain (no quote).
_FIELD = r'(?:"(?:[^"]|"")*"|[^",\r\n]*)'
_RECORD = re.compile(rf"{_FIELD}(?:,{_FIELD})*", re.DOTALL)


def read_customers(path: object, data: bytes) -> pl.DataFrame:
    """Header names trimmed and case-insensitive, column order free, extra columns ignored.

    Every value stays text (leading zeros and '+' survive); a row whose fields are all
    empty is a blank line, not a record.
    """
    if not data.strip():
        raise InputFileError(path, "file is empty (no header row)")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(data):
        raise InputFileError(path, "UTF-16 text; save the file as UTF-8")
    end = data.find(b"\n")
    header = data if end == -1 else data[:end]
    if header.count(b",") >= MAX_COLUMNS:  # every column costs memory on every row
        raise InputFileError(path, f"more than {MAX_COLUMNS} columns in the header")
    if b'"' in data:
        return _checked(_read_quoted(path, data), path)
    return _checked(_read_plain(path, data, header), path)


def _utf16_without_bom(data: bytes) -> bool:
    """ASCII text saved as UTF-16 has a NUL beside every character (a BOM is optional)."""
    head = data[:64]
    return len(head) >= 4 and (head[1::2].count(0) == len(head[1::2]) or not any(head[0::2]))


def _read_plain(path: object, data: bytes, header: bytes) -> pl.DataFrame:
    """A file without quotes, read by Polars a block of lines at a time: a line is a record,
    so each block's records line up with its lines, whose commas tell a record with more or
    fewer fields than the header (Polars reads those quietly: extra fields dropped, missing
    ones empty). Block by block, a file of nothing but such lines stays a few times its size
    in memory."""
    head = header.removesuffix(b"\r") + b"\n"
    width = header.count(b",") + 1
    parts, record = [], 1
    for block in _blocks(data, start=len(header) + 1):
        part = _polars_csv(path, head + block, record)
        parts.append(part.rechunk().hstack(_ragged(block, width, part.height)))
        record += part.height
    return pl.concat(parts, rechunk=False)


def _polars_csv(path: object, data: bytes, first_record: int) -> pl.DataFrame:
    try:
        return pl.read_csv(
            data,
            infer_schema=False,
            truncate_ragged_lines=True,
            encoding="utf8",
            row_index_name=RECORD,
            row_index_offset=first_record,
        )
    except pl.exceptions.NoDataError:
        raise InputFileError(path, "file is empty (no header row)") from None
    except pl.exceptions.ComputeError as exc:
        message = str(exc).splitlines()[0]
        if "utf-8" in message.lower():
            raise InputFileError(path, "not valid UTF-8 text") from None
        raise InputFileError(path, f"not a readable CSV file ({message})") from None


BLOCK_BYTES = 4 << 20


def _blocks(data: bytes, start: int) -> Iterator[bytes]:
    """`data` from `start`, in blocks of whole lines; one empty block when there is none
    (a file of the header alone)."""
    if start >= len(data):
        yield b""
    while start < len(data):
        end = data.find(b"\n", start + BLOCK_BYTES)
        end = len(data) if end == -1 else end + 1
        yield data[start:end]
        start = end


def _ragged(block: bytes, width: int, height: int) -> pl.DataFrame:
    """The block's records with the wrong number of fields: the reason and the line."""
    text = block.decode("utf-8", "replace").removesuffix("\n")
    lines = pl.Series([text] if text else [], dtype=pl.String).str.split("\n").explode()
    body = lines.head(height).str.strip_chars_end("\r")
    body = body.extend(pl.Series([None] * (height - body.len()), dtype=pl.String))
    fields = body.str.count_matches(",", literal=True) + 1
    ragged = (fields != width) & ~body.str.contains(r"^\s*$")
    return pl.DataFrame(
        {
            MALFORMED_COLUMN: pl.select(
                pl.when(ragged).then(pl.format(_WRONG_WIDTH, fields, pl.lit(width)))
            ).to_series(),
            LINE_COLUMN: pl.select(pl.when(ragged).then(body)).to_series(),
        },
        schema=dict.fromkeys((MALFORMED_COLUMN, LINE_COLUMN), pl.String),
    )


_WRONG_WIDTH = "{} fields where the header has {}"


def _wrong_width(fields: int, width: int) -> str:
    return _WRONG_WIDTH.format(fields, width)


def _checked(frame: pl.DataFrame, path: object = None) -> pl.DataFrame:
    """Required columns by name (trimmed, any case); blank lines dropped."""
    by_name: dict[str, str] = {}
    for column in frame.columns[1:]:
        if column in (MALFORMED_COLUMN, LINE_COLUMN):
            continue
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
        MALFORMED_COLUMN,
        LINE_COLUMN,
    )
    blank = pl.col(MALFORMED_COLUMN).is_null() & pl.all_horizontal(
        pl.col(c).is_null() | pl.col(c).str.contains(r"^\s*$") for c in CUSTOMER_COLUMNS
    )
    blanks = frame.select(blank.alias("blank"))["blank"]
    if blanks.any():  # filtering copies every column, so only when there is a blank line
        frame = frame.filter(~blanks)
    if frame[MALFORMED_COLUMN].null_count() == frame.height:  # the usual case: none
        frame = frame.drop(MALFORMED_COLUMN, LINE_COLUMN)
    return frame


def _read_quoted(path: object, data: bytes) -> pl.DataFrame:
    """Record by record: Python's csv finds where each record ends (a quoted field may span
    lines), the RFC 4180 pattern decides whether its quoting is sound."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(path, "not valid UTF-8 text") from None
    consumed: list[str] = []  # the lines of the record being read, for its raw text

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    reader = csv.reader(lines(), strict=True)
    records: list[tuple[list[str] | None, str, str | None]] = []
    limit = csv.field_size_limit(MAX_FIELD_CHARS)  # the module's default is 128 KB
    try:
        while True:
            problem = None
            try:
                fields: list[str] | None = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                if "field larger than field limit" in str(exc):
                    raise InputFileError(
                        path,
                        f"a quoted value of more than {MAX_FIELD_CHARS >> 20} M characters "
                        "(a quote never closed?)",
                    ) from None
                fields = None
                problem = _CSV_PROBLEMS.get(str(exc), str(exc))
            raw = "".join(consumed).rstrip("\r\n")
            consumed.clear()
            if fields is not None and raw and not _RECORD.fullmatch(raw):
                fields = None
                problem = _QUOTE_INSIDE
            records.append((fields, raw, problem))
    finally:
        csv.field_size_limit(limit)
    if not records or records[0][0] is None:
        raise InputFileError(path, "the header row cannot be read (malformed CSV quoting)")
    header = _unique(records[0][0] or [])
    width = len(header)
    rows: dict[str, list[str | None]] = {name: [] for name in header}
    malformed: list[str | None] = []
    line: list[str | None] = []
    for fields, raw, broken in records[1:]:
        values: list[str | None] = [None] * width
        problem = f"{MALFORMED}: {broken}" if fields is None else None
        if fields is not None:
            values[: min(width, len(fields))] = [v or None for v in fields[:width]]
            if len(fields) != width and any(f.strip() for f in fields):
                problem = _wrong_width(len(fields), width)
        for name, value in zip(header, values, strict=True):
            rows[name].append(value)
        malformed.append(problem)
        line.append(raw if problem else None)
    frame = pl.DataFrame(
        {name: pl.Series(values, dtype=pl.String) for name, values in rows.items()}
    )
    return frame.with_columns(
        pl.Series(MALFORMED_COLUMN, malformed, dtype=pl.String),
        pl.Series(LINE_COLUMN, line, dtype=pl.String),
    ).with_row_index(RECORD, offset=1)


def _unique(names: list[str]) -> list[str]:
    """A repeated column name gets a suffix, as Polars names it."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            out.append(f"{name}_duplicated_{seen[name]}")
            seen[name] += 1
        else:
            out.append(name)
            seen[name] = 0
    return out
