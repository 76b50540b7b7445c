"""Everything akasa shows in a terminal: Rich tables, the manager's summary, JSON, errors.

The library returns result objects and never prints; this module is the only place that
turns them into text. Free text is passed through `privacy.redact` on the way out.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table as RichTable

from akasa.core import zones
from akasa.core.privacy import mask_mobiles_in, redact
from akasa.kpi.narrative import summary_lines

if TYPE_CHECKING:
    import polars as pl

    from akasa.backends.base import QueryResult
    from akasa.backends.sql.migrate import MigrateResult
    from akasa.generate import GenerateResult
    from akasa.pipeline.ingest import IngestResult
    from akasa.pipeline.rejects import RejectsResult
    from akasa.pipeline.run import KpiRun
    from akasa.pipeline.status import Status
    from akasa.report.build import ReportResult

MAX_TABLE_ROWS = 20
KPI_TITLES = {
    "repeat_customers": "Repeat customers",
    "monthly_trends": "Monthly trends",
    "regional_revenue": "Regional revenue",
    "top_customers": "Top customers",
}


def stdout() -> Console:
    """A console bound to the current stdout (tests swap it), wide enough when piped."""
    terminal = sys.stdout.isatty()
    return Console(
        file=sys.stdout, width=None if terminal else 160, highlight=False, soft_wrap=not terminal
    )


class TerminalProgress:
    """A Rich progress bar that appears only when a step runs longer than `delay` seconds,
    and only on a terminal."""

    def __init__(self, delay: float = 1.0, console: Console | None = None) -> None:
        self.delay = delay
        self.console = console
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._total = 0
        self._label = ""
        self._done = 0
        self._started = 0.0

    @classmethod
    def maybe(cls, quiet: bool) -> TerminalProgress | None:
        return None if quiet or not sys.stdout.isatty() else cls()

    def start(self, total: int, label: str) -> None:
        self._total, self._label, self._done = total, label, 0
        self._started = time.monotonic()

    def advance(self, amount: int) -> None:
        self._done += amount
        if self._bar is None and time.monotonic() - self._started >= self.delay:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=self.console or stdout(),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self._label, total=self._total)
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self._done)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def error(message: str, secrets: Iterable[str] = ()) -> None:
    """The one-line `Error: ...` on stderr."""
    line = redact(" ".join(message.split()), secrets)
    sys.stderr.write(f"Error: {line}\n")
    sys.stderr.flush()


def warning(message: str, secrets: Iterable[str] = ()) -> None:
    """One line `Warning: ...` on stderr: something the user should know, not a failure."""
    line = redact(" ".join(message.split()), secrets)
    sys.stderr.write(f"Warning: {line}\n")
    sys.stderr.flush()


@contextmanager
def step_progress(
    enabled: bool = True, console: Console | None = None
) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar for a job of counted steps (the library reports what, done, total).

    Shown only on a terminal and when not --quiet; otherwise the callback is None.
    """
    console = console or stdout()
    if not enabled or not console.is_terminal:
        yield None
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("Starting", total=None)

        def update(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total)

        yield update


def _rich_table(
    title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> RichTable:
    grid = RichTable(title=title, title_justify="left", title_style="bold")
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*("" if v is None else mask_mobiles_in(str(v)) for v in row))
    return grid


def render_ingest(result: IngestResult, quiet: bool = False) -> None:
    out = stdout()
    for store in result.stores:
        rows = []
        for f in store.files:
            acc = f.accounting
            counts = (
                [acc.read, acc.accepted, acc.rejected, acc.duplicates, acc.superseded]
                if acc
                else ["", "", "", "", ""]
            )
            status = f"batch {f.batch_id}" if f.status == "ingested" else f"skipped: {f.note}"
            rows.append([f.source_file, f.kind, *counts, status])
        if not quiet:
            out.print(
                _rich_table(
                    f"Ingest into the {store.store} store",
                    [
                        "file",
                        "kind",
                        "read",
                        "accepted",
                        "rejected",
                        "duplicates",
                        "superseded",
                        "result",
                    ],
                    rows,
                )
            )
        landed = sum(1 for f in store.files if f.status == "ingested")
        skipped = len(store.files) - landed
        rejected = sum(f.accounting.rejected for f in store.files if f.accounting)
        out.print(
            f"{store.store}: {landed} file(s) ingested, {skipped} skipped, "
            f"{rejected} record(s) rejected."
        )
        for f in store.files:
            if f.quarantine_file is not None:
                out.print(f"  quarantine: {f.quarantine_file}")


def render_run(run: KpiRun, fmt: str = "table") -> None:
    for line in run.warnings:
        warning(line)
    if fmt == "json":
        sys.stdout.write(run.json_text)
        return
    out = stdout()
    for name, frame in run.tables.items():
        title = KPI_TITLES[name]
        if name == "top_customers":
            title += f", last {run.context.window_days} days"
        out.print(_rich_table(title, frame.columns, frame.head(MAX_TABLE_ROWS).rows()))
        if frame.height > MAX_TABLE_ROWS:
            out.print(f"... {frame.height - MAX_TABLE_ROWS} more rows in {name}.csv")
    if run.output_dir is None:
        out.print("Outputs not written (--no-write).")
    else:
        out.print(f"Outputs written to {run.output_dir}")
    out.print()
    for line in summary_lines(run.document):
        out.print(mask_mobiles_in(line))


def render_report(result: ReportResult, quiet: bool = False) -> None:
    """A staleness warning (unless quiet), then one line naming every file written."""
    out = stdout()
    warning = result.freshness.warning()
    if warning and not quiet:
        out.print(f"Warning: {warning}")
    charts = ", ".join(path.name for path in result.files[1:])
    out.print(
        f"Wrote {result.report} and {len(result.files) - 1} chart files in "
        f"{result.report.parent}: {charts}"
    )


def render_query(result: QueryResult, fmt: str = "table") -> None:
    rows = [
        [mask_mobiles_in(str(v)) if isinstance(v, str) else v for v in row] for row in result.rows
    ]
    if fmt == "json":
        records = [dict(zip(result.columns, row, strict=True)) for row in rows]
        sys.stdout.write(json.dumps(records, indent=2, ensure_ascii=False, default=str) + "\n")
        return
    out = stdout()
    out.print(_rich_table(None, result.columns, rows))
    more = " (more rows not shown; add a LIMIT)" if result.truncated else ""
    out.print(f"{len(rows)} row(s){more}")


def render_migrate(result: MigrateResult) -> None:
    """One line: what changed, and where (the URL never carries its password)."""
    before = result.before or "empty"
    if result.changed:
        line = f"Database schema upgraded from {before} to {result.after}: {result.database}"
    else:
        line = f"Database schema already at {result.after} (newest): {result.database}"
    stdout().print(redact(line), markup=False)


def render_generate(result: GenerateResult) -> None:
    out = stdout()
    out.print(
        f"Wrote {result.customers} customer rows and {result.order_lines} order lines "
        f"({result.orders} orders) over {result.days} day(s) to {result.out_dir}"
    )


# ---- akasa status ---------------------------------------------------------------------------

LEDGER_COLUMNS = (
    "batch_id",
    "source_file",
    "kind",
    "records_read",
    "accepted",
    "rejected",
    "duplicates",
    "superseded",
)


def _facts(title: str, rows: Iterable[tuple[str, str]]) -> RichTable:
    """A titled list of `name  value` lines."""
    grid = RichTable(
        title=title,
        title_justify="left",
        title_style="bold",
        show_header=False,
        box=None,
        padding=(0, 2, 0, 2),
    )
    grid.add_column("what")
    grid.add_column("value", overflow="fold")
    for name, value in rows:
        grid.add_row(name, redact(value))
    return grid


def _bytes(size: int | None) -> str:
    """`1.2 MB` (powers of 1000), `812 bytes`; `-` when unknown."""
    if size is None:
        return "-"
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def _ago(moment: datetime, now: datetime) -> str:
    """`3 days 4 hours ago`, to the minute; `in 2 hours` for a moment after `now`."""
    lag = now - moment
    future = lag < timedelta(0)
    minutes = int(abs(lag).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [(days, "day"), (hours, "hour")] if days else [(hours, "hour"), (minutes, "minute")]
    words = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n] or ["0 minutes"]
    return f"in {' '.join(words)}" if future else f"{' '.join(words)} ago"


def _local(moment: datetime | None, timezone: str) -> str | None:
    """An instant in the business zone, to the second: `2025-11-01 14:22:10+05:30`."""
    if moment is None:
        return None
    return moment.astimezone(zones.zone(timezone)).isoformat(sep=" ", timespec="seconds")


def _when(moment: datetime | None, result: Status) -> str:
    local = _local(moment, result.configuration.timezone)
    if moment is None or local is None:
        return "-"
    return f"{local} ({_ago(moment, result.checked_at)})"


def status_document(result: Status) -> dict[str, Any]:
    """`akasa status --format json`: times in the business zone, sizes in bytes."""
    tz = result.configuration.timezone
    config = result.configuration
    store = result.store
    outputs = result.outputs
    return {
        "mode": str(result.mode),
        "checked_at": _local(result.checked_at, tz),
        "ok": result.problem is None,
        "problem": result.problem,
        "configuration": {
            "data_dir": str(config.data_dir),
            "database": config.database,
            "database_problem": config.database_problem,
            "timezone": config.timezone,
            "source_timezone": config.source_timezone,
            "env_file": None if config.env_file is None else str(config.env_file),
        },
        "store": None
        if store is None
        else {
            "location": store.location,
            "version": store.version,
            "expected_version": store.expected,
            "problem": store.problem,
            "bytes_on_disk": store.bytes_on_disk,
        },
        "freshness": {
            "newest_order_at": _local(result.newest_order_at, tz),
            "oldest_order_at": _local(result.oldest_order_at, tz),
            "last_ingest_at": _local(result.last_ingest_at, tz),
        },
        "tables": [
            {"table": t.table, "rows": t.rows, "bytes_on_disk": t.bytes_on_disk}
            for t in result.tables
        ],
        "ledger": {
            "batches": result.batches,
            "newest": [
                {
                    **{name: getattr(entry, name) for name in LEDGER_COLUMNS},
                    "size_bytes": entry.size_bytes,
                    "sha256": entry.sha256,
                    "ingested_at": _local(entry.finished_at, tz),
                }
                for entry in result.ledger
            ],
        },
        "outputs": {
            "kpis_json": str(outputs.path),
            "as_of": outputs.as_of,
            "as_of_requested": outputs.as_of_requested,
            "window_days": outputs.window_days,
            "generated_at": outputs.generated_at,
            "behind_the_store": outputs.behind,
            "problem": outputs.problem,
        },
        "warnings": result.warnings,
    }


def render_status(result: Status, fmt: str = "table") -> None:
    """Every section, even when the store could not be used (the problem says why).

    The settings' warnings are not repeated here: the command line printed them on stderr."""
    if fmt == "json":
        text = json.dumps(status_document(result), indent=2, ensure_ascii=False)
        sys.stdout.write(redact(text) + "\n")
        return
    out = stdout()
    config = result.configuration
    out.print(
        f"Status of the {result.mode} store at {_local(result.checked_at, config.timezone)}",
        markup=False,
    )
    database = config.database
    if config.database_problem is not None:
        database = f"unusable: {config.database_problem}"
    out.print(
        _facts(
            "Configuration",
            [
                ("data dir", str(config.data_dir)),
                ("database", database),
                ("time zone", config.timezone),
                ("order times without offset", config.source_timezone),
                (".env file", "none" if config.env_file is None else str(config.env_file)),
            ],
        )
    )
    store = result.store
    rows = []
    if store is not None:
        version = f"{store.version or 'none (empty)'} (this akasa: {store.expected})"
        rows += [("location", store.location), ("version", version)]
    rows.append(("state", "ok" if result.problem is None else f"cannot be used: {result.problem}"))
    if store is not None:
        rows.append(("on disk", _bytes(store.bytes_on_disk)))
    out.print(_facts("Store", rows))
    if result.problem is None:
        out.print(
            _facts(
                "Freshness",
                [
                    ("newest order", _when(result.newest_order_at, result)),
                    ("oldest order", _when(result.oldest_order_at, result)),
                    ("last ingest", _when(result.last_ingest_at, result)),
                ],
            )
        )
        sized = any(t.bytes_on_disk is not None for t in result.tables)
        out.print(
            _rich_table(
                "Tables",
                ["table", "rows", *(["on disk"] if sized else [])],
                [
                    [t.table, f"{t.rows:,}", *([_bytes(t.bytes_on_disk)] if sized else [])]
                    for t in result.tables
                ],
            )
        )
        shown = len(result.ledger)
        if not result.batches:
            out.print("Ledger: no files ingested yet", style="bold")
        else:
            out.print(
                _rich_table(
                    f"Ledger: the newest {shown} of {result.batches} files"
                    if shown < result.batches
                    else f"Ledger: {result.batches} files",
                    [
                        "batch",
                        "file",
                        "kind",
                        "read",
                        "accepted",
                        "rejected",
                        "dup.",
                        "superseded",
                        "ingested",
                    ],
                    [
                        [
                            *(getattr(entry, name) for name in LEDGER_COLUMNS),
                            _local(entry.finished_at, config.timezone),
                        ]
                        for entry in result.ledger
                    ],
                )
            )
    outputs = result.outputs
    facts = [("kpis.json", str(outputs.path))]
    if outputs.problem is not None:
        facts.append(("state", outputs.problem))
    else:
        window = f"{outputs.window_days} days"
        facts += [
            ("as of", f"{outputs.as_of} (--as-of {outputs.as_of_requested}), window {window}"),
            ("generated", str(outputs.generated_at)),
        ]
        if outputs.behind:
            facts.append(("state", "files were ingested after this run; run akasa run"))
    out.print(_facts("Outputs", facts))


# ---- akasa rejects --------------------------------------------------------------------------


def _masked_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Reasons and file names as people may read them: mobile numbers masked."""
    import polars as pl

    return frame.with_columns(
        pl.col(name).map_elements(mask_mobiles_in, return_dtype=pl.String)
        for name in ("source_file", "reason")
    )


def render_rejects(result: RejectsResult, fmt: str = "table") -> None:
    rows = _masked_rows(result.rows)
    more = result.total - rows.height
    if fmt == "json":
        document = {
            "mode": str(result.mode),
            "file": result.file,
            "reason": result.reason,
            "files": result.files,
            "records": result.total,
            "reasons": [
                {"reason": mask_mobiles_in(r["reason"]), "records": r["records"]}
                for r in result.reasons.to_dicts()
            ],
            "rows": rows.to_dicts(),
            "truncated": result.truncated,
        }
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        from akasa.core.output import csv_bytes

        columns = ["source_file", "batch_id", "record_number", "reason"]
        data = csv_bytes(rows.select(columns), text_columns=["source_file", "reason"])
        sys.stdout.write(data.decode("utf-8"))
    else:
        out = stdout()
        where = f" of {', '.join(result.files)}" if result.file is not None else ""
        about = f' with a problem containing "{result.reason}"' if result.reason else ""
        out.print(
            f"{result.total:,} rejected record(s){where} in the {result.mode} store{about}.",
            markup=False,
        )
        if result.total:
            out.print(
                _rich_table(
                    "Reasons",
                    ["reason", "records"],
                    [[r["reason"], f"{r['records']:,}"] for r in result.reasons.to_dicts()],
                )
            )
            out.print(
                _rich_table(
                    "Records",
                    ["file", "batch", "record", "reason"],
                    rows.select("source_file", "batch_id", "record_number", "reason").rows(),
                )
            )
    if more:
        warning(f"{more:,} more record(s) not listed; raise --limit to see them")


def _masked_rows_of(counts: Any) -> list[dict[str, Any]]:
    return [
        {"reason": mask_mobiles_in(r["reason"]), "records": r["records"]} for r in counts.to_dicts()
    ]
