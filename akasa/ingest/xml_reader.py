"""Orders XML into Polars frames: sequentially for small inputs, in byte ranges parsed by
worker processes for large ones (the parsing itself is `xml_parse`, which has no Polars).
"""

from __future__ import annotations

import multiprocessing
import os
import pyexpat
import signal
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeGuard

import polars as pl

from akasa.core import interrupts
from akasa.core.errors import InputFileError
from akasa.ingest import xml_parse
from akasa.ingest.xml_parse import (
    FIELDS,
    MISSING,
    RECORD,
    SEPARATOR,
    Columns,
    Job,
    Packed,
    Refused,
    RefusedAnywhere,
)

if TYPE_CHECKING:
    from _typeshed import SupportsRead

SCHEMA = {RECORD: pl.Int64, **{c: pl.String for c in FIELDS}}
PARALLEL_MIN_BYTES = 16 << 20  # below this, starting worker processes costs more than it saves
RANGE_BYTES = 8 << 20
BATCH_ROWS = 100_000
WAIT_STEP = 0.1  # seconds: how late a Ctrl-C may be noticed while workers parse


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
    lookahead: int = 1,
) -> Generator[tuple[Path, pl.DataFrame]]:
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
    # Spawned, not forked: Polars (in this process) is not fork-safe.
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=xml_parse.start_worker,
        initargs=(os.getpid(),),
    )
    try:
        queue: deque[tuple[Path, list[Job] | None, list[Future[Packed | None]]]] = deque()
        upcoming = iter(paths)

        def submit() -> None:
            path = next(upcoming, None)
            if path is not None:
                jobs = _jobs(path, workers)
                with _spawning():
                    futures = [pool.submit(xml_parse.parse_range, j) for j in jobs or []]
                queue.append((path, jobs, futures))

        for _ in range(lookahead):
            submit()
        while queue:
            path, jobs, futures = queue.popleft()
            submit()
            try:
                parts: list[Packed | None] = [_result(f) for f in futures] if jobs else [None]
            except RefusedAnywhere as exc:
                raise InputFileError(path, str(exc)) from None
            del futures  # the futures hold the results too
            if not _all_parsed(parts):
                yield path, _read_sequential(path, progress)
                continue
            if progress:
                progress(path.stat().st_size)
            frame = _assemble(parts)
            yield path, frame
    except BaseException:  # an error, Ctrl-C, or the caller closing this generator early
        stop_now(pool)
        raise
    pool.shutdown()


@contextmanager
def _spawning() -> Iterator[None]:
    """Workers start on demand, inside `submit`: a Ctrl-C then waits until they have, so
    none is left half-started (and complaining) when the parent stops; and they are born
    with SIGINT blocked, so none is hit by it before `start_worker` has it ignored."""
    with interrupts.held_back() as held:
        if hasattr(signal, "pthread_sigmask"):
            previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                yield
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        else:  # not POSIX
            yield
    if held.interrupted:
        raise KeyboardInterrupt


def _result(future: Future[Packed | None]) -> Packed | None:
    """A range's result, waited for in short steps: Python runs a Ctrl-C's handler only
    between its own steps, and a signal the kernel gives another thread does not end a
    wait of this one."""
    while True:
        try:
            return future.result(timeout=WAIT_STEP)
        except TimeoutError:
            continue


def stop_now(pool: ProcessPoolExecutor) -> None:
    """Stops a pool at once: queued ranges are dropped and running workers are terminated.

    `shutdown()` alone would let every queued range be parsed first, seconds of work that
    nobody wants after a Ctrl-C or a refused file.
    """
    workers = list((pool._processes or {}).values())  # shutdown() forgets them
    manager = getattr(pool, "_executor_manager_thread", None)  # typeshed mistypes it
    for worker in workers:
        worker.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    # The pool's manager thread sees the workers gone and releases the pool's queues (and
    # their semaphores, which would otherwise be reported leaked should the process end
    # without its usual clean-up, as an interrupted command does).
    if isinstance(manager, threading.Thread):
        manager.join(timeout=1.0)
    for worker in workers:
        worker.join(timeout=1.0)


def _all_parsed(parts: list[Packed | None]) -> TypeGuard[list[Packed]]:
    """Every range parsed on its own (a None is one that did not)."""
    return all(part is not None for part in parts)


def _frame(columns: Columns) -> pl.DataFrame:
    return pl.DataFrame(columns, schema=SCHEMA)


def _unpack(packed: Packed, first_record: int) -> pl.DataFrame:
    rows, fields = packed
    if rows == 0:
        return pl.DataFrame(schema=SCHEMA)
    columns = {
        name: pl.Series(name, [text]).str.split(SEPARATOR).explode()
        for name, text in fields.items()
    }
    frame = pl.DataFrame(columns).select(
        pl.int_range(first_record, first_record + rows, dtype=pl.Int64).alias(RECORD),
        *(pl.when(pl.col(c) != MISSING).then(pl.col(c)).alias(c) for c in FIELDS),
    )
    return frame


def _assemble(parts: list[Packed]) -> pl.DataFrame:
    """Range columns -> one frame, record numbers counted from the start of the file.

    Consumes `parts` as it goes, so each range's text is freed once turned into a frame.
    """
    counted = 0
    frames = []
    parts.reverse()
    while parts:
        frame = _unpack(parts.pop(), counted + 1)
        frames.append(frame)
        counted += frame.height
    return pl.concat(frames, rechunk=False)


def _read_sequential(path: Path, progress: Callable[[int], None] | None) -> pl.DataFrame:
    frames: list[pl.DataFrame] = []
    try:
        with path.open("rb") as raw:
            stream: SupportsRead[bytes] = _Counting(raw, progress) if progress else raw
            rest = xml_parse.parse(stream, lambda cols: frames.append(_frame(cols)), BATCH_ROWS)
    except Refused as exc:
        raise InputFileError(path, str(exc)) from None
    except ValueError as exc:  # xmltodict's entity guard
        raise InputFileError(path, f"DTD or entity declarations are not allowed ({exc})") from None
    except pyexpat.ExpatError as exc:
        reason = pyexpat.ErrorString(exc.code)
        raise InputFileError(
            path, f"not well-formed XML ({reason}, line {exc.lineno}, column {exc.offset + 1})"
        ) from None
    frames.append(_frame(rest))
    return pl.concat(frames, rechunk=True)


def _jobs(path: Path, workers: int) -> list[Job] | None:
    """Byte ranges of one file, each about RANGE_BYTES: small ranges keep workers small."""
    root = xml_parse.root(path)
    if root is None:
        return None
    name, body = root
    size = path.stat().st_size
    parts = max(1, size // RANGE_BYTES)
    cuts = xml_parse.cuts(path, body, size, parts) if parts > 1 else []
    bounds = list(zip([0, *cuts], [*cuts, size], strict=True))
    return [
        (str(path), begin, end, name, i == 0, i == len(bounds) - 1)
        for i, (begin, end) in enumerate(bounds)
    ]


class _Counting:
    """A read-only file wrapper that reports how many bytes have been read."""

    def __init__(self, raw: IO[bytes], progress: Callable[[int], None]) -> None:
        self.raw = raw
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.progress(len(chunk))
        return chunk
