"""One ingest: find the files, skip what already landed, clean, and hand every batch to the
stores in one all-or-nothing commit per store."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import Generic, Literal, TypeVar

import polars as pl

from akasa.backends.base import Backend, LedgerEntry, Mode, PendingBatch
from akasa.backends.open import open_backend
from akasa.core import interrupts
from akasa.core.config import Settings
from akasa.core.errors import (
    DiskFullError,
    InputFileError,
    Interrupted,
    RejectRateExceededError,
)
from akasa.core.files import is_disk_full, writing
from akasa.core.interrupts import APPLIED_IN_FULL, NOTHING_APPLIED
from akasa.core.progress import Progress
from akasa.core.spilled import Spilled
from akasa.core.waiting import NO_WAIT, LockWait
from akasa.ingest import quarantine
from akasa.ingest.clean import (
    Accounting,
    CleanCustomers,
    CleanOrders,
    clean_customers,
)
from akasa.ingest.csv_reader import read_customers
from akasa.ingest.normalise import paise_to_money
from akasa.ingest.sources import SourceFile, resolve
from akasa.ingest.spill import SpilledOrders, clean_orders_spilled, partitions_for
from akasa.ingest.xml_reader import Chunks, iter_order_chunks
from akasa.pipeline.locking import store_lock

log = logging.getLogger(__name__)
NOTHING_WAS_APPLIED = "nothing was applied"


@dataclass(frozen=True)
class FileReport:
    """What happened to one input file in one store."""

    kind: str
    source_file: str
    sha256: str
    status: Literal["ingested", "skipped"]
    batch_id: int | None = None
    accounting: Accounting | None = None
    note: str | None = None
    quarantine_file: Path | None = None


@dataclass(frozen=True)
class StoreReport:
    store: Mode
    files: list[FileReport] = field(default_factory=list)


@dataclass(frozen=True)
class IngestResult:
    stores: list[StoreReport]


def ingest(
    settings: Settings,
    customers: Sequence[str | Path] = (),
    orders: Sequence[str | Path] = (),
    modes: Sequence[Mode] = (Mode.memory,),
    max_reject_rate: float | None = None,
    progress: Progress | None = None,
    wait: LockWait = NO_WAIT,
) -> IngestResult:
    """Lands the given files in the backend of each of `modes`, all or nothing.

    Files are read one after another (orders read ahead by worker processes) and each is
    staged in every store as soon as it is clean, so memory holds about one file at a time.
    A refused file, a crash or too many rejects roll every store back: nothing lands.
    Another ingest's lock (on the data directory, or on the database) is waited for as
    `wait` says.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    landings: list[_Landing] = []
    with store_lock(settings, wait), _staging(settings.data_dir) as staging:
        by_name = attrgetter("name")  # files of a kind are taken in name order
        try:
            found = [resolve("customers", spec, staging) for spec in customers]
            found += [resolve("orders", spec, staging) for spec in orders]
            sources = sorted(
                (f for each in found for f in each.files if f.kind == "customers"), key=by_name
            )
            sources += sorted(
                (f for each in found for f in each.files if f.kind == "orders"), key=by_name
            )
            passed_over = [
                FileReport(s.kind, s.path.name, "", "skipped", note=s.note)
                for each in found
                for s in each.skipped
            ]
            for mode in modes:
                landings.append(_Landing(open_backend(settings, mode), sources, settings, wait))
            quarantined = _stage(landings, settings, progress, datetime.now(UTC), staging)
            for landing in landings:  # every batch staged before any store commits
                with writing(landing.where):
                    landing.flush()
            too_many = sorted({p for landing in landings for p in landing.over(max_reject_rate)})
            if too_many:
                log.warning("nothing applied, reject rate exceeded: %s", too_many)
                raise RejectRateExceededError(
                    f"{'; '.join(too_many)}, more than --max-reject-rate {max_reject_rate:g}; "
                    f"nothing was applied (see {settings.quarantine_dir})"
                )
            # The commit point: a Ctrl-C here waits until every store has switched.
            with interrupts.held_back() as held:
                for landing in landings:
                    with writing(landing.where):
                        landing.commit()
        except KeyboardInterrupt:
            for landing in landings:
                landing.rollback()
            log.warning("interrupted: %s", NOTHING_APPLIED)
            raise Interrupted(NOTHING_APPLIED) from None
        except BaseException as exc:
            for landing in landings:
                landing.rollback()
            if isinstance(exc, DiskFullError):
                raise DiskFullError(exc.path, NOTHING_WAS_APPLIED) from None
            if is_disk_full(exc):  # somewhere no `writing` names
                raise DiskFullError(settings.data_dir, NOTHING_WAS_APPLIED) from None
            raise
    if held.interrupted:
        log.warning("interrupted: %s", APPLIED_IN_FULL)
        raise Interrupted(APPLIED_IN_FULL)
    return IngestResult(stores=[landing.report(quarantined, passed_over) for landing in landings])


def _stage(
    landings: list[_Landing],
    settings: Settings,
    progress: Progress | None,
    started: datetime,
    staging: Path,
) -> dict[str, Path | None]:
    """Reads, cleans and stages every file a store still needs; writes the quarantine.

    A large orders file is cleaned in partitions spilled under `staging`
    (`akasa.ingest.spill`), removed once every store has its batch.
    Returns the quarantine file of each source (by content hash), if it has one.
    """
    needed = {s.sha256: s for landing in landings for s in landing.wanted()}
    size = sum(s.size_bytes for s in needed.values())
    log.info(
        "reading %d file(s), %d bytes, for the %s store(s)",
        len(needed),
        size,
        " and ".join(landing.store.mode for landing in landings),
    )
    if progress:
        progress.start(size, "reading")
    rendered: dict[str, tuple[SourceFile, Path | None]] = {}
    reads = _read(list(needed.values()), progress)
    try:
        for source, raw in reads:
            spill = staging / f"spill-{source.sha256[:16]}"
            cleaned_orders = _Once(
                partial(
                    clean_orders_spilled,
                    raw if isinstance(raw, Iterator) else (),
                    settings.source_timezone,
                    started,
                    spill,
                    partitions_for(source.size_bytes),
                )
            )
            # The file's times, the same in every store's ledger (`--mode both`): started
            # before the first store cleans it, finished when the first store's batch is ready.
            times = (datetime.now(UTC), _Once(partial(datetime.now, UTC)))
            for landing in landings:
                if landing.wants(source):
                    with writing(landing.where):
                        cleaned = landing.add(source, raw, cleaned_orders, times)
                    staged = staging / f"rejects-{source.sha256[:16]}.csv"
                    with writing(staged):
                        rendered[source.sha256] = (
                            source,
                            quarantine.render(source, cleaned.rejects, staged),
                        )
            shutil.rmtree(spill, ignore_errors=True)
    finally:
        reads.close()  # on an error or Ctrl-C: stops the XML workers now, not at exit
        if progress:
            progress.finish()
    with writing(settings.quarantine_dir):
        return {
            sha: quarantine.write(settings.quarantine_dir, source, data)
            for sha, (source, data) in rendered.items()
        }


def _plan(store: Backend, sources: list[SourceFile]) -> list[tuple[SourceFile | None, FileReport]]:
    """Which files this store still needs; the rest are reported as skipped."""
    landed = store.ingested()
    seen: dict[str, str] = {}
    plan: list[tuple[SourceFile | None, FileReport]] = []
    for source in sources:
        if source.sha256 in landed:
            note = f"already ingested (batch {landed[source.sha256]})"
        elif source.sha256 in seen:
            note = f"same content as {seen[source.sha256]}"
        else:
            seen[source.sha256] = source.name
            plan.append((source, FileReport(source.kind, source.name, source.sha256, "ingested")))
            continue
        plan.append(
            (None, FileReport(source.kind, source.name, source.sha256, "skipped", note=note))
        )
    return plan


T = TypeVar("T")


class _Once(Generic[T]):
    """A value computed on first use: orders are cleaned once for however many stores, and
    a file's finishing time is the same in each store's ledger."""

    def __init__(self, compute: Callable[[], T]) -> None:
        self.compute = compute
        self.value: T | None = None

    def __call__(self) -> T:
        if self.value is None:
            self.value = self.compute()
        return self.value


STAGING = "staging"


@contextmanager
def _staging(data_dir: Path) -> Iterator[Path]:
    """A private folder for this ingest's copies of its input files (see
    `akasa.ingest.sources`), removed when the ingest ends. The caller holds the data-dir
    lock, so a folder left by a killed ingest can go too."""
    parent = data_dir / "tmp" / STAGING
    shutil.rmtree(parent, ignore_errors=True)
    parent.mkdir(parents=True, mode=0o700)
    try:
        yield parent
    finally:
        shutil.rmtree(parent, ignore_errors=True)


Raw = pl.DataFrame | Chunks  # customers: one frame; orders: consecutive frames (see xml_reader)


def _read(
    sources: list[SourceFile], progress: Progress | None
) -> Generator[tuple[SourceFile, Raw]]:
    """Each source's raw records, customers first, in the given order. Errors name the
    file as the user gave it, not its staged copy."""
    by_copy = {str(s.path): s.named for s in sources}
    with _named(by_copy):
        for source, raw in _parse(sources, progress):
            yield source, raw if isinstance(raw, pl.DataFrame) else _named_chunks(raw, by_copy)


@contextmanager
def _named(by_copy: dict[str, Path]) -> Iterator[None]:
    try:
        yield
    except InputFileError as exc:
        if exc.path in by_copy:
            raise InputFileError(by_copy[exc.path], exc.problem) from None
        raise


def _named_chunks(chunks: Chunks, by_copy: dict[str, Path]) -> Chunks:
    with _named(by_copy):
        yield from chunks


def _parse(
    sources: list[SourceFile], progress: Progress | None
) -> Generator[tuple[SourceFile, Raw]]:
    orders = [s for s in sources if s.kind == "orders"]
    advance = progress.advance if progress else None
    with closing(iter_order_chunks([s.path for s in orders], advance)) as files:
        # The XML workers start on the orders while this process reads the customers.
        first = next(files, None)
        for source in sources:
            if source.kind == "customers":
                data = source.path.read_bytes()
                yield source, read_customers(source.path, data)
                if progress:
                    progress.advance(len(data))
        if first is not None:
            yield orders[0], first[1]
        for source, (_, chunks) in zip(orders[1:], files, strict=True):
            yield source, chunks


class _Landing:
    """One store's side of an ingest: what it still needs, its batches, its accounting."""

    def __init__(
        self, store: Backend, sources: list[SourceFile], settings: Settings, wait: LockWait
    ) -> None:
        self.store = store
        # Where this store writes locally, for a full disk's message.
        self.where = store.local_dir
        # Begin first: the writer holds the store's ingest lock, so what is read next
        # cannot change under this ingest.
        self.writer = store.begin(wait)
        try:
            self.plan = _plan(store, sources)
            self.owners = store.mobile_owners()
            self.batch_id = store.next_batch_id()
        except BaseException:
            self.writer.rollback()
            raise
        self.done: dict[str, FileReport] = {}

    def wanted(self) -> list[SourceFile]:
        return [source for source, _ in self.plan if source is not None]

    def wants(self, source: SourceFile) -> bool:
        return any(s is not None and s.sha256 == source.sha256 for s, _ in self.plan)

    def add(
        self,
        source: SourceFile,
        raw: Raw,
        orders: Callable[[], CleanOrders | SpilledOrders],
        times: tuple[datetime, Callable[[], datetime]],
    ) -> CleanCustomers | CleanOrders | SpilledOrders:
        cleaned: CleanCustomers | CleanOrders | SpilledOrders
        if isinstance(raw, pl.DataFrame):
            cleaned = clean_customers(raw, self.owners)
            self.owners = pl.concat([self.owners, cleaned.new_mobiles])
        else:
            cleaned = orders()
        started, finished = times
        self.writer.add(_pending(source, self.batch_id, cleaned, started, finished()))
        a = cleaned.accounting
        self.done[source.sha256] = FileReport(
            source.kind, source.name, source.sha256, "ingested", self.batch_id, a
        )
        log.info(
            "%s %s -> batch %s: read %d, accepted %d, rejected %d, duplicates %d, superseded %d",
            self.store.mode,
            source.name,
            self.batch_id,
            a.read,
            a.accepted,
            a.rejected,
            a.duplicates,
            a.superseded,
        )
        self.batch_id += 1
        return cleaned

    def over(self, max_reject_rate: float | None) -> list[str]:
        """Files whose share of rejected records exceeds `max_reject_rate`."""
        if max_reject_rate is None:
            return []
        return [
            f"{r.source_file} rejects {r.accounting.rejected} of {r.accounting.read} records"
            for r in self.done.values()
            if r.accounting
            and r.accounting.read
            and r.accounting.rejected / r.accounting.read > max_reject_rate
        ]

    def flush(self) -> None:
        self.writer.flush()

    def commit(self) -> None:
        self.writer.commit()

    def rollback(self) -> None:
        self.writer.rollback()

    def report(
        self, quarantined: dict[str, Path | None], passed_over: list[FileReport]
    ) -> StoreReport:
        """Every file of the plan, then what the folders held that is not a file."""
        files = []
        for source, skipped in self.plan:
            if source is None:
                log.info("%s %s skipped: %s", self.store.mode, skipped.source_file, skipped.note)
                files.append(skipped)
            else:
                files.append(
                    replace(
                        self.done[source.sha256], quarantine_file=quarantined.get(source.sha256)
                    )
                )
        for skipped in passed_over:
            log.warning("%s %s skipped: %s", self.store.mode, skipped.source_file, skipped.note)
        return StoreReport(store=self.store.mode, files=files + passed_over)


def _pending(
    source: SourceFile,
    batch_id: int,
    cleaned: CleanCustomers | CleanOrders | SpilledOrders,
    started: datetime,
    finished: datetime,
) -> PendingBatch:
    batch = pl.lit(batch_id, dtype=pl.Int64).alias("batch_id")

    def numbered(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(batch)

    def priced(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(
            batch, paise_to_money(pl.col("total_paise")).alias("total_amount")
        )

    frames: dict[str, pl.DataFrame | Spilled] = {
        "rejects": cleaned.rejects.with_columns(batch, pl.lit(source.name).alias("source_file"))
    }
    if isinstance(cleaned, CleanCustomers):
        frames["customers"] = cleaned.customers.with_columns(batch)
        frames["customer_mobiles"] = cleaned.new_mobiles.with_columns(batch)
    else:
        orders, lines = cleaned.orders, cleaned.lines
        frames["orders"] = orders.map(priced) if isinstance(orders, Spilled) else priced(orders)
        frames["order_lines"] = (
            lines.map(numbered) if isinstance(lines, Spilled) else numbered(lines)
        )
    acc = cleaned.accounting
    entry = LedgerEntry(
        batch_id=batch_id,
        kind=source.kind,
        source_file=source.name,
        sha256=source.sha256,
        size_bytes=source.size_bytes,
        records_read=acc.read,
        accepted=acc.accepted,
        rejected=acc.rejected,
        duplicates=acc.duplicates,
        superseded=acc.superseded,
        started_at=started,
        finished_at=finished,
    )
    return PendingBatch(entry=entry, frames=frames)
