"""`akasa status`: the configuration in effect, and what one mode's store and outputs hold.

Everything that can fail is caught and reported as part of the status, so a status of a
database that cannot be reached still shows the configuration and says what failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from akasa.backends.base import LedgerEntry, Mode, StoreState, TableSize
from akasa.backends.open import open_backend
from akasa.core.config import ENV_FILE, Settings
from akasa.core.errors import AkasaError
from akasa.kpi.document import read_document

LEDGER_ENTRIES = 10


@dataclass(frozen=True)
class Configuration:
    """The settings in effect, with nothing secret in them."""

    data_dir: Path
    database: str  # the table-mode database URL without its password
    database_problem: str | None  # why that URL cannot be used (then `database` says so)
    timezone: str
    source_timezone: str
    env_file: Path | None  # the .env file read, if there is one


@dataclass(frozen=True)
class Outputs:
    """The newest outputs of a mode (`data/outputs/<mode>/kpis.json`), as `akasa report`
    would read them."""

    path: Path
    as_of: str | None = None
    as_of_requested: str | None = None
    window_days: int | None = None
    generated_at: str | None = None
    problem: str | None = None  # no outputs yet, or unreadable
    behind: bool = False  # files were ingested after the run that wrote them (by batch id)


@dataclass(frozen=True)
class Status:
    mode: Mode
    checked_at: datetime
    configuration: Configuration
    outputs: Outputs
    store: StoreState | None = None  # None: the store could not be reached
    problem: str | None = None  # why the store cannot be used; None when all is well
    batches: int = 0  # ledger entries in all
    ledger: list[LedgerEntry] = field(default_factory=list)  # the newest, oldest first
    newest_order_at: datetime | None = None
    oldest_order_at: datetime | None = None
    last_ingest_at: datetime | None = None
    tables: list[TableSize] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # settings akasa ignores


def configuration(settings: Settings) -> Configuration:
    try:
        database, problem = settings.database_display(), None
    except AkasaError as exc:
        database, problem = "unusable", str(exc)
    env_file = Path(ENV_FILE)
    return Configuration(
        data_dir=settings.data_dir.resolve(),
        database=database,
        database_problem=problem,
        timezone=settings.timezone,
        source_timezone=settings.source_timezone,
        env_file=env_file.resolve() if env_file.is_file() else None,
    )


def status(
    settings: Settings,
    mode: Mode = Mode.memory,
    ledger_entries: int = LEDGER_ENTRIES,
    now: datetime | None = None,
) -> Status:
    """What `mode`'s store holds and whether it can be used; never raises for a store or an
    output that cannot be read (`Status.problem`, `Outputs.problem` say why)."""
    mode = Mode(mode)
    result = Status(
        mode=mode,
        checked_at=now or datetime.now(UTC),
        configuration=configuration(settings),
        outputs=_outputs(settings, mode, None),
        warnings=settings.warnings(),
    )
    try:
        backend = open_backend(settings, mode, check=False)
        store = backend.state()
    except AkasaError as exc:
        return replace(result, problem=str(exc))
    if store.problem is not None:
        return replace(result, store=store, problem=store.problem)
    try:
        ledger = backend.ledger()
        newest_batch = max(ledger["batch_id"].to_list(), default=None)
        span = backend.order_span()
        return replace(
            result,
            store=store,
            batches=ledger.height,
            ledger=[LedgerEntry(**row) for row in ledger.tail(ledger_entries).to_dicts()],
            newest_order_at=span.newest,
            oldest_order_at=span.oldest,
            last_ingest_at=backend.last_ingest_at(),
            tables=backend.table_sizes(),
            outputs=_outputs(settings, mode, newest_batch),
        )
    except AkasaError as exc:  # e.g. the connection dropped between two reads
        return replace(result, store=store, problem=str(exc))


def _outputs(settings: Settings, mode: Mode, newest_batch: int | None) -> Outputs:
    """`newest_batch`: the store's newest batch id; outputs whose data-quality files stop
    before it were computed before that file was ingested."""
    path = (settings.outputs_dir / mode / "kpis.json").absolute()
    if not path.exists():
        return Outputs(path, problem="no outputs yet; run akasa run")
    try:
        document = read_document(path)
    except AkasaError as exc:
        return Outputs(path, problem=str(exc))
    seen = max((f.batch_id for f in document.data_quality.files), default=0)
    behind = newest_batch is not None and newest_batch > seen
    return Outputs(
        path,
        as_of=document.as_of,
        as_of_requested=document.as_of_requested,
        window_days=document.window_days,
        generated_at=document.generated_at,
        behind=behind,
    )
