"""Orders XML, streamed: one `<order>` element (an order line) at a time into Polars batches.

xmltodict's streaming mode (`item_depth=2`) keeps only the current element in memory.
A DTD is refused before anything in it is read, so no entity is ever expanded and no
external resource is fetched.
"""

from __future__ import annotations

import pyexpat
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import polars as pl
import xmltodict

from akasa.errors import InputFileError
from akasa.tables import ORDER_LINE_COLUMNS

RECORD = "record_number"
MALFORMED = "malformed"
BATCH_ROWS = 100_000
MAX_DEPTH = 32  # <orders><order><field> needs 3


class _Refused(Exception):
    pass


class _GuardedParser:
    """Wraps an expat parser so the element handlers xmltodict installs count depth."""

    def __init__(self, parser: Any) -> None:
        object.__setattr__(self, "_parser", parser)
        object.__setattr__(self, "_depth", 0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._parser, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "StartElementHandler":
            value = self._deeper(value)
        elif name == "EndElementHandler":
            value = self._shallower(value)
        setattr(self._parser, name, value)

    def _deeper(self, inner: Callable[..., Any]) -> Callable[..., Any]:
        def start(*args: Any) -> Any:
            depth = self._depth + 1
            if depth > MAX_DEPTH:
                raise _Refused(f"elements nested deeper than {MAX_DEPTH} levels")
            object.__setattr__(self, "_depth", depth)
            return inner(*args)

        return start

    def _shallower(self, inner: Callable[..., Any]) -> Callable[..., Any]:
        def end(*args: Any) -> Any:
            object.__setattr__(self, "_depth", self._depth - 1)
            return inner(*args)

        return end


class _NoDtdExpat:
    """An expat factory for xmltodict whose parsers refuse any DTD and deep nesting."""

    error = pyexpat.error

    @staticmethod
    def ParserCreate(*args: Any, **kwargs: Any) -> Any:
        parser = pyexpat.ParserCreate(*args, **kwargs)

        def refuse_dtd(*_: Any) -> None:
            raise _Refused("DTD or entity declarations are not allowed")

        parser.StartDoctypeDeclHandler = refuse_dtd
        parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
        return _GuardedParser(parser)


class _Collector:
    """Receives `<order>` items and emits column batches."""

    def __init__(self, path: object) -> None:
        self.path = path
        self.count = 0
        self.columns: dict[str, list[str | None]] = {
            c: [] for c in (*ORDER_LINE_COLUMNS, MALFORMED)
        }
        self.numbers: list[int] = []
        self.frames: list[pl.DataFrame] = []

    def __call__(self, path: list[tuple[str, Any]], item: Any) -> bool:
        tag = path[-1][0]
        if tag != "order":
            raise _Refused(f"unexpected element <{tag}> under <{path[0][0]}> (expected <order>)")
        self.count += 1
        self.numbers.append(self.count)
        problems: list[str] = []
        fields = item if isinstance(item, dict) else {}
        if not isinstance(item, dict) and item is not None and str(item).strip():
            problems.append("order has text instead of fields")
        for column in ORDER_LINE_COLUMNS:
            value = fields.get(column)
            if isinstance(value, dict):
                text = value.get("#text")
                if any(not k.startswith(("@", "#")) for k in value):
                    problems.append(f"<{column}> holds nested elements")
                    text = None
                value = text
            elif isinstance(value, list):
                problems.append(f"<{column}> appears more than once")
                value = None
            self.columns[column].append(value)
        self.columns[MALFORMED].append("; ".join(problems) if problems else None)
        if len(self.numbers) >= BATCH_ROWS:
            self.flush()
        return True

    def flush(self) -> None:
        if not self.numbers:
            return
        data: dict[str, Any] = {RECORD: self.numbers}
        data.update(self.columns)
        schema = {RECORD: pl.Int64, **{c: pl.String for c in self.columns}}
        self.frames.append(pl.DataFrame(data, schema=schema))
        self.columns = {c: [] for c in self.columns}
        self.numbers = []


def read_orders(path: Path, progress: Callable[[int], None] | None = None) -> pl.DataFrame:
    """All order lines of one file: record_number, the six fields as text, malformed reason."""
    collector = _Collector(path)
    if path.stat().st_size == 0:
        raise InputFileError(path, "file is empty")
    try:
        with path.open("rb") as raw:
            stream: IO[bytes] = _Counting(raw, progress) if progress else raw
            xmltodict.parse(
                stream,
                expat=_NoDtdExpat,
                item_depth=2,
                item_callback=collector,
                disable_entities=True,
            )
    except _Refused as exc:
        raise InputFileError(path, str(exc)) from None
    except ValueError as exc:  # xmltodict's entity guard
        raise InputFileError(path, f"DTD or entity declarations are not allowed ({exc})") from None
    except pyexpat.ExpatError as exc:
        reason = pyexpat.ErrorString(exc.code)
        raise InputFileError(
            path, f"not well-formed XML ({reason}, line {exc.lineno}, column {exc.offset + 1})"
        ) from None
    collector.flush()
    if not collector.frames:
        return pl.DataFrame(
            schema={RECORD: pl.Int64, **{c: pl.String for c in (*ORDER_LINE_COLUMNS, MALFORMED)}}
        )
    return pl.concat(collector.frames, rechunk=True)


class _Counting:
    """A read-only file wrapper that reports how many bytes have been read."""

    def __init__(self, raw: IO[bytes], progress: Callable[[int], None]) -> None:
        self.raw = raw
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.progress(len(chunk))
        return chunk
