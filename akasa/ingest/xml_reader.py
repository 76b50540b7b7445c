"""Orders XML, streamed: one `<order>` element (an order line) at a time into Polars batches.

xmltodict's streaming mode (`item_depth=2`) keeps only the current element in memory.
A DTD is refused before anything in it is read, so no entity is ever expanded and no
external resource is fetched.
"""

from __future__ import annotations

import ctypes
import io
import multiprocessing
import os
import pyexpat
import signal
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
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

    def __init__(self) -> None:
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
        self.frames.append(pl.DataFrame(data, schema=SCHEMA))
        self.columns = {c: [] for c in self.columns}
        self.numbers = []


SCHEMA = {RECORD: pl.Int64, **{c: pl.String for c in (*ORDER_LINE_COLUMNS, MALFORMED)}}
PARALLEL_MIN_BYTES = 16 << 20  # below this, starting worker processes costs more than it saves
RANGE_BYTES = 8 << 20
PR_SET_PDEATHSIG = 1  # linux/prctl.h
_CLOSE = b"</order>"
_PROLOG_LIMIT = 1 << 20


def read_orders(
    path: Path, progress: Callable[[int], None] | None = None, workers: int | None = None
) -> pl.DataFrame:
    """All order lines of one file: record_number, the six fields as text, malformed reason."""
    return read_orders_many([path], progress, workers)[path]


def read_orders_many(
    paths: list[Path], progress: Callable[[int], None] | None = None, workers: int | None = None
) -> dict[Path, pl.DataFrame]:
    return dict(iter_orders(paths, progress, workers))


def iter_orders(
    paths: list[Path],
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    lookahead: int = 2,
) -> Iterator[tuple[Path, pl.DataFrame]]:
    """Yields each file's frame in order, reading ahead at most `lookahead` files.

    Large inputs are cut into byte ranges at `</order>` and parsed by worker processes while
    the caller works on the previous file. A range that does not parse on its own (a cut
    inside a comment or CDATA, or a bad file) sends that whole file through one sequential
    pass, so the result (and any error) never depends on the cuts.
    """
    for path in paths:
        if path.stat().st_size == 0:
            raise InputFileError(path, "file is empty")
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers < 2 or sum(p.stat().st_size for p in paths) < PARALLEL_MIN_BYTES:
        for path in paths:
            yield path, _read_sequential(path, progress)
        return
    context = multiprocessing.get_context("spawn")  # Polars is not fork-safe
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        queue: deque[tuple[Path, list[Job] | None, list[Future[bytes | None]]]] = deque()
        upcoming = iter(paths)

        def submit() -> None:
            path = next(upcoming, None)
            if path is not None:
                jobs = _jobs(path, workers)
                queue.append((path, jobs, [pool.submit(_parse_range, j) for j in jobs or []]))

        for _ in range(lookahead):
            submit()
        while queue:
            path, jobs, futures = queue.popleft()
            submit()
            parts = [f.result() for f in futures] if jobs else [None]
            del futures  # the futures hold the results too
            if any(part is None for part in parts):
                yield path, _read_sequential(path, progress)
                continue
            if progress:
                progress(path.stat().st_size)
            frame = _assemble(parts)  # type: ignore[arg-type]
            yield path, frame


def _assemble(parts: list[bytes]) -> pl.DataFrame:
    """Range frames -> one frame, record numbers counted from the start of the file.

    Consumes `parts` as it goes, so each range's bytes are freed once decoded.
    """
    counted = 0
    numbered = []
    parts.reverse()
    while parts:
        frame = pl.read_ipc(io.BytesIO(parts.pop()))
        numbered.append(frame.with_columns(pl.col(RECORD) + counted))
        counted += frame.height
    return pl.concat(numbered, rechunk=False)


def _read_sequential(path: Path, progress: Callable[[int], None] | None) -> pl.DataFrame:
    try:
        with path.open("rb") as raw:
            stream: IO[bytes] = _Counting(raw, progress) if progress else raw
            return _parse(stream)
    except _Refused as exc:
        raise InputFileError(path, str(exc)) from None
    except ValueError as exc:  # xmltodict's entity guard
        raise InputFileError(path, f"DTD or entity declarations are not allowed ({exc})") from None
    except pyexpat.ExpatError as exc:
        reason = pyexpat.ErrorString(exc.code)
        raise InputFileError(
            path, f"not well-formed XML ({reason}, line {exc.lineno}, column {exc.offset + 1})"
        ) from None


def _parse(stream: IO[bytes]) -> pl.DataFrame:
    collector = _Collector()
    xmltodict.parse(
        stream, expat=_NoDtdExpat, item_depth=2, item_callback=collector, disable_entities=True
    )
    collector.flush()
    if not collector.frames:
        return pl.DataFrame(schema=SCHEMA)
    return pl.concat(collector.frames, rechunk=True)


# ---- parallel reading ------------------------------------------------------------------------


class _Found(Exception):
    pass


def _root(path: Path) -> tuple[bytes, int] | None:
    """The root element's name and the offset of its first child, if the prolog is plain.

    Anything unusual (a DTD, a declared encoding other than UTF-8, no child within the first
    megabyte) answers None: the sequential pass handles it.
    """
    parser = pyexpat.ParserCreate()
    names: list[str] = []

    def start(name: str, _attrs: object) -> None:
        names.append(name)
        if len(names) == 2:
            raise _Found(parser.CurrentByteIndex)

    def doctype(*_: object) -> None:
        raise _Refused("DTD")

    def declaration(_version: object, encoding: str | None, _standalone: int) -> None:
        if encoding and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise _Refused("encoding")

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = doctype
    parser.XmlDeclHandler = declaration
    try:
        with path.open("rb") as handle:
            parser.Parse(handle.read(_PROLOG_LIMIT), False)
    except _Found as found:
        return names[0].encode("utf-8"), int(found.args[0])
    except (_Refused, pyexpat.ExpatError):
        return None
    return None


def _cuts(path: Path, start: int, size: int, parts: int) -> list[int]:
    """Offsets just after a `</order>` near each of `parts` equal shares of the file."""
    cuts: list[int] = []
    with path.open("rb") as handle:
        for k in range(1, parts):
            handle.seek(start + (size - start) * k // parts)
            window = handle.read(1 << 20)
            found = window.find(_CLOSE)
            if found >= 0:
                cut = handle.tell() - len(window) + found + len(_CLOSE)
                if not cuts or cut > cuts[-1]:
                    cuts.append(cut)
    return cuts


Job = tuple[str, int, int, bytes, bool, bool]


def _jobs(path: Path, workers: int) -> list[Job] | None:
    """Byte ranges of one file: one range for a small file, up to 2 per worker for a big one."""
    root = _root(path)
    if root is None:
        return None
    name, body = root
    size = path.stat().st_size
    parts = max(1, min(workers * 2, size // RANGE_BYTES))
    cuts = _cuts(path, body, size, parts) if parts > 1 else []
    bounds = list(zip([0, *cuts], [*cuts, size], strict=True))
    return [
        (str(path), begin, end, name, i == 0, i == len(bounds) - 1)
        for i, (begin, end) in enumerate(bounds)
    ]


def _die_with_parent(parent: int) -> None:
    """A worker must not outlive a killed ingest: on Linux the kernel kills it with its
    parent (PR_SET_PDEATHSIG); if the parent is already gone, stop at once."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown still applies
        pass
    if os.getppid() != parent:
        os._exit(0)


def _parse_range(job: tuple[str, int, int, bytes, bool, bool]) -> bytes | None:
    """Parses one byte range wrapped in the root element; None when it does not parse alone."""
    path, begin, end, root, first, last = job
    with open(path, "rb") as handle:
        handle.seek(begin)
        data = handle.read(end - begin)
    if not first:
        data = b"<" + root + b">" + data
    if not last:
        data = data + b"</" + root + b">"
    try:
        frame = _parse(io.BytesIO(data))
    except Exception:
        return None
    buffer = io.BytesIO()
    frame.write_ipc(buffer, compression="lz4")  # text compresses well: less to pickle and hold
    return buffer.getvalue()


class _Counting:
    """A read-only file wrapper that reports how many bytes have been read."""

    def __init__(self, raw: IO[bytes], progress: Callable[[int], None]) -> None:
        self.raw = raw
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.progress(len(chunk))
        return chunk
