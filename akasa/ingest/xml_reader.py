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
from collections.abc import Callable, Generator, Iterable, Iterator
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
IN_FLIGHT_PER_WORKER = 2  # ranges parsed or queued per worker ahead of the caller
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
) -> Generator[tuple[Path, pl.DataFrame]]:
    """Yields each file's whole frame in order (see `iter_order_chunks`)."""
    for path, chunks in iter_order_chunks(paths, progress, workers):
        yield path, whole(chunks)


def whole(chunks: Iterable[pl.DataFrame | None], *, rechunk: bool = False) -> pl.DataFrame:
    """One file's chunks as one frame (a None: the chunks so far are forgotten)."""
    frames: list[pl.DataFrame] = []
    for chunk in chunks:
        if chunk is None:
            frames.clear()
        else:
            frames.append(chunk)
    return pl.concat(frames, rechunk=rechunk) if frames else pl.DataFrame(schema=SCHEMA)


Chunks = Generator[pl.DataFrame | None]


def iter_order_chunks(
    paths: list[Path],
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> Generator[tuple[Path, Chunks]]:
    """Yields each file with its lines as consecutive frames (record numbers counted from
    the start of the file), so a large file never has to be in memory at once.

    Large inputs are cut into byte ranges at `</order>` and parsed by worker processes, at
    most `IN_FLIGHT_PER_WORKER` ranges per worker ahead of the caller (the next file's
    ranges start while the caller works on this one). A range that does not parse on its
    own (a cut inside a comment or CDATA, or a bad file) sends that whole file through one
    sequential pass, so the result (and any error) never depends on the cuts: the chunks
    then say so with a None (forget the chunks so far) before the sequential pass's.
    A file's chunks must be taken before the next file is asked for; any left are dropped.
    """
    for path in paths:
        if path.stat().st_size == 0:
            raise InputFileError(path, "file is empty")
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers < 2 or sum(p.stat().st_size for p in paths) < PARALLEL_MIN_BYTES:
        for path in paths:
            yield path, _sequential_chunks(path, progress)
        return
    # Spawned, not forked: Polars (in this process) is not fork-safe.
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=xml_parse.start_worker,
        initargs=(os.getpid(),),
    )
    try:
        ranges = _Ranges(pool, paths, workers * IN_FLIGHT_PER_WORKER)
        ranges.fill()  # the workers start parsing before the first file is asked for
        for index, path in enumerate(paths):
            chunks = ranges.chunks(index, progress)
            yield path, chunks
            chunks.close()
            ranges.drop(index)
    except BaseException:  # an error, Ctrl-C, or the caller closing this generator early
        stop_now(pool)
        raise
    pool.shutdown()


class _Ranges:
    """The byte ranges of every file, parsed by the pool a bounded number at a time."""

    def __init__(self, pool: ProcessPoolExecutor, paths: list[Path], limit: int) -> None:
        self.pool = pool
        self.paths = paths
        self.limit = limit
        self.upcoming = self._jobs()
        self.queue: deque[tuple[int, Job | None, Future[Packed | None] | None]] = deque()
        self.dropped: set[int] = set()

    def _jobs(self) -> Iterator[tuple[int, Job | None]]:
        for index, path in enumerate(self.paths):
            jobs = _jobs(path)
            if jobs is None:
                yield index, None  # the file cannot be cut: read it in one pass
                continue
            for job in jobs:
                yield index, job

    def fill(self) -> None:
        while len(self.queue) < self.limit:
            item = next(self.upcoming, None)
            if item is None:
                # Every range is queued: workers may go as soon as they are done, so
                # their memory is given back while the caller works on the last file.
                self.pool.shutdown(wait=False)
                return
            index, job = item
            if index in self.dropped:
                continue
            future = None
            if job is not None:
                with _spawning():
                    future = self.pool.submit(xml_parse.parse_range, job)
            self.queue.append((index, job, future))

    def drop(self, index: int) -> None:
        """Forgets what is left of a file (its ranges are not wanted any more)."""
        self.dropped.add(index)
        while self.queue and self.queue[0][0] == index:
            _, _, future = self.queue.popleft()
            if future is not None:
                future.cancel()
        self.fill()

    def chunks(self, index: int, progress: Callable[[int], None] | None) -> Chunks:
        path = self.paths[index]
        counted = 0
        self.fill()
        while self.queue and self.queue[0][0] == index:
            _, job, future = self.queue.popleft()
            try:
                packed = _result(future) if future is not None else None
            except RefusedAnywhere as exc:
                raise InputFileError(path, str(exc)) from None
            del future  # the future holds the result too
            self.fill()
            if job is None or packed is None:
                self.drop(index)
                if counted:
                    yield None
                yield from _sequential_chunks(path, progress)
                return
            frame = _unpack(packed, counted + 1)
            del packed
            counted += frame.height
            if progress:
                progress(job[2] - job[1])
            yield frame
        if not counted:
            yield pl.DataFrame(schema=SCHEMA)


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


def _sequential_chunks(path: Path, progress: Callable[[int], None] | None) -> Chunks:
    """One pass over the whole file (its frames are built as it goes, but the pass cannot
    hand them over before it ends)."""
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
    frames.reverse()
    while frames:
        yield frames.pop()


def _jobs(path: Path) -> list[Job] | None:
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
